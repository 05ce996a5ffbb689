"""Reads of reorganisations: the units valid on a day or in a round's year, and a unit's lineage (issue 13 §1).

The rule for rounds lives here (``round_units_day``): a round of year Y assesses the units valid on 31 December
of Y — the map at the end of the assessed year. A unit closed during Y (merged on 1 July, say) is not assessed
for Y; its successor is. ``assessments.services.rounds.units_in_year`` and the demo call it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from ..models import Reorganisation, ReorganisationUnit, Unit


def valid_on_q(day: date, prefix: str = "") -> Q:
    """The condition "the unit is valid on ``day``" (dates inclusive; empty = open), on ``Unit`` or through
    ``prefix`` (e.g. ``"unit__"``). A unit without ``valid_to`` made inactive by hand counts as closed."""
    p = prefix
    return (Q(**{f"{p}valid_from__isnull": True}) | Q(**{f"{p}valid_from__lte": day})) & (
        Q(**{f"{p}valid_to__gte": day}) | Q(**{f"{p}valid_to__isnull": True, f"{p}is_active": True})
    )


def unit_valid_on(unit: Unit, day: date) -> bool:
    """Whether ``unit`` is valid on ``day`` (the same rule as ``valid_on_q``, on a loaded instance)."""
    if unit.valid_from and unit.valid_from > day:
        return False
    if unit.valid_to is None:
        return unit.is_active
    return unit.valid_to >= day


def units_valid_on(day: date, *, group_id: int | None = None) -> QuerySet[Unit]:
    """The units valid on ``day`` (of group ``group_id`` when given)."""
    qs = Unit.objects.filter(valid_on_q(day))
    return qs.filter(group_id=group_id) if group_id is not None else qs


def round_units_day(year: int) -> date:
    """The day whose map a round of ``year`` assesses: 31 December of ``year`` (see the module docstring)."""
    return date(year, 12, 31)


def units_of_round_year(group_id: int, year: int) -> QuerySet[Unit]:
    """The units of group ``group_id`` a round of ``year`` assesses (valid on ``round_units_day(year)``)."""
    return units_valid_on(round_units_day(year), group_id=group_id)


def ancestors_of(unit_ids: set[int]) -> set[int]:
    """Ids of every transitive predecessor of the units ``unit_ids`` (themselves excluded unless in a cycle).
    One query per generation."""
    through = Unit.predecessors.through
    seen: set[int] = set()
    frontier = set(unit_ids)
    while frontier:
        parents = set(through.objects.filter(from_unit_id__in=frontier).values_list("to_unit_id", flat=True))
        frontier = parents - seen
        seen |= parents
    return seen


@dataclass
class LineageStep:
    """One unit of a lineage, ``depth`` generations before (−) or after (+) the unit viewed, reached through
    ``event`` (the reorganisation that linked it; ``None`` for a link entered without one) from ``via``."""

    unit: Unit
    depth: int
    via: Unit
    event: Reorganisation | None
    share: Decimal | None = None

    @property
    def generations(self) -> int:
        """How many links away from the unit viewed (1 = a direct predecessor or successor)."""
        return abs(self.depth)


@dataclass
class Lineage:
    """A unit's predecessors (``before``, nearest first) and successors (``after``, nearest first) over the years,
    and the events that touched the unit itself (``events``, newest first)."""

    unit: Unit
    before: list[LineageStep] = field(default_factory=list)
    after: list[LineageStep] = field(default_factory=list)
    events: list[Reorganisation] = field(default_factory=list)


def _event_between(source_id: int, result_id: int) -> tuple[Reorganisation | None, Decimal | None]:
    link = (
        ReorganisationUnit.objects.filter(unit_id=result_id, role=ReorganisationUnit.RESULT)
        .filter(
            reorganisation__links__unit_id=source_id,
            reorganisation__links__role=ReorganisationUnit.SOURCE,
        )
        .select_related("reorganisation")
        .order_by("-reorganisation__effective")
        .first()
    )
    return (link.reorganisation, link.share) if link else (None, None)


def lineage_of(unit: Unit, *, max_depth: int = 10) -> Lineage:
    """``unit``'s lineage (see ``Lineage``): predecessors and successors followed transitively through
    ``Unit.predecessors`` up to ``max_depth`` generations, each with the event and share of its link.
    A few queries per unit reached (lineages are short: a unit has had a handful of reorganisations)."""
    lineage = Lineage(unit=unit)
    for direction, attr in ((-1, "predecessors"), (1, "successors")):
        steps = lineage.before if direction < 0 else lineage.after
        seen = {unit.pk}
        queue = deque([(unit, 0)])
        while queue:
            current, depth = queue.popleft()
            if abs(depth) >= max_depth:
                continue
            for other in getattr(current, attr).select_related("group", "parent").order_by("code"):
                if other.pk in seen:
                    continue
                seen.add(other.pk)
                source, result = (other, current) if direction < 0 else (current, other)
                event, share = _event_between(source.pk, result.pk)
                steps.append(LineageStep(other, depth + direction, current, event, share))
                queue.append((other, depth + direction))
    lineage.events = list(
        Reorganisation.objects.filter(links__unit=unit)
        .distinct()
        .prefetch_related(Prefetch("links", queryset=ReorganisationUnit.objects.select_related("unit")))
    )
    return lineage


def shares_of(successor: Unit) -> dict[int, Decimal | None]:
    """{predecessor id: the share in % that ``successor`` received from it in a split (``None`` for a merge,
    rename or move, or a split without shares)} over ``successor``'s direct predecessors."""
    result: dict[int, Decimal | None] = {
        pk: None for pk in successor.predecessors.values_list("pk", flat=True)
    }
    links = ReorganisationUnit.objects.filter(unit=successor, role=ReorganisationUnit.RESULT).select_related(
        "reorganisation"
    )
    for link in links:
        if link.reorganisation.kind == "split":
            for src in link.reorganisation.sources:
                if src.pk in result:
                    result[src.pk] = link.share
    return result


def reorganisations_list() -> QuerySet[Reorganisation]:
    """Every event, newest first, with its units loaded."""
    return Reorganisation.objects.select_related("created_by").prefetch_related(
        Prefetch("links", queryset=ReorganisationUnit.objects.select_related("unit"))
    )
