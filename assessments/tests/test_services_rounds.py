"""Rounds: creating one (dates, year, sets), who may, opening it (assessments per unit, score rows per leaf,
frozen sets) and changing it afterwards."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import Assessment, AssessmentRound, RoundSet, RoundState, Score
from assessments.services.rounds import round_create, round_open, round_update
from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_clone
from parindex.exceptions import InvalidTransition
from units.models import Unit, UnitGroup

NAME = "Đánh giá Chỉ số CCHC năm 2026"


@pytest.fixture
def so_group(units):
    return UnitGroup.objects.get(code="SO")


@pytest.fixture
def draft_round(so_set, so_group, coordinator, dates):
    return round_create(year=2026, name=NAME, sets={so_group: so_set}, by=coordinator, **dates)


def _rounds():
    return list(AssessmentRound.objects.values_list("year", "name", "state"))


# ---------------------------------------------------------------------------------------------- create


def test_it_creates_a_draft_round_with_its_sets(draft_round, so_set, so_group, coordinator, dates):
    rnd = AssessmentRound.objects.get(pk=draft_round.pk)
    assert (rnd.year, rnd.name, rnd.state) == (2026, NAME, RoundState.DRAFT)
    assert {f: getattr(rnd, f) for f in dates} == dates
    assert list(rnd.round_sets.values_list("group_id", "criteria_set_id")) == [(so_group.pk, so_set.pk)]
    assert not Assessment.objects.filter(round=rnd).exists()
    assert rnd.history.latest().history_user == coordinator
    # creating is not opening: the set can still be edited
    assert CriteriaSet.objects.get(pk=so_set.pk).frozen_at is None


@pytest.mark.parametrize(
    "field, earlier_than, words",
    [
        ("self_assessment_deadline", "opens_on", "Hạn tự đánh giá phải cùng ngày hoặc sau ngày mở"),
        (
            "appraisal_1_deadline",
            "self_assessment_deadline",
            "Hạn thẩm định vòng 1 phải cùng ngày hoặc sau hạn tự đánh giá",
        ),
        (
            "explanation_deadline",
            "appraisal_1_deadline",
            "Hạn giải trình phải cùng ngày hoặc sau hạn thẩm định vòng 1",
        ),
        ("appraisal_2_deadline", "explanation_deadline", "Hạn thẩm định vòng 2"),
        (
            "publication_date",
            "appraisal_2_deadline",
            "Ngày công bố phải cùng ngày hoặc sau hạn thẩm định vòng 2",
        ),
    ],
)
def test_it_rejects_dates_out_of_order_naming_the_field(
    so_set, so_group, coordinator, dates, field, earlier_than, words
):
    dates[field] = dates[earlier_than] - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        round_create(year=2026, name=NAME, sets={so_group: so_set}, by=coordinator, **dates)
    assert list(exc.value.message_dict) == [field]
    assert words in exc.value.message_dict[field][0]
    assert _rounds() == [] and not RoundSet.objects.exists()


def test_it_accepts_deadlines_on_the_same_day(so_set, so_group, coordinator, dates):
    same = {f: dates["opens_on"] for f in dates}
    rnd = round_create(year=2026, name=NAME, sets={so_group: so_set}, by=coordinator, **same)
    assert rnd.publication_date == rnd.opens_on


def test_it_rejects_a_second_round_in_the_same_year(draft_round, so_set, so_group, coordinator, dates):
    with pytest.raises(ValidationError, match="Năm 2026 đã có đợt đánh giá"):
        round_create(year=2026, name="Đợt khác", sets={so_group: so_set}, by=coordinator, **dates)
    assert _rounds() == [(2026, NAME, RoundState.DRAFT)]


def test_it_rejects_a_set_of_another_group(so_set, coordinator, dates, units):
    dvsn = UnitGroup.objects.get(code="DVSN")
    with pytest.raises(ValidationError) as exc:
        round_create(year=2026, name=NAME, sets={dvsn: so_set}, by=coordinator, **dates)
    assert "không thuộc nhóm" in exc.value.messages[0] and dvsn.name in exc.value.messages[0]
    assert _rounds() == [] and not RoundSet.objects.exists()


def test_it_lets_an_admin_manage_rounds(so_set, so_group, admin_user, dates):
    rnd = round_create(year=2026, name=NAME, sets={so_group: so_set}, by=admin_user, **dates)
    assert round_open(round=rnd, by=admin_user).state == RoundState.OPEN


@pytest.mark.parametrize(
    "role, unit",
    [("officer", "SCT"), ("head", "SCT"), ("appraiser", "SNV"), ("leader", "UBNDT"), (None, "SNV")],
)
def test_only_coordinator_and_admin_create_rounds(so_set, so_group, dates, make_user, role, unit):
    with pytest.raises(PermissionDenied, match="Sở Nội vụ"):
        round_create(year=2026, name=NAME, sets={so_group: so_set}, by=make_user(role, unit), **dates)
    assert _rounds() == []


def test_only_coordinator_and_admin_open_or_update_rounds(draft_round, officer, dates):
    with pytest.raises(PermissionDenied):
        round_open(round=draft_round, by=officer)
    with pytest.raises(PermissionDenied):
        round_update(round=draft_round, by=officer, name="Đổi tên")
    assert _rounds() == [(2026, NAME, RoundState.DRAFT)]
    assert not Assessment.objects.exists()


# ---------------------------------------------------------------------------------------------- open


def test_opening_creates_an_assessment_per_unit_of_the_year_and_a_score_per_leaf(
    draft_round, so_set, so_group, coordinator
):
    def unit(code):
        return Unit.objects.get(code=code)

    closed, ended, starts_later, ends_midyear = unit("STP"), unit("STC"), unit("SXD"), unit("SYT")
    closed.is_active = False
    closed.save()
    ended.valid_to = datetime.date(2025, 12, 31)  # merged away the year before the round
    ended.save()
    starts_later.valid_from = datetime.date(2027, 1, 1)
    starts_later.save()
    # closed during the round's year (merged on 1 July, say): not on the map of 31/12, so not assessed (issue 13)
    ends_midyear.valid_to = datetime.date(2026, 6, 30)
    ends_midyear.save()

    rnd = round_open(round=draft_round, by=coordinator)

    assert rnd.state == RoundState.OPEN and rnd.opened_by == coordinator and rnd.opened_at is not None
    expected_units = set(
        Unit.objects.filter(group=so_group, is_active=True).values_list("code", flat=True)
    ) - {"STC", "SXD", "SYT"}
    assessed = list(Assessment.objects.filter(round=rnd).values_list("unit__code", flat=True))
    assert len(assessed) == len(set(assessed))
    assert set(assessed) == expected_units
    assert "SCT" in set(assessed) and not {"STP", "STC", "SXD", "SYT"} & set(assessed)
    # groups without a set in the round (public service units, districts...) get nothing
    assert not Assessment.objects.exclude(unit__group=so_group).exists()
    assert set(Assessment.objects.values_list("criteria_set_id", flat=True)) == {so_set.pk}

    nodes = list(Criterion.objects.filter(criteria_set=so_set))
    leaves = {n.pk for n in nodes} - {n.parent_id for n in nodes}
    survey = {n.pk for n in nodes if n.source == "survey"}
    assert survey and survey <= leaves  # the set has survey leaves, and they get rows too
    for a in Assessment.objects.filter(round=rnd):
        rows = list(Score.objects.filter(assessment=a).values_list("criterion_id", "self_value", "version"))
        assert sorted(c for c, _, _ in rows) == sorted(leaves)
        assert {(v, ver) for _, v, ver in rows} == {(None, 0)}
    # every row knows where its points go in the computation: survey leaves below 0, the others by field
    fields = [n.pk for n in sorted(nodes, key=lambda n: n.order) if n.parent_id is None]
    parent = {n.pk: n.parent_id for n in nodes}

    def field_number(pk):
        while parent[pk]:
            pk = parent[pk]
        return fields.index(pk) + 1

    expected = {pk: (-1 if pk in survey else 1) * field_number(pk) for pk in leaves}
    extras = {n.pk for n in nodes if n.kind in ("bonus", "penalty")}
    slots = dict(
        Score.objects.filter(assessment__round=rnd, assessment__unit__code="SCT").values_list(
            "criterion_id", "slot"
        )
    )
    assert {pk: s for pk, s in slots.items() if pk not in extras} == {
        pk: s for pk, s in expected.items() if pk not in extras
    }
    assert CriteriaSet.objects.get(pk=so_set.pk).frozen_at is not None


def test_opening_twice_is_refused(draft_round, coordinator):
    round_open(round=draft_round, by=coordinator)
    counts = (Assessment.objects.count(), Score.objects.count())
    with pytest.raises(InvalidTransition, match="đã được mở"):
        round_open(round=draft_round, by=coordinator)
    assert (Assessment.objects.count(), Score.objects.count()) == counts


def test_a_round_without_sets_cannot_open(coordinator, dates, units):
    rnd = round_create(year=2026, name=NAME, sets={}, by=coordinator, **dates)
    with pytest.raises(InvalidTransition, match="chưa có bộ chỉ số"):
        round_open(round=rnd, by=coordinator)
    assert _rounds() == [(2026, NAME, RoundState.DRAFT)]
    assert not Assessment.objects.exists()


# ---------------------------------------------------------------------------------------------- update


def test_dates_can_change_after_opening_with_the_reason_in_history(open_round, coordinator, dates):
    later = dates["self_assessment_deadline"] + datetime.timedelta(days=5)
    reason = "Lùi hạn tự đánh giá theo Công văn số 123/SNV"
    round_update(round=open_round, by=coordinator, reason=reason, self_assessment_deadline=later)
    rnd = AssessmentRound.objects.get(pk=open_round.pk)
    assert rnd.self_assessment_deadline == later and rnd.state == RoundState.OPEN
    record = rnd.history.latest()
    assert (record.history_change_reason, record.history_user) == (reason, coordinator)
    assert record.prev_record.self_assessment_deadline == dates["self_assessment_deadline"]


def test_dates_out_of_order_are_refused_on_update(open_round, coordinator, dates):
    before = open_round.history.count()
    with pytest.raises(ValidationError) as exc:
        round_update(
            round=open_round,
            by=coordinator,
            reason="x",
            publication_date=dates["opens_on"] - datetime.timedelta(days=1),
        )
    assert "publication_date" in exc.value.message_dict
    rnd = AssessmentRound.objects.get(pk=open_round.pk)
    assert rnd.publication_date == dates["publication_date"] and rnd.history.count() == before


def test_sets_can_change_before_opening(draft_round, so_set, so_group, coordinator):
    clone = criteria_set_clone(source=so_set, year=2027, by=coordinator)
    round_update(round=draft_round, by=coordinator, sets={so_group: clone})
    assert list(draft_round.round_sets.values_list("criteria_set_id", flat=True)) == [clone.pk]


def test_changing_sets_after_opening_is_refused(open_round, so_set, so_group, coordinator, dates):
    clone = criteria_set_clone(source=so_set, year=2027, by=coordinator)
    with pytest.raises(InvalidTransition, match="không thể đổi bộ chỉ số"):
        round_update(
            round=open_round,
            by=coordinator,
            sets={so_group: clone},
            name="Tên mới",
            self_assessment_deadline=dates["self_assessment_deadline"] + datetime.timedelta(days=1),
        )
    rnd = AssessmentRound.objects.get(pk=open_round.pk)
    assert list(rnd.round_sets.values_list("criteria_set_id", flat=True)) == [so_set.pk]
    assert (rnd.name, rnd.self_assessment_deadline) == (NAME, dates["self_assessment_deadline"])
    assert set(Assessment.objects.values_list("criteria_set_id", flat=True)) == {so_set.pk}
