"""The e-mail task of notifications: one mail each, never twice, retried on SMTP errors."""

from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail

from units import tasks
from units.models import Notification
from units.services import notify

pytestmark = pytest.mark.django_db


def _rows(make_user, *emails, url="/assessments/3/"):
    users = [make_user(email=e) for e in emails]
    return notify(users=users, subject="Nhắc hạn", body="Hạn tự đánh giá là ngày mai.", url=url, email=False)


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
    real_send = tasks.send_mail
    calls = []

    def flaky_send(subject, message, from_email, recipients, **kw):
        calls.append(recipients[0])
        if len(calls) == 2:
            raise SMTPServerDisconnected("connection dropped")
        return real_send(subject, message, from_email, recipients, **kw)

    monkeypatch.setattr(tasks, "send_mail", flaky_send)
    with pytest.raises(SMTPServerDisconnected):
        tasks.send_notification_emails(ids)  # called directly: the error surfaces instead of a retry
    assert [m.to[0] for m in mail.outbox] == ["a@example.vn"]
    assert tasks.send_notification_emails(ids) == 2  # what the retry does
    assert calls == ["a@example.vn", "b@example.vn", "b@example.vn", "c@example.vn"]
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.vn", "b@example.vn", "c@example.vn"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_smtp_and_network_errors_are_retried_five_times_with_backoff(make_user, monkeypatch):
    from parindex.celery import app

    (row,) = _rows(make_user, "a@example.vn")
    calls = []

    def down(*args, **kwargs):
        calls.append(1)
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(tasks, "send_mail", down)
    # With eager propagation Celery raises Retry at once; without it, apply() runs the retries in place.
    app.conf.task_eager_propagates = False  # restored by the root conftest's celery_eager fixture
    result = tasks.send_notification_emails.apply(args=[[row.pk]])
    assert result.state == "FAILURE" and isinstance(result.result, ConnectionRefusedError)
    assert len(calls) == 6  # the first try and five retries
    assert Notification.objects.get(pk=row.pk).emailed_at is None
    task = tasks.send_notification_emails
    assert task.retry_backoff is True and task.max_retries == 5
