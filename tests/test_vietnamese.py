"""Vietnamese everywhere a user looks (issue 12 item 9): the admin pages of the libraries the portal uses
(django-celery-beat, django-import-export, django-simple-history, django-axes, Django's own strings its "vi" catalogue
lacks) and the API's answers (Django REST framework's messages its "vi" catalogue lacks) through the project's
catalogue ``locale/vi``, and the 400/403/404/500 pages in the portal's layout.

Each page's visible text (tags, scripts and styles stripped) must contain the Vietnamese texts expected and none of
``ENGLISH_LEFTOVERS``: the English labels these pages showed before ``locale/vi`` existed, found by walking every
admin page as the demo admin (a word is matched whole and case-sensitively, so an "export" in a URL does not count).
"""

import base64
import html
import re

import pytest
from axes.models import AccessAttempt, AccessLog
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from assessments.tests.conftest import assessment, dates, leaf, officer, open_round, so_set  # noqa: F401
from criteria.models import CriteriaSet
from units.models import Unit

#: English the pages showed before locale/vi (Django "vi" gaps and the three libraries without a "vi" catalogue).
ENGLISH_LEFTOVERS = (
    # Django admin strings its vi catalogue lacks
    "Show counts",
    "Hide counts",
    "Toggle theme",
    "Skip to main content",
    "Filter navigation items",
    "Breadcrumbs",
    "Select all objects on this page",
    # django-celery-beat
    "Periodic Tasks",
    "periodic tasks",
    "Periodic tasks",
    "Crontabs",
    "crontabs",
    "Intervals",
    "intervals",
    "Solar events",
    "Clocked",
    "Enable selected tasks",
    "Disable selected tasks",
    "Run selected tasks",
    "Toggle activity",
    "Last Run Datetime",
    "Total Run Count",
    "Positional Arguments",
    "Keyword Arguments",
    "Expires Datetime",
    "One-off Task",
    "Start Datetime",
    "Interval Schedule",
    "Crontab Schedule",
    "Number of Periods",
    "Interval Period",
    "Cron Timezone",
    "Minute(s)",
    "Hour(s)",
    "Day(s) Of The Month",
    "Execution Options",
    "Schedule",
    "Arguments",
    "Enabled",
    "Description",
    # django-import-export
    "Import",
    "Export",
    "File to import",
    "Format",
    "Submit",
    "Resource",
    "This importer will import",
    "This exporter will export",
    "Select all",
    # django-simple-history
    "History",
    "Change history",
    "Date/time",
    "Changed by",
    "Change reason",
    "Changes",
    "Object",
    "Comment",
    # django-axes (the login lockout)
    "Axes",
    "Access attempts",
    "access attempts",
    "Access logs",
    "Access failures",
    "Attempt Time",
    "IP Address",
    "Failed Logins",
    "Locked Out",
    "Attempt Remaining",
    "Clean up expired attempts",
    "Form Data",
    "Logout Time",
    # Django's own error pages
    "Not Found",
    "Server Error",
    "Bad Request",
    "Forbidden",
    "The requested resource",
)

#: English the libraries show without a msgid (plain ``verbose_name`` strings, labels derived from attribute names,
#: a hard-coded hint): no catalogue can translate them; removed from the text before the check (locale/vi/README.md).
UNTRANSLATABLE = ("Task Name", "Human readable", "Crontab translation:", "Translation:")


def visible_text(response) -> str:
    text = response.content.decode()
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", html.unescape(text))
    for known in UNTRANSLATABLE:
        text = text.replace(known, " ")
    return text


def english_in(text: str) -> list[str]:
    return [w for w in ENGLISH_LEFTOVERS if re.search(rf"(?<![\w/.-]){re.escape(w)}(?![\w-])", text)]


@pytest.fixture
def admin_client(db, client, django_user_model, setup_portal):
    setup_portal()  # units and the four criteria sets, no demo
    user = django_user_model.objects.create_superuser("quantri", password="x")
    client.force_login(user)
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    CrontabSchedule.objects.create(minute="0", hour="2")
    PeriodicTask.objects.create(
        name="Gửi thư thông báo", task="units.tasks.send_notifications", interval=every_minute
    )
    return client


def test_the_libraries_admin_pages_are_in_vietnamese(admin_client):
    task = PeriodicTask.objects.get()
    cs = CriteriaSet.objects.order_by("pk").first()
    unit = Unit.objects.order_by("pk").first()
    pages = {
        "/admin/": [
            "Tác vụ định kỳ",
            "Lịch cron",
            "Chu kỳ",
            "Hẹn giờ",
            "Sự kiện mặt trời",
            "Khóa đăng nhập",
            "Lần đăng nhập sai",
            "Nhật ký đăng nhập",
        ],
        "/admin/django_celery_beat/periodictask/": [
            "Hiện số lượng",
            "Bật các tác vụ đã chọn",
            "Chạy các tác vụ đã chọn",
            "tác vụ định kỳ",
        ],
        f"/admin/django_celery_beat/periodictask/{task.pk}/change/": [
            "Lịch chạy",
            "Tham số theo vị trí",
            "Thời điểm hết hạn",
            "Tác vụ chạy một lần",
            "Tham số theo tên",
            "Tên:",
        ],
        "/admin/django_celery_beat/periodictask/add/": ["Tác vụ (đã đăng ký)", "Lịch theo chu kỳ"],
        "/admin/django_celery_beat/crontabschedule/": ["lịch cron"],
        "/admin/django_celery_beat/crontabschedule/add/": ["Ngày trong tháng", "Múi giờ của lịch"],
        "/admin/django_celery_beat/intervalschedule/": ["chu kỳ"],
        "/admin/django_celery_beat/intervalschedule/add/": ["Số chu kỳ", "Loại chu kỳ"],
        "/admin/django_celery_beat/solarschedule/add/": ["Vĩ độ", "Kinh độ"],
        "/admin/django_celery_beat/clockedschedule/add/": ["Thời điểm"],
        "/admin/units/unit/": ["Nhập", "Xuất"],
        "/admin/units/unit/import/": ["Tệp cần nhập", "Định dạng", "Sẽ nhập các trường sau"],
        "/admin/units/unit/export/": ["Định dạng", "Chọn tất cả"],
        f"/admin/units/unit/{unit.pk}/change/": ["Lịch sử"],
        f"/admin/criteria/criteriaset/{cs.pk}/history/": ["Ngày giờ", "Người sửa", "Lý do sửa"],
    }
    failures = {}
    for url, expected in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response)
        missing = [e for e in expected if e not in text]
        english = english_in(text)
        if missing or english:
            failures[url] = {"missing Vietnamese": missing, "English": english}
    assert not failures


