"""Reads of the PAR Index snapshot (``reports.results.services.results_compute`` writes it).

Visibility (shared/DESIGN.md §4, §7; issue 6): while a round is not published its results are provisional and
only the coordinator and admins see them; once published every portal user with a role (leaders, unit
officers and heads, appraisers) sees the round's results; users without any role see nothing, so views answer
404. ``reports.permissions.results_visible_to`` is the one place that decides it.
"""

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan
from django.utils.text import Truncator

from assessments.models import Assessment, AssessmentRound, AssessmentState, RoundState, Score
from assessments.scoring_rules import ACHIEVED
from assessments.selectors.rounds import round_group_sets
from criteria.models import DEFAULT_BANDS, POINTS, Criterion, GradeBand, band_of
from units.models import UnitGroup

from ..models import ComponentResult, Result
from ..models.results import PERCENT
from ..permissions import results_visible_to
from . import baseline
from .baseline import Baseline
from .services import COUNTED, as_percent, hundredths_of_percent


def _with_components(qs: QuerySet[Result]) -> QuerySet[Result]:
    return qs.select_related("round", "unit", "group").prefetch_related(
        Prefetch(
            "components", queryset=ComponentResult.objects.select_related("field").order_by("field__order")
        )
    )


def rankings(*, user, round: AssessmentRound, group: UnitGroup) -> QuerySet[Result]:
    """The ranking of ``group`` in ``round`` as ``user`` may see it: results by rank (1, 2, 2, 4 …), then unit
    name, each with ``unit``, ``group``, ``round`` and its ``components`` (field results in print order,
    ``field`` loaded) — 2 queries whatever the number of units. Empty when ``user`` may not see the round's
    results (provisional and not a manager, or an outsider)."""
    return _with_components(
        results_visible_to(user).filter(round=round, group=group).order_by("rank", "unit__name")
    )


def result_for(*, user, assessment: Assessment) -> Result:
    """The result of ``assessment`` with its component results, if ``user`` may see it; raises
    ``Result.DoesNotExist`` otherwise, or when it has not been computed yet (views answer 404)."""
    return _with_components(results_visible_to(user)).get(assessment=assessment)


# ---------------------------------------------------------------- results pages (issue 6 items 2–4)
#
# Every read below starts from ``results_visible_to(user)``: a round, a group, a result or a score the user may not
# see is never returned, so views answer 404 (a forged id included).

#: Rankings page size (units per page).
RANKING_PAGE_SIZE = 50
#: Units in the rankings page's bar chart: the group's first ones by rank (a province's groups have fewer).
CHART_UNITS = 100
#: Leaves listed on a unit's result page (where it lost most points).
TOP_LOST_LEAVES = 10
#: Short field names in table headers: the field's title cut to this many characters.
SHORT_NAME_CHARS = 28

PERCENT_FIELD = DecimalField(**PERCENT)
POINTS_FIELD = DecimalField(**POINTS)


@dataclass
class RoundResults:
    """A round whose results ``user`` may see (``visible_rounds``): ``provisional`` when the round is not published
    (only managers get those); ``groups``: ``[(group, number of results)]`` in the groups' order."""

    round: AssessmentRound
    provisional: bool
    groups: list[tuple[UnitGroup, int]]


def visible_rounds(*, user) -> list[RoundResults]:
    """The rounds with results ``user`` may see, newest first, each with its unit groups and their number of units
    — 3 queries. Published rounds for every user with a role; unpublished (provisional) ones too for the coordinator
    and admins; nothing for users without a role."""
    counts = list(results_visible_to(user).order_by().values("round_id", "group_id").annotate(n=Count("id")))
    rounds = AssessmentRound.objects.in_bulk({c["round_id"] for c in counts})
    groups = UnitGroup.objects.in_bulk({c["group_id"] for c in counts})
    by_round: dict[int, list[tuple[UnitGroup, int]]] = {}
    for c in counts:
        by_round.setdefault(c["round_id"], []).append((groups[c["group_id"]], c["n"]))
    out = [
        RoundResults(
            rnd,
            rnd.state != RoundState.PUBLISHED,
            sorted(by_round[pk], key=lambda g: (g[0].order, g[0].name)),
        )
        for pk, rnd in rounds.items()
    ]
    return sorted(out, key=lambda r: -r.round.year)


