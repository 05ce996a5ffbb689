"""Writes of the units app: in-app notifications (and their e-mails).

Other apps call ``notify`` from inside their own services (e.g. when an assessment changes state); the rows are
part of the caller's transaction and the e-mails go out only once it commits.
"""

from collections.abc import Iterable
from functools import partial

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from .models import Notification


def _max_length(field_name: str) -> int:
    """The ``max_length`` of one of ``Notification``'s text columns (characters; each one has a limit)."""
    column = Notification._meta.get_field(field_name)
    assert isinstance(column, models.CharField) and column.max_length is not None, field_name
    return column.max_length


_SUBJECT_MAX = _max_length("subject")
_URL_MAX = _max_length("url")


def _clean_subject(subject: str) -> str:
    # A mail header may not hold a line break (BadHeaderError), and the column holds 255 characters.
    subject = " ".join(str(subject).split())
    return subject if len(subject) <= _SUBJECT_MAX else subject[: _SUBJECT_MAX - 1] + "…"


def notify(
    *, users: Iterable, subject: str, body: str, url: str = "", email: bool = True
) -> list[Notification]:
    """Notify ``users`` in the portal and, when ``email`` is true, by e-mail.

    ``users``: users or user ids, in any iterable (a queryset too); duplicates and inactive users are dropped,
    so callers may pass "everyone concerned" without care. ``subject``: one line (line breaks are folded,
    longer than 255 characters is cut with "…"); ``body``: plain text; ``url``: a path inside the portal such as
    ``/assessments/12/`` (empty = nothing to open).

    Returns the created notifications, ordered by user id (``[]`` when nobody is left). One bulk INSERT,
    inside the caller's transaction: if the caller rolls back, no row exists and no mail is sent. The e-mails
    (one per notification whose user has an address) are enqueued as a single
    ``units.tasks.send_notification_emails`` task on commit; a broker outage at that moment is logged and does
    not break the caller's already committed work (the notifications stay visible in the portal).

    Raises ``ValueError`` for an empty subject or a ``url`` longer than 500 characters (programming errors).
    """
    subject = _clean_subject(subject)
    if not subject:
        raise ValueError("notify(): subject must not be empty")
    if len(url) > _URL_MAX:
        raise ValueError(f"notify(): url longer than {_URL_MAX} characters")
    ids = {getattr(user, "pk", user) for user in users}
    ids.discard(None)
    if not ids:
        return []
    recipients = list(
        get_user_model().objects.filter(pk__in=ids, is_active=True).only("pk", "email").order_by("pk")
    )
    if not recipients:
        return []
    now = timezone.now()
    with transaction.atomic():
        created = Notification.objects.bulk_create(
            [
                Notification(user=user, subject=subject, body=body, url=url, created_at=now)
                for user in recipients
            ]
        )
        to_mail = [n.pk for n, user in zip(created, recipients, strict=True) if email and user.email.strip()]
        if to_mail:
            # robust: Django logs a failure (with the ids, through the partial's repr) instead of raising it
            # into a request whose work has already been committed.
            transaction.on_commit(partial(_enqueue_emails, to_mail), robust=True)
    return created


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .tasks import send_notification_emails

    send_notification_emails.delay(notification_ids)


def notification_mark_read(*, notification: Notification, by) -> Notification:
    """Mark ``notification`` read by its owner ``by``; returns it with ``read_at`` set.

    Idempotent: an already read notification keeps its first ``read_at``. Raises ``PermissionDenied`` when
    ``by`` is not the notification's user (one's notifications are private; views answer 404 before that).
    """
    if notification.user_id != getattr(by, "pk", None):
        raise PermissionDenied("Chỉ người nhận mới được đánh dấu thông báo này là đã đọc.")
    if notification.read_at is None:
        now = timezone.now()
        # Conditional UPDATE: two tabs marking the same row never overwrite the first read time.
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, by) -> int:
    """Mark every unread notification of ``by`` read; returns how many changed (0 when none were unread)."""
    return Notification.objects.filter(user=by, read_at__isnull=True).update(read_at=timezone.now())


#: Username of the portal's own account, the actor of management commands (``setup_portal``, ``import_criteria``).
SYSTEM_USERNAME = "he-thong"


def system_user():
    """The portal's own account ("Hệ thống"): the actor that management commands pass as ``by`` to services,
    which all require one (issue 20). Created on first use: inactive with an unusable password (nobody logs in
    as it), superuser so that it holds the admin role (``units.permissions.roles_of``); history shows it."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Hệ thống", "is_superuser": True, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
