"""Survey results on the unit's pages (issue 5 item 5 and its access rule): the coordinator sees them at any
time; the unit and leaders only once the round is published."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentState, RoundState, Score
from criteria.models import Source


@pytest.fixture
def with_survey(assessment):
    leaf = (
        Score.objects.filter(assessment=assessment, criterion__source=Source.SURVEY)
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )
    Score.objects.filter(pk=leaf.pk).update(survey_value=Decimal("0.75"))
    return leaf


def _publish(assessment):
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.PUBLISHED)
    type(assessment.round).objects.filter(pk=assessment.round_id).update(state=RoundState.PUBLISHED)


@pytest.mark.parametrize(
    "who, shown", [("officer", False), ("head", False), ("coordinator", True), ("admin_user", True)]
)
def test_survey_scores_before_publication(client, request, assessment, with_survey, who, shown):
    client.force_login(request.getfixturevalue(who))
    body = client.get(reverse("assessments:scoring", args=[assessment.pk])).content.decode()
    assert ('class="survey-value">0,75<' in body) is shown
    assert ('id="survey-total"' in body) is shown


@pytest.mark.parametrize("who", ["officer", "head", "leader"])
def test_survey_scores_after_publication(client, request, assessment, with_survey, make_user, who):
    _publish(assessment)
    user = make_user("leader", "UBNDT") if who == "leader" else request.getfixturevalue(who)
    client.force_login(user)
    body = client.get(reverse("assessments:scoring", args=[assessment.pk])).content.decode()
    assert 'class="survey-value">0,75<' in body
    assert 'id="survey-total"' in body and "0,75</strong> / 37" in body


def test_leaders_and_other_units_never_see_a_draft(client, assessment, with_survey, make_user, other_officer):
    client.force_login(make_user("leader", "UBNDT"))
    assert client.get(reverse("assessments:scoring", args=[assessment.pk])).status_code == 404
    client.force_login(other_officer)
    assert client.get(reverse("assessments:scoring", args=[assessment.pk])).status_code == 404
