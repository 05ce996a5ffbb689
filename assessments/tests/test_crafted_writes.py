"""Crafted writes answer what a user would expect (issue 14 items 6, 9, 10): round dates typed day first and kept
inside the round's year ± 1, evidence issue dates between 1990 and the round's year + 1, a user who may only read
refused (403) whatever malformed thing they post, and an appraiser's appraised sheet holding before publication
only the self and appraised scores of its own agency's fields."""

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Assessment, AssessmentRound, AssessmentState, FieldAppraisal, Score
from assessments.selectors.appraisal import part_leaf_ids
from assessments.services import appraisal as svc
from criteria.models import Source

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def round_post(year: int, **dates) -> dict:
    days = {
        "opens_on": f"05/01/{year}",
        "self_assessment_deadline": f"01/03/{year}",
        "appraisal_1_deadline": f"01/04/{year}",
        "explanation_deadline": f"01/05/{year}",
        "appraisal_2_deadline": f"01/06/{year}",
        "publication_date": f"01/07/{year}",
    }
    return {"year": str(year), "name": "", **days, **dates}


# ---------------------------------------------------------------- dates


def test_a_typed_round_date_is_read_day_first(client, coordinator, units):
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_create"), round_post(2040))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AssessmentRound.objects.get(year=2040).opens_on == datetime.date(2040, 1, 5)


@pytest.mark.parametrize("typed", ["01/01/1900", "31/12/2038", "01/01/2042", "01/01/2080"])
def test_a_round_date_outside_the_year_around_the_round_is_refused_next_to_its_field(
    client, coordinator, units, typed
):
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_create"), round_post(2040, opens_on=typed))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["opens_on"] == [
        "Ngày mở phải trong khoảng 01/01/2039 – 31/12/2041 (năm đánh giá 2040, trước hoặc sau tối đa 1 năm)."
    ]
    assert errors["opens_on"][0] in response.content.decode()
    assert not AssessmentRound.objects.filter(year=2040).exists()


def test_round_dates_at_the_edges_of_the_range_are_accepted(client, coordinator, units):
    client.force_login(coordinator)
    post = round_post(2040, opens_on="01/01/2039", publication_date="31/12/2041")
    assert client.post(reverse("assessments:round_create"), post).status_code == 302
    rnd = AssessmentRound.objects.get(year=2040)
    assert (rnd.opens_on, rnd.publication_date) == (datetime.date(2039, 1, 1), datetime.date(2041, 12, 31))


@pytest.mark.parametrize("typed", ["01/01/0001", "31/12/1989", "01/01/2999"])
def test_an_evidence_date_outside_1990_to_the_year_after_the_round_is_refused(
    client, assessment, officer, leaf, pdf_file, typed
):
    client.force_login(officer)
    criterion = leaf("yes_no")
    url = reverse("assessments:evidence_upload", args=[assessment.pk, criterion.pk])
    response = client.post(url, {"file": pdf_file(), "issued_on": typed}, **HX)
    assert response.status_code == 400
    last = f"31/12/{assessment.round.year + 1}"
    assert f"Ngày ban hành {typed} không hợp lệ" in response.content.decode()
    assert f"từ 01/01/1990 đến {last}" in response.content.decode()
    assert not assessment.evidence.exists()


def test_an_evidence_date_of_the_year_after_the_round_is_accepted(
    client, assessment, officer, leaf, pdf_file
):
    client.force_login(officer)
    criterion = leaf("yes_no")
    url = reverse("assessments:evidence_upload", args=[assessment.pk, criterion.pk])
    typed = f"31/12/{assessment.round.year + 1}"
    assert client.post(url, {"file": pdf_file(), "issued_on": typed}, **HX).status_code == 200
    assert assessment.evidence.get().issued_on == datetime.date(assessment.round.year + 1, 12, 31)


# ---------------------------------------------------------------- permission before validation


def test_a_reader_posting_a_malformed_self_score_is_refused_403(client, assessment, coordinator, leaf):
    """The coordinator may read every assessment but not score one: refused before the form is read."""
    client.force_login(coordinator)
    criterion = leaf("yes_no")
    url = reverse("assessments:score_save", args=[assessment.pk, criterion.pk])
    for post in ({"version": "²", "value": "\x00"}, {"version": "x" * 5000}, {}):
        assert client.post(url, post, **HX).status_code == 403
    upload = reverse("assessments:evidence_upload", args=[assessment.pk, criterion.pk])
    assert client.post(upload, {"issued_on": "01/01/0001"}, **HX).status_code == 403
    attach = reverse("assessments:evidence_attach", args=[assessment.pk, criterion.pk])
    assert client.post(attach, {"evidence": "١"}, **HX).status_code == 403
    api = reverse("api-score-save", args=[assessment.pk, criterion.pk])
    response = client.put(api, {"version": "not a number"}, content_type="application/json")
    assert response.status_code == 403
    assert Score.objects.get(assessment=assessment, criterion=criterion).version == 0


