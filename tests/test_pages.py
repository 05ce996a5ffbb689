"""Project-wide pages: login, logout, home and navigation by role, language switch."""

import pytest
from django.urls import reverse


def test_anonymous_home_redirects_to_login(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_login_page_is_vietnamese_and_logs_in(client, units, make_user):
    user = make_user("officer", "SCT", username="canbo1")
    html = client.get(reverse("login")).content.decode()
    assert "Đăng nhập" in html and "Mật khẩu" in html
    response = client.post(reverse("login"), {"username": "canbo1", "password": "wrong"})
    assert "không đúng" in response.content.decode()
    response = client.post(reverse("login"), {"username": "canbo1", "password": "pw-test-12345"})
    assert response.status_code == 302
    assert client.get(reverse("home")).context["user"] == user


@pytest.mark.parametrize(
    "role,unit,sees_criteria",
    [
        ("admin", "SNV", True),
        ("coordinator", "SNV", True),
        ("officer", "SCT", False),
        ("head", "SCT", False),
        ("appraiser", "STP", False),
        ("leader", "UBNDT", False),
    ],
)
def test_navigation_follows_the_role(client, units, make_user, role, unit, sees_criteria):
    client.force_login(make_user(role, unit))
    html = client.get(reverse("home")).content.decode()
    assert (reverse("criteria:set_list") in html) is sees_criteria


def test_home_lists_the_users_roles(client, units, make_user):
    client.force_login(make_user("head", "SCT"))
    html = client.get(reverse("home")).content.decode()
    assert "Thủ trưởng đơn vị" in html and "Sở Công Thương" in html


def test_logout_is_a_post(client, units, make_user):
    client.force_login(make_user("officer", "SCT"))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_english_is_available(client, units, make_user):
    client.force_login(make_user("coordinator", "SNV"))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in html and "Criteria sets" in html


def test_an_english_browser_still_gets_vietnamese(client, units, make_user):
    client.force_login(make_user("officer", "SCT"))
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="vi"' in html and "Trang chủ" in html
