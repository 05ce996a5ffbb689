"""API of self-assessments: the same rules as the pages, as JSON with 400/403/404/409 answers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import AssessmentState, Score


def _put(client, assessment, criterion, **body):
    return client.put(
        reverse("api-score-save", args=[assessment.pk, criterion.pk]), body, content_type="application/json"
    )


def test_officer_reads_and_saves_a_score(client, assessment, officer, leaf):
    client.force_login(officer)
    listing = client.get(reverse("api-assessment-list")).json()
    assert [a["unit"] for a in listing["results"]] == ["SCT"]
    rng = leaf("range")
    response = _put(client, assessment, rng, version=0, value=str(rng.max_points), note="đủ")
    assert response.status_code == 200, response.json()
    assert Decimal(response.json()["self_value"]) == rng.max_points and response.json()["version"] == 1
    detail = client.get(reverse("api-assessment-detail", args=[assessment.pk])).json()
    saved = next(s for s in detail["scores"] if s["code"] == rng.code)
    assert saved["note"] == "đủ" and saved["version"] == 1


def test_bad_value_is_400_with_the_message_and_nothing_stored(client, assessment, officer, leaf):
    client.force_login(officer)
    rng = leaf("range")
    response = _put(client, assessment, rng, version=0, value=str(rng.max_points + 1))
    assert response.status_code == 400 and "vượt điểm tối đa" in response.json()["detail"]
    assert Score.objects.get(assessment=assessment, criterion=rng).self_value is None


def test_stale_version_is_409_with_the_current_value(client, assessment, officer, make_user, leaf):
    rng = leaf("range")
    other = make_user("officer", "SCT")
    client.force_login(other)
    assert _put(client, assessment, rng, version=0, value="0").status_code == 200
    client.force_login(officer)
    response = _put(client, assessment, rng, version=0, value=str(rng.max_points))
    assert response.status_code == 409
    assert response.json()["current"]["self_value"] == "0.00" and response.json()["current"]["version"] == 1
    assert Score.objects.get(assessment=assessment, criterion=rng).self_value == 0


@pytest.mark.parametrize(
    "role,unit,status",
    [
        ("officer", "STP", 404),
        ("leader", "UBNDT", 404),
        ("appraiser", "STP", 404),
        ("coordinator", "SNV", 403),
    ],
)
def test_who_may_not_save(client, assessment, make_user, leaf, role, unit, status):
    client.force_login(make_user(role, unit))
    assert _put(client, assessment, leaf("range"), version=0, value="0").status_code == status
    assert not Score.objects.filter(assessment=assessment, self_value__isnull=False).exists()


def test_forged_criterion_is_404(client, assessment, officer, so_set):
    from criteria.models import Criterion

    client.force_login(officer)
    parent = Criterion.objects.filter(criteria_set=so_set, level=1).first()  # not a leaf: no score row
    response = client.put(
        reverse("api-score-save", args=[assessment.pk, parent.pk]),
        {"version": 0},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_submit_incomplete_lists_items_then_head_submits_and_withdraws(
    client, assessment, head, officer, leaf
):
    client.force_login(officer)
    assert client.post(reverse("api-assessment-submit", args=[assessment.pk])).status_code == 403
    client.force_login(head)
    response = client.post(reverse("api-assessment-submit", args=[assessment.pk]))
    assert response.status_code == 400
    items = response.json()["items"]
    assert items and all("chưa được chấm" in i["message"] for i in items)
    for score in Score.objects.filter(assessment=assessment, criterion__source="appraisal").select_related(
        "criterion"
    ):
        score.self_value = 0
        score.save()
    response = client.post(reverse("api-assessment-submit", args=[assessment.pk]))
    assert response.status_code == 200 and response.json()["state"] == AssessmentState.SUBMITTED
    assert client.post(reverse("api-assessment-submit", args=[assessment.pk])).status_code == 409
    response = client.post(reverse("api-assessment-withdraw", args=[assessment.pk]))
    assert response.status_code == 200 and response.json()["state"] == AssessmentState.DRAFT


def test_anonymous_is_refused(client, assessment):
    assert client.get(reverse("api-assessment-list")).status_code in (401, 403)
