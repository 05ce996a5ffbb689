"""The computation on the province's real departments' set (fixtures/criteria/SO.xlsx: 8 fields, 98 leaves on
two and three levels; 63 appraisal and 37 survey points — shared/DESIGN.md §2)."""

from decimal import Decimal

import pytest
from django.db.models import OuterRef, Subquery

from assessments.models import Score
from criteria.models import Criterion, Source
from criteria.services import criteria_set_import
from reports.models import ComponentResult, Result
from reports.results.services import results_compute
from units.models import UnitGroup
from units.services import system_user

from .conftest import add_assessment, make_round, unit

#: Each score row's leaf maximum (an UPDATE cannot follow a join).
LEAF_MAX = Subquery(Criterion.objects.filter(pk=OuterRef("criterion_id")).values("max_points"))


@pytest.fixture
def so_set(units):
    with open("fixtures/criteria/SO.xlsx", "rb") as fh:
        return criteria_set_import(
            group=UnitGroup.objects.get(code="SO"), year=2026, data=fh.read(), by=system_user()
        )


def test_every_leaf_at_its_max_gives_100_in_every_field(so_set):
    rnd = make_round([so_set])
    a = add_assessment(rnd, unit("SCT"), so_set)
    scores = Score.objects.filter(assessment=a)
    scores.filter(criterion__source=Source.APPRAISAL).update(appraised_value=LEAF_MAX)
    scores.filter(criterion__source=Source.SURVEY).update(survey_value=LEAF_MAX)
    results_compute(round=rnd)
    result = Result.objects.get(assessment=a)
    assert (result.total, result.applicable_max, result.par_index, result.grade) == (
        Decimal(100),
        Decimal(100),
        Decimal("100.00"),
        "A",
    )
    fields = {c.field.code: c for c in ComponentResult.objects.filter(result=result).select_related("field")}
    assert sorted(fields) == ["1", "2", "3", "4", "5", "6", "7", "8"]
    for (
        component
    ) in fields.values():  # each field's leaves, found from their codes, add up to the field's max
        assert (component.achieved, component.applicable_max, component.index_percent) == (
            component.field.max_points,
            component.field.max_points,
            Decimal("100.00"),
        )


def test_without_survey_results_a_department_keeps_its_63_appraisal_points(so_set):
    rnd = make_round([so_set])
    a = add_assessment(rnd, unit("SCT"), so_set)
    Score.objects.filter(assessment=a, criterion__source=Source.APPRAISAL).update(
        appraised_value=LEAF_MAX, self_value=0
    )
    results_compute(round=rnd)
    result = Result.objects.get(assessment=a)
    assert (result.total, result.applicable_max, result.par_index, result.grade) == (
        Decimal(63),
        Decimal(100),
        Decimal("63.00"),
        "D",
    )
