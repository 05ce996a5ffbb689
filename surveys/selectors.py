"""Reads of survey scores: the grid of a unit group (units × survey leaves), the rows of the per-round
templates and the sample-size page of the raw responses. Fixed numbers of queries whatever the number of
units and leaves."""

from dataclasses import dataclass, field
from decimal import Decimal

from assessments.models import Assessment, AssessmentRound, RoundSet, Score
from assessments.selectors.rounds import round_group_set
from criteria.models import Criterion, Source

from .models import ResponseImport, ResponseTally, SurveyPopulation
from .scoring import sample_size


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
    """Units of ``group_code`` in ``round`` × survey leaves of the group's set (``round_group_set``: the
    group-wide one, else the first a parent unit issued), with current values; a unit on another set of the group
    (its district's) shows its own leaf of the same code in each column. Raises ``RoundSet.DoesNotExist`` when
    the group has no set in this round (views answer 404). Four queries."""
    round_set = round_group_set(round, group_code=group_code)
    leaves = list(
        Criterion.objects.filter(
            criteria_set=round_set.criteria_set, source=Source.SURVEY, children__isnull=True
        ).order_by("order")
    )
    assessments = list(
        Assessment.objects.filter(round=round, unit__group=round_set.group)
        .select_related("unit")
        .order_by("unit__order", "unit__name")
    )
    codes = {leaf.code for leaf in leaves}
    scores = {}
    for s in Score.objects.filter(
        assessment__in=assessments, criterion__source=Source.SURVEY, criterion__code__in=codes
    ).select_related("criterion"):  # the cells name their leaf: no query per cell
        scores[(s.assessment_id, s.criterion.code)] = s
    rows = []
    for a in assessments:
        cells = [scores.get((a.pk, leaf.code)) for leaf in leaves]
        total = sum((c.survey_value for c in cells if c and c.survey_value is not None), Decimal(0))
        rows.append(GridRow(assessment=a, cells=cells, total=total))
    return Grid(
        round_set=round_set,
        leaves=leaves,
        max_total=sum((x.max_points for x in leaves), Decimal(0)),
        rows=rows,
    )


def survey_total(assessment_id: int) -> Decimal:
    """Σ survey points entered for one assessment (points; 0 when none). One query."""
    values = Score.objects.filter(
        assessment_id=assessment_id, criterion__source=Source.SURVEY, survey_value__isnull=False
    ).values_list("survey_value", flat=True)
    return sum((v for v in values if v is not None), Decimal(0))


def survey_template_rows(round: AssessmentRound) -> list[tuple]:
    """Rows of the round's template: ``(unit code, leaf code, current points or None, unit name, leaf
    title)`` for every assessment of the round × every survey leaf of its set, units in group order, leaves
    in print order. One query."""
    scores = (
        Score.objects.filter(assessment__round=round, criterion__source=Source.SURVEY)
        .select_related("assessment__unit", "criterion")
        .order_by(
            "assessment__unit__group__order",
            "assessment__unit__group__code",
            "assessment__unit__order",
            "assessment__unit__name",
            "criterion__order",
        )
    )
    return [
        (s.assessment.unit.code, s.criterion.code, s.survey_value, s.assessment.unit.name, s.criterion.title)
        for s in scores
    ]


def survey_response_template(round: AssessmentRound) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What the raw-response template of ``round`` is pre-filled with: ``([(unit code, unit name)],
    [(leaf code, leaf title)])`` — the round's units in group order and the distinct survey leaf codes of
    its sets (groups in order, leaves in print order; a code shared by two sets appears once, with the
    first set's title). Two queries."""
    units = [
        (a.unit.code, a.unit.name)
        for a in Assessment.objects.filter(round=round)
        .select_related("unit")
        .order_by("unit__group__order", "unit__group__code", "unit__order", "unit__name")
    ]
    leaves: dict[str, str] = {}
    for code, title in (
        Criterion.objects.filter(
            criteria_set__round_sets__round=round, source=Source.SURVEY, children__isnull=True
        )
        .order_by("criteria_set__group__order", "criteria_set__group__code", "order")
        .values_list("code", "title")
    ):
        leaves.setdefault(code, title)
    return units, list(leaves.items())


@dataclass
class SampleRow:
    """One unit of the round: its assessment, population N (people, None until entered), the sample size
    n it needs (None without N), the questionnaires counted by the last import (``respondents``, and per
    respondent group in ``groups``: ``[(group, questionnaires)]``)."""

    assessment: Assessment
    population: int | None
    required: int | None
    respondents: int = 0
    groups: list = field(default_factory=list)

    @property
    def enough(self) -> bool | None:
        """Respondents ≥ n; None while N is not entered."""
        return None if self.required is None else self.respondents >= self.required


@dataclass
class SampleOverview:
    """The round's last raw-response import (or None) and one ``SampleRow`` per unit, in group order."""

    last_import: ResponseImport | None
    rows: list[SampleRow]


def population_of(assessment: Assessment) -> int | None:
    """The population N entered for ``assessment``'s unit (people), or None. No query when the assessment
    was loaded with ``select_related("survey_population")``."""
    try:
        return assessment.survey_population.size
    except SurveyPopulation.DoesNotExist:
        return None


def sample_row(assessment: Assessment, tallies=()) -> SampleRow:
    """The ``SampleRow`` of one assessment (load it with ``select_related("survey_population")``);
    ``tallies``: its ``ResponseTally`` rows of the last import."""
    population = population_of(assessment)
    row = SampleRow(
        assessment=assessment, population=population, required=sample_size(population) if population else None
    )
    for t in sorted(tallies, key=lambda t: t.respondent_group.casefold()):
        row.respondents += t.respondents
        row.groups.append((t.respondent_group, t.respondents))
    return row


def last_response_import(round: AssessmentRound | int) -> ResponseImport | None:
    """The round's (a round or its id) latest raw-response import, or None. One query."""
    return (
        ResponseImport.objects.filter(round=round)
        .select_related("imported_by")
        .order_by("-imported_at", "-pk")
        .first()
    )


def survey_sample_overview(round: AssessmentRound) -> SampleOverview:
    """Units of ``round`` with N, the sample size n = N / (1 + N·e²) (e = 5 %, rounded up) and the
    questionnaires counted by the last raw-response import (0 before any). Three queries."""
    last = last_response_import(round)
    by_assessment: dict[int, list] = {}
    if last is not None:
        for t in ResponseTally.objects.filter(response_import=last):
            by_assessment.setdefault(t.assessment_id, []).append(t)
    assessments = (
        Assessment.objects.filter(round=round)
        .select_related("unit__group", "survey_population")
        .order_by("unit__group__order", "unit__group__code", "unit__order", "unit__name")
    )
    return SampleOverview(
        last_import=last, rows=[sample_row(a, by_assessment.get(a.pk, ())) for a in assessments]
    )


def survey_sample_row(assessment_pk: int) -> SampleRow:
    """The ``SampleRow`` of one assessment as ``survey_sample_overview`` shows it (after a save of N).
    Three queries."""
    a = Assessment.objects.select_related("unit__group", "survey_population").get(pk=assessment_pk)
    last = last_response_import(a.round_id)
    tallies = ResponseTally.objects.filter(response_import=last, assessment=a) if last else ()
    return sample_row(a, tallies)