def test_an_appraiser_posting_a_malformed_self_score_is_refused_403(client, submitted, people, leaf):
    client.force_login(people["stp"])
    criterion = leaf("yes_no")
    url = reverse("assessments:score_save", args=[submitted.pk, criterion.pk])
    assert client.post(url, {"version": "²"}, **HX).status_code == 403


def test_a_reader_posting_a_malformed_appraisal_is_refused_403(client, submitted, people):
    part = FieldAppraisal.objects.get(assessment=submitted, owner__code="STP")
    score = Score.objects.filter(assessment=submitted, criterion_id__in=part_leaf_ids(part)).first()
    client.force_login(people["coordinator"])
    for name in ("appraisal_leaf", "appraisal_leaf_accept", "score_correct"):
        url = reverse(f"assessments:{name}", args=[part.pk, score.pk])
        assert client.post(url, {"version": "²", "comment": "\x00"}, **HX).status_code == 403, name
    score.refresh_from_db()
    assert score.appraised_value is None


def test_a_reader_posting_a_malformed_survey_cell_is_refused_403(client, submitted, officer):
    score = Score.objects.filter(assessment=submitted, criterion__source=Source.SURVEY).first()
    client.force_login(officer)
    url = reverse("surveys:cell", args=[submitted.round_id, score.pk])
    assert client.post(url, {"value": "\x00", "version": "²"}, **HX).status_code == 403


def test_a_nul_in_an_appraisers_comment_is_refused_with_a_message(client, submitted, people):
    part = FieldAppraisal.objects.get(assessment=submitted, owner__code="STP")
    score = Score.objects.filter(assessment=submitted, criterion_id__in=part_leaf_ids(part)).first()
    client.force_login(people["stp"])
    url = reverse("assessments:appraisal_leaf", args=[part.pk, score.pk])
    response = client.post(url, {"version": score.version, "comment": "a\x00b"}, **HX)
    assert response.status_code == 400 and "ký tự NUL" in response.content.decode()


# ---------------------------------------------------------------- the appraised sheet (issue 14 item 9)


def appraise_all(assessment, people) -> None:
    by = {"STP": "stp", "SNV": "snv", "STC": "stc", "VPUBND": "vp", "STTTT": "tt", "SKHCN": "kh"}
    for part in FieldAppraisal.objects.filter(assessment=assessment).select_related("owner"):
        svc.appraisal_accept_all(part=part, by=people[by[part.owner.code]])
        svc.part_close_round_1(part=part, by=people[by[part.owner.code]])


def sheet(client, user, assessment) -> tuple[list[tuple], tuple]:
    """(node rows, totals row) of the appraised xlsx as ``user`` downloads it."""
    client.force_login(user)
    response = client.get(reverse("assessments:appraised_sheet", args=[assessment.pk]))
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=7, values_only=True))
    return rows[:-1], rows[-1]


def test_before_publication_an_appraiser_gets_only_its_own_fields_self_and_appraised_scores(
    client, submitted, people
):
    from reports.results.services import results_compute

    appraise_all(submitted, people)
    Score.objects.filter(assessment=submitted, criterion__source=Source.SURVEY).update(survey_value=1)
    results_compute(round=submitted.round)
    own = set(
        FieldAppraisal.objects.filter(assessment=submitted, owner__code="STP").values_list(
            "field__code", flat=True
        )
    )

    rows, total = sheet(client, people["coordinator"], submitted)
    fields = {r[0] for r in rows if "." not in r[0]}
    assert own < fields  # the coordinator reads every field …
    assert total[7] is not None and any(r[3] is not None for r in rows)  # … the index and the survey scores

    rows, total = sheet(client, people["stp"], submitted)
    assert {r[0] for r in rows if "." not in r[0]} == own
    assert all(r[0].split(".")[0] in own for r in rows)
    assert any(r[4] is not None for r in rows) and any(r[5] is not None for r in rows)  # self, appraised
    assert all(r[3] is None and r[6] is None and r[7] is None for r in rows)  # no survey, achieved, component
    assert total[6] is None and total[7] is None and "Xếp loại" not in (total[1] or "")
    assert "xem sau khi công bố" in total[8]


def test_after_publication_the_appraiser_gets_the_full_sheet(
    client, submitted, people, django_capture_on_commit_callbacks
):
    appraise_all(submitted, people)
    Assessment.objects.filter(round=submitted.round).exclude(pk=submitted.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_publish(round=submitted.round, by=people["coordinator"])
    assert Assessment.objects.get(pk=submitted.pk).state == AssessmentState.PUBLISHED
    coordinator_rows, coordinator_total = sheet(client, people["coordinator"], submitted)
    rows, total = sheet(client, people["stp"], submitted)
    assert [r[:8] for r in rows] == [r[:8] for r in coordinator_rows]
    assert total[7] is not None and total[7] == coordinator_total[7]
    assert any(r[7] is not None for r in rows)  # component indices
