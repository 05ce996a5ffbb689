"""The commune group's rankings by area (khu vực): the ranked table within an area and the per-area summary
(issue 13 item 5).

An area is a commune's district — its parent in the rounds up to 2024, its *former* district (through lineage) for
the commune-level units formed on 1 July 2025: the one rule is ``units.reorganisation.selectors.area_of``. Areas
are offered for the commune group only (``criteria.shipped.COMMUNE_GROUP``); the other groups' pages are unchanged.

What is counted is what the group's ranking ranks (``selectors.split_appraised``: every result once the round is
published, the appraised ones before), as ``user`` may see it (``reports.permissions.results_visible_to``).
"""

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from assessments.models import AssessmentRound
from criteria.shipped import COMMUNE_GROUP
from units.models import Unit, UnitGroup
from units.reorganisation.selectors import area_of, round_units_day, unit_valid_on

from ..permissions import results_visible_to
from . import selectors

CENT = Decimal("0.01")


def has_areas(group: UnitGroup) -> bool:
    """Whether ``group``'s rankings offer the areas (the commune group only)."""
    return group.code == COMMUNE_GROUP


@dataclass(frozen=True)
class Area:
    """An area of a round's commune group: its ``unit`` (a district; None for the communes with none, "Chưa xác định
    khu vực"), ``former`` when that district no longer existed at the round's day (``round_units_day``)."""

    unit: Unit | None
    former: bool

    @property
    def code(self) -> str:
        """The area's ``?area=`` value: its district's code ("" for no area)."""
        return "" if self.unit is None else self.unit.code

    @property
    def label(self) -> str:
        """ "Huyện Châu Thành", "Huyện Châu Thành (cũ)" for a former district, "Chưa xác định khu vực"."""
        if self.unit is None:
            return _("Chưa xác định khu vực")
        name = self.unit.short_name or self.unit.name
        return _("%(name)s (cũ)") % {"name": name} if self.former else name


@dataclass(frozen=True)
class RankedUnit:
    """A ranked result of the summary: ``result_id``, ``name`` (the unit's), ``index`` (PAR Index %)."""

    result_id: int
    name: str
    index: Decimal


@dataclass
class AreaSummary:
    """One row of the per-area summary: ``units`` (ranked communes), ``mean`` (their mean PAR Index %, 2 decimals
    half up; None without units), ``grades`` (``[(grade code, number)]`` in ``CommuneAreas.grade_codes``' order), ``best`` / ``worst`` (the highest / lowest index; a tie: the first by name)."""

    area: Area
    units: int
    mean: Decimal | None
    grades: list[tuple[str, int]]
    best: RankedUnit | None
    worst: RankedUnit | None


@dataclass
class CommuneAreas:
    """A round's commune group by area: ``areas`` (those with ranked communes, or pending ones, in the districts'
    order; "no area" last), ``of`` ({unit id: ``Area``}: every visible result's unit, pending ones too),
    ``rank_in_area`` ({result id: rank among the ranked communes of its area, ties sharing a rank: 1, 2, 2, 4}),
    ``summary`` (one ``AreaSummary`` per area of ``areas``), ``grade_codes`` (the summary's grade columns: the
    bands' codes, best first, then any other grade met — "" below every band)."""

    areas: list[Area]
    of: dict[int, Area]
    grade_codes: list[str] = field(default_factory=list)
    rank_in_area: dict[int, int] = field(default_factory=dict)
    summary: list[AreaSummary] = field(default_factory=list)

    def find(self, code: str) -> Area | None:
        """The area whose ``code`` is ``code`` (None when none is)."""
        return next((a for a in self.areas if a.code == code), None)

    def units_in(self, area: Area) -> list[int]:
        """Ids of the units of ``area``."""
        return [unit_id for unit_id, a in self.of.items() if a == area]


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def commune_areas(
    *, user, round: AssessmentRound, group: UnitGroup, bands: list[tuple[str, str]]
) -> CommuneAreas:
    """``group``'s results of ``round`` by area, as ``user`` may see them (see ``CommuneAreas``). ``bands``: the
    group's grade bands (``selectors.grade_bands``), the columns of the summary's grade counts. 3 queries whatever
    the number of units: the areas (``area_of``, 2) and the ranked results' keys (1)."""
    day = round_units_day(round.year)
    everything = results_visible_to(user).filter(round=round, group=group)
    found = area_of(everything.values("unit_id"))
    areas_by_unit: dict[int | None, Area] = {}
    of: dict[int, Area] = {}
    for unit_id, unit in found.items():
        key = None if unit is None else unit.pk
        if key not in areas_by_unit:
            areas_by_unit[key] = Area(unit, unit is not None and not unit_valid_on(unit, day))
        of[unit_id] = areas_by_unit[key]
    areas = sorted(
        areas_by_unit.values(),
        key=lambda a: (a.unit is None, (a.unit.order, a.unit.name) if a.unit else (0, "")),
    )
    ranked, _pending = selectors.split_appraised(everything, round)
    rows = list(
        ranked.order_by(F("par_index").desc(), "unit__name").values_list(
            "pk", "unit_id", "unit__name", "par_index", "grade"
        )
    )
    out = CommuneAreas(areas, of)
    by_area: dict[Area, list[tuple]] = {a: [] for a in areas}
    for row in rows:
        by_area[of[row[1]]].append(row)
    codes = [code for code, _label in bands]
    codes += sorted({row[4] for row in rows} - set(codes))  # a grade below every band: code ""
    out.grade_codes = codes
    for area in areas:
        members = by_area[area]  # by index, highest first
        for position, (pk, _unit, _name, index, _grade) in enumerate(members):
            previous = members[position - 1] if position else None
            out.rank_in_area[pk] = (
                out.rank_in_area[previous[0]] if previous and previous[3] == index else position + 1
            )
        counts = Counter(row[4] for row in members)
        grades = [(code, counts[code]) for code in codes]
        best = RankedUnit(members[0][0], members[0][2], members[0][3]) if members else None
        lowest = min((row[3] for row in members), default=None)
        worst = next((RankedUnit(row[0], row[2], row[3]) for row in members if row[3] == lowest), None)
        out.summary.append(
            AreaSummary(area, len(members), _mean([row[3] for row in members]), grades, best, worst)
        )
    return out
