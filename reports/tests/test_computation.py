"""results_compute against examples computed by hand (shared/DESIGN.md §5; issue 6 item 1).

The set is MINI_SET (conftest): 20 points in three fields, bonus leaves 1.4 (max 3) and 3.4 (max 2) with a
bonus cap of 1, penalty leaf 2.3 (max 3) with a penalty cap of 2, default bands (A ≥ 90, B ≥ 80, C ≥ 70, D).

    field 1 (6):  1.1 options 2 · 1.2 range 2 · 1.3 survey 2              (+ 1.4 bonus 3)
    field 2 (4):  2.1.1 yes/no 1 · 2.1.2 range 2 · 2.2 survey 1          (+ 2.3 penalty 3)
    field 3 (10): 3.1 range 4 · 3.2 ratio 2 · 3.3 survey 4               (+ 3.4 bonus 2)
"""

from decimal import Decimal

import pytest
from django.db import connection

from assessments.models import RoundState, Score
from reports.models import ComponentResult, Result
from reports.results.services import results_compute
from units.models import Unit, UnitGroup

from .conftest import add_assessment, build_set, make_round, put, unit

D = Decimal


def components(result: Result) -> dict[str, tuple]:
    """{field code: (achieved, applicable max, index %)} of a result."""
    return {
        c.field.code: (c.achieved, c.applicable_max, c.index_percent)
        for c in ComponentResult.objects.filter(result=result).select_related("field")
    }


@pytest.fixture
def round_2026(mini_set):
    """The open round with three departments: SCT scored as in the module's example, STP untouched (nothing
    appraised, no survey result), STC appraised at every leaf's max but without survey results."""
    rnd = make_round([mini_set])
    sct, stp, stc = (add_assessment(rnd, unit(code), mini_set) for code in ("SCT", "STP", "STC"))
    # SCT. Self scores are all at the leaf's max and must not count anywhere.
    for code, points in (("1.1", 2), ("1.2", 2), ("2.1.1", 1), ("2.1.2", 2), ("3.1", 4), ("3.2", 2)):
        put(sct, code, self_value=D(points))
    put(sct, "1.1", appraised_value=D("2"))
    put(sct, "1.2", appraised_value=D("1.25"))
    put(sct, "1.3", survey_value=D("1.5"))
    put(sct, "1.4", appraised_value=D("1.5"))  # bonus
    put(sct, "2.1.1", appraised_value=D("1"))
    put(sct, "2.1.2", self_not_applicable=True, na_accepted=True)  # N/A accepted: out of sum and max
    put(sct, "2.2", survey_value=D("0.75"))
    put(sct, "2.3", appraised_value=D("2.5"))  # penalty
    put(
        sct,
        "3.1",
        self_not_applicable=True,
        na_accepted=False,  # N/A refused: counts as any leaf
        appraised_value=D("3"),
    )
    put(sct, "3.2", appraised_value=D("1"))
    put(sct, "3.3", survey_value=D("3.2"))
    put(sct, "3.4", appraised_value=D("0.5"))  # bonus
    # STC: every appraisal leaf appraised at its max, no survey result, no bonus or penalty.
    for code, points in (("1.1", 2), ("1.2", 2), ("2.1.1", 1), ("2.1.2", 2), ("3.1", 4), ("3.2", 2)):
        put(stc, code, appraised_value=D(points))
    return rnd


