"""Faults and attacks (issue 14, items 4–5): password guessing locked out (login page, API basic auth) and an
admin's unlock, the API's answers to bad credentials, the refused CSRF check in Vietnamese, the security headers
of every page (CSP, Referrer-Policy, Permissions-Policy, X-Frame-Options), and the production settings switched on
by the environment (README "Deployment (production variables)")."""

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from assessments.tests.conftest import dates, officer, open_round, so_set  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def basic(username, password):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


PASSWORD = "pw-test-12345"  # make_user's


def sign_in(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# ---------------------------------------------------------------- lockout


def test_the_login_page_locks_a_user_out_after_the_limit(client, coordinator, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        wrong = sign_in(client, coordinator.username, "wrong")
        assert (
            wrong.status_code == 200 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.content.decode()
        )
    locked = sign_in(client, coordinator.username, "wrong")
    assert locked.status_code == 429
    page = locked.content.decode()
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"sai {limit} lần liên tiếp" in page and f"Hãy thử lại sau {minutes} phút" in page
    assert "quản trị viên" in page and "Đăng nhập tạm thời bị khóa" in page
    assert int(locked["Retry-After"]) == minutes * 60
    # the right password is refused too while the lockout holds
    assert sign_in(client, coordinator.username, PASSWORD).status_code == 429
    assert not signed_in(client)


def test_the_lockout_is_per_user_name_and_a_right_password_clears_the_count(
    client, coordinator, make_user, settings
):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        sign_in(client, coordinator.username, "wrong")
    assert sign_in(client, coordinator.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(limit - 1):
        assert sign_in(client, coordinator.username, "wrong").status_code == 200
    assert sign_in(client, coordinator.username, PASSWORD).status_code == 302
    # a colleague at the same address is not locked by someone else's wrong passwords
    colleague = make_user("officer", "SCT")
    other = Client()
    for _ in range(limit):
        sign_in(other, coordinator.username, "wrong")
    assert sign_in(other, colleague.username, PASSWORD).status_code == 302


def test_basic_auth_locks_out_after_the_limit(client, coordinator, settings):
    url = reverse("api-criteria-set-list")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.get(url, **basic(coordinator.username, "wrong")).status_code == 401
    locked = client.get(url, **basic(coordinator.username, "wrong"))
    assert locked.status_code == 429 and locked["Content-Type"] == "application/json"
    assert json.loads(locked.content)["detail"].startswith("Đăng nhập bị tạm khóa")
    assert client.get(url, **basic(coordinator.username, PASSWORD)).status_code == 429
    # the login page shares the count: the same user name is locked there too
    assert sign_in(Client(), coordinator.username, PASSWORD).status_code == 429


def test_an_admin_unlocks_a_user_by_deleting_the_access_attempt(client, coordinator, make_user, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, coordinator.username, "wrong")
    assert sign_in(client, coordinator.username, PASSWORD).status_code == 429
    admin = Client()
    admin.force_login(make_user("admin", "SNV", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and coordinator.username in listing.content.decode()
    attempt = AccessAttempt.objects.get(username=coordinator.username)
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert sign_in(client, coordinator.username, PASSWORD).status_code == 302 and signed_in(client)


# ---------------------------------------------------------------- API authentication


def test_wrong_basic_auth_answers_401_with_the_scheme(client, coordinator):
    response = client.get(reverse("api-criteria-set-list"), **basic(coordinator.username, "wrong"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert response.json()["detail"] == "Sai tên đăng nhập hoặc mật khẩu."


def test_no_credentials_answers_401_in_vietnamese(client, db):
    response = client.get(reverse("api-criteria-set-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="api"'
    assert response.json()["detail"].startswith("Cần đăng nhập")


def test_right_basic_auth_and_the_session_both_work(client, coordinator):
    ok = client.get(reverse("api-criteria-set-list"), **basic(coordinator.username, "pw-test-12345"))
    assert ok.status_code == 200
    client.force_login(coordinator)
    assert client.get(reverse("api-criteria-set-list")).status_code == 200


def test_a_session_write_without_csrf_token_is_refused_in_vietnamese(officer, open_round):  # noqa: F811
    from assessments.models import Assessment

    assessment = Assessment.objects.get(round=open_round, unit__code="SCT")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    response = browser.post(reverse("api-assessment-submit", args=[assessment.pk]))
    assert response.status_code == 403
    assert "mã CSRF" in response.json()["detail"] and "CSRF Failed" not in response.json()["detail"]
    assert Assessment.objects.get(pk=assessment.pk).state == "draft"


def test_csrf_failure_under_api_answers_json(rf):
    from parindex.views import csrf_failure

    response = csrf_failure(rf.post("/api/anything/"), reason="CSRF cookie not set.")
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
    assert "mã CSRF" in json.loads(response.content)["detail"]


# ---------------------------------------------------------------- headers


def test_pages_carry_the_security_headers(client, coordinator):
    client.force_login(coordinator)
    for url in ("/", "/accounts/login/", reverse("api-criteria-set-list")):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        policy = response["Content-Security-Policy"]
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "img-src 'self' data:",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ):
            assert directive in policy, (url, directive)
        assert "camera=()" in response["Permissions-Policy"], url


def test_a_session_lasts_a_working_day(client, coordinator):
    client.post("/accounts/login/", {"username": coordinator.username, "password": "pw-test-12345"})
    cookie = client.cookies["sessionid"]
    assert int(cookie["max-age"]) == 8 * 3600


# ---------------------------------------------------------------- production settings


def _manage(*args, **env):
    """``manage.py *args`` in a subprocess with ``env`` over a clean environment (no DEBUG, no PARINDEX_*, and
    not the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which a deployment never sets)."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PARINDEX_", "SECURE_", "SESSION_")) and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    base.update({"DEBUG": "0", "ALLOWED_HOSTS": "cchc.example.gov.vn"}, **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {"PARINDEX_HTTPS": "1", "SECRET_KEY": secrets.token_urlsafe(50)}


def test_check_deploy_is_clean_with_the_production_variables():
    done = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_names_what_plain_http_leaves_off():
    done = _manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=PRODUCTION["SECRET_KEY"])
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr + done.stdout


@pytest.mark.parametrize(
    "env,expected",
    [
        (
            {},
            {"SECURE_SSL_REDIRECT": False, "SESSION_COOKIE_SECURE": False, "SECURE_HSTS_SECONDS": 0},
        ),
        (
            {"PARINDEX_HTTPS": "1"},
            {
                "SECURE_SSL_REDIRECT": True,
                "SESSION_COOKIE_SECURE": True,
                "CSRF_COOKIE_SECURE": True,
                "SECURE_HSTS_SECONDS": 31536000,
                "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
            },
        ),
        (
            {"PARINDEX_HTTPS": "1", "SECURE_SSL_REDIRECT": "0", "SECURE_HSTS_SECONDS": "3600"},
            {"SECURE_SSL_REDIRECT": False, "SECURE_HSTS_SECONDS": 3600, "SESSION_COOKIE_SECURE": True},
        ),
        (
            {"SECURE_PROXY_SSL_HEADER": "1", "SESSION_COOKIE_AGE": "1800"},
            {"SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"], "SESSION_COOKIE_AGE": 1800},
        ),
    ],
)
def test_the_environment_switches_the_production_settings(env, expected):
    names = ",".join(expected)
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}.split(',')}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("PARINDEX_", "SECURE_", "SESSION_"))},
            "DJANGO_SETTINGS_MODULE": "parindex.settings",
            "SECRET_KEY": "x",
            "DEBUG": "0",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == expected
