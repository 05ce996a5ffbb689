"""Every .xlsx the portal offers, with user text that looks like a formula in its notes, names and titles: each
file opens in Excel showing that text, never running it (issue 14 item 3; ``parindex.xlsx.as_text``)."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Assessment, AssessmentRound, Score
from criteria.models import Criterion, Kind, Source
from reports.models import ExportJob, ProvinceResult
from units.models import Unit

YEAR = 2026
#: What a user types into a note: a live link in every score sheet if written as a formula.
PAYLOAD = '=HYPERLINK("http://x","y")'
CODE_PAYLOAD = '=HYPERLINK("http://x","z")'


@pytest.fixture
def injected(setup_portal, admin_user):
    """The demo portal with ``PAYLOAD`` typed wherever a user's text reaches an export: the name of a unit,
    the title of a field, an appraisal leaf and a survey leaf of its published 2025 set, the unit's note on
    that leaf, the source of a national result; and ``CODE_PAYLOAD`` as a survey leaf's code (the responses
    template writes codes only). After ``admin_user``, whose unit fixture would write the units back."""
    setup_portal(year=YEAR, demo=True)
    rnd = AssessmentRound.objects.get(year=YEAR - 1)
    assessment = Assessment.objects.filter(round=rnd).select_related("unit", "criteria_set").order_by("pk")[0]
    Unit.objects.filter(pk=assessment.unit_id).update(name=PAYLOAD)
    nodes = Criterion.objects.filter(criteria_set=assessment.criteria_set)
    field = nodes.filter(parent=None).order_by("order")[0]
    appraisal = nodes.filter(source=Source.APPRAISAL, kind=Kind.YES_NO).order_by("pk")[0]
    survey = nodes.filter(source=Source.SURVEY).order_by("pk")
    Criterion.objects.filter(pk__in=[field.pk, appraisal.pk, survey[0].pk]).update(title=PAYLOAD)
    Criterion.objects.filter(pk=survey[1].pk).update(code=CODE_PAYLOAD)
    Score.objects.filter(assessment=assessment, criterion=appraisal).update(note=PAYLOAD)
    ProvinceResult.objects.filter(pk=ProvinceResult.objects.order_by("year")[0].pk).update(source=PAYLOAD)
    return rnd, assessment


def _rankings_xlsx(rnd, user, django_capture_on_commit_callbacks) -> bytes:
    from reports.exports.services import export_request

    with django_capture_on_commit_callbacks(execute=True):
        export_request(user=user, round=rnd, group=None, fmt="xlsx")
    job = ExportJob.objects.get()
    assert job.state == "done", job.error
    with job.file.open("rb") as fh:
        return fh.read()


def test_user_text_in_every_export_stays_text(
    injected, admin_user, client, django_capture_on_commit_callbacks
):
    rnd, assessment = injected
    client.force_login(admin_user)
    downloads = {
        "self-assessment sheet": reverse("assessments:export_self", args=[assessment.pk]),
        "appraised sheet": reverse("assessments:appraised_sheet", args=[assessment.pk]),
        "criteria set export": reverse("criteria:set_export", args=[assessment.criteria_set_id]),
        "survey results template": reverse("surveys:template", args=[rnd.pk]),
        "survey responses template": reverse("surveys:responses_template", args=[rnd.pk]),
        "province results template": reverse("reports:province_template"),
    }
    files = {}
    for name, url in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response["Content-Type"].startswith("application/vnd.openxmlformats"), name
        files[name] = response.content
    files["rankings export"] = _rankings_xlsx(rnd, admin_user, django_capture_on_commit_callbacks)
    # the empty criteria template has no user text: its cells are checked for formulas all the same
    template = client.get(reverse("criteria:template"))
    assert template.status_code == 200

    for name, data in files.items():
        wb = load_workbook(io.BytesIO(data))  # not read-only: the cells' data types as written
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        formulas = [f"{c.parent.title}!{c.coordinate}: {c.value}" for c in cells if c.data_type == "f"]
        assert not formulas, (name, formulas)
        wanted = CODE_PAYLOAD if name == "survey responses template" else PAYLOAD
        typed = [c for c in cells if c.value == wanted]
        assert typed, f"{name}: the user's text is not in the file as typed"
        assert {c.data_type for c in typed} == {"s"}, name
    wb = load_workbook(io.BytesIO(template.content))
    assert not [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_a_formula_the_portal_means_stays_a_formula_and_error_codes_stay_text():
    from openpyxl import Workbook
    from openpyxl.worksheet.formula import ArrayFormula

    from parindex.xlsx import workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["A3"] = "#N/A", "+84 912 345 678", "-1"
    ws["A4"] = ArrayFormula("A4", "=SUM(1,2)")
    back = load_workbook(io.BytesIO(workbook_bytes(wb))).active
    assert [(c.value, c.data_type) for c in back["A"][:3]] == [
        ("#N/A", "s"),
        ("+84 912 345 678", "s"),
        ("-1", "s"),
    ]
    assert back["A4"].data_type == "f" and back["A4"].value.text == "=SUM(1,2)"