def test_it_computes_the_worked_example(round_2026):
    assert results_compute(round=round_2026) == 3
    sct = Result.objects.get(round=round_2026, unit__code="SCT")
    # field 1: 2 + 1.25 + 1.5 (survey) = 4.75 of 6 → 79.1666… → 79.17 %
    # field 2: 1 + 0.75 (survey) = 1.75 of 1 + 1 = 2 (2.1.2 is N/A: its 2 points leave the max) → 87.50 %
    # field 3: 3 (refused N/A counts) + 1 + 3.2 (survey) = 7.2 of 10 → 72.00 %
    assert components(sct) == {
        "1": (D("4.75"), D("6"), D("79.17")),
        "2": (D("1.75"), D("2"), D("87.50")),
        "3": (D("7.20"), D("10"), D("72.00")),
    }
    # Σ achieved 4.75 + 1.75 + 7.2 = 13.70 of 6 + 2 + 10 = 18
    # bonus 1.5 + 0.5 = 2 → capped at 1; penalty 2.5 → capped at 2
    # total 13.70 + 1 − 2 = 12.70; index 12.70 / 18 × 100 = 70.5555… → 70.56 % → C
    assert (sct.achieved, sct.bonus, sct.penalty, sct.total, sct.applicable_max) == (
        D("13.70"),
        D("1"),
        D("2"),
        D("12.70"),
        D("18"),
    )
    assert sct.par_index == D("70.56")
    assert sct.grade == "C"


def test_the_self_score_never_counts(round_2026):
    results_compute(round=round_2026)
    before = Result.objects.get(round=round_2026, unit__code="SCT").par_index
    Score.objects.filter(assessment__unit__code="SCT").update(self_value=D("0"))
    results_compute(round=round_2026)
    assert Result.objects.get(round=round_2026, unit__code="SCT").par_index == before == D("70.56")


def test_a_unit_with_nothing_appraised_gets_zero_and_grade_d(round_2026):
    results_compute(round=round_2026)
    stp = Result.objects.get(round=round_2026, unit__code="STP")
    # Nothing is N/A, so the max is the whole set's 20 points; no bonus, no penalty.
    assert (stp.achieved, stp.bonus, stp.penalty, stp.total, stp.applicable_max) == (
        D("0"),
        D("0"),
        D("0"),
        D("0"),
        D("20"),
    )
    assert (stp.par_index, stp.grade, stp.rank) == (D("0"), "D", 3)
    assert components(stp) == {
        "1": (D("0"), D("6"), D("0")),
        "2": (D("0"), D("4"), D("0")),
        "3": (D("0"), D("10"), D("0")),
    }


def test_a_unit_without_survey_results_scores_zero_on_survey_leaves(round_2026):
    results_compute(round=round_2026)
    stc = Result.objects.get(round=round_2026, unit__code="STC")
    # field 1: 2 + 2 of 6 → 66.67 %; field 2: 1 + 2 of 4 → 75 %; field 3: 4 + 2 of 10 → 60 %
    # total 4 + 3 + 6 = 13 of 20 (survey leaves stay in the max) → 65.00 % → D
    assert components(stc) == {
        "1": (D("4"), D("6"), D("66.67")),
        "2": (D("3"), D("4"), D("75.00")),
        "3": (D("6"), D("10"), D("60.00")),
    }
    assert (stc.total, stc.applicable_max, stc.par_index, stc.grade) == (D("13"), D("20"), D("65.00"), "D")


def test_bonus_and_penalty_are_capped_over_the_whole_set(round_2026):
    sct = Score.objects.filter(assessment__unit__code="SCT")
    sct.filter(criterion__code="1.4").update(appraised_value=D("0.25"))
    sct.filter(criterion__code="3.4").update(appraised_value=D("0.5"))
    sct.filter(criterion__code="2.3").update(appraised_value=D("1.75"))
    results_compute(round=round_2026)
    result = Result.objects.get(round=round_2026, unit__code="SCT")
    # bonus 0.25 + 0.5 = 0.75 ≤ cap 1; penalty 1.75 ≤ cap 2 → total 13.70 + 0.75 − 1.75 = 12.70 (same index)
    assert (result.bonus, result.penalty, result.total) == (D("0.75"), D("1.75"), D("12.70"))
    # Bonus and penalty change the total only: the component indices are those of the worked example.
    assert [v[2] for v in components(result).values()] == [D("79.17"), D("87.50"), D("72.00")]


