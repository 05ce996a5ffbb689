"""notify(), marking read, and the selectors behind the bell and the list."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction

from units import selectors
from units.models import Notification
from units.services import notification_mark_read, notifications_mark_all_read, notify

pytestmark = pytest.mark.django_db


def test_notify_creates_one_row_per_distinct_active_user(make_user):
    alice, bob = make_user(email="alice@example.vn"), make_user(email="")
    gone = make_user(email="gone@example.vn", is_active=False)
    created = notify(
        users=[alice, bob, alice, gone.pk, bob.pk],
        subject="Hạn nộp tự đánh giá",
        body="Còn 3 ngày.",
        url="/assessments/1/",
        email=False,
    )
    assert sorted(n.user_id for n in created) == sorted([alice.pk, bob.pk])
    assert all(n.pk for n in created)
    rows = Notification.objects.order_by("user_id")
    assert [(n.user_id, n.subject, n.body, n.url, n.read_at, n.emailed_at) for n in rows] == [
        (alice.pk, "Hạn nộp tự đánh giá", "Còn 3 ngày.", "/assessments/1/", None, None),
        (bob.pk, "Hạn nộp tự đánh giá", "Còn 3 ngày.", "/assessments/1/", None, None),
    ]


def test_notify_without_users_creates_nothing(make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        assert notify(users=[], subject="x", body="y") == []
        assert notify(users=[make_user(is_active=False, email="a@example.vn")], subject="x", body="y") == []
    assert callbacks == [] and not Notification.objects.exists()


def test_notify_mails_only_users_with_an_address_after_commit(
    make_user, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://cchc.example.vn/"
    alice, bob = make_user(email="alice@example.vn"), make_user(email="  ")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = notify(
            users=[alice, bob],
            subject="Đợt đánh giá đã mở",
            body="Mời đơn vị tự chấm điểm.",
            url="/assessments/7/",
        )
        assert mail.outbox == []  # nothing before the commit
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.vn"] and message.subject == "Đợt đánh giá đã mở"
    alice_row = next(n for n in created if n.user_id == alice.pk)
    assert "Mời đơn vị tự chấm điểm." in message.body
    assert f"https://cchc.example.vn/thong-bao/{alice_row.pk}/mo/" in message.body
    emailed = dict(Notification.objects.values_list("user_id", "emailed_at"))
    assert emailed[alice.pk] is not None and emailed[bob.pk] is None


def test_notify_with_email_false_enqueues_nothing(make_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(users=[make_user(email="a@example.vn")], subject="Chỉ trong cổng", body="…", email=False)
    assert callbacks == [] and mail.outbox == []


def test_a_rolled_back_caller_leaves_no_notification_and_sends_nothing(
    make_user, django_capture_on_commit_callbacks
):
    alice = make_user(email="alice@example.vn")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(users=[alice], subject="Đã nộp", body="…")
            raise RuntimeError("the caller's service failed after notifying")
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.exists()


def test_notify_folds_a_multiline_subject_and_cuts_a_long_one(make_user):
    user = make_user()
    (row,) = notify(users=[user], subject="Dòng một\nDòng hai", body="", email=False)
    assert row.subject == "Dòng một Dòng hai"
    (row,) = notify(users=[user], subject="x" * 300, body="", email=False)
    assert len(row.subject) == 255 and row.subject.endswith("…")
    with pytest.raises(ValueError):
        notify(users=[user], subject="  ", body="", email=False)


def test_the_owner_marks_a_notification_read_once(make_user):
    user = make_user()
    (row,) = notify(users=[user], subject="s", body="b", email=False)
    notification_mark_read(notification=row, by=user)
    first = Notification.objects.get(pk=row.pk).read_at
    assert first is not None
    notification_mark_read(notification=Notification.objects.get(pk=row.pk), by=user)
    assert Notification.objects.get(pk=row.pk).read_at == first


def test_another_user_cannot_mark_a_notification_read(make_user):
    owner, other = make_user(), make_user()
    (row,) = notify(users=[owner], subject="s", body="b", email=False)
    with pytest.raises(PermissionDenied):
        notification_mark_read(notification=row, by=other)
    assert Notification.objects.get(pk=row.pk).read_at is None


def test_mark_all_read_touches_only_the_users_unread_notifications(make_user):
    me, other = make_user(), make_user()
    notify(users=[me, other], subject="1", body="", email=False)
    notify(users=[me], subject="2", body="", email=False)
    assert selectors.unread_count(me) == 2
    assert notifications_mark_all_read(by=me) == 2
    assert notifications_mark_all_read(by=me) == 0
    assert selectors.unread_count(me) == 0 and selectors.unread_count(other) == 1


def test_notifications_for_lists_the_users_own_newest_first(make_user, django_user_model):
    me, other = make_user(), make_user()
    notify(users=[me], subject="cũ", body="", email=False)
    notify(users=[other], subject="của người khác", body="", email=False)
    notify(users=[me], subject="mới", body="", email=False)
    assert [n.subject for n in selectors.notifications_for(me)] == ["mới", "cũ"]
    from django.contrib.auth.models import AnonymousUser

    assert list(selectors.notifications_for(AnonymousUser())) == []
    assert selectors.unread_count(AnonymousUser()) == 0
