"""The province's national results (issue 6 items 5 and 7): the figures of 004 §2.1, averages and bands,
the targets of 000 item 17, entering / importing with validation, and the page with its permissions."""

import io
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from criteria.tests.workbooks import with_cached_values
from reports.models import ProvinceComponentResult, ProvinceResult
from reports.province import selectors, services
from reports.province.workbook import HEADERS, SHEET, component_header, read_rows

D = Decimal
COMPONENT_HEADERS = tuple(component_header(n) for n in range(1, 9))

# 004 §2.1, table "Tỷ lệ điểm các Chỉ số thành phần trong Chỉ số cải cách hành chính tỉnh Sóc Trăng",
# columns 2016..2021; the document's row 8 (one-stop, 2016 only) is our field 9, its row 9 (impact) our 8.
TABLE_004 = {
    1: ("79.41", "79.40", "88.10", "86.00", "87.65", "97.87"),
    2: ("93.33", "85.60", "90.90", "91.90", "90.10", "91.70"),
    3: ("83.33", "77.50", "80.70", "83.86", "90.74", "97.91"),
    4: ("65.38", "72.70", "78.60", "76.08", "91.65", "92.96"),
    5: ("47.37", "59.00", "77.80", "82.86", "88.00", "76.89"),
    6: ("62.50", "74.60", "61.30", "70.08", "83.42", "91.91"),
    7: ("30.56", "66.40", "70.70", "80.54", "81.80", "85.25"),
    8: ("80.14", "87.10", "83.00", "86.44", "73.75", "74.66"),
    9: ("56.25", None, None, None, None, None),
}
YEARS = (2016, 2017, 2018, 2019, 2020, 2021)


@pytest.fixture
def documented(db):
    """The figures of 004 §2.1 as the setup loads them."""
    call_command("load_province_results", stdout=io.StringIO())


@pytest.fixture
def officer(units, make_user):
    return make_user("officer", "SCT")


@pytest.fixture
def leader(units, make_user):
    return make_user("leader", "UBNDT")


def percent(year, field_number):
    c = ProvinceComponentResult.objects.filter(result__year=year, field_number=field_number).first()
    return None if c is None else c.percent


