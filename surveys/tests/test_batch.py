"""survey_values_set: a row or page of the survey grid saved at once (issue 12 §8) — the single save's rule
per cell, valid cells saved while refused ones are reported, unchanged cells untouched, one recompute."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessments.models import AssessmentRound, Score
from parindex.exceptions import InvalidTransition
from surveys.services import REFUSED, SAVED, UNCHANGED, survey_score_set, survey_values_set
from units.models import UnitGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(assessment):
    return UnitGroup.objects.get(code="SO")


def _score(assessment, leaf) -> Score:
    return Score.objects.select_related("criterion").get(assessment=assessment, criterion=leaf)


def _key(score):
    return (score.assessment_id, score.criterion_id)


def _history(score) -> int:
    return Score.objects.get(pk=score.pk).history.count()


def test_valid_cells_are_saved_refused_ones_reported_unchanged_ones_untouched(
    open_round, group, assessment, survey_leaves, coordinator
):
    a, b, c, d = (_score(assessment, leaf) for leaf in survey_leaves[:4])
    assert a.criterion.max_points == Decimal("1")
    c = survey_score_set(
        assessment=assessment, criterion=c.criterion, value="0,5", by=coordinator, expected_version=0
    )
    histories = {s.pk: _history(s) for s in (a, b, c, d)}
    too_much = str(d.criterion.max_points + 1).replace(".", ",")
    result = survey_values_set(
        round=open_round,
        group=group,
        by=coordinator,
        values={
            _key(a): ("0,75", a.version),
            _key(b): ("abc", b.version),
            _key(c): ("0.5", c.version),
            _key(d): (too_much, d.version),
        },
    )
    states = {k: o.state for k, o in result.cells.items()}
    assert states == {_key(a): SAVED, _key(b): REFUSED, _key(c): UNCHANGED, _key(d): REFUSED}
    assert "không phải là số" in result.cells[_key(b)].message
    assert "vượt điểm tối đa" in result.cells[_key(d)].message
    assert result.summary == "Đã lưu 1 ô; 2 ô chưa lưu được (xem thông báo cạnh ô)."
    fresh = {s.pk: Score.objects.get(pk=s.pk) for s in (a, b, c, d)}
    assert fresh[a.pk].survey_value == Decimal("0.75") and fresh[a.pk].version == a.version + 1
    assert fresh[a.pk].updated_by == coordinator
    assert result.cells[_key(a)].score.survey_value == Decimal("0.75")
    assert fresh[b.pk].survey_value is None and fresh[d.pk].survey_value is None
    assert fresh[c.pk].survey_value == Decimal("0.5") and fresh[c.pk].version == c.version  # no new version
    # history rows only for the changed cell, with the single save's reason and user
    assert {pk: _history(s) - histories[pk] for pk, s in fresh.items()} == {
        a.pk: 1,
        b.pk: 0,
        c.pk: 0,
        d.pk: 0,
    }
    record = fresh[a.pk].history.latest()
    assert record.history_user == coordinator and record.history_change_reason == "Nhập điểm điều tra XHH"


def test_blank_clears_and_nothing_changed_saves_nothing(
    open_round, group, assessment, survey_leaves, coordinator
):
    a = survey_score_set(
        assessment=assessment, criterion=survey_leaves[0], value="1", by=coordinator, expected_version=0
    )
    b = _score(assessment, survey_leaves[1])
    result = survey_values_set(
        round=open_round,
        group=group,
        by=coordinator,
        values={_key(a): ("", a.version), _key(b): ("", b.version)},
    )
    assert [result.cells[_key(a)].state, result.cells[_key(b)].state] == [SAVED, UNCHANGED]
    assert Score.objects.get(pk=a.pk).survey_value is None
    again = survey_values_set(
        round=open_round, group=group, by=coordinator, values={_key(b): (" ", b.version)}
    )
    assert again.summary == "Không có thay đổi nào để lưu." and again.saved == 0


def test_a_cell_saved_by_someone_else_meanwhile_is_refused_with_the_current_value(
    open_round, group, assessment, survey_leaves, coordinator, admin_user
):
    a, b = (_score(assessment, leaf) for leaf in survey_leaves[:2])
    survey_score_set(
        assessment=assessment, criterion=a.criterion, value="0,25", by=admin_user, expected_version=0
    )
    result = survey_values_set(
        round=open_round, group=group, by=coordinator, values={_key(a): ("1", 0), _key(b): ("0,5", 0)}
    )
    outcome = result.cells[_key(a)]
    assert outcome.state == REFUSED and outcome.stale and "0,25 điểm" in outcome.message
    assert outcome.score.survey_value == Decimal("0.25")
    assert Score.objects.get(pk=a.pk).survey_value == Decimal("0.25")
    assert Score.objects.get(pk=b.pk).survey_value == Decimal("0.5")


def test_an_appraisal_leaf_in_the_batch_is_refused_alone(
    open_round, group, assessment, survey_leaves, appraisal_leaf, coordinator
):
    a, x = _score(assessment, survey_leaves[0]), _score(assessment, appraisal_leaf)
    result = survey_values_set(
        round=open_round, group=group, by=coordinator, values={_key(a): ("1", 0), _key(x): ("1", 0)}
    )
    assert result.cells[_key(x)].state == REFUSED and "tiêu chí thẩm định" in result.cells[_key(x)].message
    assert Score.objects.get(pk=x.pk).survey_value is None
    assert Score.objects.get(pk=a.pk).survey_value == Decimal("1")


@pytest.mark.parametrize("role", ["officer", "head", "leader", "appraiser", None])
def test_only_the_coordinator_and_admins_may(open_round, group, assessment, survey_leaves, make_user, role):
    a = _score(assessment, survey_leaves[0])
    with pytest.raises(PermissionDenied):
        survey_values_set(
            round=open_round, group=group, by=make_user(role, "SCT"), values={_key(a): ("1", 0)}
        )
    assert Score.objects.get(pk=a.pk).survey_value is None and not Score.objects.get(pk=a.pk).history.exists()


def test_admin_may(open_round, group, assessment, survey_leaves, admin_user):
    a = _score(assessment, survey_leaves[0])
    assert (
        survey_values_set(round=open_round, group=group, by=admin_user, values={_key(a): ("1", 0)}).saved == 1
    )


def test_published_round_stores_nothing(open_round, group, assessment, survey_leaves, coordinator):
    a = _score(assessment, survey_leaves[0])
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    with pytest.raises(InvalidTransition, match="đã công bố"):
        survey_values_set(round=open_round, group=group, by=coordinator, values={_key(a): ("1", 0)})
    assert Score.objects.get(pk=a.pk).survey_value is None


def test_a_cell_outside_the_groups_grid_stores_nothing(open_round, assessment, survey_leaves, coordinator):
    a = _score(assessment, survey_leaves[0])
    other = UnitGroup.objects.exclude(code="SO").first()
    with pytest.raises(Score.DoesNotExist):
        survey_values_set(round=open_round, group=other, by=coordinator, values={_key(a): ("1", 0)})
    b = _score(assessment, survey_leaves[1])
    with pytest.raises(Score.DoesNotExist):  # a valid cell with an unknown one: nothing is saved
        survey_values_set(
            round=open_round,
            group=UnitGroup.objects.get(code="SO"),
            by=coordinator,
            values={_key(b): ("1", 0), (assessment.pk, 999999): ("1", 0)},
        )
    assert Score.objects.get(pk=a.pk).survey_value is None and Score.objects.get(pk=b.pk).survey_value is None


def test_the_results_are_recomputed_once_per_batch(
    open_round, group, so_assessments, survey_leaves, coordinator, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from reports.models import Result
    from reports.results.services import QUEUED_KEY

    first, second = so_assessments[:2]
    cache.delete(QUEUED_KEY.format(open_round.pk, "all"))
    values = {(x.pk, leaf.pk): ("0,5", 0) for x in (first, second) for leaf in survey_leaves[:2]}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        survey_values_set(round=open_round, group=group, by=coordinator, values=values)
    assert len(callbacks) == 1
    for x in (first, second):
        assert Result.objects.get(assessment=x).achieved == Decimal("1")