def visible_round(*, user, round_pk) -> AssessmentRound:
    """The round ``round_pk`` if ``user`` may see at least one of its results; raises
    ``AssessmentRound.DoesNotExist`` otherwise (unknown id, no result computed, or not visible)."""
    return AssessmentRound.objects.filter(pk__in=results_visible_to(user).values("round_id")).get(pk=round_pk)


def visible_groups(*, user, round: AssessmentRound) -> list[UnitGroup]:
    """Unit groups of ``round`` with results ``user`` may see, in the groups' order (1 query)."""
    return list(
        UnitGroup.objects.filter(
            pk__in=results_visible_to(user).filter(round=round).values("group_id")
        ).order_by("order", "name")
    )


def round_fields(*, round: AssessmentRound, group: UnitGroup) -> list[Criterion]:
    """The fields (level-1 nodes) with component results in ``group``'s ranking of ``round``, in print order
    (``field_short_name`` for a table header) — 1 query."""
    return list(
        Criterion.objects.filter(
            pk__in=ComponentResult.objects.filter(result__round=round, result__group=group).values("field_id")
        ).order_by("order", "code")
    )


def field_short_name(field: Criterion) -> str:
    """A field's title cut to ``SHORT_NAME_CHARS`` characters ("…" ending a cut one), for table headers."""
    return Truncator(field.title).chars(SHORT_NAME_CHARS)


def previous_round(round: AssessmentRound) -> AssessmentRound | None:
    """The round of the latest year before ``round``'s, or None. Year-over-year changes compare with it only when it
    is published (shared/DESIGN.md §5)."""
    return AssessmentRound.objects.filter(year__lt=round.year).order_by("-year").first()


#: States of an assessment whose appraisal is finished: its scores are final and its result can be ranked.
APPRAISED_STATES = (AssessmentState.APPRAISED, AssessmentState.PUBLISHED)
#: The rule "this result's assessment is appraised" (``Result`` querysets), the one place it is decided.
APPRAISED = Q(assessment__state__in=APPRAISED_STATES)


def split_appraised(
    results: QuerySet[Result], round: AssessmentRound
) -> tuple[QuerySet[Result], QuerySet[Result]]:
    """``results`` (of ``round``) as (ranked, pending): while ``round`` is not published only the results of appraised
    assessments (``APPRAISED``) are ranked, the others are pending — listed apart, unranked, without Δ; once
    published every result is ranked (pending is empty). No query (lazy querysets)."""
    if round.state == RoundState.PUBLISHED:
        return results, results.none()
    return results.filter(APPRAISED), results.exclude(APPRAISED)


#: Sort keys of the rankings page → the annotation or field they order by (``f<field pk>`` are added per field).
SORTS = {
    "rank": "rank",
    "unit": "unit__name",
    "index": "par_index",
    "grade": "grade",
}
#: Sort keys of the year-over-year columns: sorted by ``reports.results.baseline``'s figures, in Python.
YOY_SORTS = ("d_index", "d_rank")


class ResultsInOrder:
    """A ranking's results in a given order of their pks (a year-over-year sort), for the paginator: ``len`` and
    ``count()`` without a query, a slice in 1 query (the rows of those pks, put back in order)."""

    def __init__(self, qs: QuerySet[Result], pks: list[int]):
        self.qs, self.pks = qs, pks

    def __len__(self) -> int:
        return len(self.pks)

    def count(self) -> int:
        return len(self.pks)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        pks = self.pks[index]
        rows = self.qs.in_bulk(pks) if pks else {}
        return [rows[pk] for pk in pks if pk in rows]


