"""Import of raw questionnaire responses (issue 5 item 4): points computed from answers and group weights,
written with history; every bad input listed by sheet/row/column with nothing stored; the population N."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from assessments.models import Assessment, AssessmentRound, Score
from criteria.tests.workbooks import with_cached_values
from parindex.exceptions import InvalidTransition
from surveys import selectors
from surveys.models import ResponseImport, ResponseTally, SurveyPopulation
from surveys.responses import SHEET_ANSWERS, SHEET_MAPPING, read_responses, write_template
from surveys.services import survey_population_set, survey_responses_import, survey_score_set

from .conftest import responses_xlsx

pytestmark = pytest.mark.django_db

GROUPS = ("Lãnh đạo", "Công chức", "Người dân, doanh nghiệp")
# Question → leaf, weights Lãnh đạo | Công chức | Người dân, doanh nghiệp.
# Leaf maxima in the departments' set: 1.8.1 → 1, 3.10.1 → 2, 4.5 → 1,25.
MAPPING = [
    ("C1", "1.8.1", 2, 1, 0),
    ("C2", "1.8.1", 2, 1, 0),
    ("C3", "3.10.1", 1, 1, 3),
    ("C4", "4.5", 1, 1, 1),
]
ANSWERS = [
    ("SCT", "Lãnh đạo", 5, 4, "Hài lòng", None),  # row 2
    ("SCT", "  công   CHỨC ", 3, None, 2, None),  # row 3: C2 unanswered; group in another case
    ("SCT", "Người dân, doanh nghiệp", 1, 1, "rất  hài lòng", None),  # row 4
    ("STP", "Công chức", None, None, None, "3"),  # row 5
    ("STP", "Lãnh đạo", None, None, None, "Rất không hài lòng"),  # row 6
]


def _run(rnd, data, by, dry_run=False, filename="phieu.xlsx"):
    return survey_responses_import(round=rnd, data=data, filename=filename, by=by, dry_run=dry_run)


def _values(rnd) -> dict:
    return {
        (s.assessment.unit.code, s.criterion.code): s.survey_value
        for s in Score.objects.filter(assessment__round=rnd, survey_value__isnull=False).select_related(
            "assessment__unit", "criterion"
        )
    }


def _nothing_stored(rnd):
    assert _values(rnd) == {}
    assert not ResponseImport.objects.exists() and not ResponseTally.objects.exists()


def _where(result):
    return {(p.sheet, p.row, p.column) for p in result.problems}


def _messages(result):
    return " | ".join(p.message for p in result.problems)


def test_points_follow_the_hand_computed_weighted_means(open_round, coordinator):
    result = _run(open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), coordinator)
    assert result.ok and result.imported, result.problems
    # SCT 1.8.1 (max 1), questions C1 and C2, weights LĐ 2 · CC 1 · ND 0:
    #   LĐ C1 5 → 2×1, LĐ C2 4 → 2×0,75, CC C1 3 → 1×0,5, CC C2 empty (in neither sum), ND 1 and 1 → 0×0
    #   Σ w·norm = 2 + 1,5 + 0,5 + 0 + 0 = 4 ; Σ w = 2 + 2 + 1 + 0 + 0 = 5 → 4/5 × 1 = 0,8
    # SCT 3.10.1 (max 2), question C3, weights 1 · 1 · 3: LĐ "Hài lòng" 4 → 0,75, CC 2 → 0,25, ND "rất hài lòng"
    #   5 → 3×1 ; (0,75 + 0,25 + 3) / (1 + 1 + 3) = 4/5 = 0,8 × 2 = 1,6  (unweighted it would be 1,33)
    # STP 4.5 (max 1,25), question C4, weights 1: CC "3" → 0,5, LĐ "Rất không hài lòng" 1 → 0
    #   (0,5 + 0) / 2 = 0,25 × 1,25 = 0,3125 → 0,31
    # SCT 4.5 and STP 1.8.1 / 3.10.1 have no answer: no points.
    assert _values(open_round) == {
        ("SCT", "1.8.1"): Decimal("0.8"),
        ("SCT", "3.10.1"): Decimal("1.6"),
        ("STP", "4.5"): Decimal("0.31"),
    }
    assert result.values == _values(open_round)
    assert result.summary == {"respondents": 5, "answers": 10, "units": 2, "questions": 4, "changed": 3}


def test_without_weight_columns_every_group_weighs_one(open_round, coordinator):
    mapping = [row[:2] for row in MAPPING]
    answers = list(ANSWERS)
    answers[2] = ("SCT", "Khách", 1, 1, "rất hài lòng", None)  # any group name is fine without weights
    result = _run(open_round, responses_xlsx(answers, mapping), coordinator)
    assert result.ok, result.problems
    values = _values(open_round)
    # 1.8.1: 1 + 0,75 + 0,5 + 0 + 0 = 2,25 over 5 answers = 0,45 × 1 = 0,45
    # 3.10.1: (0,75 + 0,25 + 1) / 3 = 0,6667 × 2 = 1,3333 → 1,33
    assert values[("SCT", "1.8.1")] == Decimal("0.45")
    assert values[("SCT", "3.10.1")] == Decimal("1.33")


def test_import_writes_history_with_user_and_reason_and_keeps_leaves_without_answers(
    open_round, coordinator, assessment
):
    kept = Score.objects.select_related("assessment", "criterion").get(
        assessment=assessment, criterion__code="2.6"
    )
    survey_score_set(
        assessment=assessment, criterion=kept.criterion, value="1", by=coordinator, expected_version=0
    )
    before = Score.objects.get(assessment=assessment, criterion__code="1.8.1")
    result = _run(
        open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), coordinator, filename="C:\\tmp\\xhh.xlsx"
    )
    assert result.imported
    score = Score.objects.get(pk=before.pk)
    assert score.survey_value == Decimal("0.8") and score.version == before.version + 1
    assert score.updated_by == coordinator
    record = score.history.latest()
    assert record.history_user == coordinator
    assert record.history_change_reason == "Tính điểm điều tra XHH từ phiếu khảo sát"
    assert record.survey_value == Decimal("0.8")
    # 2.6 had no answer in the file: its value stays, and the preview said so
    assert Score.objects.get(pk=kept.pk).survey_value == Decimal("1")
    warning = next(
        w.message for w in result.warnings if w.message.startswith("Đơn vị Sở Công Thương: tiêu chí")
    )
    assert "2.6" in warning and "1.8.1" not in warning and "giữ nguyên" in warning
    # the import is recorded with its counts and per-unit, per-group tallies
    imported = ResponseImport.objects.get()
    assert (imported.round, imported.filename, imported.imported_by) == (open_round, "xhh.xlsx", coordinator)
    assert (imported.respondents, imported.answers, imported.units, imported.changed) == (5, 10, 2, 3)
    tallies = {
        (t.assessment.unit.code, t.respondent_group, t.respondents, t.answers)
        for t in ResponseTally.objects.select_related("assessment__unit")
    }
    assert tallies == {
        ("SCT", "Lãnh đạo", 1, 3),
        ("SCT", "Công chức", 1, 2),
        ("SCT", "Người dân, doanh nghiệp", 1, 3),
        ("STP", "Công chức", 1, 1),
        ("STP", "Lãnh đạo", 1, 1),
    }


def test_importing_the_same_file_again_changes_nothing(open_round, coordinator):
    data = responses_xlsx(ANSWERS, MAPPING, groups=GROUPS)
    _run(open_round, data, coordinator)
    again = _run(open_round, data, coordinator)
    assert again.ok and again.summary["changed"] == 0
    score = Score.objects.get(
        assessment__round=open_round, assessment__unit__code="SCT", criterion__code="1.8.1"
    )
    assert score.history.count() == 1 and score.version == 1
    assert ResponseImport.objects.count() == 2
    assert selectors.last_response_import(open_round).changed == 0


def test_dry_run_previews_per_unit_and_writes_nothing(open_round, coordinator, so_assessments):
    sct = Assessment.objects.get(round=open_round, unit__code="SCT")
    survey_population_set(
        assessment=sct, size=4, by=coordinator
    )  # n = 4 / 1,01 = 3,96 → 4 > 3 questionnaires
    result = _run(open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), coordinator, dry_run=True)
    assert result.ok and not result.imported
    _nothing_stored(open_round)
    assert [u.assessment.unit.code for u in result.units] == [a.unit.code for a in so_assessments]
    unit = next(u for u in result.units if u.assessment.unit.code == "SCT")
    assert (unit.respondents, unit.answers, unit.population, unit.required, unit.enough) == (
        3,
        8,
        4,
        4,
        False,
    )
    assert unit.groups == {"Lãnh đạo": 1, "Công chức": 1, "Người dân, doanh nghiệp": 1}
    points = {leaf.code: p for leaf, p in unit.points}
    assert len(points) == 22 and points["1.8.1"] == Decimal("0.80") and points["4.5"] is None
    assert unit.total == Decimal("2.40")
    warned = " | ".join(w.message for w in result.warnings)
    assert "Sở Công Thương có 3 phiếu, chưa đủ cỡ mẫu cần thiết n = 4 (tổng thể N = 4)" in warned
    assert "Đơn vị Sở Tư pháp chưa có phiếu" not in warned and "Đơn vị Sở Y tế chưa có phiếu nào" in warned


def test_every_answer_sheet_problem_is_listed_and_nothing_is_stored(open_round, coordinator):
    outsider = "UBNDT"  # the province itself: a unit without an assessment in the round
    answers = [
        ("SCT", "Lãnh đạo", 5, 4, 3, 2),  # 2 valid
        ("XXX", "Lãnh đạo", 5, None, None, None),  # 3 unknown unit
        (outsider, "Lãnh đạo", 5, None, None, None),  # 4 unit not in the round
        ("SCT", "Khách du lịch", 5, None, None, None),  # 5 group without a weight column
        ("SCT", "Lãnh đạo", 6, 0, None, None),  # 6 outside 1–5 (C and D)
        ("SCT", "Lãnh đạo", "Tạm được", 2.5, None, None),  # 7 unknown label, not a whole number
        ("SCT", None, 3, None, None, None),  # 8 group missing
        (None, "Lãnh đạo", 3, None, None, None),  # 9 unit missing
    ]
    result = _run(open_round, responses_xlsx(answers, MAPPING, groups=GROUPS), coordinator)
    assert not result.ok and not result.imported
    where = _where(result)
    for expected in [
        (3, "A"),
        (4, "A"),
        (5, "B"),
        (6, "C"),
        (6, "D"),
        (7, "C"),
        (7, "D"),
        (8, "B"),
        (9, "A"),
    ]:
        assert (SHEET_ANSWERS,) + expected in where, expected
    assert not any(row == 2 for _, row, _ in where)
    messages = _messages(result)
    for text in (
        "Không có đơn vị mã 'XXX'",
        f"Đơn vị {outsider} (",
        "không có bản đánh giá trong đợt 2026",
        "Nhóm người trả lời 'Khách du lịch' không có cột trọng số trong trang 'Ánh xạ'",
        "Câu trả lời 6 nằm ngoài thang 1–5",
        "Câu trả lời 0 nằm ngoài thang 1–5",
        "Câu trả lời 'Tạm được' không hợp lệ",
        "'Rất không hài lòng'",
        "Câu trả lời 2,5 không phải số nguyên từ 1 đến 5",
        "Thiếu nhóm người trả lời",
        "Thiếu mã đơn vị",
    ):
        assert text in messages, text
    _nothing_stored(open_round)


def test_every_mapping_problem_is_listed_and_nothing_is_stored(open_round, coordinator):
    mapping = [
        ("C1", "1.8.1", 2, 1, 0),  # 2 valid
        ("C2", "9.9", 1, 1, 1),  # 3 unknown leaf
        ("C3", "1.2", 1, 1, 1),  # 4 appraisal leaf
        ("C4", "8.1", 1, 1, 1),  # 5 a parent node
        ("C1", "2.6", 1, 1, 1),  # 6 duplicated question
        ("C5", "2.6", -1, "nhiều", None),  # 7 negative, non-numeric and missing weights
    ]
    answers = [("SCT", "Lãnh đạo", 5, 4, 3, 2, 1, 5)]
    result = _run(
        open_round,
        responses_xlsx(answers, mapping, questions=("C1", "C2", "C3", "C4", "C5", "C9"), groups=GROUPS),
        coordinator,
    )
    assert not result.ok
    where = _where(result)
    for expected in [(3, "B"), (4, "B"), (5, "B"), (6, "A"), (7, "C"), (7, "D"), (7, "E")]:
        assert (SHEET_MAPPING,) + expected in where, expected
    assert (SHEET_ANSWERS, 1, "H") in where  # C9 has a column but no mapping
    assert not any(sheet == SHEET_MAPPING and row == 2 for sheet, row, _ in where)
    messages = _messages(result)
    for text in (
        "Tiêu chí '9.9' không có trong bộ chỉ số nào của đợt 2026",
        "Tiêu chí 1.2 là tiêu chí thẩm định, không nhận điểm điều tra XHH",
        "Tiêu chí '8.1' không phải tiêu chí được chấm (có tiêu chí con)",
        "Mã câu hỏi 'C1' bị lặp (đã có ở dòng 2)",
        "Trọng số của nhóm 'Lãnh đạo' không được âm (đang là -1)",
        "Trọng số của nhóm 'Công chức' 'nhiều' không phải là số hợp lệ",
        "Thiếu trọng số của nhóm 'Người dân, doanh nghiệp'",
        "Câu hỏi 'C9' chưa được ánh xạ tới tiêu chí nào trong trang 'Ánh xạ'",
    ):
        assert text in messages, text
    _nothing_stored(open_round)


def test_duplicated_columns_and_headers_without_codes_are_refused(open_round, coordinator):
    answers = [("SCT", "Lãnh đạo", 5, 4, None, 3)]
    data = responses_xlsx(
        answers,
        [("C1", "1.8.1", 1, 1), ("C2", "2.6", 1, 1)],
        questions=("C1", "C2", None, "C1"),
        groups=("Lãnh đạo", "LÃNH ĐẠO"),
    )
    result = _run(open_round, data, coordinator)
    where = _where(result)
    assert (SHEET_ANSWERS, 1, "F") in where and (SHEET_MAPPING, 1, "D") in where
    messages = _messages(result)
    assert "Mã câu hỏi 'C1' bị lặp (đã có ở cột C)" in messages
    assert "Nhóm người trả lời 'LÃNH ĐẠO' bị lặp (đã có ở cột C)" in messages
    # a column with answers but no question code in row 1
    gap = _run(
        open_round,
        responses_xlsx([("SCT", "Lãnh đạo", 5, None, 4)], [("C1", "1.8.1")], questions=("C1", None)),
        coordinator,
    )
    assert [(p.sheet, p.row, p.column) for p in gap.problems] == [(SHEET_ANSWERS, 1, "E")]
    assert "dòng 1 chưa ghi mã câu hỏi" in gap.problems[0].message
    _nothing_stored(open_round)


def test_a_question_mapped_to_a_leaf_outside_the_units_set_is_refused_on_the_answer(
    open_round, coordinator, monkeypatch
):
    # Every unit of the round uses the departments' set, so pretend SCT's set lacks 1.8.1 as a survey leaf.
    from surveys import services

    real = services._round_leaves

    def without_181(assessments):
        survey_leaves, by_code = real(assessments)
        sct = next(a for a in assessments if a.unit.code == "SCT")
        survey_leaves = {k: dict(v) for k, v in survey_leaves.items()}
        survey_leaves[sct.criteria_set_id] = {
            c: x for c, x in survey_leaves[sct.criteria_set_id].items() if c != "1.8.1"
        }
        return survey_leaves, by_code

    monkeypatch.setattr(services, "_round_leaves", without_181)
    result = _run(open_round, responses_xlsx([("SCT", "Lãnh đạo", 5)], [("C1", "1.8.1")]), coordinator)
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [(SHEET_ANSWERS, 2, "C")]
    assert "không phải tiêu chí điều tra XHH trong bộ chỉ số của đơn vị SCT" in result.problems[0].message
    _nothing_stored(open_round)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "Tệp rỗng"),
        (b"%PDF-1.4 not a workbook", "không phải là bảng tính"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".xls"),
        (b"PK\x03\x04" + b"\0" * (5 * 1024 * 1024), "vượt giới hạn 5 MB"),
    ],
)
def test_files_that_are_not_xlsx_are_refused(open_round, coordinator, data, message):
    result = _run(open_round, data, coordinator)
    assert not result.ok and message in result.problems[0].message
    _nothing_stored(open_round)


def test_missing_extra_and_renamed_sheets_are_refused(open_round, coordinator):
    no_mapping = _run(open_round, responses_xlsx(ANSWERS, MAPPING, sheets=("Phiếu", None)), coordinator)
    assert [p.message for p in no_mapping.problems] == ["Thiếu trang tính 'Ánh xạ'."]
    renamed = _run(open_round, responses_xlsx(ANSWERS, MAPPING, sheets=("Sheet1", "Ánh xạ")), coordinator)
    # The sheet that is there is still checked (issue 12): its weight columns have no group name in row 1.
    assert {p.message for p in renamed.problems} == {
        "Trang tính 'Sheet1' không thuộc mẫu; tệp chỉ gồm hai trang 'Phiếu' và 'Ánh xạ'.",
        "Thiếu trang tính 'Phiếu'.",
        *(f"Cột {c} có dữ liệu nhưng dòng 1 chưa ghi tên nhóm người trả lời." for c in "CDE"),
    }
    extra = _run(
        open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS, extra_sheets=("Ghi chú",)), coordinator
    )
    assert [p.sheet for p in extra.problems] == ["Ghi chú"]
    # sheet names match whatever their case and Unicode form (NFD "Ánh xạ" as macOS may write it)
    import unicodedata

    loose = _run(
        open_round,
        responses_xlsx(
            ANSWERS, MAPPING, groups=GROUPS, sheets=("PHIẾU", unicodedata.normalize("NFD", "ánh xạ"))
        ),
        coordinator,
        dry_run=True,
    )
    assert loose.ok, loose.problems
    _nothing_stored(open_round)


def test_wrong_headers_formulas_and_empty_sheets_are_refused(open_round, coordinator):
    headers = _run(
        open_round,
        responses_xlsx(
            ANSWERS,
            MAPPING,
            answer_headers=("Đơn vị", "Nhóm người trả lời"),
            mapping_headers=("Mã câu hỏi", "Tiêu chí"),
        ),
        coordinator,
    )
    assert _where(headers) == {(SHEET_ANSWERS, 1, "A"), (SHEET_MAPPING, 1, "B")}
    assert "Tiêu đề cột phải là 'Mã đơn vị' (đang là 'Đơn vị')" in _messages(headers)
    formula = _run(open_round, responses_xlsx([("SCT", "Lãnh đạo", "=2+3")], [("C1", "1.8.1")]), coordinator)
    assert _where(formula) == {(SHEET_ANSWERS, 2, "C")} and "công thức" in formula.problems[0].message
    no_rows = _run(open_round, responses_xlsx([], [("C1", "1.8.1")]), coordinator)
    assert [p.message for p in no_rows.problems] == ["Trang không có phiếu nào có câu trả lời."]
    no_mapping = _run(
        open_round, responses_xlsx([("SCT", "Lãnh đạo", 5)], [], questions=("C1",)), coordinator
    )
    assert "Trang không có dòng ánh xạ câu hỏi nào." in _messages(no_mapping)
    no_questions = _run(
        open_round, responses_xlsx([("SCT", "Lãnh đạo")], [("C1", "1.8.1")], questions=()), coordinator
    )
    assert "Trang chưa có cột câu hỏi nào" in _messages(no_questions)
    _nothing_stored(open_round)


def test_template_rows_and_questionnaires_without_answers_are_skipped_or_warned(open_round, coordinator):
    answers = [("SCT", None, None), ("SCT", "Lãnh đạo", 4), ("STP", "Công chức", None)]
    result = _run(open_round, responses_xlsx(answers, [("C1", "1.8.1")]), coordinator, dry_run=True)
    assert result.ok and result.summary["respondents"] == 1
    assert any(w.row == 4 and "Phiếu không có câu trả lời nào" in w.message for w in result.warnings)
    assert not any(w.row == 2 for w in result.warnings)


def test_only_coordinator_and_admin_may_import(open_round, make_user, admin_user):
    for role in ("officer", "head", "leader", "appraiser"):
        with pytest.raises(PermissionDenied):
            _run(open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), make_user(role, "SCT"))
    _nothing_stored(open_round)
    assert _run(open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), admin_user).imported


def test_published_round_refuses_import(open_round, coordinator):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    with pytest.raises(InvalidTransition, match="đã công bố"):
        _run(open_round, responses_xlsx(ANSWERS, MAPPING, groups=GROUPS), coordinator, dry_run=True)
    _nothing_stored(open_round)


def test_template_lists_units_and_leaves_and_round_trips(
    open_round, coordinator, so_assessments, survey_leaves
):
    units, leaves = selectors.survey_response_template(open_round)
    wb = load_workbook(io.BytesIO(write_template(units, leaves)))
    assert wb.sheetnames == [SHEET_ANSWERS, SHEET_MAPPING]
    answers, mapping = wb[SHEET_ANSWERS], wb[SHEET_MAPPING]
    assert [c.value for c in answers[1]] == ["Mã đơn vị", "Nhóm người trả lời"] + [
        f"C{i}" for i in range(1, 23)
    ]
    assert [r[0] for r in answers.iter_rows(min_row=2, values_only=True)] == [
        a.unit.code for a in so_assessments
    ]
    assert answers["A2"].comment.text == so_assessments[0].unit.name
    assert list(mapping.iter_rows(min_row=1, values_only=True)) == (
        [("Mã câu hỏi", "Mã tiêu chí")]
        + [(f"C{i}", leaf.code) for i, leaf in enumerate(survey_leaves, start=1)]
    )
    # As downloaded (unit codes only) it is valid but has no questionnaire.
    out = io.BytesIO()
    wb.save(out)
    assert [p.message for p in _run(open_round, out.getvalue(), coordinator).problems] == [
        "Trang không có phiếu nào có câu trả lời."
    ]
    # Fill SCT's placeholder row as one leader answering "Hài lòng" (4 → 0,75) everywhere, add one citizen
    # row answering 5 to the first question: 1.8.1 = (0,75 + 1)/2 × 1 = 0,875 → 0,88; the rest 0,75 × max.
    for row in answers.iter_rows(min_row=2):
        if row[0].value == "SCT":
            row[1].value = "Lãnh đạo"
            for cell in answers[row[0].row][2:24]:
                cell.value = "Hài lòng"
    answers.append(("SCT", "Người dân", 5))
    out = io.BytesIO()
    wb.save(out)
    result = _run(open_round, out.getvalue(), coordinator)
    assert result.ok, result.problems
    values = _values(open_round)
    assert values[("SCT", "1.8.1")] == Decimal("0.88")
    assert values[("SCT", "3.10.1")] == Decimal("1.5")  # 0,75 × 2
    assert values[("SCT", "4.5")] == Decimal("0.94")  # 0,75 × 1,25 = 0,9375 → 0,94
    assert len(values) == 22 and result.summary["units"] == 1


def test_population_is_set_and_audited(assessment, coordinator):
    row = survey_population_set(assessment=assessment, size="1.500", by=coordinator)
    assert SurveyPopulation.objects.get(assessment=assessment).size == 1500
    survey_population_set(assessment=assessment, size=500, by=coordinator)
    survey_population_set(assessment=assessment, size=" 500 ", by=coordinator)  # unchanged: no history row
    row.refresh_from_db()
    assert row.size == 500 and row.updated_by == coordinator
    records = list(
        row.history.order_by("history_date").values_list("size", "history_user", "history_change_reason")
    )
    assert records == [
        (1500, coordinator.pk, "Cập nhật tổng thể khảo sát N"),
        (500, coordinator.pk, "Cập nhật tổng thể khảo sát N"),
    ]


@pytest.mark.parametrize(
    "size, message",
    [
        ("", "Hãy nhập tổng thể N"),
        ("0", "Tổng thể N phải lớn hơn 0"),
        ("-5", "phải là số nguyên dương"),
        ("12,5", "phải là số nguyên dương"),
        ("abc", "phải là số nguyên dương"),
        ("1.50", "phải là số nguyên dương"),
        (100_000_001, "vượt giới hạn 100.000.000 người"),
    ],
)
def test_population_must_be_a_positive_whole_number(assessment, coordinator, size, message):
    with pytest.raises(ValidationError, match=message):
        survey_population_set(assessment=assessment, size=size, by=coordinator)
    assert not SurveyPopulation.objects.exists()


def test_population_is_refused_to_others_and_after_publication(assessment, coordinator, make_user):
    with pytest.raises(PermissionDenied):
        survey_population_set(assessment=assessment, size=500, by=make_user("head", "SCT"))
    AssessmentRound.objects.filter(pk=assessment.round_id).update(state="published")
    with pytest.raises(InvalidTransition, match="không thể sửa tổng thể khảo sát"):
        survey_population_set(assessment=assessment, size=500, by=coordinator)
    assert not SurveyPopulation.objects.exists()


def test_every_problem_of_a_workbook_is_listed_in_one_pass_sorted_by_sheet_row_and_column(
    open_round, coordinator
):
    answers = [
        (
            "SCT",
            "Lãnh đạo",
            5,
            "=1+3",
            None,
            None,
            "lạc",
        ),  # 2 formula without a stored value; data under no header
        (None, "Công chức", 6, "Tốt"),  # 3 missing unit, answer out of 1–5, unknown label
        ("SCT", None, 3),  # 4 missing group
        ("SCT", "Khách", 3),  # 5 group without a weight column
        ("SCT", "Lãnh đạo", "=1+1"),  # 6 formula, Excel stored 2: read as 2
    ]
    mapping = [
        ("C1", "1.8.1", 1, 1),  # 2
        ("C2", "3.10.1", None, -1),  # 3 missing weight, negative weight
        ("C1", "4.5", 1, 1),  # 4 duplicate question
        (None, "4.5", 1, "x"),  # 5 missing question, bad weight
        ("C7", None, 1, 1),  # 6 missing leaf; no column in "Phiếu" (a warning)
        ("C3", "4.5", "=1+1", 1),  # 7 formula without a stored value; no column in "Phiếu" (a warning)
    ]
    data = responses_xlsx(
        answers,
        mapping,
        questions=("C1", "C2", "C1", "C9"),
        groups=("Lãnh đạo", "Công chức"),
        extra_sheets=("Sheet2", "Ghi chú"),
    )
    data = with_cached_values(data, {(0, "C6"): "2"})
    read = read_responses(data)
    assert [(p.sheet, p.row, p.column) for p in read.problems] == [
        (SHEET_MAPPING, 3, "C"),
        (SHEET_MAPPING, 3, "D"),
        (SHEET_MAPPING, 4, "A"),
        (SHEET_MAPPING, 5, "A"),
        (SHEET_MAPPING, 5, "D"),
        (SHEET_MAPPING, 6, "B"),
        (SHEET_MAPPING, 7, "C"),
        ("Ghi chú", None, None),
        (SHEET_ANSWERS, 1, "E"),
        (SHEET_ANSWERS, 1, "F"),
        (SHEET_ANSWERS, 1, "G"),
        (SHEET_ANSWERS, 2, "D"),
        (SHEET_ANSWERS, 3, "A"),
        (SHEET_ANSWERS, 3, "C"),
        (SHEET_ANSWERS, 3, "D"),
        (SHEET_ANSWERS, 4, "B"),
        (SHEET_ANSWERS, 5, "B"),
        (SHEET_ANSWERS, 6, "C"),
        ("Sheet2", None, None),
    ], read.problems
    messages = [p.message for p in read.problems]
    for i, fragment in enumerate(
        [
            "Thiếu trọng số của nhóm 'Lãnh đạo'",
            "không được âm",
            "Mã câu hỏi 'C1' bị lặp",
            "Thiếu mã câu hỏi",
            "Trọng số của nhóm 'Công chức'",
            "Thiếu mã tiêu chí",
            "chứa công thức '=1+1'",
            "không thuộc mẫu",
            "Mã câu hỏi 'C1' bị lặp (đã có ở cột C)",
            "Câu hỏi 'C9' chưa được ánh xạ",
            "Cột G có dữ liệu",
            "chứa công thức '=1+3'",
            "Thiếu mã đơn vị",
            "nằm ngoài thang 1–5",
            "Câu trả lời 'Tốt' không hợp lệ",
            "Thiếu nhóm người trả lời",
            "Nhóm người trả lời 'Khách'",
            "chứa công thức '=1+1'",
            "không thuộc mẫu",
        ]
    ):
        assert fragment in messages[i], (i, messages[i])
    assert [(w.sheet, w.row, w.column) for w in read.warnings] == [
        (SHEET_MAPPING, 6, "A"),
        (SHEET_MAPPING, 7, "A"),
    ]
    assert read.respondents[-1].row == 6 and read.respondents[-1].answers == {"C1": 2}
    result = _run(open_round, data, coordinator, dry_run=True)
    assert not result.ok and _where(result) >= {(p.sheet, p.row, p.column) for p in read.problems}
    _nothing_stored(open_round)
