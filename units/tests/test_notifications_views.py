"""Notification pages (/thong-bao/) and the navbar's bell."""

import pytest
from django.db import connection
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from units.models import Notification
from units.services import notify

pytestmark = pytest.mark.django_db


def _notify(user, subject="Thông báo thử", url="/", n=1):
    rows = []
    for i in range(n):
        rows += notify(
            users=[user],
            subject=f"{subject} {i + 1}" if n > 1 else subject,
            body="Nội dung.",
            url=url,
            email=False,
        )
    return rows


@pytest.mark.parametrize(
    "name,args",
    [
        ("notifications:list", []),
        ("notifications:open", [1]),
        ("notifications:read", [1]),
        ("notifications:read_all", []),
    ],
)
def test_anonymous_users_are_sent_to_login(client, name, args):
    url = reverse(name, args=args)
    response = client.post(url) if name.endswith("read") or name.endswith("read_all") else client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "method,name,args",
    [
        ("post", "notifications:list", []),
        ("post", "notifications:open", [0]),
        ("get", "notifications:read", [0]),
        ("get", "notifications:read_all", []),
    ],
)
def test_wrong_method_is_405(client, make_user, method, name, args):
    user = make_user()
    (row,) = _notify(user)
    client.force_login(user)
    args = [row.pk] if args else []
    assert getattr(client, method)(reverse(name, args=args)).status_code == 405
    assert Notification.objects.get(pk=row.pk).read_at is None


def test_the_list_shows_own_notifications_unread_highlighted_with_few_queries(
    client, make_user, django_assert_max_num_queries
):
    me, other = make_user(), make_user()
    rows = _notify(me, "Việc cần làm", n=25)
    _notify(other, "Bí mật của người khác")
    Notification.objects.filter(pk=rows[0].pk).update(read_at=rows[0].created_at)  # the oldest is read
    client.force_login(me)
    with django_assert_max_num_queries(
        7
    ):  # session, user, roles, bell count, page count, page rows (+1 spare)
        response = client.get(reverse("notifications:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bí mật của người khác" not in html
    assert html.count("notification-unread") == 20  # page 1: the 20 newest, all unread
    assert "Việc cần làm 25" in html and "Việc cần làm 5" not in html
    assert html.count("Đánh dấu đã đọc</button>") == 20 and "Đánh dấu tất cả đã đọc" in html
    assert 'id="nav-unread-count">24<' in html

    page2 = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert "Việc cần làm 5" in page2 and page2.count("notification-unread") == 4
    assert f'id="notification-{rows[0].pk}"' in page2  # the read one is listed, not highlighted


def test_each_unread_item_has_a_mark_read_button_and_read_ones_do_not(client, make_user):
    me = make_user()
    unread, read = _notify(me, "A"), _notify(me, "B")
    Notification.objects.filter(pk=read[0].pk).update(read_at=read[0].created_at)
    client.force_login(me)
    html = client.get(reverse("notifications:list")).content.decode()
    assert reverse("notifications:read", args=[unread[0].pk]) in html
    assert reverse("notifications:read", args=[read[0].pk]) not in html


def test_the_owner_marks_one_read_and_comes_back_to_the_page(client, make_user):
    me = make_user()
    (row,) = _notify(me)
    client.force_login(me)
    response = client.post(reverse("notifications:read", args=[row.pk]), {"next": "/thong-bao/?page=2"})
    assert response.status_code == 302 and response["Location"] == "/thong-bao/?page=2"
    assert Notification.objects.get(pk=row.pk).read_at is not None
    # An outside "next" is ignored: back to the list.
    (row2,) = _notify(me)
    response = client.post(reverse("notifications:read", args=[row2.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notifications:list")


def test_another_users_notification_is_404(client, make_user):
    owner, other = make_user(), make_user()
    (row,) = _notify(owner)
    client.force_login(other)
    assert client.post(reverse("notifications:read", args=[row.pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[row.pk])).status_code == 404
    assert Notification.objects.get(pk=row.pk).read_at is None


def test_mark_all_read(client, make_user):
    me, other = make_user(), make_user()
    _notify(me, n=3)
    _notify(other)
    client.force_login(me)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Đã đánh dấu 3 thông báo là đã đọc." in response.content.decode()
    assert not Notification.objects.filter(user=me, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1
    assert "nav-unread-count" not in response.content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(client, make_user):
    me = make_user()
    (row,) = _notify(me, url="/criteria/?year=2026")
    client.force_login(me)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == "/criteria/?year=2026"
    assert Notification.objects.get(pk=row.pk).read_at is not None


@pytest.mark.parametrize("url", ["", "https://evil.example/phish", "//evil.example/"])
def test_opening_a_notification_without_a_safe_link_goes_to_the_list(client, make_user, url):
    me = make_user()
    (row,) = _notify(me, url=url)
    client.force_login(me)
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_the_bell_shows_the_unread_count_on_every_page(client, units, make_user):
    me = make_user("officer", "SCT")
    client.force_login(me)
    html = client.get(reverse("home")).content.decode()
    assert 'id="nav-notifications"' in html and "nav-unread-count" not in html
    _notify(me, n=2)
    html = client.get(reverse("home")).content.decode()
    assert 'id="nav-unread-count">2<' in html
    Notification.objects.bulk_create([Notification(user=me, subject="x", body="") for _ in range(120)])
    assert 'id="nav-unread-count">99+<' in client.get(reverse("home")).content.decode()


def test_the_bell_costs_one_query_and_is_absent_for_anonymous_users(client, make_user):
    me = make_user()
    _notify(me, n=3)
    request = RequestFactory().get("/")
    request.user = me
    template = Template(
        "{% if unread_notifications %}{{ unread_notifications }}|{{ unread_notifications }}{% endif %}"
    )
    with CaptureQueriesContext(connection) as queries:
        assert template.render(RequestContext(request)) == "3|3"
    assert sum("units_notification" in q["sql"] for q in queries.captured_queries) == 1
    assert "nav-notifications" not in client.get(reverse("login")).content.decode()
