"""Reads of reorganisations: the units valid on a day or in a round's year, and a unit's lineage (issue 13 §1).

The rule for rounds lives here (``round_units_day``): a round of year Y assesses the units valid on 31 December
of Y — the map at the end of the assessed year. A unit closed during Y (merged on 1 July, say) is not assessed
for Y; its successor is. ``assessments.services.rounds.units_in_year`` and the demo call it.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
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


#: Steps of lineage walked back from a unit to find its former district (a guard: real chains are 1–2 steps).
AREA_MAX_DEPTH = 8


def _ids_sql(units) -> tuple[str, list]:
    """A one-column SELECT of the unit ids ``units`` (ids, or a one-column queryset of unit ids read inside)."""
    if isinstance(units, QuerySet):
        if units.query.is_empty():
            return "", []
        sql, params = units.order_by().query.sql_with_params()
        return sql, list(params)
    ids = list(dict.fromkeys(int(u) for u in units))
    if not ids:
        return "", []
    return f"SELECT id FROM {Unit._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(ids))})", ids


def area_of(units) -> dict[int, Unit | None]:
    """{unit id: its *area* (khu vực) — a ``Unit``, or None when it has none} for ``units`` (ids, or a one-column
    queryset of unit ids), the one rule of "Khu vực" for the commune level (issue 13 item 5):

    1. a unit with a ``parent`` belongs to its parent — a commune to its district in the rounds up to 2024;
    2. a unit without one (the commune-level units formed on 1 July 2025, when the district level ended) belongs to
       its **former district**: its predecessors (``Unit.predecessors``) are walked back — several steps if need
       be, at most ``AREA_MAX_DEPTH``, a cycle ends the walk — to the first units on each path that have a parent,
       and the area is the parent holding **most of them**; a tie (a commune formed from as many communes of two
       districts) goes to the district first in the units' order (``order``, then name). Each unit so belongs to
       exactly one area, and the areas' figures add up to the group's;
    3. no parent and no predecessor with one: None.

    A rename or a move makes a new record (``units.reorganisation.services``), so a record's parent is the one it
    had while valid: no date is needed, and a dissolved district still names its former communes' area.
    2 queries whatever the number of units (one recursive query, the same SQL on SQLite and PostgreSQL, then the
    areas' records)."""
    seed_sql, params = _ids_sql(units)
    if not seed_sql:
        return {}
    table, edges = Unit._meta.db_table, Unit.predecessors.through._meta.db_table
    # UNION (not UNION ALL) with the depth bound ends the recursion on cycles; a unit with a parent ends its path.
    sql = f"""
        WITH RECURSIVE seed(id) AS ({seed_sql}),
        walk(root_id, unit_id, depth) AS (
            SELECT id, id, 0 FROM seed
            UNION
            SELECT walk.root_id, e.to_unit_id, walk.depth + 1
            FROM walk
            JOIN {table} w ON w.id = walk.unit_id
            JOIN {edges} e ON e.from_unit_id = walk.unit_id
            WHERE w.parent_id IS NULL AND walk.depth < %s
        )
        SELECT DISTINCT walk.root_id, walk.unit_id, walk.depth, u.parent_id
        FROM walk JOIN {table} u ON u.id = walk.unit_id
        WHERE walk.depth = 0 OR u.parent_id IS NOT NULL
    """
    own: dict[int, int | None] = {}  # root → its own parent (None: none)
    reached: dict[int, dict[int, int]] = {}  # root → {predecessor with a parent: its parent}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, AREA_MAX_DEPTH])
        rows = cursor.fetchall()
    for root_id, unit_id, depth, parent_id in rows:
        if depth == 0:
            own[root_id] = parent_id
        elif parent_id is not None:
            reached.setdefault(root_id, {})[unit_id] = parent_id
    candidates = {p for p in own.values() if p is not None}
    candidates |= {p for found in reached.values() for p in found.values()}
    areas = Unit.objects.in_bulk(candidates)
    place = {pk: (u.order, u.name, u.pk) for pk, u in areas.items()}
    out: dict[int, Unit | None] = {}
    for root, parent_id in own.items():
        if parent_id is not None:
            out[root] = areas[parent_id]
            continue
        counts = Counter(reached.get(root, {}).values())
        out[root] = areas[min(counts, key=lambda p: (-counts[p], place[p]))] if counts else None
    return out
