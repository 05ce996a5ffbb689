"""Fixtures of the reports tests: small criteria sets built in the test, rounds, assessments and score rows made
directly through the ORM (the appraisal and survey services are not needed to test the computation)."""

import datetime
from decimal import Decimal

import pytest

from assessments.models import Assessment, AssessmentRound, RoundSet, RoundState, Score
from assessments.services.rounds import blank_scores
from criteria.models import CriteriaSet, Criterion, GradeBand
from units.models import Unit, UnitGroup

D = Decimal

#: The small set of test_computation (20 points): (code, max points, source, kind); parents have no source.
MINI_SET = (
    ("1", 6, "", ""),
    ("1.1", 2, "appraisal", "options"),
    ("1.2", 2, "appraisal", "range"),
    ("1.3", 2, "survey", ""),
    ("1.4", 3, "appraisal", "bonus"),
    ("2", 4, "", ""),
    ("2.1", 3, "", ""),
    ("2.1.1", 1, "appraisal", "yes_no"),
    ("2.1.2", 2, "appraisal", "range"),
    ("2.2", 1, "survey", ""),
    ("2.3", 3, "appraisal", "penalty"),
    ("3", 10, "", ""),
    ("3.1", 4, "appraisal", "range"),
    ("3.2", 2, "appraisal", "ratio"),
    ("3.3", 4, "survey", ""),
    ("3.4", 2, "appraisal", "bonus"),
)


def build_set(
    group_code: str, spec, *, year: int = 2026, bonus_cap=0, penalty_cap=0, bands=None
) -> CriteriaSet:
    """A criteria set of ``group_code`` from ``spec`` ((code, max, source, kind) in print order), with ``bands``
    ((code, min %) — none: the set has no bands of its own)."""
    cset = CriteriaSet.objects.create(
        group=UnitGroup.objects.get(code=group_code),
        year=year,
        name=f"Bộ chỉ số thử {group_code} {year}",
        bonus_cap=D(bonus_cap),
        penalty_cap=D(penalty_cap),
    )
    nodes = {}
    for order, (code, points, source, kind) in enumerate(spec, start=1):
        parent = nodes.get(code.rpartition(".")[0])
        nodes[code] = Criterion.objects.create(
            criteria_set=cset,
            parent=parent,
            level=code.count(".") + 1,
            code=code,
            order=order,
            title=f"Tiêu chí {code}",
            max_points=D(points),
            source=source,
            kind=kind,
        )
    for code, minimum in bands or ():
        GradeBand.objects.create(criteria_set=cset, code=code, label=code, min_percent=D(minimum))
    return cset


def make_round(sets, *, year: int = 2026, state=RoundState.OPEN) -> AssessmentRound:
    """A round of ``year`` in ``state`` using ``sets`` (one per group)."""
    day = datetime.date(year, 3, 1)
    rnd = AssessmentRound.objects.create(
        year=year,
        name=f"Đợt {year}",
        state=state,
        opens_on=day,
        self_assessment_deadline=day,
        appraisal_1_deadline=day,
        explanation_deadline=day,
        appraisal_2_deadline=day,
        publication_date=day,
    )
    for cset in sets:
        RoundSet.objects.create(round=rnd, group=cset.group, criteria_set=cset)
    return rnd


def add_assessment(rnd: AssessmentRound, unit: Unit, cset: CriteriaSet) -> Assessment:
    """The unit's assessment with an empty score row per leaf (as opening a round makes them)."""
    assessment = Assessment.objects.create(round=rnd, unit=unit, criteria_set=cset)
    Score.objects.bulk_create(blank_scores([assessment], cset.pk))
    return assessment


def put(assessment: Assessment, code: str, **values) -> None:
    """Set fields of the score row of leaf ``code``, e.g. ``put(a, "1.1", appraised_value=D("2"))``."""
    assert Score.objects.filter(assessment=assessment, criterion__code=code).update(**values) == 1, code


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


@pytest.fixture
def mini_set(units):
    """MINI_SET for the departments (SO): 20 points, bonus cap 1, penalty cap 2, default bands (none stored)."""
    return build_set("SO", MINI_SET, bonus_cap=1, penalty_cap=2)
