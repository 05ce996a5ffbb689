# ruff: noqa: F811 — fixtures imported from the assessment tests are used as parameters by name
"""Fixtures of the survey tests: the assessment fixtures (departments' set in an open 2026 round), people
of other roles, and helpers to build results workbooks in memory."""

import io

import pytest
from openpyxl import Workbook

from assessments.models import Assessment, Score
from assessments.tests.conftest import assessment, dates, head, officer, open_round, so_set  # noqa: F401
from criteria.models import Criterion, Source
from surveys.workbook import HEADERS, SHEET


@pytest.fixture
def leader(make_user, units):
    return make_user("leader", "SNV", username="lanhdao")


@pytest.fixture
def appraiser(make_user, units):
    return make_user("appraiser", "STP", username="thamdinh-stp")


@pytest.fixture
def survey_leaves(so_set):
    """The departments' set's survey leaves in print order."""
    return list(
        Criterion.objects.filter(criteria_set=so_set, source=Source.SURVEY, children__isnull=True).order_by(
            "order"
        )
    )


@pytest.fixture
def appraisal_leaf(so_set):
    return (
        Criterion.objects.filter(criteria_set=so_set, source=Source.APPRAISAL, children__isnull=True)
        .order_by("order")
        .first()
    )


@pytest.fixture
def survey_score(assessment, survey_leaves) -> Score:
    """SCT's score row of the first survey leaf."""
    return Score.objects.select_related("criterion").get(assessment=assessment, criterion=survey_leaves[0])


def xlsx(rows, *, headers=HEADERS, sheet=SHEET, extra_sheets=()) -> bytes:
    """A workbook with one sheet ``sheet``: ``headers`` then ``rows`` (tuples of cell values)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(tuple(headers))
    for row in rows:
        ws.append(tuple(row))
    for name in extra_sheets:
        wb.create_sheet(name)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.fixture
def so_assessments(open_round):
    return list(Assessment.objects.filter(round=open_round).select_related("unit").order_by("unit__order"))


def responses_xlsx(
    answers,
    mapping,
    *,
    questions=None,
    groups=(),
    answer_headers=("Mã đơn vị", "Nhóm người trả lời"),
    mapping_headers=("Mã câu hỏi", "Mã tiêu chí"),
    sheets=("Phiếu", "Ánh xạ"),
    extra_sheets=(),
) -> bytes:
    """A raw-response workbook: sheet ``sheets[0]`` with ``answer_headers`` + ``questions`` (default: the
    question codes of ``mapping`` in order) then ``answers`` rows; sheet ``sheets[1]`` with
    ``mapping_headers`` + ``groups`` (weight columns) then ``mapping`` rows. A sheet name of None leaves
    the sheet out."""
    if questions is None:
        questions = [row[0] for row in mapping]
    wb = Workbook()
    wb.remove(wb.active)
    if sheets[0]:
        ws = wb.create_sheet(sheets[0])
        ws.append(tuple(answer_headers) + tuple(questions))
        for row in answers:
            ws.append(tuple(row))
    if sheets[1]:
        ws = wb.create_sheet(sheets[1])
        ws.append(tuple(mapping_headers) + tuple(groups))
        for row in mapping:
            ws.append(tuple(row))
    for name in extra_sheets:
        wb.create_sheet(name)
    if not wb.worksheets:
        wb.create_sheet("Sheet1")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
