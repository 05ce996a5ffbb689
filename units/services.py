"""Writes of the units app: in-app notifications (and their e-mails).

Other apps call ``notify`` from inside their own services (e.g. when an assessment changes state); the rows are
part of the caller's transaction and the e-mails go out only once it commits.

E-mails go through an outbox (issue 14): ``notify`` marks each mail due (``email_status`` *pending*) in the
caller's transaction; ``notification_emails_send`` sends them — kicked once after the commit, and by the beat
sweep every minute (``units.tasks.notification_emails_sweep``), so a mail owed while the broker was down goes out
when a worker runs again.
"""

import logging
from collections.abc import Iterable
from datetime import timedelta
from smtplib import SMTPException, SMTPRecipientsRefused

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .models import EmailStatus, Notification

logger = logging.getLogger(__name__)


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
    (one per notification whose user has an address) are recorded due in the same INSERT (``email_status``
    *pending*: the outbox) and a single ``units.tasks.send_notification_emails`` task is enqueued on commit; a
    broker outage at that moment is logged and does not break the caller's already committed work — the beat
    sweep sends them later (``notification_emails_send``).

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
                Notification(
                    user=user,
                    subject=subject,
                    body=body,
                    url=url,
                    created_at=now,
                    email_status=EmailStatus.PENDING if email and user.email.strip() else EmailStatus.NONE,
                )
                for user in recipients
            ]
        )
        to_mail = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
        if to_mail:

            def enqueue_emails() -> None:
                notification_emails_enqueue(to_mail)

            transaction.on_commit(enqueue_emails, robust=True)
    return created


def notification_emails_enqueue(notification_ids: list[int]) -> bool:
    """Publish ``units.tasks.send_notification_emails`` for ``notification_ids``; True when published. A broker
    outage is logged and gives False: the mails stay *pending* in the outbox for the sweep."""
    from .tasks import send_notification_emails

    try:
        send_notification_emails.delay(notification_ids)
    except Exception:
        logger.warning(
            "Không gửi được việc gửi thư (thông báo %s) tới broker; lượt quét định kỳ sẽ gửi.",
            notification_ids,
            exc_info=True,
        )
        return False
    return True


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


#: How many due mails one sweep sends at most (the next sweep, a minute later, goes on).
EMAIL_BATCH = 500


def notification_emails_send(*, ids: Iterable[int] | None = None, now=None) -> int:
    """Send the outbox's due mails; returns how many were sent.

    ``ids``: those notifications (the on-commit kick), whenever their next try is due; None: the sweep — every
    *pending* notification whose ``email_next_at`` has come (or is empty), oldest first, at most
    ``EMAIL_BATCH``. ``now``: the time of the sweep (default: now).

    Exactly once: each mail is sent while its row is claimed (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL:
    a concurrent sender skips it) and still *pending*, and *sent* with ``emailed_at`` is saved in the same
    transaction. A user without an address or no longer active: *failed* with the reason, nothing sent.
    An SMTP or network error (``SMTPException``, ``OSError``) counts a try on that row, keeps the reason in
    ``email_error`` and sets the next try ``settings.NOTIFICATION_EMAIL_RETRY_SECONDS`` × 2^(tries − 1) later —
    *failed* after ``settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS`` tries; a refused recipient goes on with the next
    mail, any other error (the server is unreachable) ends the batch, the rest waiting for the next sweep.
    """
    now = now or timezone.now()
    due = Notification.objects.filter(email_status=EmailStatus.PENDING)
    if ids is not None:
        due = due.filter(pk__in=set(ids))
    else:
        due = due.filter(Q(email_next_at__isnull=True) | Q(email_next_at__lte=now))
    sent = 0
    for pk in list(due.order_by("pk").values_list("pk", flat=True)[:EMAIL_BATCH]):
        try:
            sent += _email_one(pk)
        except SMTPRecipientsRefused:
            continue
        except (SMTPException, OSError):
            break
    if sent:
        logger.info("Đã gửi %s thư thông báo.", sent)
    return sent


def _email_one(pk: int) -> int:
    """Send notification ``pk``'s mail under its row lock (see ``notification_emails_send``): 1 when sent, 0 when
    someone else has it or it is not due any more; re-raises a send error after recording the failed try."""
    error = None
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("user")
            .filter(pk=pk, email_status=EmailStatus.PENDING)
            .first()
        )
        if notification is None:
            return 0
        user = notification.user
        address = (user.email or "").strip()
        if not address or not user.is_active:
            notification.email_status = EmailStatus.FAILED
            notification.email_error = "Người nhận không có địa chỉ e-mail hoặc tài khoản đã bị khoá."
            notification.save(update_fields=["email_status", "email_error"])
            return 0
        try:
            send_mail(
                notification.subject,
                notification_mail_text(notification),
                None,
                [address],
                fail_silently=False,
            )
        except (SMTPException, OSError) as exc:
            error = exc
            tries = notification.email_attempts + 1
            notification.email_attempts = tries
            notification.email_error = f"Lần {tries}: {type(exc).__name__}: {exc}"
            if tries >= settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS:
                notification.email_status = EmailStatus.FAILED
                notification.email_next_at = None
            else:
                wait = settings.NOTIFICATION_EMAIL_RETRY_SECONDS * 2 ** (tries - 1)
                notification.email_next_at = timezone.now() + timedelta(seconds=wait)
            notification.save(
                update_fields=["email_attempts", "email_error", "email_status", "email_next_at"]
            )
            logger.warning("Gửi thư thông báo %s lỗi (lần %s): %s", pk, tries, exc)
        else:
            notification.email_status, notification.emailed_at = EmailStatus.SENT, timezone.now()
            notification.email_next_at = None
            notification.save(update_fields=["email_status", "emailed_at", "email_next_at"])
    if error is not None:
        raise error
    return 1


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
