"""Demo data of ``setup_portal --demo`` (issue 6 item 8; ``assessments.demo``): published past rounds with results,
the year's round in progress, the same numbers on every run, nothing duplicated by a second run."""

import io
from decimal import Decimal
from statistics import mean

import pytest
from django.core.management import call_command

from assessments.demo import DEMO_MARK, demo_data_load, valid_points
from assessments.models import Assessment, AssessmentRound, FieldAppraisal, PartState, Score
from assessments.selectors.appraisal import publication_problems
from assessments.services.rounds import units_in_year
from assessments.services.scoring import score_save_self
from assessments.services.scoring import self_points as _self_points
from criteria.models import EXTRA_KINDS, CriteriaSet, Kind, Source
from reports.models import ComponentResult, Result
from units.models import Membership, Role, UnitGroup

YEAR = 2026
SHIPPED = ("SO", "DVSN", "TW", "HUYEN", "XA")  # XA: the communes, on the districts' sets in 2024


@pytest.fixture
def demo(setup_portal):
    return setup_portal(year=YEAR, demo=True)


def _counts() -> dict:
    return {
        m.__name__: m.objects.count()
        for m in (AssessmentRound, CriteriaSet, Assessment, Score, FieldAppraisal, Result, ComponentResult)
    }


def _indices(year: int) -> dict[str, Decimal]:
    return dict(Result.objects.filter(round__year=year).values_list("unit__code", "par_index"))


def test_past_rounds_are_published_with_a_ranked_graded_result_per_unit(demo):
    assert "Dữ liệu mẫu: đã tạo đợt 2024, 2025" in demo
    for year in (YEAR - 2, YEAR - 1):
        rnd = AssessmentRound.objects.get(year=year)
        assert rnd.state == "published" and DEMO_MARK in rnd.name
        assert set(rnd.assessments.values_list("state", flat=True)) == {"published"}
        assert set(CriteriaSet.objects.filter(year=year).values_list("group__code", flat=True)) == set(
            SHIPPED
        )
        assert all(s.is_frozen for s in CriteriaSet.objects.filter(year=year))
        for code in SHIPPED:
            results = list(Result.objects.filter(round=rnd, group__code=code))
            units = units_in_year(UnitGroup.objects.get(code=code).pk, year)  # the map of 31/12 of the year
            assert sorted(r.unit_id for r in results) == sorted(units.values_list("pk", flat=True)), (
                year,
                code,
            )
            assert all(Decimal(40) <= r.par_index <= Decimal(100) for r in results), (year, code)
            assert all(r.grade and not r.provisional for r in results)
            # competition ranking (004): 1 + the units with a higher index, ties sharing a place (1, 2, 2, 4)
            assert all(r.rank == 1 + sum(o.par_index > r.par_index for o in results) for r in results), (
                year,
                code,
            )
        assert (
            not FieldAppraisal.objects.filter(assessment__round=rnd).exclude(state=PartState.FINAL).exists()
        )
        assert Score.objects.filter(
            assessment__round=rnd, self_not_applicable=True, na_accepted=True
        ).exists()
    assert mean(_indices(YEAR - 1).values()) > mean(_indices(YEAR - 2).values())


def test_the_demo_rounds_follow_the_real_calendar(demo):
    """2024 on the old map (the 19 departments, the 11 districts); 2025 and 2026 on the new one (the departments
    after the mergers of 1 March 2025, no district after 30 June 2025)."""

    def assessed(year, group):
        return set(
            Assessment.objects.filter(round__year=year, unit__group__code=group).values_list(
                "unit__code", flat=True
            )
        )

    assert (
        len(assessed(2024, "SO")) == 19
        and len(assessed(2024, "HUYEN")) == 11
        and "SKHDT" in assessed(2024, "SO")
    )
    for year in (2025, 2026):
        assert not assessed(year, "HUYEN"), year
        so = assessed(year, "SO")
        assert len(so) == 14 and {"SNNMT", "SDTTG"} <= so and not {"SKHDT", "BDT"} & so, year
    # the 2024 results stay with the units assessed, under the names they had
    assert Result.objects.filter(round__year=2024, unit__code="BDT", unit__name="Ban Dân tộc").exists()