def test_a_missing_page_is_the_portals_vietnamese_404(admin_client):
    response = admin_client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    text = visible_text(response)
    assert "Không tìm thấy trang hoặc đối tượng yêu cầu." in text and "Về trang chủ" in text
    assert "Chỉ số CCHC" in text and "Đăng xuất" in text  # the portal's layout, with its menu
    assert not english_in(text)


@pytest.mark.parametrize(
    ("view", "status", "expected"),
    [
        (defaults.server_error, 500, "Đã xảy ra lỗi hệ thống."),
        (defaults.bad_request, 400, "Yêu cầu không hợp lệ."),
    ],
)
def test_500_and_400_render_in_vietnamese_without_a_request_context(db, view, status, expected):
    request = RequestFactory().get("/")
    response = view(request) if view is defaults.server_error else view(request, exception=Exception("x"))
    assert response.status_code == status
    text = visible_text(response)
    assert expected in text and "Về trang chủ" in text and "Chỉ số CCHC" in text
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in response.content.decode()
    assert not english_in(text)


def test_a_form_posted_without_its_csrf_token_gets_the_portals_vietnamese_page(db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 403
    text = visible_text(response)
    assert "phiên làm việc đã hết hạn" in text and "Về trang chủ" in text
    assert not english_in(text) and "CSRF verification failed" not in text


def test_the_lockouts_admin_pages_are_in_vietnamese(admin_client, settings):
    limit = settings.AXES_FAILURE_LIMIT
    row = {"user_agent": "Mozilla/5.0", "http_accept": "text/html", "path_info": "/accounts/login/"}
    locked = AccessAttempt.objects.create(
        username="canbo-khoa", ip_address="10.0.0.7", failures_since_start=limit, **row
    )
    AccessAttempt.objects.create(username="canbo-sai", ip_address="10.0.0.8", failures_since_start=1, **row)
    AccessLog.objects.create(username="quantri", ip_address="10.0.0.9", **row)
    pages = {
        "/admin/axes/accessattempt/": [
            "Thời điểm đăng nhập",
            "Địa chỉ IP",
            "Tên đăng nhập",
            "Số lần đăng nhập sai",
            "Đang bị khóa",  # the filter's title and the locked row's status
            f"{limit - 1} lần thử còn lại",
            "Xóa các lần đăng nhập sai đã chọn",
            "Xóa các lần đăng nhập sai đã hết hạn",
        ],
        f"/admin/axes/accessattempt/{locked.pk}/change/": ["Dữ liệu biểu mẫu", "Dữ liệu GET", "Siêu dữ liệu"],
        "/admin/axes/accesslog/": ["Thời điểm đăng xuất", "nhật ký đăng nhập"],
    }
    failures = {}
    for url, expected in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, url
        text = visible_text(response)
        missing = [e for e in expected if e not in text]
        english = english_in(text)
        if missing or english:
            failures[url] = {"missing Vietnamese": missing, "English": english}
    assert not failures


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        ("Basic", "Tiêu đề xác thực Basic không hợp lệ: thiếu thông tin đăng nhập."),
        (
            "Basic abc def",
            "Tiêu đề xác thực Basic không hợp lệ: chuỗi thông tin đăng nhập không được chứa dấu cách.",
        ),
        (
            "Basic %%%",
            "Tiêu đề xác thực Basic không hợp lệ: thông tin đăng nhập không được mã hóa base64 đúng cách.",
        ),
    ],
    ids=["no credentials", "spaces", "not base64"],
)
def test_a_malformed_basic_auth_header_is_refused_in_vietnamese(client, db, header, detail):
    response = client.get(reverse("api-criteria-set-list"), HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_a_score_sent_without_its_required_fields_is_refused_in_vietnamese(client, assessment, officer, leaf):  # noqa: F811
    token = base64.b64encode(f"{officer.username}:pw-test-12345".encode()).decode()
    url = reverse("api-score-save", args=[assessment.pk, leaf("range").pk])
    auth = {"HTTP_AUTHORIZATION": f"Basic {token}", "content_type": "application/json"}
    missing = client.put(url, {"value": "1"}, **auth)
    assert missing.status_code == 400
    assert missing.json() == {"version": ["Trường này là bắt buộc."]}
    wrong = client.put(url, {"version": "bản mới", "not_applicable": "có lẽ"}, **auth)
    assert wrong.status_code == 400
    assert wrong.json() == {
        "version": ["Phải là số nguyên hợp lệ."],
        "not_applicable": ["Phải là giá trị đúng/sai (boolean) hợp lệ."],
    }


def test_the_api_docs_page_is_titled_in_vietnamese(client, coordinator):
    client.force_login(coordinator)  # the API's documentation is for signed-in users (issue 14)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "<title>API cổng Chỉ số CCHC (parindex)</title>" in response.content.decode()
