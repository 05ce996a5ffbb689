"""Reads of the province's national results (shared/DESIGN.md §8; issue 6 items 5 and 7).

``province_overview`` gives everything the page shows — the table of years, the multi-year average of each
component with its band, the target checks and the chart data — from two queries whatever the number of
years. The rules:

- band of a percent (004 §2.1, footnote of the component averages): ``criteria.models.band_of`` by the default
  bands ``criteria.models.DEFAULT_BANDS`` (A ≥ 90, B 80–<90, C 70–<80, D < 70);
- average of a component: arithmetic mean of the years that have a value (NULL years left out, as 004
  averages the 2016-only one-stop component over its one year), rounded to 2 decimals half up; the band is
  taken from the rounded average, so what is shown and its band agree;
- targets (000 item 17; 004 Phần II §I.1): by 2025 within the top 15 provinces nationally (rank ≤ 15 in the
  2025 results); from 2026 to 2030 at least one rank better each year than the year before. A year
  without a published rank (or, for the yearly rule, without the previous year's) is "not yet known".

``unit_targets`` checks the targets 004 Phần II §I.1 sets for the province's units (each unit above its own
previous year; their mean above the province's index published for the previous year) on the units' published
results, from ``reports.permissions.results_visible_to`` — see its docstring.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber

from assessments.models import AssessmentRound, RoundState
from criteria.models import band_of, band_ranges
from criteria.scales import format_decimal

from ..models.province import CURRENT_FIELDS, FIELD_NAMES, ProvinceResult
from ..models.results import PERCENT
from ..permissions import results_visible_to
from ..results import baseline

CENT = Decimal("0.01")
#: Bands of a component average, highest first (004 §2.1): the default grade bands, ``criteria.models.DEFAULT_BANDS``.
BAND_LABELS = {
    code: (
        f"từ {format_decimal(low)}% trở lên"
        if high is None
        else f"dưới {format_decimal(high)}%"
        if not low
        else f"từ {format_decimal(low)}% đến dưới {format_decimal(high)}%"
    )
    for code, low, high in band_ranges()
}
#: Targets of 000 item 17 / 004 Phần II §I.1.
TOP_TARGET_YEAR, TOP_TARGET_RANK = 2025, 15
YEARLY_TARGET_FROM, YEARLY_TARGET_UNTIL = 2026, 2030

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


@dataclass
class YearRow:
    """One year of the table. ``cells``: component % (or None) aligned with ``ProvinceOverview.columns``."""

    year: int
    result: ProvinceResult
    overall_percent: Decimal | None
    rank: int | None
    provinces_ranked: int | None
    cells: list[Decimal | None]


@dataclass
class ComponentAverage:
    """Multi-year average of one component: ``average`` in % (2 decimals, None when no year has a value),
    ``years``: the years averaged, ``band``: "A"–"D" or None."""

    field_number: int
    field_name: str
    average: Decimal | None
    years: list[int]
    band: str | None


@dataclass
class TargetCheck:
    """One target: ``status`` is ``MET``, ``NOT_MET`` or ``UNKNOWN``; ``detail`` says why (Vietnamese)."""

    year: int
    target: str
    status: str
    detail: str


@dataclass
class ProvinceOverview:
    """What the page shows. ``columns``: ``[(field number, name)]`` (fields 1–8, then any other recorded
    field, e.g. the 2016-only 9); ``bands``: ``[(code, label, number of components whose average is in
    it)]``; ``chart``: plain JSON-ready data for ``static/js/charts.js``."""

    rows: list[YearRow]
    columns: list[tuple[int, str]]
    averages: list[ComponentAverage]
    bands: list[tuple[str, str, int]]
    targets: list[TargetCheck]
    chart: dict = field(default_factory=dict)


def component_averages(
    values: Mapping[int, Iterable[tuple[int, Decimal | None]]], names: Mapping[int, str] | None = None
) -> list[ComponentAverage]:
    """Average and band of each component. ``values``: field number → ``[(year, percent or None)]``.
    Returns one ``ComponentAverage`` per field number, in field order (rules: module docstring)."""
    names = names or {}
    out = []
    for number in sorted(values):
        known = [(year, p) for year, p in values[number] if p is not None]
        average = None
        if known:
            average = (sum((p for _, p in known), Decimal(0)) / len(known)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
        out.append(
            ComponentAverage(
                number,
                names.get(number, FIELD_NAMES.get(number, str(number))),
                average,
                [y for y, _ in known],
                band_of(average),
            )
        )
    return out


def _place(rank: int, provinces: int | None) -> str:
    return f"{rank}/{provinces}" if provinces else str(rank)


def target_checks(ranks: Mapping[int, tuple[int | None, int | None]]) -> list[TargetCheck]:
    """The targets of 000 item 17 against ``ranks`` (year → ``(rank or None, provinces ranked or None)``).

    Returns the 2025 check (top ``TOP_TARGET_RANK``) then one check per year 2026–2030 (rank at least one
    better than the year before; holding first place counts as met, as no better rank exists). A
    comparison across a change in the number of provinces ranked is made on the ranks and says so.
    """
    checks = []
    rank, provinces = ranks.get(TOP_TARGET_YEAR, (None, None))
    target = f"Trong nhóm {TOP_TARGET_RANK} tỉnh, thành phố đứng đầu cả nước"
    if rank is None:
        checks.append(
            TargetCheck(TOP_TARGET_YEAR, target, UNKNOWN, f"Chưa có xếp hạng năm {TOP_TARGET_YEAR}.")
        )
    else:
        ok = rank <= TOP_TARGET_RANK
        checks.append(
            TargetCheck(
                TOP_TARGET_YEAR, target, MET if ok else NOT_MET, f"Xếp hạng {_place(rank, provinces)}."
            )
        )
    for year in range(YEARLY_TARGET_FROM, YEARLY_TARGET_UNTIL + 1):
        target = f"Tăng tối thiểu 01 bậc so với năm {year - 1}"
        rank, provinces = ranks.get(year, (None, None))
        before, before_provinces = ranks.get(year - 1, (None, None))
        if rank is None:
            checks.append(TargetCheck(year, target, UNKNOWN, f"Chưa có xếp hạng năm {year}."))
            continue
        if before is None:
            checks.append(
                TargetCheck(
                    year,
                    target,
                    UNKNOWN,
                    f"Xếp hạng {_place(rank, provinces)}; chưa có xếp hạng năm {year - 1} để so sánh.",
                )
            )
            continue
        detail = f"Xếp hạng {_place(rank, provinces)}, năm {year - 1}: {_place(before, before_provinces)}"
        if provinces and before_provinces and provinces != before_provinces:
            detail += " (số tỉnh được xếp hạng khác nhau)"
        if rank == 1 and before == 1:
            checks.append(TargetCheck(year, target, MET, detail + "; giữ vị trí dẫn đầu."))
        elif rank <= before - 1:
            checks.append(TargetCheck(year, target, MET, detail + f"; tăng {before - rank} bậc."))
        else:
            change = "giữ nguyên" if rank == before else f"giảm {rank - before} bậc"
            checks.append(TargetCheck(year, target, NOT_MET, detail + f"; {change}."))
    return checks


def _number(value):
    return None if value is None else float(value)


def province_overview() -> ProvinceOverview:
    """Everything the province results page shows (see the module docstring), from two queries."""
    results = list(ProvinceResult.objects.order_by("year").prefetch_related("components"))
    numbers = set(CURRENT_FIELDS) if results else set()
    names: dict[int, str] = {}
    by_year: dict[int, dict[int, Decimal | None]] = {}
    for r in results:  # ascending years: the latest name of a field wins
        by_year[r.year] = {}
        for c in r.components.all():
            numbers.add(c.field_number)
            names[c.field_number] = c.field_name
            by_year[r.year][c.field_number] = c.percent
    order = sorted(numbers, key=lambda n: (n not in CURRENT_FIELDS, n))
    columns = [(n, names.get(n, FIELD_NAMES.get(n, str(n)))) for n in order]
    rows = [
        YearRow(
            r.year, r, r.overall_percent, r.rank, r.provinces_ranked, [by_year[r.year].get(n) for n in order]
        )
        for r in results
    ]
    averages = component_averages(
        {n: [(r.year, by_year[r.year].get(n)) for r in results] for n in order}, dict(columns)
    )
    bands = [
        (code, BAND_LABELS[code], sum(1 for a in averages if a.band == code))
        for code, _low, _high in band_ranges()
    ]
    targets = target_checks({r.year: (r.rank, r.provinces_ranked) for r in results})
    chart = {
        "years": [r.year for r in results],
        "overall": [_number(r.overall_percent) for r in results],
        "rank": [r.rank for r in results],
        "provinces": [r.provinces_ranked for r in results],
        # short legend labels as the table's headers ("CSTP 1"); the full name goes to the tooltip
        "components": [
            {
                "label": f"CSTP {n}",
                "name": f"{n}. {name}",
                "data": [_number(by_year[r.year].get(n)) for r in results],
            }
            for n, name in columns
        ],
    }
    return ProvinceOverview(rows, columns, averages, bands, targets, chart)


# ---------------------------------------------------------------- targets for the province's units
#
# 004 Phần II §I.1 (third target): "Hàng năm, giá trị trung bình tỷ lệ điểm Chỉ số cải cách hành chính của đơn vị
# trong tỉnh phải cao hơn tỷ lệ điểm Chỉ số cải cách hành chính của tỉnh được công bố ở năm trước liền kề. Trong
# đó, Chỉ số cải cách hành chính của mỗi đơn vị đạt tỷ lệ điểm năm sau phải cao hơn năm trước."

#: Units listed by name under a round's "every unit above its own previous year" check (then "…").
NOT_IMPROVED_LISTED = 20


def improvement_status(improved: int, compared: int) -> str:
    """ "Every unit above its own previous year" (004 Phần II §I.1): ``MET`` when all ``compared`` units (those
    with a result in both years) have a strictly higher PAR Index than the year before, ``NOT_MET`` when at least
    one has not, ``UNKNOWN`` when no unit can be compared."""
    if not compared:
        return UNKNOWN
    return MET if improved == compared else NOT_MET


def mean_status(mean: Decimal | None, province_percent: Decimal | None) -> str:
    """ "Mean index of the units above the province's published index of the previous year" (004 Phần II §I.1):
    ``MET`` when ``mean`` (%, as shown: 2 decimals) is strictly higher than ``province_percent`` (%),
    ``NOT_MET`` when not, ``UNKNOWN`` when either is missing (the province's figure is never estimated)."""
    if mean is None or province_percent is None:
        return UNKNOWN
    return MET if mean > province_percent else NOT_MET


def _mean(total: Decimal | None, count: int) -> Decimal | None:
    """``total`` / ``count`` rounded half up to 2 decimals (the page's rounding, as ``component_averages``)."""
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class UnitChange:
    """A unit whose PAR Index did not rise: ``index`` this year, ``previous_index`` its baseline the year before
    (``reports.results.baseline``: its own index, or its predecessors'), ``change`` (percentage points, index −
    previous, ≤ 0); all %. ``compared_with``: the baseline's note for a unit compared through lineage ("so với
    bình quân của: …"), "" for its own."""

    unit_name: str
    group_name: str
    index: Decimal
    previous_index: Decimal
    change: Decimal
    compared_with: str = ""


@dataclass
class GroupUnitTargets:
    """The two checks for one unit group of a round. ``units``: results of the group in the round; ``compared``:
    those with a result of the previous year too, ``improved``: those of them with a higher index;
    ``mean``: the group's mean PAR Index (%, 2 decimals); statuses are ``MET`` / ``NOT_MET`` / ``UNKNOWN``."""

    group_id: int
    group_name: str
    units: int
    compared: int
    improved: int
    improvement_status: str
    mean: Decimal | None
    mean_status: str


@dataclass
class RoundUnitTargets:
    """The targets of 004 Phần II §I.1 for the units of one published round (``year``, ``name``).

    ``units`` / ``compared`` / ``improved`` / ``improvement_status``: as ``GroupUnitTargets``, over all groups;
    ``new_units``: units without any baseline that are new ("đơn vị mới": formed from units without a published
    result, or started after the previous year — ``reports.results.baseline.NEW``), part of ``not_compared``;
    ``not_improved``: up to ``NOT_IMPROVED_LISTED`` units that did not rise (lowest change first, then name),
    ``not_improved_more``: how many more there are (the page shows "…"); ``mean``: mean PAR Index of all the
    round's units (%, 2 decimals); ``province_year`` = year − 1 and ``province_percent`` its published PAR Index
    (``ProvinceResult.overall_percent``, %; None when not recorded); ``groups``: per unit group, in the groups'
    order."""

    year: int
    name: str
    units: int
    compared: int
    improved: int
    improvement_status: str
    not_improved: list[UnitChange]
    not_improved_more: int
    mean: Decimal | None
    province_year: int
    province_percent: Decimal | None
    mean_status: str
    groups: list[GroupUnitTargets]
    new_units: int = 0

    @property
    def not_compared(self) -> int:
        """Units of the round without a baseline of the previous year (new ones included; not in ``compared``)."""
        return self.units - self.compared

    @property
    def not_improved_count(self) -> int:
        """Compared units whose PAR Index did not rise (listed or not)."""
        return self.compared - self.improved


def _published_with_previous(user) -> tuple[Any, dict[int, AssessmentRound]]:
    """``user``'s visible results of published rounds, each joined (``before``) with the same unit's result of the
    published round of the year before — one LEFT JOIN on (unit, round), no subquery per row, case 1 of
    ``reports.results.baseline``'s rule in SQL (the other cases: ``unit_targets``) — and {round id: the published
    round of the year before} for the rounds that have one; 1 query for the published rounds. Only published
    rounds are used on both sides, even for the coordinator; a published result is visible to every user who may
    see any published result (``results_visible_to``), so the joined row never shows what the user may not see."""
    visible = results_visible_to(user).filter(round__state=RoundState.PUBLISHED).order_by()
    if visible.query.is_empty():  # a user without a role: no query at all
        return visible, {}
    published = {r.year: r for r in AssessmentRound.objects.filter(state=RoundState.PUBLISHED)}
    before = {r.pk: published[year - 1] for year, r in published.items() if year - 1 in published}
    previous = [When(round_id=pk, then=Value(p.pk)) for pk, p in before.items()]
    # 0 is no round's id: without any pair the join matches nothing
    previous_id = Case(*previous, default=Value(0)) if previous else Value(0)
    joined = visible.annotate(
        before=FilteredRelation("unit__results", condition=Q(unit__results__round_id=previous_id))
    )
    return joined, before


def unit_targets(*, user) -> list[RoundUnitTargets]:
    """The targets of 004 Phần II §I.1 for the province's units, for each published round whose results ``user``
    may see (``reports.permissions.results_visible_to``), newest first; empty for a user without a role.

    1. every unit above its own previous year: among the round's units with a result in the published round of
       year − 1 too (a round of year − 1 not published, or none, leaves nothing to compare: ``UNKNOWN``), how many
       have a strictly higher PAR Index, and those that have not;
    2. the mean PAR Index of the round's units (arithmetic mean of ``Result.par_index``, %, rounded half up to
       2 decimals — the value shown is the one compared) strictly above the province's PAR Index published for
       year − 1 (``ProvinceResult.overall_percent``); ``UNKNOWN`` ("chưa có số liệu") when that figure is missing.

    Year-over-year follows lineage (``reports.results.baseline``, one rule): a unit with its own result of year − 1
    is compared with it in the database; a unit without (renamed, merged, split, new) with its baseline — the
    predecessors' index, or their mean for a merger; a unit without a baseline ("đơn vị mới", or not assessed the
    year before) is counted in neither ``compared`` nor ``improved``.

    Both also per unit group (the group the unit was assessed in). All counting and summing of the units compared
    with themselves is done by the database: 6 queries whatever the number of units and rounds — the published
    rounds, the per-(round, group) aggregates, the listed units (a window keeps at most ``NOT_IMPROVED_LISTED`` per
    round), the units without a result of their own the year before, their baselines (one walk of lineage), the
    province's figures (4 when no round has a published year before) — after the user's roles, which
    ``results_visible_to`` reads once per user object; none for a user without a role.
    """
    joined, before = _published_with_previous(user)
    if joined.query.is_empty():
        return []
    compared_q = Q(before__par_index__isnull=False)
    improved_q = compared_q & Q(par_index__gt=F("before__par_index"))
    rows = list(
        joined.values("round_id", "round__year", "round__name", "group_id", "group__name", "group__order")
        .annotate(
            units=Count("id"),
            compared=Count("id", filter=compared_q),
            improved=Count("id", filter=improved_q),
            total=Sum("par_index", output_field=DecimalField(max_digits=14, decimal_places=2)),
        )
        .order_by("-round__year", "group__order", "group__name")
    )
    if not rows:
        return []

    change = ExpressionWrapper(F("par_index") - F("before__par_index"), output_field=DecimalField(**PERCENT))
    listed = (
        joined.filter(compared_q & ~improved_q)
        .annotate(
            change=change,
            previous_index=F("before__par_index"),
            place=Window(
                RowNumber(),
                partition_by=[F("round_id")],
                order_by=[F("change").asc(), F("unit__name").asc(), F("id").asc()],
            ),
        )
        .filter(place__lte=NOT_IMPROVED_LISTED)
        .order_by("round_id", "place")
        .values_list("round_id", "unit__name", "group__name", "par_index", "previous_index", "change")
    )
    not_improved: dict[int, list[UnitChange]] = {}
    for round_id, *values in listed:
        not_improved.setdefault(round_id, []).append(UnitChange(*values))

    # The units without their own result of year − 1: compared through lineage (reports.results.baseline).
    lineage: dict[tuple[int, int], list[int]] = {}  # (round, group) → [compared, improved]
    new_units: dict[int, int] = {}
    if before:
        without_own = joined.filter(round_id__in=list(before), before__id__isnull=True)
        lineage_rows = list(
            without_own.values_list(
                "round_id", "unit_id", "unit__name", "group_id", "group__name", "par_index"
            )
        )
        found = baseline.baselines_for(
            (before[rid], without_own.filter(round_id=rid).values("unit_id")) for rid in before
        )
        for round_id, unit_id, unit_name, group_id, group_name, index in lineage_rows:
            b = found[before[round_id].pk].get(unit_id)
            if b is None or not b.compared:
                if b is not None and b.kind == baseline.NEW:
                    new_units[round_id] = new_units.get(round_id, 0) + 1
                continue
            counts = lineage.setdefault((round_id, group_id), [0, 0])
            counts[0] += 1
            previous_index = b.index
            assert previous_index is not None  # b.compared
            if index > previous_index:
                counts[1] += 1
            else:
                not_improved.setdefault(round_id, []).append(
                    UnitChange(unit_name, group_name, index, previous_index, index - previous_index, b.note)
                )
        for changes in not_improved.values():
            changes.sort(key=lambda u: (u.change, u.unit_name))
            del changes[NOT_IMPROVED_LISTED:]

    years = {r["round__year"] - 1 for r in rows}
    province = dict(ProvinceResult.objects.filter(year__in=years).values_list("year", "overall_percent"))

    out: list[RoundUnitTargets] = []
    by_round: dict[int, list[dict]] = {}
    for r in rows:  # one row per (round, group): a handful per round
        by_round.setdefault(r["round_id"], []).append(r)
    for round_id, group_rows in by_round.items():  # rows come newest round first
        head = group_rows[0]
        province_year = head["round__year"] - 1
        province_percent = province.get(province_year)
        groups = []
        for g in group_rows:
            extra = lineage.get((round_id, g["group_id"]), [0, 0])
            g["compared"] += extra[0]
            g["improved"] += extra[1]
            mean = _mean(g["total"], g["units"])
            groups.append(
                GroupUnitTargets(
                    g["group_id"],
                    g["group__name"],
                    g["units"],
                    g["compared"],
                    g["improved"],
                    improvement_status(g["improved"], g["compared"]),
                    mean,
                    mean_status(mean, province_percent),
                )
            )
        units = sum(g["units"] for g in group_rows)
        compared = sum(g["compared"] for g in group_rows)
        improved = sum(g["improved"] for g in group_rows)
        total = sum((Decimal(g["total"]) for g in group_rows if g["total"] is not None), Decimal(0))
        mean = _mean(total, units)
        listed_units = not_improved.get(round_id, [])
        out.append(
            RoundUnitTargets(
                head["round__year"],
                head["round__name"],
                units,
                compared,
                improved,
                improvement_status(improved, compared),
                listed_units,
                compared - improved - len(listed_units),
                mean,
                province_year,
                province_percent,
                mean_status(mean, province_percent),
                groups,
                new_units.get(round_id, 0),
            )
        )
    return out