@dataclass
class Ranking:
    """A unit group's ranking in a round as ``ranked_results`` builds it.

    ``results``: the visible results filtered by ``search`` and ordered by ``sort`` — a queryset, or, sorted by a
    year-over-year column, a ``ResultsInOrder``; when sorted by a field they carry ``c_<field pk>``; component
    indices are loaded per page by ``with_cells``, the year-over-year figures by ``with_changes``. ``count``: the
    same results unannotated, to count them cheaply (the paginator). ``fields``: the group's fields
    (``round_fields``). ``all_results``: the group's results unfiltered, by rank (charts, grade distribution).
    ``sort``: the applied key ("-" prefix: descending). ``pending``: the units not yet appraised of a provisional
    round (not ranked; empty once published). ``previous``: the round compared with (``previous_round``), compared
    only when published; ``baselines``: {unit id: ``baseline.Baseline``} when a year-over-year sort needed the
    whole group's (else ``with_changes`` reads the page's)."""

    round: AssessmentRound
    group: UnitGroup
    fields: list[Criterion]
    previous: AssessmentRound | None
    results: "QuerySet[Result] | ResultsInOrder"
    count: QuerySet[Result]
    all_results: QuerySet[Result]
    sort: str
    search: str
    pending: QuerySet[Result]
    baselines: dict[int, Baseline] | None = None

    @property
    def compared(self) -> bool:
        """True when the previous round is published: the year-over-year columns have figures."""
        return self.previous is not None and self.previous.state == RoundState.PUBLISHED


def _by_change(
    qs: QuerySet[Any], previous: AssessmentRound, key: str, descending: bool
) -> tuple[ResultsInOrder, dict[int, Baseline]]:
    """``qs`` in the order of the change of index (``d_index``) or of rank (``d_rank``) against ``previous``
    (``reports.results.baseline``), missing values last, then by rank and unit name — 2 queries (the rows' keys
    with each unit's own result of ``previous``, joined; the lineage of the units without one — none when every
    unit has its own), so that a group whose units all continue costs no walk of lineage."""
    mine = FilteredRelation("unit__results", condition=Q(unit__results__round=previous))
    rows = list(
        qs.annotate(own_before=mine).values_list(
            "pk",
            "unit_id",
            "par_index",
            "shown_rank",
            "rank",
            "unit__name",
            "own_before__pk",
            "own_before__par_index",
            "own_before__rank",
        )
    )
    found = {row[1]: baseline.own(row[7], row[8]) for row in rows if row[6] is not None}
    others = [row[1] for row in rows if row[6] is None]
    if others:
        found |= baseline.baselines(previous=previous, units=others)

    def order(row):
        pk, unit_id, index, shown_rank, rank, name, *_own = row
        b = found.get(unit_id)
        value = None if b is None else (b.change(index) if key == "d_index" else b.rank_change(shown_rank))
        missing = value is None
        value = 0 if value is None else (-value if descending else value)
        return (missing, value, rank is None, rank or 0, name)

    return ResultsInOrder(qs, [row[0] for row in sorted(rows, key=order)]), found


