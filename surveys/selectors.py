"""Reads of survey scores: the grid of a unit group (units × survey leaves) and the rows of the
per-round template. Fixed numbers of queries whatever the number of units and leaves."""

from dataclasses import dataclass
from decimal import Decimal

from assessments.models import Assessment, AssessmentRound, RoundSet, Score
from criteria.models import Criterion, Source


@dataclass
class GridRow:
    """One unit: its assessment, one ``Score`` per survey leaf (aligned with ``Grid.leaves``; None when
    the row is missing) and ``total`` = Σ survey points entered (points)."""

    assessment: Assessment
    cells: list
    total: Decimal


@dataclass
class Grid:
    """The group's survey leaves (print order), their summed max (points) and one row per unit."""

    round_set: RoundSet
    leaves: list[Criterion]
    max_total: Decimal
    rows: list[GridRow]


def survey_grid(*, round: AssessmentRound, group_code: str) -> Grid:
    """Units of ``group_code`` in ``round`` × survey leaves of the group's set, with current values.
    Raises ``RoundSet.DoesNotExist`` when the group has no set in this round (views answer 404).
    Four queries."""
    round_set = RoundSet.objects.select_related("group", "criteria_set").get(round=round, group__code=group_code)
    leaves = list(Criterion.objects.filter(criteria_set=round_set.criteria_set, source=Source.SURVEY,
                                           children__isnull=True).order_by("order"))
    assessments = list(Assessment.objects.filter(round=round, unit__group=round_set.group)
                       .select_related("unit").order_by("unit__order", "unit__name"))
    by_id = {leaf.pk: leaf for leaf in leaves}
    scores = {}
    for s in Score.objects.filter(assessment__in=assessments, criterion__in=leaves):
        s.criterion = by_id[s.criterion_id]  # the cells name their leaf: no query per cell
        scores[(s.assessment_id, s.criterion_id)] = s
    rows = []
    for a in assessments:
        cells = [scores.get((a.pk, leaf.pk)) for leaf in leaves]
        total = sum((c.survey_value for c in cells if c and c.survey_value is not None), Decimal(0))
        rows.append(GridRow(assessment=a, cells=cells, total=total))
    return Grid(round_set=round_set, leaves=leaves, max_total=sum((x.max_points for x in leaves), Decimal(0)),
                rows=rows)


def survey_total(assessment_id: int) -> Decimal:
    """Σ survey points entered for one assessment (points; 0 when none). One query."""
    values = Score.objects.filter(assessment_id=assessment_id, criterion__source=Source.SURVEY,
                                  survey_value__isnull=False).values_list("survey_value", flat=True)
    return sum(values, Decimal(0))


def survey_template_rows(round: AssessmentRound) -> list[tuple]:
    """Rows of the round's template: ``(unit code, leaf code, current points or None, unit name, leaf
    title)`` for every assessment of the round × every survey leaf of its set, units in group order, leaves
    in print order. One query."""
    scores = (Score.objects.filter(assessment__round=round, criterion__source=Source.SURVEY)
              .select_related("assessment__unit", "criterion")
              .order_by("assessment__unit__group__order", "assessment__unit__group__code", "assessment__unit__order",
                        "assessment__unit__name", "criterion__order"))
    return [(s.assessment.unit.code, s.criterion.code, s.survey_value, s.assessment.unit.name, s.criterion.title)
            for s in scores]
