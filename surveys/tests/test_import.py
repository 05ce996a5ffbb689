"""Import of aggregated survey results (issue 5 §3): every problem by row and column, all or nothing,
% conversion, warnings, the per-round template round-trip."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook, load_workbook

from assessments.models import AssessmentRound, Score
from criteria.tests.workbooks import with_cached_values
from parindex.exceptions import InvalidTransition
from surveys import selectors
from surveys.services import survey_results_import
from surveys.workbook import HEADERS, INFO_HEADERS, SHEET, read_results, write_template

from .conftest import xlsx

pytestmark = pytest.mark.django_db


def _run(rnd, data, by, dry_run=False):
    return survey_results_import(round=rnd, data=data, by=by, dry_run=dry_run)


def _where(result):
    return {(p.row, p.column) for p in result.problems}


def _stored(rnd):
    return Score.objects.filter(assessment__round=rnd, survey_value__isnull=False).count()


def test_points_and_percent_rows_are_stored_with_history(open_round, coordinator):
    data = xlsx([("SCT", "1.8.1", "0,75", None), ("SCT", "3.10.1", None, 87.5), ("STP", "4.5", None, "12,5")])
    result = _run(open_round, data, coordinator)
    assert result.ok and result.imported
    assert result.summary == {"rows": 3, "units": 2, "leaves": 3, "changed": 3}
    values = {
        (s.assessment.unit.code, s.criterion.code): s.survey_value
        for s in Score.objects.filter(
            assessment__round=open_round, survey_value__isnull=False
        ).select_related("assessment__unit", "criterion")
    }
    # 87,5 % of 2 points = 1,75; 12,5 % of 1,25 points = 0,15625 → 0,16 (half up)
    assert values == {
        ("SCT", "1.8.1"): Decimal("0.75"),
        ("SCT", "3.10.1"): Decimal("1.75"),
        ("STP", "4.5"): Decimal("0.16"),
    }
    score = Score.objects.get(
        assessment__round=open_round, assessment__unit__code="SCT", criterion__code="3.10.1"
    )
    record = score.history.latest()
    assert record.history_user == coordinator and "Nhập điểm điều tra XHH" in record.history_change_reason
    assert score.version == 1


def test_dry_run_writes_nothing(open_round, coordinator):
    result = _run(open_round, xlsx([("SCT", "1.8.1", 1, None)]), coordinator, dry_run=True)
    assert result.ok and not result.imported and result.summary["changed"] == 1
    assert _stored(open_round) == 0


def test_units_without_results_are_warned_by_name(open_round, coordinator, so_assessments):
    result = _run(open_round, xlsx([("SCT", "1.8.1", 1, None)]), coordinator, dry_run=True)
    warned = {w.message for w in result.warnings}
    assert len(warned) == len(so_assessments) - 1
    sct = next(a.unit for a in so_assessments if a.unit.code == "SCT")
    stp = next(a.unit for a in so_assessments if a.unit.code == "STP")
    assert not any(sct.name in m for m in warned)
    assert any(stp.name in m for m in warned)


def test_every_row_problem_is_listed_by_row_and_column_and_nothing_is_written(open_round, coordinator):
    rows = [
        ("SCT", "1.8.1", 1, None),  # 2 valid
        ("XXX", "1.8.1", 1, None),  # 3 unknown unit
        ("sct ", "1.8.1", 1, None),  # 4 codes are exact (case matters)
        ("SCT", "9.9", 1, None),  # 5 unknown leaf
        ("SCT", "1.2", 0.5, None),  # 6 appraisal leaf
        ("SCT", "1.8.2", 1, 50),  # 7 both
        ("SCT", "2.6", None, None),  # 8 neither
        ("SCT", "3.9", 2, None),  # 9 above max (1,5)
        ("SCT", "4.5", -1, None),  # 10 negative
        ("SCT", "4.6", None, 120),  # 11 % above 100
        ("SCT", "5.8", None, -5),  # 12 % below 0
        ("SCT", "5.9", "một", None),  # 13 bad number
        ("SCT", "6.7", None, "abc"),  # 14 bad %
        ("SCT", "1.8.1", 0.5, None),  # 15 duplicate of row 2
        ("SCT", "8.1", 1, None),  # 16 a parent node, not a scored leaf
        (None, "7.9", 1, None),  # 17 missing unit code
    ]
    result = _run(open_round, xlsx(rows), coordinator)
    assert not result.ok and not result.imported
    where = _where(result)
    for expected in [
        (3, "A"),
        (4, "A"),
        (5, "B"),
        (6, "B"),
        (7, "C"),
        (8, "C"),
        (9, "C"),
        (10, "C"),
        (11, "D"),
        (12, "D"),
        (13, "C"),
        (14, "D"),
        (15, "A"),
        (16, "B"),
        (17, "A"),
    ]:
        assert expected in where, expected
    assert (2, "A") not in where and (2, "C") not in where
    assert all(p.sheet == SHEET for p in result.problems)
    messages = " ".join(p.message for p in result.problems)
    for text in (
        "Không có đơn vị mã 'XXX'",
        "Tiêu chí '9.9' không có",
        "tiêu chí thẩm định",
        "không ghi cả hai",
        "Chưa có kết quả",
        "vượt điểm tối đa 1,5",
        "không được âm",
        "120% phải trong khoảng 0–100",
        "bị lặp (đã có ở dòng 2)",
        "có tiêu chí con",
        "Thiếu mã đơn vị",
    ):
        assert text in messages, text
    assert _stored(open_round) == 0


def test_unit_without_assessment_in_the_round_is_refused(open_round, coordinator):
    from units.models import Unit

    outsider = Unit.objects.exclude(assessments__round=open_round).first()
    result = _run(
        open_round, xlsx([(outsider.code, "1.8.1", 1, None), ("SCT", "1.8.1", 1, None)]), coordinator
    )
    assert [(p.row, p.column) for p in result.problems] == [(2, "A")]
    assert "không có bản đánh giá trong đợt 2026" in result.problems[0].message
    assert _stored(open_round) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "Tệp rỗng"),
        (b"%PDF-1.4 not a workbook", "không phải là bảng tính"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
    ],
)
def test_files_that_are_not_xlsx_are_refused(open_round, coordinator, data, message):
    result = _run(open_round, data, coordinator)
    assert not result.ok and message in result.problems[0].message


def test_wrong_headers_are_listed_per_column(open_round, coordinator):
    result = _run(
        open_round,
        xlsx([("SCT", "1.8.1", 1, None)], headers=("Mã đơn vị", "Tiêu chí", "Điểm", "%")),
        coordinator,
    )
    assert _where(result) == {(1, "B"), (1, "D")}
    assert "Tỷ lệ hài lòng (%)" in result.problems[1].message


def test_missing_and_extra_sheets_are_refused(open_round, coordinator):
    missing = _run(open_round, xlsx([("SCT", "1.8.1", 1, None)], sheet="Sheet1"), coordinator)
    assert {p.message for p in missing.problems} >= {"Thiếu trang tính 'Kết quả'."}
    extra = _run(open_round, xlsx([("SCT", "1.8.1", 1, None)], extra_sheets=("Ghi chú",)), coordinator)
    assert [p.sheet for p in extra.problems] == ["Ghi chú"]
    assert _stored(open_round) == 0


def test_formulas_are_refused(open_round, coordinator):
    result = _run(open_round, xlsx([("SCT", "1.8.1", "=0.5*2", None)]), coordinator)
    assert _where(result) == {(2, "C")} and "công thức" in result.problems[0].message


def test_sheet_without_rows_is_refused(open_round, coordinator):
    result = _run(open_round, xlsx([]), coordinator)
    assert [p.message for p in result.problems] == ["Trang không có dòng kết quả nào."]


def test_only_coordinator_and_admin_may_import(open_round, make_user):
    with pytest.raises(PermissionDenied):
        _run(open_round, xlsx([("SCT", "1.8.1", 1, None)]), make_user("officer", "SCT"), dry_run=True)


def test_published_round_refuses_import(open_round, coordinator):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    with pytest.raises(InvalidTransition):
        _run(open_round, xlsx([("SCT", "1.8.1", 1, None)]), coordinator)
    assert _stored(open_round) == 0


def test_template_lists_every_unit_and_survey_leaf_and_round_trips(
    open_round, coordinator, so_assessments, survey_leaves
):
    data = write_template(selectors.survey_template_rows(open_round))
    ws = load_workbook(io.BytesIO(data))[SHEET]
    assert tuple(c.value for c in ws[1]) == HEADERS + INFO_HEADERS
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(so_assessments) * len(survey_leaves) == len(so_assessments) * 22
    assert {(r[0], r[1]) for r in rows} == {
        (a.unit.code, x.code) for a in so_assessments for x in survey_leaves
    }
    assert all(r[2] is None and r[3] is None for r in rows)
    names = {a.unit.code: a.unit.name for a in so_assessments}
    assert all(r[4] == names[r[0]] for r in rows)
    # Fill it as the coordinator would: every leaf at 80 % (D), except SCT's points in C. Columns E–F stay.
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == "SCT":
            row[2].value = 1
        else:
            row[3].value = 80
    out = io.BytesIO()
    wb.save(out)
    result = _run(open_round, out.getvalue(), coordinator)
    assert result.ok, result.problems
    assert not result.warnings
    assert result.summary["units"] == len(so_assessments) and result.summary["leaves"] == 22
    max_total = sum(x.max_points for x in survey_leaves)
    assert max_total == Decimal("37")  # DESIGN.md §2: survey max of the departments' set
    grid = selectors.survey_grid(round=open_round, group_code="SO")
    totals = {r.assessment.unit.code: r.total for r in grid.rows}
    assert totals["SCT"] == Decimal(22)  # 22 leaves at 1 point each
    assert totals["STP"] == sum(x.max_points * Decimal("0.8") for x in survey_leaves) == Decimal("29.6")
    # A template downloaded now carries the stored points, and importing it again changes nothing.
    again = _run(open_round, write_template(selectors.survey_template_rows(open_round)), coordinator)
    assert again.ok and again.summary["changed"] == 0


def test_template_with_information_columns_is_accepted_without_them_too(open_round, coordinator):
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS)
    ws.append(("SCT", "1.8.1", 1))
    out = io.BytesIO()
    wb.save(out)
    assert _run(open_round, out.getvalue(), coordinator).ok


def test_every_problem_of_a_workbook_is_listed_in_one_pass_sorted_by_sheet_row_and_column(
    open_round, coordinator
):
    rows = [
        ("SCT", "1.8.1", "=0.5*2", None),  # 2 formula, Excel stored 1: read as 1
        ("SCT", "1.8.2", None, "=40+10"),  # 3 formula, no value stored: unreadable (no "Chưa có kết quả")
        (None, "2.6", 1, None),  # 4 missing unit code
        ("SCT", None, 1, None),  # 5 missing leaf code
        ("SCT", "3.9", 1, 50),  # 6 both
        ("SCT", "4.5", None, None),  # 7 neither
        ("SCT", "4.6", "một", None),  # 8 bad number
        ("SCT", "5.8", None, "abc"),  # 9 bad %
        ("XXX", "5.9", 1, None),  # 10 unknown unit (the service's check)
        ("SCT", "1.2", 0.5, None),  # 11 appraisal leaf (the service's)
        ("SCT", "1.8.1", 0.5, None),  # 12 duplicate of row 2 (the service's)
        ("STP", "3.9", 2, None),  # 13 above max 1,5 (the service's)
    ]
    data = with_cached_values(xlsx(rows, extra_sheets=("Sheet2", "Ghi chú")), {(0, "C2"): "1"})
    read = read_results(data)
    assert [(p.sheet, p.row, p.column) for p in read.problems] == [
        ("Ghi chú", None, None),
        (SHEET, 2, "C"),
        (SHEET, 3, "D"),
        (SHEET, 4, "A"),
        (SHEET, 5, "B"),
        (SHEET, 6, "C"),
        (SHEET, 7, "C"),
        (SHEET, 8, "C"),
        (SHEET, 9, "D"),
        ("Sheet2", None, None),
    ], read.problems
    messages = [p.message for p in read.problems]
    for i, fragment in enumerate(
        [
            "không thuộc mẫu",
            "chứa công thức '=0.5*2'",
            "chứa công thức '=40+10'",
            "Thiếu mã đơn vị",
            "Thiếu mã tiêu chí",
            "không ghi cả hai",
            "Chưa có kết quả",
            "Điểm 'một'",
            "Tỷ lệ hài lòng 'abc'",
            "không thuộc mẫu",
        ]
    ):
        assert fragment in messages[i], (i, messages[i])
    assert read.rows[0].points == Decimal(1)
    # The import goes on to the checks against the round in the same pass.
    result = _run(open_round, data, coordinator, dry_run=True)
    assert not result.ok
    assert _where(result) == {
        (None, None),
        (2, "C"),
        (3, "D"),
        (4, "A"),
        (5, "B"),
        (6, "C"),
        (7, "C"),
        (8, "C"),
        (9, "D"),
        (10, "A"),
        (11, "B"),
        (12, "A"),
        (13, "C"),
    }
    assert _stored(open_round) == 0
