"""Celery tasks of the units app: the e-mails of notifications (enqueued by ``units.services.notify``)."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def notification_link(notification: Notification) -> str:
    """Absolute address a mail points to: ``SITE_URL`` + the notification's "open" page (which marks it read
    and redirects to its ``url``), or the notification list when it has no ``url``.

    ``SITE_URL`` may carry a path prefix when the portal is served below one (``https://host/cchc``).
    """
    if notification.url:
        path = reverse("notifications:open", args=[notification.pk])
    else:
        path = reverse("notifications:list")
    return settings.SITE_URL.rstrip("/") + path


def notification_mail_text(notification: Notification) -> str:
    """Plain-text body of a notification's mail: its body, the link, a footer."""
    return (
        f"{notification.body.rstrip()}\n\n"
        f"Xem chi tiết: {notification_link(notification)}\n\n"
        "--\n"
        "Thư tự động của cổng Chỉ số cải cách hành chính; vui lòng không trả lời thư này.\n"
    )


@shared_task(autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=5)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send one mail per notification of ``notification_ids`` (ints) to its user; returns how many were sent.

    Skipped: ids that no longer exist, notifications already e-mailed (``emailed_at`` set — so a retry after a
    failure half-way does not resend the first ones), users without an address or no longer active. Each mail
    is sent while its row is locked (``SELECT … FOR UPDATE`` on PostgreSQL) and ``emailed_at`` is saved in the
    same transaction, so two deliveries of the same task cannot both send it. An SMTP or network error
    (``SMTPException``, ``OSError``) rolls back that row and retries the whole task with exponential backoff
    (at most 5 retries), resuming at the first unsent notification.
    """
    sent = 0
    for pk in sorted(set(notification_ids)):
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=pk, emailed_at__isnull=True)
                .first()
            )
            if notification is None:
                continue
            user = notification.user
            address = (user.email or "").strip()
            if not address or not user.is_active:
                continue
            send_mail(
                notification.subject,
                notification_mail_text(notification),
                None,
                [address],
                fail_silently=False,
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    logger.info("Đã gửi %s thư thông báo (%s thông báo).", sent, len(notification_ids))
    return sent
