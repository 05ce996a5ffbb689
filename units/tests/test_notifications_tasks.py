"""The e-mails of notifications through their outbox: one mail each, never twice, retried with backoff on SMTP
errors up to a limit, then marked failed with the reason."""

import datetime
from smtplib import SMTPRecipientsRefused, SMTPServerDisconnected

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from units import services, tasks
from units.models import Notification
from units.services import notify

pytestmark = pytest.mark.django_db


def _rows(make_user, *emails, url="/assessments/3/"):
    """Notifications with their mails due (*pending*: the on-commit kick never runs inside a test's
    transaction)."""
    users = [make_user(email=e) for e in emails]
    return notify(users=users, subject="Nhắc hạn", body="Hạn tự đánh giá là ngày mai.", url=url)


def test_a_notification_already_emailed_is_not_sent_again(make_user):
    rows = _rows(make_user, "a@example.vn", "b@example.vn")
    ids = [n.pk for n in rows]
    assert tasks.send_notification_emails.delay(ids).get() == 2
    assert tasks.send_notification_emails.delay(ids).get() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.vn", "b@example.vn"]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_the_mail_links_to_the_list_when_there_is_nothing_to_open(make_user, settings):
    settings.SITE_URL = "https://cchc.example.vn/sub"
    (row,) = _rows(make_user, "a@example.vn", url="")
    tasks.send_notification_emails(ids := [row.pk])
    assert ids and "https://cchc.example.vn/sub/thong-bao/\n" in mail.outbox[0].body


def test_users_without_address_deleted_rows_and_inactive_users_get_no_mail(make_user):
    rows = _rows(make_user, "", "c@example.vn")
    rows[1].user.is_active = False
    rows[1].user.save()
    assert tasks.send_notification_emails([n.pk for n in rows] + [999_999]) == 0
    assert mail.outbox == []


def test_an_smtp_failure_half_way_is_retried_without_resending_the_first_mails(make_user, monkeypatch):
    rows = _rows(make_user, "a@example.vn", "b@example.vn", "c@example.vn")
    ids = [n.pk for n in rows]
    real_send = services.send_mail
    calls = []

    def flaky_send(subject, message, from_email, recipients, **kw):
        calls.append(recipients[0])
        if len(calls) == 2:
            raise SMTPServerDisconnected("connection dropped")
        return real_send(subject, message, from_email, recipients, **kw)

    monkeypatch.setattr(services, "send_mail", flaky_send)
    # The server dropped the connection: the batch stops, b's failed try is recorded, c waits.
    assert tasks.send_notification_emails(ids) == 1
    assert [m.to[0] for m in mail.outbox] == ["a@example.vn"]
    b = Notification.objects.get(pk=ids[1])
    assert (b.email_status, b.email_attempts) == ("pending", 1) and "connection dropped" in b.email_error
    assert tasks.send_notification_emails(ids) == 2  # what the next try does
    assert calls == ["a@example.vn", "b@example.vn", "b@example.vn", "c@example.vn"]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.vn", "b@example.vn", "c@example.vn"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert set(Notification.objects.values_list("email_status", flat=True)) == {"sent"}


def test_smtp_and_network_errors_are_retried_with_backoff_then_failed_with_the_reason(
    make_user, monkeypatch, settings
):
    """The sweep retries a failed mail after 60 s, 120 s, 240 s … (``NOTIFICATION_EMAIL_RETRY_SECONDS`` doubled),
    never earlier, and gives up after ``NOTIFICATION_EMAIL_MAX_ATTEMPTS`` tries: failed, the reason kept (the
    admin shows it), never tried again."""
    settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS, settings.NOTIFICATION_EMAIL_RETRY_SECONDS = 4, 60
    (row,) = _rows(make_user, "a@example.vn")
    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(services, "send_mail", down)
    assert tasks.notification_emails_sweep() == 0
    seconds = datetime.timedelta(seconds=1)
    for tries, wait in ((1, 60), (2, 120), (3, 240)):
        row.refresh_from_db()
        assert (row.email_status, row.email_attempts, len(calls)) == ("pending", tries, tries)
        assert "no SMTP server" in row.email_error
        assert row.email_next_at - timezone.now() > (wait - 5) * seconds
        assert services.notification_emails_send(now=row.email_next_at - 2 * seconds) == 0  # not yet
        assert len(calls) == tries
        assert services.notification_emails_send(now=row.email_next_at) == 0
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts, row.emailed_at, len(calls)) == ("failed", 4, None, 4)
    assert row.email_error == "Lần 4: ConnectionRefusedError: no SMTP server"
    later = timezone.now() + datetime.timedelta(days=1)
    assert services.notification_emails_send(now=later) == 0 and len(calls) == 4
    assert tasks.send_notification_emails([row.pk]) == 0 and len(calls) == 4


def test_a_refused_recipient_does_not_hold_up_the_others(make_user, monkeypatch):
    rows = _rows(make_user, "sai@example.vn", "b@example.vn")
    real_send = services.send_mail

    def picky(subject, message, from_email, recipients, **kw):
        if recipients == ["sai@example.vn"]:
            raise SMTPRecipientsRefused({"sai@example.vn": (550, b"no such user")})
        return real_send(subject, message, from_email, recipients, **kw)

    monkeypatch.setattr(services, "send_mail", picky)
    assert tasks.notification_emails_sweep() == 1
    assert [m.to for m in mail.outbox] == [["b@example.vn"]]
    assert Notification.objects.get(pk=rows[0].pk).email_attempts == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SELECT … FOR UPDATE SKIP LOCKED: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_mail_another_sender_holds_is_skipped_and_sent_once(make_user):
    """Two senders at once (a sweep and the on-commit kick): while one holds the row (its lock, here in another
    thread's transaction) the other skips it; once released it is sent once."""
    import threading

    (row,) = _rows(
        make_user, "a@example.vn"
    )  # committed at once: the on-commit kick sent it; make it due again
    Notification.objects.filter(pk=row.pk).update(email_status="pending", emailed_at=None)
    mail.outbox.clear()
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=row.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        assert tasks.notification_emails_sweep() == 0 and mail.outbox == []
    finally:
        release.set()
        holder.join(10)
    assert tasks.notification_emails_sweep() == 1
    assert tasks.notification_emails_sweep() == 0
    assert [m.to for m in mail.outbox] == [["a@example.vn"]]