def test_the_total_never_falls_below_zero(round_2026):
    results_compute(round=round_2026)
    # STP has nothing achieved; a penalty of 3 is capped at 2 and 0 − 2 is floored at 0.
    Score.objects.filter(assessment__unit__code="STP", criterion__code="2.3").update(appraised_value=D("3"))
    results_compute(round=round_2026)
    stp = Result.objects.get(round=round_2026, unit__code="STP")
    assert (stp.penalty, stp.total, stp.par_index) == (D("2"), D("0"), D("0"))


def test_a_bonus_leaf_claimed_not_applicable_and_accepted_adds_nothing(round_2026):
    put(round_2026.assessments.get(unit__code="SCT"), "1.4", self_not_applicable=True, na_accepted=True)
    results_compute(round=round_2026)
    # bonus 0.5 (3.4 only) ≤ cap 1: total 13.70 + 0.5 − 2 = 12.20 of 18 → 67.777… → 67.78 % → D
    result = Result.objects.get(round=round_2026, unit__code="SCT")
    assert (result.bonus, result.total, result.par_index, result.grade) == (
        D("0.5"),
        D("12.20"),
        D("67.78"),
        "D",
    )


def test_ranks_follow_the_index(round_2026):
    results_compute(round=round_2026)
    ranks = dict(Result.objects.filter(round=round_2026).values_list("unit__code", "rank"))
    assert ranks == {"SCT": 1, "STC": 2, "STP": 3}  # 70.56, 65.00, 0


def test_a_recompute_follows_score_changes_and_keeps_the_rows(round_2026):
    results_compute(round=round_2026)
    ids = set(Result.objects.values_list("pk", flat=True))
    component_ids = set(ComponentResult.objects.values_list("pk", flat=True))
    # STP gets every survey leaf at its max: 2 + 1 + 4 = 7 of 20 → 35.00 %
    for code, points in (("1.3", 2), ("2.2", 1), ("3.3", 4)):
        Score.objects.filter(assessment__unit__code="STP", criterion__code=code).update(
            survey_value=D(points)
        )
    assert results_compute(round=round_2026) == 3
    stp = Result.objects.get(round=round_2026, unit__code="STP")
    assert (stp.total, stp.par_index, stp.rank) == (D("7"), D("35.00"), 3)
    assert components(stp)["3"] == (D("4"), D("10"), D("40.00"))
    assert set(Result.objects.values_list("pk", flat=True)) == ids
    assert set(ComponentResult.objects.values_list("pk", flat=True)) == component_ids
    # and every appraisal leaf at its max: 7 + 13 = 20 of 20 → 100.00 %, first; the others move down a rank.
    for code, points in (("1.1", 2), ("1.2", 2), ("2.1.1", 1), ("2.1.2", 2), ("3.1", 4), ("3.2", 2)):
        Score.objects.filter(assessment__unit__code="STP", criterion__code=code).update(
            appraised_value=D(points)
        )
    results_compute(round=round_2026)
    assert sorted(Result.objects.values_list("unit__code", "par_index", "grade", "rank")) == [
        ("SCT", D("70.56"), "C", 2),
        ("STC", D("65.00"), "D", 3),
        ("STP", D("100.00"), "A", 1),
    ]


def test_results_are_provisional_until_the_round_is_published(round_2026):
    results_compute(round=round_2026)
    assert set(Result.objects.values_list("provisional", flat=True)) == {True}
    round_2026.state = RoundState.PUBLISHED
    round_2026.save(update_fields=["state"])
    results_compute(round=round_2026)
    assert set(Result.objects.values_list("provisional", flat=True)) == {False}


def test_rounds_are_computed_separately(round_2026, units):
    other_set = build_set("SO", (("1", 4, "", ""), ("1.1", 4, "appraisal", "range")), year=2025)
    older = make_round([other_set], year=2025)
    add_assessment(older, unit("SCT"), other_set)
    results_compute(round=round_2026)
    assert not Result.objects.filter(round=older).exists()
    results_compute(round=older)
    assert Result.objects.filter(round=round_2026).count() == 3
    assert Result.objects.get(round=older).par_index == D("0")