def ranked_results(
    *,
    user,
    round: AssessmentRound,
    group: UnitGroup,
    sort: str = "rank",
    search: str = "",
    units: Collection[int] | None = None,
) -> Ranking:
    """``group``'s ranking of ``round`` as ``user`` may see it, sortable by any column and filtered by ``search``
    (case-insensitive, in the unit's name, short name or code). ``sort``: a key of ``SORTS`` or ``YOY_SORTS`` or
    ``f<field pk>``, "-" prefix for descending; an unknown key falls back to "rank". Ties and missing values (no
    baseline, no component) go last, then by rank and unit name. 2 queries to build (fields, previous round) — 4
    when sorted by a year-over-year column (its keys and the group's baselines: ``_by_change``); ``results``,
    ``count``, ``all_results`` and ``pending`` are lazy, 1 query each (a page), whatever the number of units; a
    sorted field's component index is a join (``FilteredRelation``). The year-over-year figures follow lineage
    (``reports.results.baseline``: one rule) and are put on a page's rows by ``with_changes``; the rank change
    compares the previous rank with ``shown_rank``.

    While ``round`` is not published (``split_appraised``) only appraised units are ranked: ``shown_rank`` is the
    rank among them (1 + the appraised results of the group with a higher index: 1, 2, 2, 4), and ``pending`` the
    units not yet appraised (filtered by ``search``, by unit name, ``assessment`` loaded); published: ``shown_rank``
    is the stored rank and ``pending`` is empty.

    ``units``: only those units' rows (an area of the commune group: ``reports.results.areas``) in ``results``,
    ``count``, ``all_results`` and ``pending`` — their ranks stay the ranks in the whole group."""
    fields = round_fields(round=round, group=group)
    previous = previous_round(round)
    everything = results_visible_to(user).filter(round=round, group=group)
    base, pending = split_appraised(everything, round)
    qs = base.select_related("unit")
    if round.state == RoundState.PUBLISHED:
        qs = qs.annotate(shown_rank=F("rank"))
    else:
        higher = (
            base.filter(par_index__gt=OuterRef("par_index"))
            .order_by()
            .values("round_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        qs = qs.annotate(shown_rank=Coalesce(Subquery(higher, output_field=IntegerField()), Value(0)) + 1)
    by_field = {f"f{f.pk}": f for f in fields}
    key = sort.removeprefix("-")
    if key not in SORTS and key not in by_field and key not in YOY_SORTS:
        sort, key = "rank", "rank"
    compared = previous is not None and previous.state == RoundState.PUBLISHED
    if key in by_field:
        field_pk = by_field[key].pk
        qs = qs.annotate(
            sorted_component=FilteredRelation("components", condition=Q(components__field_id=field_pk))
        )
        qs = qs.annotate(**{f"c_{field_pk}": F("sorted_component__index_percent")})
        column = F(f"c_{by_field[key].pk}")
    else:
        # a year-over-year sort without a previous published round: every change is missing → by rank
        column = F(SORTS.get(key, "rank"))
    order = column.desc(nulls_last=True) if sort.startswith("-") else column.asc(nulls_last=True)
    if units is not None:  # after shown_rank: a rank in the group, whatever rows are shown
        qs, base, pending = (q.filter(unit_id__in=list(units)) for q in (qs, base, pending))
    filtered, count = qs, base
    if search.strip():
        s = search.strip()
        match = Q(unit__name__icontains=s) | Q(unit__short_name__icontains=s) | Q(unit__code__iexact=s)
        filtered, count, pending = qs.filter(match), base.filter(match), pending.filter(match)
    results: QuerySet[Result] | ResultsInOrder = filtered.order_by(
        order, F("rank").asc(nulls_last=True), "unit__name"
    )
    found = None
    if key in YOY_SORTS and compared:
        assert previous is not None
        results, found = _by_change(filtered.order_by(), previous, key, sort.startswith("-"))
    return Ranking(
        round,
        group,
        fields,
        previous,
        results,
        count.order_by(),
        base.select_related("unit").order_by(F("rank").asc(nulls_last=True), "unit__name"),
        sort,
        search.strip(),
        pending.select_related("unit", "assessment").order_by("unit__name"),
        found,
    )


def with_changes(rows: list[Any], ranking: Ranking) -> list[Any]:
    """``rows`` (one page of ``ranking``), each with ``baseline`` (``reports.results.baseline.Baseline``, None when
    the previous round is not published), ``previous_index`` (%), ``previous_rank``, ``index_change``
    (percentage points, this − baseline) and ``rank_change`` (places gained: previous rank − ``shown_rank``) — None
    where there is nothing to compare. 1 query (the page's baselines), none when the ranking has them already or
    nothing is compared."""
    found = ranking.baselines
    if found is None:
        found = (
            baseline.baselines(previous=ranking.previous, units=[r.unit_id for r in rows])
            if ranking.compared and rows
            else {}
        )
    for r in rows:
        b = found.get(r.unit_id)
        r.baseline = b
        r.previous_index = None if b is None else b.index
        r.previous_rank = None if b is None else b.previous_rank
        r.index_change = None if b is None else b.change(r.par_index)
        r.rank_change = None if b is None else b.rank_change(r.shown_rank)
    return rows


def with_cells(results, fields: list[Criterion]) -> list[Result]:
    """``results`` (one page of a ranking) as a list, each with ``cells``: ``[(field, index % or None, band "A"–"D"
    or None)]`` in ``fields`` order — the bands of 004 §2.1 (``criteria.models.band_of``). 1 query for the
    component results of those rows."""
    rows = list(results)
    values = {
        (result_id, field_id): v
        for result_id, field_id, v in ComponentResult.objects.filter(result_id__in=[r.pk for r in rows])
        .order_by()
        .values_list("result_id", "field_id", "index_percent")
    }
    for r in rows:
        r.cells = [(f, v, band_of(v)) for f in fields for v in [values.get((r.pk, f.pk))]]
    return rows


def grade_bands(*, round: AssessmentRound, group: UnitGroup) -> list[tuple[str, str]]:
    """The grade bands of ``group``'s set in ``round`` as ``[(grade code, label)]``, best first — the set's
    ``GradeBand`` rows (of ``assessments.selectors.rounds.round_group_sets``' first when the group's units use
    several sets), or the default bands of 004 §2.1 when it has none. 1 query."""
    bands = list(
        GradeBand.objects.filter(
            criteria_set_id=Subquery(round_group_sets(round, group=group).values("criteria_set_id")[:1])
        )
        .order_by("-min_percent")
        .values_list("code", "label")
    )
    return bands or [(code, label) for code, label, _minimum in DEFAULT_BANDS]


def grade_distribution(
    *,
    round: AssessmentRound,
    group: UnitGroup,
    results: QuerySet[Result],
    bands: list[tuple[str, str]] | None = None,
) -> list[tuple[str, str, int]]:
    """The grade distribution of ``results`` (a queryset, counted by the database): ``[(grade code, label, number of
    results)]`` for every band of ``grade_bands`` (zeros included; ``bands`` when the caller has read them), best
    first, then any other grade met (an index below every band: code "", shown "—"). 2 queries (1 with
    ``bands``)."""
    if bands is None:
        bands = grade_bands(round=round, group=group)
    counts = Counter(
        dict(results.order_by().values_list("grade").annotate(n=Count("id")).values_list("grade", "n"))
    )
    known = {code for code, _ in bands}
    return [(code, label, counts[code]) for code, label in bands] + [
        (code, "—" if not code else code, counts[code]) for code in sorted(counts) if code not in known
    ]


def visible_result(*, user, pk) -> Result:
    """The result ``pk`` with ``round``, ``unit``, ``group`` and ``assessment`` loaded, if ``user`` may see it;
    raises ``Result.DoesNotExist`` otherwise (views answer 404)."""
    return results_visible_to(user).select_related("round", "unit", "group", "assessment").get(pk=pk)


@dataclass
class ComponentVsGroup:
    """One field of a result against its group: ``percent`` (the unit's component index %, None when nothing is
    applicable), ``achieved`` / ``applicable_max`` (points), ``group_average`` (mean % of the group's results that
    have the field applicable, None when none has)."""

    field: Criterion
    percent: Decimal | None
    achieved: Decimal
    applicable_max: Decimal
    group_average: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        """The unit's component index − the group average (percentage points), None when either is missing."""
        return (
            None if self.percent is None or self.group_average is None else self.percent - self.group_average
        )


def components_vs_group(*, user, result: Result) -> list[ComponentVsGroup]:
    """The fields of ``result`` in print order with the group's average component index (mean of the visible
    results of the same round and group, 2 decimals) — 2 queries."""
    averages = dict(
        ComponentResult.objects.filter(
            result__in=results_visible_to(user).filter(round_id=result.round_id, group_id=result.group_id)
        )
        .order_by()
        .values("field_id")
        .annotate(avg=Avg("index_percent"))
        .values_list("field_id", "avg")
    )
    return [
        ComponentVsGroup(
            c.field,
            c.index_percent,
            c.achieved,
            c.applicable_max,
            None
            if averages.get(c.field_id) is None
            else Decimal(str(averages[c.field_id])).quantize(Decimal("0.01"), ROUND_HALF_UP),
        )
        for c in result.components.select_related("field").order_by("field__order")
    ]


def rank_in_group(*, user, result: Result) -> tuple[int | None, int]:
    """(rank, n) of "rank x / n" on a unit's result page: the stored rank among the group's results once the round
    is published; before, the rank among the appraised results only (``split_appraised``) and None when
    ``result``'s own assessment is not appraised yet — 1 or 2 queries."""
    everything = results_visible_to(user).filter(round_id=result.round_id, group_id=result.group_id)
    ranked, _pending = split_appraised(everything, result.round)
    if result.round.state == RoundState.PUBLISHED:
        return result.rank, ranked.count()
    if result.assessment.state not in APPRAISED_STATES:
        return None, ranked.count()
    return ranked.filter(par_index__gt=result.par_index).count() + 1, ranked.count()


def results_count(*, user, round_id: int, group_id: int) -> int:
    """Number of results of a round and unit group that ``user`` may see (the n of "rank x / n"), 1 query."""
    return results_visible_to(user).filter(round_id=round_id, group_id=group_id).count()


#: A counted leaf's achieved points, 0 when not set (points).
_ACHIEVED_OR_0 = Coalesce(ACHIEVED, Value(Decimal(0)), output_field=POINTS_FIELD)
#: A counted leaf's lost points: max − achieved (points).
_LOST = ExpressionWrapper(F("criterion__max_points") - _ACHIEVED_OR_0, output_field=POINTS_FIELD)


def top_lost_leaves(*, result: Result, limit: int = TOP_LOST_LEAVES) -> QuerySet[Score]:
    """The leaves where ``result``'s assessment lost most points, most first (then print order), at most ``limit``,
    1 query. Only leaves that count (appraisal and survey leaves; bonus, penalty and accepted N/A leaves out —
    ``reports.results.services.COUNTED``) and lost > 0. Each row is a ``Score`` with ``criterion`` loaded and annotated
    ``achieved`` (points: the survey score for survey leaves, else the appraised score, 0 when unset) and ``lost``
    (points: max − achieved). The caller has checked that the user may see ``result``."""
    return (
        Score.objects.filter(COUNTED, assessment_id=result.assessment_id)
        .select_related("criterion")
        .annotate(achieved=_ACHIEVED_OR_0, lost=_LOST)
        .filter(lost__gt=0)
        .order_by("-lost", "criterion__order")[:limit]
    )


@dataclass
class TrendYear:
    """A year of a unit's trend: its own ``result``, or — a year before the unit existed — its lineage's
    ``baseline`` that year (``reports.results.baseline``: the predecessor's figures, or the mean of the
    predecessors' for a merger; ``baseline.note`` names them)."""

    year: int
    round: AssessmentRound
    result: Result | None = None
    baseline: Baseline | None = None

    @property
    def index(self) -> Decimal | None:
        """The year's PAR Index (%): the unit's own, else its baseline's."""
        if self.result is not None:
            return self.result.par_index
        return None if self.baseline is None else self.baseline.index

    @property
    def grade(self) -> str:
        """The own grade, or the predecessor's when one unit is compared (a mean has no grade)."""
        if self.result is not None:
            return self.result.grade
        b = self.baseline
        return b.predecessors[0].grade if b is not None and len(b.predecessors) == 1 else ""


def unit_trend(*, user, result: Result) -> list[TrendYear]:
    """The unit's results over the years, oldest first: those of published rounds plus ``result`` itself (which may
    be provisional for a manager), as ``user`` may see them; and, for each earlier published round without a result
    of its own, the figures of its lineage that year (``reports.results.baseline``: a renamed unit's series goes on
    under its former name, a merged unit's is the mean of its predecessors') when there are some — 3 queries
    (2 when there is no earlier round)."""
    own = list(
        results_visible_to(user)
        .filter(Q(round__state=RoundState.PUBLISHED) | Q(pk=result.pk), unit_id=result.unit_id)
        .select_related("round", "group")
        .order_by("round__year")
    )
    years = {r.round.year for r in own}
    earlier = [
        r
        for r in AssessmentRound.objects.filter(state=RoundState.PUBLISHED, year__lt=result.round.year)
        if r.year not in years
    ]
    found = baseline.baselines_for((r, [result.unit_id]) for r in earlier) if earlier else {}
    rows = [TrendYear(r.round.year, r.round, result=r) for r in own]
    rows += [
        TrendYear(r.year, r, baseline=b)
        for r in earlier
        for b in [found[r.pk].get(result.unit_id)]
        if b is not None and b.compared
    ]
    return sorted(rows, key=lambda t: t.year)


#: The "top N" choices of the weak criteria page (None: all leaves).
WEAK_TOP_CHOICES = (10, 20, 50, None)


def weak_criteria(
    *,
    user,
    round: AssessmentRound,
    group: UnitGroup,
    field: Criterion | None = None,
    limit: int | None = None,
) -> list[Mapping[str, Any]]:
    """The leaves of ``group``'s set in ``round``, by total points lost across the group's units (most first, then
    print order) — one aggregate query over the score rows grouped by criterion. Only leaves that count
    (``reports.results.services.COUNTED``: bonus, penalty and accepted N/A leaves out) of assessments with a result ``user``
    may see. Each row: ``criterion_id``, ``code``, ``title``, ``max_points`` (points), ``source``, ``units``
    (assessments counted), ``units_lost`` (assessments that lost points on it), ``lost`` (Σ points lost),
    ``achieved_percent`` (Σ achieved / Σ max × 100, i.e. the mean % achieved over those units, rounded half up to
    2 decimals as the computation does; None when no unit counts it or its max is 0). ``field``: only the leaves of
    that field (their codes start with the field's code and a dot: "1." for field 1); ``limit``: the first ``limit``
    rows only (None: all)."""
    visible = results_visible_to(user).filter(round=round, group=group).values("assessment_id")
    scores = Score.objects.filter(COUNTED, assessment_id__in=visible)
    if field is not None:
        scores = scores.filter(criterion__code__startswith=f"{field.code}.")
    rows = (
        scores.order_by()
        .values(
            "criterion_id",
            code=F("criterion__code"),
            title=F("criterion__title"),
            max_points=F("criterion__max_points"),
            source=F("criterion__source"),
            order=F("criterion__order"),
        )
        .annotate(
            units=Count("id"),
            units_lost=Sum(
                Case(
                    When(GreaterThan(_LOST, 0), then=Value(1)), default=Value(0), output_field=IntegerField()
                )
            ),
            lost=Sum(_LOST, output_field=POINTS_FIELD),
            achieved_sum=Sum(_ACHIEVED_OR_0, output_field=POINTS_FIELD),
            max_sum=Sum("criterion__max_points", output_field=POINTS_FIELD),
        )
        .annotate(achieved_percent=as_percent(hundredths_of_percent(F("achieved_sum"), F("max_sum"))))
        .order_by("-lost", "order")
    )
    return list(rows[:limit] if limit else rows)


def leader_work(user) -> dict | None:
    """The latest published round whose results ``user`` may see, as ``{"round", "groups": [(group, number of
    units)]}``, or None before any publication. Three queries (``visible_rounds``);
    the leader's part of the home page (``parindex.views.home``)."""
    published = [r for r in visible_rounds(user=user) if not r.provisional]
    if not published:
        return None
    return {"round": published[0].round, "groups": published[0].groups}
