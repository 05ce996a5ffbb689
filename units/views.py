"""Pages of the units app: the signed-in user's notifications (``/thong-bao/``).

Thin: fetch the user's own notification (anyone else's is a 404), call ``services``, redirect. Writes are POST
only; opening a notification (a link, also from its e-mail) marks it read and redirects to its ``url``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from parindex import params

from . import selectors, services
from .models import Notification

PAGE_SIZE = 20


def _own_notification(request, pk: int) -> Notification:
    """The signed-in user's notification ``pk``; 404 for anybody else's (its existence is not revealed)."""
    return get_object_or_404(Notification, pk=pk, user=request.user)


def _safe_next(request, url: str) -> str | None:
    """``url`` when it stays on this site (a path or this host), else ``None`` — never an open redirect."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


@login_required
@require_GET
def notification_list(request):
    """The user's notifications, newest first, 20 a page (``?page=``); unread ones highlighted."""
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(
        params.int_param(request.GET, "page")
    )
    return render(request, "units/notifications/list.html", {"page": page})


@login_required
@require_GET
def notification_open(request, pk: int):
    """Mark the notification read and go to its ``url`` (the list when it has none or it leaves the site)."""
    notification = services.notification_mark_read(
        notification=_own_notification(request, pk), by=request.user
    )
    return redirect(_safe_next(request, notification.url) or "notifications:list")


@login_required
@require_POST
def notification_read(request, pk: int):
    """POST: mark one notification read, back to ``next`` (the list page it was on) or the list."""
    services.notification_mark_read(notification=_own_notification(request, pk), by=request.user)
    return redirect(_safe_next(request, request.POST.get("next", "")) or "notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    """POST: mark every notification of the user read, back to the list with a message."""
    n = services.notifications_mark_all_read(by=request.user)
    if n:
        messages.success(request, _("Đã đánh dấu %(n)s thông báo là đã đọc.") % {"n": n})
    return redirect("notifications:list")