def test_demo_scores_are_values_their_leaves_accept(demo):
    scores = Score.objects.filter(assessment__round__year__in=[YEAR - 2, YEAR - 1]).select_related(
        "criterion"
    )
    for s in scores:
        leaf = s.criterion
        if leaf.source == Source.SURVEY:
            assert s.self_value is None and s.appraised_value is None
            assert Decimal(0) <= s.survey_value <= leaf.max_points, leaf.code
        elif s.self_not_applicable:
            assert s.na_accepted is True and s.appraised_value is None and DEMO_MARK in s.note
        elif leaf.kind in EXTRA_KINDS:
            assert s.appraised_value is None
        else:
            for value, option, num, den in (
                (s.appraised_value, s.appraised_option, s.appraised_numerator, s.appraised_denominator),
                (s.self_value, s.self_option, s.numerator, s.denominator),
            ):
                points, label, *_ = _self_points(
                    leaf, value=value, option=option, numerator=num, denominator=den
                )
                assert points == value and value in valid_points(leaf), leaf.code
                assert (label == option) if leaf.kind == Kind.OPTIONS else not option
                assert (num is not None) == (leaf.kind == Kind.RATIO)


def test_current_round_waits_only_for_the_demo_unit_and_the_demo_officer_can_still_score(
    demo, django_user_model
):
    # Issue 12 item 11: every unit but the demo officer's is appraised, so the demo accounts can finish the round
    # (tests/test_demo_cycle.py); a unit left half-way by nobody would block its publication for ever.
    rnd = AssessmentRound.objects.get(year=YEAR)
    assert rnd.state == "open" and DEMO_MARK in rnd.name
    states = list(rnd.assessments.values_list("state", flat=True))
    assert states.count("appraised") == len(states) - 1 and states.count("draft") == 1
    sct = Assessment.objects.get(round=rnd, unit__code="SCT")
    assert sct.state == "draft" and not sct.scores.exclude(self_value=None).exists()
    parts = FieldAppraisal.objects.filter(assessment__round=rnd)
    assert set(parts.values_list("state", flat=True)) == {PartState.FINAL}
    # Every agency owning a part has a demo appraiser.
    owners = set(parts.values_list("owner__code", flat=True))
    # Sở Thông tin và Truyền thông merged into Sở Khoa học và Công nghệ on 1 March 2025: its fields are SKHCN's
    assert owners == {"SNV", "STP", "VPUBND", "STC", "SKHCN"}
    assert owners <= set(Membership.objects.filter(role=Role.APPRAISER).values_list("unit__code", flat=True))
    problems = publication_problems(rnd)
    assert len(problems) == 1 and "Sở Công Thương" in problems[0]
    submitted = Assessment.objects.filter(round=rnd).exclude(state="draft")
    assert not Score.objects.filter(
        assessment__in=submitted,
        criterion__source=Source.APPRAISAL,
        self_value=None,
        self_not_applicable=False,
    ).exists()
    assert Result.objects.filter(round=rnd, provisional=True).count() == len(states)
    leaf = sct.scores.filter(criterion__kind=Kind.OPTIONS).order_by("criterion__order").first().criterion
    officer = django_user_model.objects.get(username="canbo")
    score = score_save_self(
        assessment=sct, criterion=leaf, by=officer, expected_version=0, option=leaf.scale[0]["label"]
    )
    assert score.self_value == Decimal(leaf.scale[0]["points"])


def test_running_it_again_changes_nothing_and_the_numbers_do_not_depend_on_the_run(demo, django_user_model):
    before, indices = _counts(), {y: _indices(y) for y in (YEAR - 2, YEAR - 1, YEAR)}
    again = io.StringIO()
    call_command("setup_portal", "--demo", year=YEAR, stdout=again)
    assert "Dữ liệu mẫu: đợt 2024, 2025 đã có, giữ nguyên; đợt 2026: giữ nguyên" in again.getvalue()
    assert _counts() == before
    # Made again from scratch, the past rounds get the same figures (seeded per unit and year).
    AssessmentRound.objects.filter(year__in=[YEAR - 2, YEAR - 1]).delete()
    summary = demo_data_load(YEAR, by=django_user_model.objects.get(username="dieuphoi"))
    assert summary.created == [YEAR - 2, YEAR - 1] and summary.sets_imported == 0
    assert {y: _indices(y) for y in (YEAR - 2, YEAR - 1, YEAR)} == indices


def test_no_demo_data_without_demo(db):
    call_command("setup_portal", year=YEAR, stdout=io.StringIO())
    assert not AssessmentRound.objects.exists()
    assert set(CriteriaSet.objects.values_list("year", flat=True)) == {YEAR}
