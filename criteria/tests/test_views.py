"""Pages of criteria sets: permissions per view (allowed, forbidden, anonymous, outsider id, method),
and the import flow as an admin sees it (upload → preview with errors or summary → confirm)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_import
from units.models import UnitGroup
from units.services import system_user

from .workbooks import mutate, valid_bytes

FORBIDDEN_ROLES = [
    ("officer", "SCT"),
    ("head", "SCT"),
    ("appraiser", "STP"),
    ("leader", "UBNDT"),
    (None, "SNV"),
]


@pytest.fixture
def a_set(units):
    return criteria_set_import(
        group=UnitGroup.objects.get(code="SO"),
        year=2026,
        data=valid_bytes(),
        filename="so.xlsx",
        by=system_user(),
    )


def _views(a_set):
    """(method, url) of every page of the app."""
    return [
        ("get", reverse("criteria:set_list")),
        ("get", reverse("criteria:set_detail", args=[a_set.pk])),
        ("get", reverse("criteria:set_export", args=[a_set.pk])),
        ("get", reverse("criteria:template")),
        ("get", reverse("criteria:set_clone", args=[a_set.pk])),
        ("post", reverse("criteria:set_clone", args=[a_set.pk])),
        ("get", reverse("criteria:set_import")),
        ("post", reverse("criteria:set_import")),
        ("post", reverse("criteria:set_import_confirm")),
    ]


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_managers_can_open_every_page(client, make_user, a_set, role):
    client.force_login(make_user(role, "SNV"))
    for method, url in _views(a_set):
        response = getattr(client, method)(url)
        assert response.status_code in (200, 302, 400), (method, url, response.status_code)


@pytest.mark.parametrize("role,unit", FORBIDDEN_ROLES)
def test_other_roles_get_403_everywhere(client, make_user, a_set, role, unit):
    client.force_login(make_user(role, unit))
    for method, url in _views(a_set):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (role, method, url, response.status_code)
    assert CriteriaSet.objects.count() == 1


def test_anonymous_is_sent_to_login(client, a_set):
    for method, url in _views(a_set):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (
            method,
            url,
        )


def test_forged_set_id_is_404(client, coordinator, a_set):
    client.force_login(coordinator)
    missing = a_set.pk + 999
    for name in ("set_detail", "set_export", "set_clone"):
        assert client.get(reverse(f"criteria:{name}", args=[missing])).status_code == 404


def test_wrong_method_is_405(client, coordinator, a_set):
    client.force_login(coordinator)
    assert client.post(reverse("criteria:set_detail", args=[a_set.pk])).status_code == 405
    assert client.post(reverse("criteria:set_export", args=[a_set.pk])).status_code == 405
    assert client.get(reverse("criteria:set_import_confirm")).status_code == 405


def test_set_list_shows_counts_and_totals(client, coordinator, a_set):
    client.force_login(coordinator)
    html = client.get(reverse("criteria:set_list")).content.decode()
    assert a_set.name in html
    assert "Được sửa" in html


def test_set_detail_shows_tree_and_field_totals(client, coordinator, a_set):
    client.force_login(coordinator)
    response = client.get(reverse("criteria:set_detail", args=[a_set.pk]))
    html = response.content.decode()
    for node in Criterion.objects.filter(criteria_set=a_set):
        assert node.title in html
    summary = response.context["summary"]
    assert html.count('class="tree-row-') == Criterion.objects.filter(criteria_set=a_set).count()
    assert f'id="appraisal-total">{summary["appraisal_max"].normalize():f}'.replace(".", ",") in html


def test_export_is_the_template_layout_and_reimports(client, coordinator, a_set):
    client.force_login(coordinator)
    response = client.get(reverse("criteria:set_export", args=[a_set.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Hướng dẫn", "Thông tin", "Tiêu chí", "Xếp loại"]
    codes = [row[0] for row in wb["Tiêu chí"].iter_rows(min_row=2, values_only=True)]
    assert codes == list(
        Criterion.objects.filter(criteria_set=a_set).order_by("order").values_list("code", flat=True)
    )


def test_template_download_is_importable(client, coordinator, units):
    client.force_login(coordinator)
    response = client.get(reverse("criteria:template"))
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["Tiêu chí"][1]][:3] == ["Mã", "Nội dung", "Điểm tối đa"]


def _upload(client, data, *, group="SO", year=2027, replace=False, name="bo-chi-so.xlsx"):
    payload = {"group": UnitGroup.objects.get(code=group).pk, "year": year, "file": io.BytesIO(data)}
    payload["file"].name = name
    if replace:
        payload["replace"] = "on"
    return client.post(reverse("criteria:set_import"), payload)


def test_import_preview_then_confirm_creates_the_set(client, coordinator, units):
    client.force_login(coordinator)
    response = _upload(client, valid_bytes())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-preview"' in html and "Xác nhận nhập" in html
    assert CriteriaSet.objects.count() == 0  # preview writes nothing
    token = response.context["confirm_form"].initial["token"]
    response = client.post(reverse("criteria:set_import_confirm"), {"token": token})
    created = CriteriaSet.objects.get(year=2027)
    assert response.status_code == 302 and response["Location"] == reverse(
        "criteria:set_detail", args=[created.pk]
    )
    assert created.nodes.count() > 0
    # the token is single-use
    again = client.post(reverse("criteria:set_import_confirm"), {"token": token}, follow=True)
    assert "hết hạn" in again.content.decode()
    assert CriteriaSet.objects.count() == 1


def test_import_with_errors_lists_every_problem_and_writes_nothing(client, coordinator, units):
    client.force_login(coordinator)

    def break_rows(wb):
        ws = wb["Tiêu chí"]
        ws["C3"] = "abc"  # bad number
        ws["E4"] = "Tự do"  # unknown kind
        ws["A5"] = "9.9"  # missing parent

    response = _upload(client, mutate(valid_bytes(), break_rows))
    assert response.status_code == 400
    problems = response.context["result"].problems
    rows = {(p.row, p.column) for p in problems}
    assert {(3, "C"), (4, "E"), (5, "A")} <= rows
    html = response.content.decode()
    assert 'id="import-errors"' in html and "không phải là số" in html and "Tự do" in html
    assert "confirm_form" not in response.context
    assert CriteriaSet.objects.count() == 0


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "Tệp rỗng"),
        (b"%PDF-1.4 not a workbook", "không phải là bảng tính"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "EncryptionInfo".encode("utf-16-le"), "mật khẩu"),
    ],
)
def test_bad_files_get_a_clear_message_not_500(client, coordinator, units, data, message):
    client.force_login(coordinator)
    response = _upload(client, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_oversize_upload_is_refused(client, coordinator, units, settings):
    settings.CRITERIA_WORKBOOK_MAX_BYTES = 1000
    client.force_login(coordinator)
    response = _upload(client, valid_bytes())
    assert response.status_code == 400
    assert "vượt giới hạn" in response.content.decode()


def test_existing_set_needs_replace_and_frozen_set_cannot_be_replaced(client, coordinator, a_set):
    from criteria.services import criteria_set_freeze

    client.force_login(coordinator)
    response = _upload(client, valid_bytes(), year=a_set.year)
    assert response.status_code == 400 and "Thay thế bộ chỉ số hiện có" in response.content.decode()
    response = _upload(client, valid_bytes(), year=a_set.year, replace=True)
    assert response.status_code == 200 and "Xác nhận sẽ thay thế" in response.content.decode()
    criteria_set_freeze(criteria_set=a_set, by=system_user())
    response = _upload(client, valid_bytes(), year=a_set.year, replace=True)
    assert response.status_code == 400 and "đã khóa" in response.content.decode()


def test_clone_page_creates_an_editable_copy(client, coordinator, a_set):
    client.force_login(coordinator)
    response = client.post(reverse("criteria:set_clone", args=[a_set.pk]), {"year": a_set.year + 1})
    clone = CriteriaSet.objects.get(year=a_set.year + 1)
    assert response["Location"] == reverse("criteria:set_detail", args=[clone.pk])
    assert clone.nodes.count() == a_set.nodes.count() and not clone.is_frozen
    response = client.post(reverse("criteria:set_clone", args=[a_set.pk]), {"year": a_set.year + 1})
    assert response.status_code == 400 and "đã có bộ chỉ số" in response.content.decode()


def test_set_detail_query_count_does_not_grow_with_the_tree(
    client, coordinator, a_set, django_assert_max_num_queries
):
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        client.get(reverse("criteria:set_detail", args=[a_set.pk]))


# ---------------------------------------------------------------------------------------------- problems summary (issue 12)


def _numeric_codes(wb):
    """Six codes typed as numbers (1.1, 1.2, …): six warnings, no error."""
    ws = wb["Tiêu chí"]
    for row in range(2, ws.max_row + 1):
        code = ws.cell(row=row, column=1).value
        if code.count(".") == 1:
            ws.cell(row=row, column=1).value = float(code)


def test_preview_shows_the_summary_first_and_collapses_a_long_warning_list(client, coordinator, units):
    client.force_login(coordinator)
    response = _upload(client, mutate(valid_bytes(), _numeric_codes))
    assert response.status_code == 200
    html = response.content.decode()
    summary, warnings, preview = (
        html.index(f'id="{i}"') for i in ("import-summary", "import-warnings", "import-preview")
    )
    assert summary < warnings < preview
    block = html[summary:warnings]
    assert "0 lỗi" in block and "6 lưu ý" in block and "Trang 'Tiêu chí': 6 lưu ý" in block
    assert 'id="import-errors"' not in html
    collapsed = html[warnings:preview]
    details = collapsed[collapsed.index("<details>") : collapsed.index("</details>")]
    assert "<summary>" in details and details.count("<li>") == 6 and "đang ở dạng số" in details
    # A short list stays open.
    html = _upload(
        client, mutate(valid_bytes(), lambda wb: wb["Tiêu chí"].cell(row=3, column=1, value=1.1))
    ).content.decode()
    assert 'id="import-warnings"' in html and "<details>" not in html and "1 lưu ý" in html


def test_problems_page_counts_errors_per_sheet_and_lists_them_sorted(client, coordinator, units):
    client.force_login(coordinator)

    def fn(wb):
        wb["Xếp loại"]["C2"] = "cao"  # band threshold not a number
        wb["Tiêu chí"]["C7"] = "=1+1"  # formula
        wb["Tiêu chí"]["C3"] = "abc"  # bad number
        wb.create_sheet("Ghi chú")  # extra sheet

    response = _upload(client, mutate(valid_bytes(), fn), name="sai.xlsx")
    assert response.status_code == 400
    html = response.content.decode()
    summary, errors = html.index('id="import-summary"'), html.index('id="import-errors"')
    assert summary < errors
    block = html[summary:errors]
    assert "Tệp sai.xlsx có 4 lỗi; chưa nhập gì." in block and "0 lưu ý" in block
    assert "Trang 'Ghi chú': 1 lỗi" in block and "Trang 'Tiêu chí': 2 lỗi" in block
    assert "Trang 'Xếp loại': 1 lỗi" in block
    table = html[errors:]
    order = [table.index(text) for text in ("Ghi chú", "không phải là số", "chứa công thức", "Ngưỡng %")]
    assert order == sorted(order)