def xlsx(rows, *, headers=HEADERS + COMPONENT_HEADERS, sheet=SHEET) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(tuple(headers))
    for row in rows:
        ws.append(tuple(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def snapshot():
    """Every stored figure, to show that a refused write changed nothing."""
    return (
        list(
            ProvinceResult.objects.order_by("year").values_list(
                "year", "overall_percent", "rank", "provinces_ranked", "source"
            )
        ),
        list(
            ProvinceComponentResult.objects.order_by("result__year", "field_number").values_list(
                "result__year", "field_number", "percent"
            )
        ),
    )


# --- the figures of 004 §2.1 ----------------------------------------------------------------------------


def test_the_figures_of_004_are_loaded_as_the_document_gives_them(documented):
    assert list(ProvinceResult.objects.values_list("year", flat=True)) == list(YEARS)
    for field_number, values in TABLE_004.items():
        for year, value in zip(YEARS, values, strict=True):
            assert percent(year, field_number) == (None if value is None else D(value)), (year, field_number)
    # spot checks against the text: "Từ 93.33% giảm còn 91.70%", "Từ 80.14 giảm còn 74.66%"
    assert (percent(2016, 2), percent(2021, 2)) == (D("93.33"), D("91.70"))
    assert (percent(2016, 8), percent(2021, 8)) == (D("80.14"), D("74.66"))
    assert (
        ProvinceComponentResult.objects.get(result__year=2016, field_number=9).field_name
        == "Thực hiện cơ chế một cửa, một cửa liên thông"
    )
    # footnote 1: "Từ vị trí xếp hạng 49/63 ... năm 2016, ... vị trí 18/63 ... năm 2021"
    ranks = {r.year: (r.rank, r.provinces_ranked) for r in ProvinceResult.objects.all()}
    assert ranks == {
        2016: (49, 63),
        2017: (None, None),
        2018: (None, None),
        2019: (None, None),
        2020: (None, None),
        2021: (18, 63),
    }
    # 004 gives no yearly overall %: nothing is invented
    assert not ProvinceResult.objects.exclude(overall_percent=None).exists()
    assert ProvinceComponentResult.objects.count() == 49
    assert "004" in ProvinceResult.objects.get(year=2016).source


def test_loading_again_keeps_what_the_coordinator_recorded(documented, coordinator):
    services.province_result_update(
        result=ProvinceResult.objects.get(year=2021), by=coordinator, overall_percent="85,5", component_1="97"
    )
    out = io.StringIO()
    call_command("load_province_results", stdout=out)
    assert "0 năm mới, 0 giá trị" in out.getvalue()
    r = ProvinceResult.objects.get(year=2021)
    assert (r.overall_percent, r.rank, percent(2021, 1)) == (D("85.5"), 18, D("97"))


def test_a_cleared_documented_value_is_loaded_again(documented, coordinator):
    services.province_result_update(
        result=ProvinceResult.objects.get(year=2016), by=coordinator, component_7=""
    )
    assert percent(2016, 7) is None
    call_command("load_province_results", stdout=io.StringIO())
    assert percent(2016, 7) == D("30.56")


def test_the_fixture_is_also_a_django_fixture(db):
    call_command("loaddata", "fixtures/province_results.json", verbosity=0)
    assert ProvinceResult.objects.get(year=2021).rank == 18
    assert percent(2019, 3) == D("83.86")
    assert ProvinceComponentResult.objects.count() == 49


def test_loading_leaves_history(documented):
    entry = ProvinceResult.history.filter(year=2016).latest("history_date")
    assert entry.history_change_reason.startswith("Số liệu của Đề án")


# --- averages, bands, targets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,band",
    [
        ("100", "A"),
        ("90", "A"),
        ("89.99", "B"),
        ("80", "B"),
        ("79.99", "C"),
        ("70", "C"),
        ("69.99", "D"),
        ("0", "D"),
        (None, None),
    ],
)
def test_bands_follow_004(value, band):
    assert selectors.band_of(None if value is None else D(value)) == band


def test_averages_and_bands_are_those_of_004(documented):
    averages = {a.field_number: a for a in selectors.province_overview().averages}
    # by hand: (79.41 + 79.40 + 88.10 + 86.00 + 87.65 + 97.87) / 6 = 518.43 / 6 = 86.405 → 86.41 (half up)
    assert (averages[1].average, averages[1].band) == (D("86.41"), "B")
    # (93.33 + 85.60 + 90.90 + 91.90 + 90.10 + 91.70) / 6 = 543.53 / 6 = 90.588… → 90.59
    assert (averages[2].average, averages[2].band) == (D("90.59"), "A")
    # (30.56 + 66.40 + 70.70 + 80.54 + 81.80 + 85.25) / 6 = 415.25 / 6 = 69.208… → 69.21
    assert (averages[7].average, averages[7].band) == (D("69.21"), "D")
    # (47.37 + 59.00 + 77.80 + 82.86 + 88.00 + 76.89) / 6 = 431.92 / 6 = 71.986… → 71.99
    assert (averages[5].average, averages[5].band) == (D("71.99"), "C")
    # the one-stop component: its only year
    assert (averages[9].average, averages[9].years, averages[9].band) == (D("56.25"), [2016], "D")
    # 004: "01 ... nhóm A, 03 ... nhóm B, 03 ... nhóm C, 02 ... nhóm D"
    assert [(code, n) for code, _, n in selectors.province_overview().bands] == [
        ("A", 1),
        ("B", 3),
        ("C", 3),
        ("D", 2),
    ]


def test_an_average_leaves_out_unknown_years():
    [a] = selectors.component_averages({3: [(2020, D("80")), (2021, None), (2022, D("91"))]})
    assert (a.average, a.years, a.band) == (D("85.50"), [2020, 2022], "B")
    [empty] = selectors.component_averages({3: [(2021, None)]})
    assert (empty.average, empty.band, empty.years) == (None, None, [])


def checks(ranks):
    return {c.year: c for c in selectors.target_checks(ranks)}


@pytest.mark.parametrize("rank,status", [(14, "met"), (15, "met"), (16, "not_met"), (None, "unknown")])
def test_2025_target_is_the_top_15(rank, status):
    assert checks({2025: (rank, 34)})[2025].status == status


@pytest.mark.parametrize(
    "before,after,status",
    [
        (14, 13, "met"),
        (14, 10, "met"),
        (14, 14, "not_met"),
        (14, 15, "not_met"),
        (1, 1, "met"),
        (None, 13, "unknown"),
        (14, None, "unknown"),
    ],
)
def test_from_2026_one_rank_better_each_year(before, after, status):
    check = checks({2025: (before, 34), 2026: (after, 34)})[2026]
    assert check.status == status


def test_targets_without_results_are_not_yet_known_and_stop_after_2030():
    result = checks({2027: (10, 34), 2031: (1, 34)})
    assert sorted(result) == [2025, 2026, 2027, 2028, 2029, 2030]
    assert {c.status for c in result.values()} == {"unknown"}
    assert "2026" in result[2027].detail


def test_a_change_in_the_number_of_provinces_is_said():
    check = checks({2025: (20, 63), 2026: (12, 34)})[2026]
    assert check.status == "met" and "số tỉnh được xếp hạng khác nhau" in check.detail


# --- entering and editing -------------------------------------------------------------------------------


def test_coordinator_records_a_year_with_commas_and_the_default_provinces(coordinator):
    r = services.province_result_create(
        by=coordinator,
        year="2025",
        overall_percent="87,65",
        rank="14",
        provinces_ranked="",
        component_1="95,5",
        component_8="88.1%",
        source="Quyết định công bố PAR Index 2025",
        note="",
    )
    assert (r.overall_percent, r.rank, r.provinces_ranked) == (D("87.65"), 14, 34)
    assert (percent(2025, 1), percent(2025, 8), percent(2025, 2)) == (D("95.5"), D("88.1"), None)
    assert r.history.latest().history_user == coordinator
    assert services.province_result_create(by=coordinator, year=2024, rank=30).provinces_ranked == 63


def test_an_edit_clears_with_a_blank_and_keeps_what_it_does_not_name(documented, admin_user):
    r = ProvinceResult.objects.get(year=2016)
    services.province_result_update(result=r, by=admin_user, component_5="", overall_percent="70")
    r.refresh_from_db()
    assert (r.overall_percent, r.rank, percent(2016, 5), percent(2016, 9)) == (D("70"), 49, None, D("56.25"))
    assert percent(2016, 1) == D("79.41")
    entry = ProvinceComponentResult.history.filter(field_number=5, result_id=r.pk).latest("history_date")
    assert entry.history_user == admin_user and entry.percent is None


BAD_INPUT = [
    ({"year": ""}, "year", "Thiếu năm."),
    ({"year": "20a5"}, "year", "Năm '20a5' không phải là số hợp lệ"),
    ({"year": "2011"}, "year", "Năm 2011 phải trong khoảng 2012–2100."),
    ({"year": "2025,5"}, "year", "Năm '2025,5' phải là số nguyên."),
    ({"overall_percent": "100,01"}, "overall_percent", "Chỉ số (%) 100,01 phải trong khoảng 0–100 (%)."),
    ({"overall_percent": "-1"}, "overall_percent", "Chỉ số (%) -1 phải trong khoảng 0–100 (%)."),
    ({"overall_percent": "85,123"}, "overall_percent", "quá 2 chữ số thập phân"),
    ({"overall_percent": "tám lăm"}, "overall_percent", "không phải là số hợp lệ"),
    ({"rank": "0"}, "rank", "Xếp hạng phải từ 1 trở lên."),
    ({"rank": "14,5"}, "rank", "Xếp hạng '14,5' phải là số nguyên."),
    ({"rank": "40"}, "rank", "Xếp hạng 40 lớn hơn số tỉnh được xếp hạng (34)"),
    ({"rank": "20", "provinces_ranked": "18"}, "rank", "Xếp hạng 20 lớn hơn số tỉnh được xếp hạng (18)"),
    ({"provinces_ranked": "0"}, "provinces_ranked", "Số tỉnh 0 phải trong khoảng 1–100."),
    ({"provinces_ranked": "630"}, "provinces_ranked", "Số tỉnh 630 phải trong khoảng 1–100."),
    ({"component_3": "100,5"}, "component_3", "Chỉ số thành phần 3 100,5 phải trong khoảng 0–100 (%)."),
    ({"component_7": "x"}, "component_7", "không phải là số hợp lệ"),
    ({"overall_percent": "", "rank": ""}, "__all__", "Năm 2025 chưa có số liệu nào"),
]


@pytest.mark.parametrize("change,key,message", BAD_INPUT)
def test_it_refuses_bad_input_with_its_message_and_stores_nothing(coordinator, change, key, message):
    values = {"year": "2025", "overall_percent": "85", "rank": "14", "provinces_ranked": "", **change}
    with pytest.raises(ValidationError) as exc:
        services.province_result_create(by=coordinator, **values)
    assert any(message in m for m in exc.value.message_dict[key]), exc.value.message_dict
    assert not ProvinceResult.objects.exists() and not ProvinceComponentResult.objects.exists()


def test_it_lists_every_problem_at_once(coordinator):
    with pytest.raises(ValidationError) as exc:
        services.province_result_create(
            by=coordinator, year="2025", overall_percent="101", rank="0", component_2="abc"
        )
    assert set(exc.value.message_dict) == {"overall_percent", "rank", "component_2"}


def test_a_year_is_added_once(documented, coordinator):
    with pytest.raises(ValidationError) as exc:
        services.province_result_create(by=coordinator, year=2021, rank=17)
    assert "Năm 2021 đã có số liệu" in exc.value.message_dict["year"][0]
    assert ProvinceResult.objects.get(year=2021).rank == 18


def test_an_invalid_edit_changes_nothing(documented, coordinator):
    before = snapshot()
    with pytest.raises(ValidationError):
        services.province_result_update(
            result=ProvinceResult.objects.get(year=2021), by=coordinator, component_1="50", rank="64"
        )
    assert snapshot() == before


@pytest.mark.parametrize("role", ["officer", "head", "appraiser", "leader"])
def test_only_coordinator_and_admin_write(units, make_user, role):
    user = make_user(role, "SCT")
    with pytest.raises(PermissionDenied):
        services.province_result_create(by=user, year=2025, rank=14)
    with pytest.raises(PermissionDenied):
        services.province_results_import(by=user, data=xlsx([(2025, 85, 14, 34)]))
    assert not ProvinceResult.objects.exists()


# --- import ---------------------------------------------------------------------------------------------


def test_import_previews_then_writes_all_rows(documented, coordinator):
    data = xlsx([(2022, 88.5, 12, 63, *[90] * 8), (2021, "84,75", 18, 63, *TABLE_004_2021_WITH_ONE_CHANGE)])
    before = snapshot()
    preview = services.province_results_import(data=data, by=coordinator, dry_run=True, filename="kq.xlsx")
    assert preview.ok and not preview.imported and snapshot() == before
    # 2022: overall, rank, provinces and 8 components; 2021: overall (was unknown) and component 4
    assert preview.summary == {
        "rows": 2,
        "new_years": 1,
        "updated_years": 1,
        "changed": 11 + 2,
        "years": [2021, 2022],
    }
    result = services.province_results_import(data=data, by=coordinator, filename="kq.xlsx")
    assert result.imported
    r2022 = ProvinceResult.objects.get(year=2022)
    assert (r2022.overall_percent, r2022.rank, percent(2022, 8)) == (D("88.5"), 12, D("90"))
    assert ProvinceResult.objects.get(year=2021).overall_percent == D("84.75")
    assert percent(2021, 4) == D("93")
    assert percent(2016, 9) == D("56.25")  # the 2016-only component is not in the workbook: kept
    assert r2022.history.latest().history_change_reason.endswith("kq.xlsx")


TABLE_004_2021_WITH_ONE_CHANGE = ("97.87", "91.70", "97.91", "93", "76.89", "91.91", "85.25", "74.66")


def test_import_warns_before_a_blank_cell_clears_a_value(documented, coordinator):
    data = xlsx(
        [(2016, None, None, None, *[v for v in (row[0] for _, row in sorted(TABLE_004.items())[:8])])]
    )
    result = services.province_results_import(data=data, by=coordinator, dry_run=True)
    assert result.ok
    warnings = [str(w) for w in result.warnings]
    assert any("dòng 2" in w and "cột C" in w and "xóa Xếp hạng đang có (49)" in w for w in warnings), (
        warnings
    )


def _problems(data, coordinator):
    result = services.province_results_import(data=data, by=coordinator)
    assert not result.ok and not result.imported
    return [(p.row, p.column, p.message) for p in result.problems]


def test_import_lists_every_bad_row_and_imports_nothing(documented, coordinator):
    before = snapshot()
    rows = [
        (2022, 88, 12, 63, *[90] * 8),  # row 2: good, still not imported
        (None, 88, 12, 63),  # 3: no year
        (2011, 88, 12, 63),  # 4: year out of range
        (2023, 101, 12, 63),  # 5: % > 100
        (2024, "8x", 12, 63),  # 6: not a number
        (2025, 85, 40, None),  # 7: rank > default 34
        (2026, 85, 14.5, 34),  # 8: rank not whole
        (2027, 85, 10, 34, 90, 90, -1),  # 9: component 3 < 0
        (2022, 85, 10, 63),  # 10: duplicate year
        (2028, None, None, None),  # 11: no figures
        (2029, 85, 0, 34),  # 12: rank 0
        (2030, 85, 3, 0),  # 13: provinces 0
        (2031, "85,123", 3, 34),  # 14: 3 decimals
    ]
    problems = _problems(xlsx(rows), coordinator)
    by_row = {}
    for row, column, message in problems:
        by_row.setdefault(row, []).append((column, message))
    assert sorted(by_row) == list(range(3, 15))
    assert by_row[3] == [("A", "Thiếu năm.")]
    assert by_row[4] == [("A", "Năm 2011 phải trong khoảng 2012–2100.")]
    assert by_row[5] == [("B", "Chỉ số (%) 101 phải trong khoảng 0–100 (%).")]
    assert by_row[6][0][0] == "B" and "không phải là số hợp lệ" in by_row[6][0][1]
    assert by_row[7][0][0] == "C" and "lớn hơn số tỉnh được xếp hạng (34)" in by_row[7][0][1]
    assert by_row[8] == [("C", "Xếp hạng '14,5' phải là số nguyên.")]
    assert by_row[9] == [("G", "Chỉ số thành phần 3 -1 phải trong khoảng 0–100 (%).")]
    assert by_row[10] == [("A", "Năm 2022 bị lặp (đã có ở dòng 2).")]
    assert "chưa có số liệu nào" in by_row[11][0][1]
    assert by_row[12] == [("C", "Xếp hạng phải từ 1 trở lên.")]
    assert by_row[13] == [("D", "Số tỉnh 0 phải trong khoảng 1–100.")]
    assert "quá 2 chữ số thập phân" in by_row[14][0][1]
    assert snapshot() == before


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "Tệp rỗng"),
        (b"Nam;Chi so\n2025;85\n", "không phải là bảng tính Excel"),
        (
            xlsx(
                [(2025, 85, 14, 34)],
                headers=("Year", "Chỉ số (%)", "Xếp hạng", "Số tỉnh") + COMPONENT_HEADERS,
            ),
            "Tiêu đề cột phải là 'Năm' (đang là 'Year').",
        ),
        (
            xlsx([(2025, 85, 14, 34)], headers=HEADERS + ("Chỉ đạo, điều hành",) + COMPONENT_HEADERS[1:]),
            "Tiêu đề cột phải bắt đầu bằng số lĩnh vực '1.'",
        ),
        (xlsx([(2025, "=80+5", 14, 34)]), "chứa công thức"),
        (xlsx([]), "Trang không có dòng số liệu nào."),
    ],
)
def test_import_refuses_a_bad_file(coordinator, data, message):
    result = services.province_results_import(data=data, by=coordinator)
    assert not result.ok and any(message in p.message for p in result.problems), result.problems
    assert not ProvinceResult.objects.exists()


