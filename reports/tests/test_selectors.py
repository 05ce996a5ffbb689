"""Who sees which results (shared/DESIGN.md §7; issue 6): provisional results only for the coordinator and admins;
published ones for leaders, unit users and appraisers; nothing for users without a role."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from assessments.models import RoundState
from reports.models import Result
from reports.results.selectors import rankings, result_for
from reports.results.services import results_compute
from units.models import UnitGroup
from units.permissions import roles_of

from .conftest import add_assessment, build_set, make_round, put, unit

D = Decimal


@pytest.fixture
def rnd(mini_set):
    """An open round: SCT 2 survey points (10.00 %), STP and STC 1 each (5.00 %, tied), computed."""
    rnd = make_round([mini_set])
    for code, points in (("SCT", 2), ("STP", 1), ("STC", 1)):
        put(add_assessment(rnd, unit(code), mini_set), "1.3", survey_value=D(points))
    results_compute(round=rnd)
    return rnd


@pytest.fixture
def so():
    return UnitGroup.objects.get(code="SO")


def publish(rnd):
    rnd.state = RoundState.PUBLISHED
    rnd.save(update_fields=["state"])


def ranking(user, rnd, group) -> list[tuple[str, int]]:
    return [(r.unit.code, r.rank) for r in rankings(user=user, round=rnd, group=group)]


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_managers_see_provisional_results(role, rnd, so, make_user):
    user = make_user(role, "SNV")
    assert ranking(user, rnd, so) == [("SCT", 1), ("STC", 2), ("STP", 2)]
    result = result_for(user=user, assessment=rnd.assessments.get(unit__code="STP"))
    assert (result.par_index, result.provisional) == (D("5.00"), True)


def test_a_superuser_without_membership_sees_provisional_results(rnd, so, make_user):
    assert len(ranking(make_user(is_superuser=True), rnd, so)) == 3


@pytest.mark.parametrize(
    "role, unit_code", [("leader", "UBNDT"), ("officer", "SCT"), ("head", "SCT"), ("appraiser", "SNV")]
)
def test_readers_see_results_only_once_published(role, unit_code, rnd, so, make_user):
    user = make_user(role, unit_code)
    own = rnd.assessments.get(unit__code="SCT")
    assert ranking(user, rnd, so) == []
    with pytest.raises(Result.DoesNotExist):
        result_for(user=user, assessment=own)
    publish(rnd)
    assert ranking(user, rnd, so) == [("SCT", 1), ("STC", 2), ("STP", 2)]
    # Published results are the province's public figures: a unit sees the others' too.
    assert result_for(user=user, assessment=rnd.assessments.get(unit__code="STP")).par_index == D("5.00")


@pytest.mark.parametrize("outsider", ["no role", "anonymous"])
def test_outsiders_see_nothing_even_when_published(outsider, rnd, so, make_user):
    user = make_user() if outsider == "no role" else AnonymousUser()
    publish(rnd)
    assert ranking(user, rnd, so) == []
    with pytest.raises(Result.DoesNotExist):
        result_for(user=user, assessment=rnd.assessments.get(unit__code="SCT"))


def test_a_result_not_computed_yet_does_not_exist(rnd, mini_set, make_user):
    late = add_assessment(rnd, unit("SNV"), mini_set)
    with pytest.raises(Result.DoesNotExist):
        result_for(user=make_user("coordinator"), assessment=late)


def test_a_ranking_lists_one_group_and_one_round(rnd, so, make_user, units):
    dvsn = build_set("DVSN", (("1", 4, "", ""), ("1.1", 4, "appraisal", "range")))
    rnd.round_sets.create(group=dvsn.group, criteria_set=dvsn)
    add_assessment(rnd, unit("CDYT"), dvsn)
    other = make_round(
        [build_set("SO", (("1", 4, "", ""), ("1.1", 4, "appraisal", "range")), year=2025)], year=2025
    )
    add_assessment(other, unit("SCT"), other.round_sets.get().criteria_set)
    results_compute(round=rnd)
    results_compute(round=other)
    coordinator = make_user("coordinator")
    assert [code for code, _ in ranking(coordinator, rnd, so)] == ["SCT", "STC", "STP"]
    assert ranking(coordinator, rnd, dvsn.group) == [("CDYT", 1)]
    assert ranking(coordinator, other, so) == [("SCT", 1)]


def test_a_ranking_brings_its_components_in_two_queries(rnd, so, make_user, django_assert_num_queries):
    coordinator = make_user("coordinator")
    roles_of(coordinator)  # roles are read once per request (cached on the user); not what is measured here
    with django_assert_num_queries(2):
        rows = [
            (r.unit.code, r.group.code, [(c.field.code, c.index_percent) for c in r.components.all()])
            for r in rankings(user=coordinator, round=rnd, group=so)
        ]
    # SCT: 2 survey points of field 1's 6 → 33.33 %; fields 2 and 3 nothing.
    assert rows[0] == ("SCT", "SO", [("1", D("33.33")), ("2", D("0")), ("3", D("0"))])
    assert len(rows) == 3