def test_each_group_is_ranked_with_its_own_set(round_2026, units):
    # A public service unit (DVSN) with a one-leaf set appraised at 1 of 4 → 25.00 %, rank 1 in its group.
    dvsn_set = build_set(
        "DVSN", (("1", 4, "", ""), ("1.1", 4, "appraisal", "range")), bands=(("Tốt", 20), ("Yếu", 0))
    )
    round_2026.round_sets.create(group=dvsn_set.group, criteria_set=dvsn_set)
    a = add_assessment(round_2026, unit("CDYT"), dvsn_set)
    put(a, "1.1", appraised_value=D("1"))
    assert results_compute(round=round_2026) == 4
    result = Result.objects.get(assessment=a)
    assert (result.par_index, result.grade, result.rank, result.group.code) == (D("25.00"), "Tốt", 1, "DVSN")
    assert Result.objects.get(round=round_2026, unit__code="SCT").rank == 1


def test_a_round_without_assessments_has_no_results(mini_set):
    assert results_compute(round=make_round([mini_set])) == 0
    assert not Result.objects.exists()


def _units(n: int, group_code: str = "SO") -> list[Unit]:
    group = UnitGroup.objects.get(code=group_code)
    return Unit.objects.bulk_create(
        [Unit(code=f"T{n}-{i}", name=f"Đơn vị thử {i}", group=group) for i in range(n)]
    )


@pytest.mark.parametrize("n", [3, 30])
def test_it_runs_a_constant_number_of_queries(n, mini_set, django_assert_num_queries, units):
    """Same number of queries for 3 and for 30 units (the counts are pinned, so both parameters check them)."""
    rnd = make_round([mini_set])
    assessments = []
    for i, u in enumerate(_units(n)):
        assessments.append(a := add_assessment(rnd, u, mini_set))
        put(a, "1.1", appraised_value=D(i % 3))
        put(a, "1.4", appraised_value=D("0.5"))
    pg = connection.vendor == "postgresql"  # + the transaction's settings and the pivot's statistics
    # The first computation: lock the round, its sets with their assessments' ids, their bands, their leaves, their
    # caps, the results' counts, new results (+ their statistics on PostgreSQL), the N/A leaves, the pivot, the
    # results to refigure, components (update, insert), results (figures, grades), ranks, drop the two temporary
    # tables; savepoint + release.
    with django_assert_num_queries(18 + 3 * pg):
        assert results_compute(round=rnd) == n
    # Nothing changed: the sums are read and compared, nothing is written.
    with django_assert_num_queries(13 + 2 * pg):
        assert results_compute(round=rnd) == n
    # Every unit changed: the results to refigure are all of them; no results or components to insert.
    for a in assessments:
        put(a, "1.2", appraised_value=D("0.5"))
    with django_assert_num_queries(17 + 2 * pg):
        assert results_compute(round=rnd) == n


@pytest.mark.django_db
def test_results_figured_by_older_rules_are_figured_again(round_2026, monkeypatch):
    """A recompute refigures only the results whose sums changed; the sums carry the rules' version, so results
    stored by an earlier version of the rules are all figured again."""
    results_compute(round=round_2026)
    sct = Result.objects.get(round=round_2026, unit__code="SCT")
    right = (sct.par_index, sct.grade, sct.rank)
    Result.objects.filter(pk=sct.pk).update(par_index=D("1"), grade="D", rank=3)  # as an old rule had it
    results_compute(round=round_2026)
    assert Result.objects.get(pk=sct.pk).par_index == D("1")  # same sums: not read again
    monkeypatch.setattr("reports.results.services.RULES_VERSION", "2")
    results_compute(round=round_2026)
    sct.refresh_from_db()
    assert (sct.par_index, sct.grade, sct.rank) == right
    assert sct.sums.startswith("2:")
