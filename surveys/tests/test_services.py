"""survey_score_set: who may, which leaves, which values, when, concurrency and history (issue 5 §2)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import AssessmentRound, Score
from criteria.models import Criterion
from parindex.exceptions import InvalidTransition, StaleEdit
from surveys.services import percent_to_points, survey_score_set

pytestmark = pytest.mark.django_db


def _set(score, value, by, version=None):
    return survey_score_set(
        assessment=score.assessment,
        criterion=score.criterion,
        value=value,
        by=by,
        expected_version=score.version if version is None else version,
    )


def _fresh(score) -> Score:
    return Score.objects.get(pk=score.pk)


def test_coordinator_sets_survey_points_with_history(survey_score, coordinator):
    saved = _set(survey_score, "0,75", coordinator)
    row = _fresh(survey_score)
    assert row.survey_value == Decimal("0.75")
    assert row.version == survey_score.version + 1 == saved.version
    assert row.updated_by == coordinator
    assert row.self_value is None
    record = row.history.latest()
    assert record.history_user == coordinator
    assert record.history_change_reason == "Nhập điểm điều tra XHH"
    assert record.survey_value == Decimal("0.75")


def test_admin_may_set_survey_points(survey_score, admin_user):
    _set(survey_score, Decimal("1"), admin_user)
    assert _fresh(survey_score).survey_value == Decimal("1")


@pytest.mark.parametrize("role", ["officer", "head", "leader", "appraiser"])
def test_other_roles_are_refused_and_nothing_is_stored(survey_score, make_user, role):
    user = make_user(role, "SCT")
    with pytest.raises(PermissionDenied):
        _set(survey_score, "1", user)
    row = _fresh(survey_score)
    assert row.survey_value is None and row.version == survey_score.version
    assert not row.history.exists()


def test_appraisal_leaf_is_refused(assessment, appraisal_leaf, coordinator):
    score = Score.objects.get(assessment=assessment, criterion=appraisal_leaf)
    with pytest.raises(ValidationError, match="tiêu chí thẩm định"):
        _set(Score.objects.select_related("assessment", "criterion").get(pk=score.pk), "1", coordinator)
    assert _fresh(score).survey_value is None


def test_leaf_of_another_set_is_not_found(assessment, coordinator, survey_leaves):
    from criteria.models import CriteriaSet
    from units.models import UnitGroup

    other_set = CriteriaSet.objects.create(
        group=UnitGroup.objects.exclude(pk=assessment.criteria_set.group_id).first(), year=2026, name="khác"
    )
    foreign = Criterion.objects.create(
        criteria_set=other_set, level=1, code="1", order=1, title="x", max_points=1, source="survey"
    )
    with pytest.raises(Score.DoesNotExist):
        survey_score_set(
            assessment=assessment, criterion=foreign, value="1", by=coordinator, expected_version=0
        )


@pytest.mark.parametrize(
    "value, message",
    [
        ("-0,5", "không được âm"),
        ("1,01", "vượt điểm tối đa"),
        ("0,125", "quá 2 chữ số"),
        ("abc", "không phải là số"),
    ],
)
def test_bad_values_are_refused(survey_score, coordinator, value, message):
    assert survey_score.criterion.max_points == Decimal("1")  # 1.8.1 of the departments' set
    with pytest.raises(ValidationError, match=message):
        _set(survey_score, value, coordinator)
    assert _fresh(survey_score).survey_value is None


def test_max_and_zero_are_accepted_and_blank_clears(survey_score, coordinator):
    score = _set(survey_score, "1", coordinator)
    assert _fresh(score).survey_value == Decimal("1")
    score = _set(score, "0", coordinator)
    assert _fresh(score).survey_value == Decimal("0")
    score = _set(score, "", coordinator)
    assert _fresh(score).survey_value is None
    assert score.version == 3


def test_stale_version_is_refused_with_the_current_value(survey_score, coordinator, admin_user):
    _set(survey_score, "0,5", admin_user)
    with pytest.raises(StaleEdit) as info:
        _set(survey_score, "0,25", coordinator, version=0)
    assert info.value.current.survey_value == Decimal("0.5")
    assert "0,5 điểm" in info.value.messages[0]
    assert _fresh(survey_score).survey_value == Decimal("0.5")


def test_published_round_is_locked(survey_score, coordinator, open_round):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    with pytest.raises(InvalidTransition, match="đã công bố"):
        _set(
            Score.objects.select_related("assessment", "criterion").get(pk=survey_score.pk), "1", coordinator
        )
    assert _fresh(survey_score).survey_value is None


def test_percent_to_points_rounds_half_up():
    assert percent_to_points(Decimal("87.5"), Decimal("2")) == Decimal("1.75")
    assert percent_to_points(Decimal("33.33"), Decimal("1.5")) == Decimal("0.50")  # 0.49995
    assert percent_to_points(Decimal("12.5"), Decimal("1.25")) == Decimal("0.16")  # 0.15625
    assert percent_to_points(Decimal("100"), Decimal("2.5")) == Decimal("2.5")
    assert percent_to_points(Decimal("0"), Decimal("2")) == Decimal("0")


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("0.333")])
def test_decimal_values_are_checked_too(survey_score, coordinator, value):
    with pytest.raises(ValidationError):
        _set(survey_score, value, coordinator)
    assert _fresh(survey_score).survey_value is None


def test_a_survey_score_change_shows_in_the_leaf_history(survey_score, coordinator):
    from assessments.selectors.scoring import leaf_history
    from criteria.scales import format_decimal

    half = survey_score.criterion.max_points  # any valid value; the max always is
    _set(survey_score, half, coordinator)
    entries = leaf_history(_fresh(survey_score))
    assert entries and entries[0].who == coordinator.username
    assert ("điểm điều tra XHH", "—", format_decimal(half)) in entries[0].changes


def test_a_survey_change_recomputes_the_units_result(
    survey_score, coordinator, django_capture_on_commit_callbacks
):
    """The unit's PAR Index snapshot follows its survey points (issue 5 item 5: survey totals feed the index)."""
    from django.core.cache import cache

    from reports.models import Result
    from reports.results.services import QUEUED_KEY

    cache.delete(QUEUED_KEY.format(survey_score.assessment.round_id, survey_score.assessment_id))
    with django_capture_on_commit_callbacks(execute=True):
        _set(survey_score, "0,75", coordinator)
    result = Result.objects.get(assessment=survey_score.assessment)
    assert result.achieved == Decimal("0.75")
    assert result.provisional