def test_a_cell_formatted_as_a_percentage_reads_as_the_percent_shown(coordinator):
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS + COMPONENT_HEADERS)
    ws.append((2025, 0.8765, 14, 34, 0.7941))
    ws["B2"].number_format = ws["E2"].number_format = "0.00%"
    out = io.BytesIO()
    wb.save(out)
    services.province_results_import(data=out.getvalue(), by=coordinator)
    assert ProvinceResult.objects.get(year=2025).overall_percent == D("87.65") and percent(2025, 1) == D(
        "79.41"
    )


def test_a_workbook_of_several_sheets_needs_the_named_one(coordinator):
    wb = Workbook()
    wb.active.title = "Một"
    wb.create_sheet("Hai")
    out = io.BytesIO()
    wb.save(out)
    assert "Không có trang tính 'Kết quả tỉnh'" in read_rows(out.getvalue()).problems[0].message


def test_the_template_round_trips(documented, coordinator, client):
    client.force_login(coordinator)
    response = client.get(reverse("reports:province_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    result = services.province_results_import(data=response.content, by=coordinator, dry_run=True)
    assert result.ok and result.summary["changed"] == 0 and not result.warnings


# --- the page -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role,unit,manages",
    [
        ("officer", "SCT", False),
        ("head", "SCT", False),
        ("appraiser", "STP", False),
        ("leader", "UBNDT", False),
        ("coordinator", "SNV", True),
        ("admin", "SNV", True),
    ],
)
def test_every_logged_in_user_reads_the_results(documented, units, make_user, client, role, unit, manages):
    client.force_login(make_user(role, unit))
    response = client.get(reverse("reports:province"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "79,41" in html and "49/63" in html and "18/63" in html and "—" in html
    assert 'id="component-averages"' in html and 'id="province-targets"' in html
    assert (reverse("reports:province_edit", args=[2016]) in html) is manages
    assert (reverse("reports:province_import") in html) is manages
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("reports:province")}"' in home and "Kết quả của tỉnh" in home  # navbar link


def test_the_page_reads_without_javascript(documented, coordinator, client):
    client.force_login(coordinator)
    html = client.get(reverse("reports:province")).content.decode()
    # the table carries every figure; the charts are hidden until charts.js draws them
    for field_number, values in TABLE_004.items():
        for value in values:
            if value is not None:
                assert value.replace(".", ",") in html, (field_number, value)
    assert 'class="row g-3 mb-3 d-none" id="province-charts"' in html
    assert 'id="province-chart-data"' in html and "vendor/chart.js/chart.umd.min.js" in html
    assert "86,41" in html  # average of field 1
    assert finders.find("vendor/chart.js/chart.umd.min.js") and finders.find("js/charts.js")


def test_the_page_without_results(coordinator, client):
    client.force_login(coordinator)
    response = client.get(reverse("reports:province"))
    html = response.content.decode()
    assert (
        response.status_code == 200 and "Chưa có kết quả nào." in html and "province-chart-data" not in html
    )


def test_the_page_shows_a_target_met(documented, coordinator, client):
    services.province_result_create(by=coordinator, year=2025, rank=14)
    services.province_result_create(by=coordinator, year=2026, rank=14)
    client.force_login(coordinator)
    html = client.get(reverse("reports:province")).content.decode()
    assert 'id="target-2025" class="target-met"' in html
    assert 'id="target-2026" class="target-not_met"' in html
    assert 'id="target-2027" class="target-unknown"' in html


def test_page_queries_do_not_grow_with_the_years(
    documented, coordinator, client, django_assert_max_num_queries
):
    client.force_login(coordinator)
    with CaptureQueriesContext(connection) as six_years:
        client.get(reverse("reports:province"))
    own = [q["sql"] for q in six_years.captured_queries if '"reports_province' in q["sql"]]
    assert len(own) == 2, own  # the years, then their components (prefetch)
    for year in range(2022, 2031):
        services.province_result_create(by=coordinator, year=year, rank=20, component_1="80")
    with django_assert_max_num_queries(len(six_years.captured_queries)):
        response = client.get(reverse("reports:province"))
    assert response.status_code == 200 and 'id="year-2030"' in response.content.decode()


# --- permissions and methods of the write pages ---------------------------------------------------------

WRITE_PAGES = [
    ("reports:province_add", []),
    ("reports:province_edit", [2016]),
    ("reports:province_import", []),
    ("reports:province_template", []),
]


@pytest.mark.parametrize("name,args", WRITE_PAGES + [("reports:province", [])])
def test_anonymous_is_sent_to_login(documented, client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "role,unit", [("officer", "SCT"), ("head", "SCT"), ("appraiser", "STP"), ("leader", "UBNDT")]
)
@pytest.mark.parametrize("name,args", WRITE_PAGES)
def test_read_only_users_get_403_on_writes(documented, units, make_user, client, role, unit, name, args):
    client.force_login(make_user(role, unit))
    assert client.get(reverse(name, args=args)).status_code == 403
    if name != "reports:province_template":
        before = snapshot()
        response = client.post(
            reverse(name, args=args), {"year": "2025", "rank": "1", "overall_percent": "99"}
        )
        assert response.status_code == 403 and snapshot() == before


def test_read_only_users_get_403_before_404(officer, client):
    client.force_login(officer)
    assert client.get(reverse("reports:province_edit", args=[1999])).status_code == 403


def test_an_unknown_year_is_404_for_a_manager(coordinator, client):
    client.force_login(coordinator)
    assert client.get(reverse("reports:province_edit", args=[2019])).status_code == 404


@pytest.mark.parametrize(
    "method,name,args",
    [
        ("post", "reports:province", []),
        ("put", "reports:province_edit", [2016]),
        ("delete", "reports:province_add", []),
        ("post", "reports:province_template", []),
        ("patch", "reports:province_import", []),
    ],
)
def test_wrong_method_is_405(documented, coordinator, client, method, name, args):
    client.force_login(coordinator)
    assert getattr(client, method)(reverse(name, args=args)).status_code == 405


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_managers_add_and_edit_a_year(units, make_user, client, documented, role):
    client.force_login(make_user(role, "SNV"))
    assert client.get(reverse("reports:province_add")).status_code == 200
    response = client.post(
        reverse("reports:province_add"),
        {
            "year": "2025",
            "overall_percent": "86,2",
            "rank": "13",
            "provinces_ranked": "",
            **{f"component_{n}": "" for n in range(1, 9)},
            "component_3": "91,5",
            "source": "QĐ công bố",
            "note": "",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("reports:province")
    r = ProvinceResult.objects.get(year=2025)
    assert (r.overall_percent, r.rank, r.provinces_ranked, percent(2025, 3)) == (D("86.2"), 13, 34, D("91.5"))

    page = client.get(reverse("reports:province_edit", args=[2016]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="79,41"' in html and 'name="component_9"' in html and 'value="49"' in html
    data = {k: (v if v is not None else "") for k, v in page.context["form"].initial.items()}
    data["component_7"] = "31"
    response = client.post(reverse("reports:province_edit", args=[2016]), data)
    assert response.status_code == 302
    assert (percent(2016, 7), percent(2016, 9), percent(2016, 1)) == (D("31"), D("56.25"), D("79.41"))


def test_an_invalid_form_is_shown_again_with_its_messages(documented, coordinator, client):
    client.force_login(coordinator)
    before = snapshot()
    response = client.post(
        reverse("reports:province_edit", args=[2021]),
        {"overall_percent": "120", "rank": "70", "provinces_ranked": "63", "component_2": "9,999"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Chỉ số (%) 120 phải trong khoảng 0–100 (%)." in html
    assert "Xếp hạng 70 lớn hơn số tỉnh được xếp hạng (63)" in html
    assert "quá 2 chữ số thập phân" in html
    assert snapshot() == before


def test_import_pages_preview_then_confirm(documented, coordinator, client):
    client.force_login(coordinator)
    assert client.get(reverse("reports:province_import")).status_code == 200
    upload = io.BytesIO(xlsx([(2022, 88.5, 12, 63, *[90] * 8)]))
    upload.name = "ket-qua.xlsx"
    response = client.post(reverse("reports:province_import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-preview"' in html
    assert not ProvinceResult.objects.filter(year=2022).exists()
    token = response.context["confirm_form"].initial["token"]
    response = client.post(reverse("reports:province_import"), {"token": token})
    assert response.status_code == 302 and ProvinceResult.objects.get(year=2022).rank == 12
    again = client.post(reverse("reports:province_import"), {"token": token}, follow=True)
    assert "hết hạn hoặc không tồn tại" in again.content.decode()


def test_import_page_lists_problems_and_imports_nothing(documented, coordinator, client):
    client.force_login(coordinator)
    before = snapshot()
    upload = io.BytesIO(xlsx([(2022, 88.5, 12, 63), (2023, 101, 70, 63)]))
    upload.name = "sai.xlsx"
    response = client.post(reverse("reports:province_import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="import-errors"' in html and "confirm-import" not in html
    assert "Chỉ số (%) 101 phải trong khoảng 0–100 (%)." in html and "Xếp hạng 70 lớn hơn" in html
    assert snapshot() == before


def test_every_problem_of_a_workbook_is_listed_in_one_pass_sorted_by_row_and_column(coordinator):
    rows = [
        (2022, "=80+5", 12, 63, *[90] * 7, "=1+1"),  # 2: formulas, Excel stored 85 for B2 and none for L2
        (2023, 85, "=1+1", 34),  # 3: formula without a stored value: rank unknown
        (2024, 101, 12, 63),  # 4: % > 100
        (2025, "8x", 12, 63),  # 5: not a number
        (2022, 85, 10, 63),  # 6: duplicate year
    ]
    data = with_cached_values(xlsx(rows), {(0, "B2"): "85"})
    read = read_rows(data)
    assert [(p.sheet, p.row, p.column) for p in read.problems] == [
        (SHEET, 2, "B"),
        (SHEET, 2, "L"),
        (SHEET, 3, "C"),
    ]
    assert all("chứa công thức" in p.message for p in read.problems)
    assert [r.row for r in read.rows] == [2, 3, 4, 5, 6] and read.rows[0].values["overall_percent"] == 85
    result = services.province_results_import(data=data, by=coordinator, dry_run=True)
    assert not result.ok
    assert sorted((p.row, p.column) for p in result.problems) == [
        (2, "B"),
        (2, "L"),
        (3, "C"),
        (4, "B"),
        (5, "B"),
        (6, "A"),
    ], result.problems
    assert not ProvinceResult.objects.exists()
    # Wrong headers leave the rows unread, but the formulas are still listed.
    headers = ("Year",) + HEADERS[1:] + COMPONENT_HEADERS
    read = read_rows(with_cached_values(xlsx(rows, headers=headers), {(0, "B2"): "85"}))
    assert [(p.row, p.column) for p in read.problems] == [(1, "A"), (2, "B"), (2, "L"), (3, "C")]
    assert read.rows == []


def test_import_page_summarises_the_problems_first_in_row_and_column_order(coordinator, client):
    client.force_login(coordinator)
    upload = io.BytesIO(xlsx([(2022, "=80+5", 12, 63), (2023, 101, 70, 63)]))
    upload.name = "sai.xlsx"
    response = client.post(reverse("reports:province_import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    summary, errors = html.index('id="import-summary"'), html.index('id="import-errors"')
    assert summary < errors and "Tệp sai.xlsx có 3 lỗi; chưa nhập gì." in html[summary:errors]
    assert f"Trang '{SHEET}': 3 lỗi" in html[summary:errors]
    table = html[errors:]
    assert (
        table.index("chứa công thức")
        < table.index("101 phải trong khoảng")
        < table.index("Xếp hạng 70 lớn hơn")
    )
