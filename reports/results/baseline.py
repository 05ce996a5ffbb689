"""Year-over-year through lineage: the one rule (issue 13 item 2; shared/DESIGN.md §5, §9).

What a unit's PAR Index of a round is compared with — its *baseline* in the previous round — decided here for the
rankings' Δ, a unit's trend over the years, the province page's "every unit above its previous year" and the
exports. Lineage is ``units.Unit.predecessors`` (``successor.predecessors ∋ predecessor``); only published results
of the previous round count. The rule, for a unit U with a result in round N, the previous round being P:

1. **same** — U has its own result in P: its own index and rank (as before lineage existed). A unit that absorbed
   others and kept existing keeps its own series (the absorbed units are not averaged in).
2. otherwise walk U's predecessors back, step by step (a chain of reorganisations between two rounds, e.g. a
   rename then a merger in the same year, is followed), stopping on each path at the first unit that has a result
   in P; where nothing published lies behind a predecessor, that predecessor itself is listed, without an index. The walk follows at most
   ``MAX_DEPTH`` steps and never visits a unit twice on a path (a cycle in lineage ends the path). The units
   reached are the unit's *comparison units*:

   - **renamed** — exactly one comparison unit, reached without passing a predecessor that has several successors
     (a rename or re-code, possibly several in a row): the series continues — its index and its rank are the
     baseline;
   - **split** — exactly one comparison unit, reached through a predecessor with several successors: each part of
     the split is compared with the whole predecessor's index ("tách từ …"); no rank is compared (the parts cannot
     all hold the predecessor's place);
   - **merged** — several comparison units: the baseline is the **arithmetic mean of the published indices of those
     that have one** (rounded half up to 2 decimals, as every mean of the portal); those without a published index
     are listed with "—" and left out of the mean (the note says "k/n đơn vị có kết quả"); no rank is compared;
   - **new** ("đơn vị mới") — no comparison unit has a published index, or U has no predecessor and started after
     P's year (``valid_from`` after 31/12 of P's year): no baseline;
   - **missing** ("không có kết quả năm trước") — U has no predecessor, existed in P's year (``valid_from`` empty
     or within it) and has no result of its own there (not assessed): no baseline.

   A unit without a baseline (new, missing) counts in no "improved" statistic and has no Δ. When P does not exist
   or is not published nobody is compared: the mappings are empty.

Bulk, for thousands of units: ``baselines_for`` reads the lineage reachable from the given units and the
previous round's results of every unit reached in **one query** (a recursive CTE, the same SQL on SQLite and
PostgreSQL), whatever the number of units, rounds and steps; the rule itself is applied in Python.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from assessments.models import AssessmentRound, RoundState
from units.models import Unit

from ..models import Result

SAME, RENAMED, SPLIT, MERGED, NEW, MISSING = "same", "renamed", "split", "merged", "new", "missing"
#: Kinds with a baseline index.
COMPARED_KINDS = (SAME, RENAMED, SPLIT, MERGED)
#: Steps of lineage walked back from a unit between two rounds (a guard: real chains are one or two steps).
MAX_DEPTH = 8
CENT = Decimal("0.01")


def percent_text(value: Decimal | None) -> str:
    """ "78,50": a percentage with 2 decimals and a decimal comma (Vietnamese), "—" for None."""
    return "—" if value is None else f"{Decimal(value):.2f}".replace(".", ",")


@dataclass(frozen=True)
class Compared:
    """A comparison unit of a baseline: its ``name``, its published ``index`` (%) in the previous round with
    ``grade`` and ``rank`` — all None / "" when it has no published result there."""

    unit_id: int
    name: str
    index: Decimal | None
    grade: str
    rank: int | None


@dataclass(frozen=True)
class Baseline:
    """What a unit's index is compared with (see the module's rule): ``kind`` one of ``SAME``, ``RENAMED``,
    ``SPLIT``, ``MERGED``, ``NEW``, ``MISSING``; ``index`` (%, None for ``NEW`` / ``MISSING``); ``previous_rank``
    (``SAME`` and ``RENAMED`` only); ``predecessors``: the comparison units (empty for ``SAME``; by name)."""

    kind: str
    index: Decimal | None
    previous_rank: int | None = None
    predecessors: tuple[Compared, ...] = ()

    @property
    def compared(self) -> bool:
        """True when there is a baseline index (the unit counts in "improved" statistics)."""
        return self.index is not None

    @property
    def published(self) -> int:
        """How many comparison units have a published index (the count shown beside a merged unit's mean)."""
        return sum(1 for p in self.predecessors if p.index is not None)

    def change(self, index: Decimal | None) -> Decimal | None:
        """``index`` − the baseline (percentage points), None without a baseline."""
        return None if self.index is None or index is None else Decimal(index) - self.index

    def rank_change(self, rank: int | None) -> int | None:
        """Places gained (previous rank − ``rank``; positive is better), None without a previous rank."""
        return None if self.previous_rank is None or rank is None else self.previous_rank - rank

    @property
    def note(self) -> str:
        """The comparison in words, for the pages and the exports' "So sánh với" column: "" for ``SAME``;
        "đơn vị mới"; "không có kết quả năm trước"; "trước sắp xếp: A"; "tách từ: A (78,50)"; "so với bình quân của: A
        (78,50), B (81,20)" (+ " — 2/3 đơn vị có kết quả" when some have none)."""
        names = ", ".join(f"{p.name} ({percent_text(p.index)})" for p in self.predecessors)
        if self.kind == NEW:
            return _("đơn vị mới")
        if self.kind == MISSING:
            return _("không có kết quả năm trước")
        if self.kind == RENAMED:
            return _("trước sắp xếp: %(names)s") % {"names": names}
        if self.kind == SPLIT:
            return _("tách từ: %(names)s") % {"names": names}
        if self.kind == MERGED:
            text = _("so với bình quân của: %(names)s") % {"names": names}
            if self.published < len(self.predecessors):
                text += " — " + _("%(k)s/%(n)s đơn vị có kết quả") % {
                    "k": self.published,
                    "n": len(self.predecessors),
                }
            return text
        return ""


#: The seeds of a walk: (previous round, the units to compare) — units as a list of ids or a one-column
#: queryset of unit ids (read inside the one query, never loaded).
Seeds = Iterable[tuple[AssessmentRound, "Sequence[int] | QuerySet"]]


@dataclass
class _Node:
    name: str
    valid_from: date | None
    index: Decimal | None
    grade: str
    rank: int | None
    has_result: bool
    successors: int
    predecessors: list[int]


def _seed_sql(previous: AssessmentRound, units) -> tuple[str, list]:
    if isinstance(units, QuerySet):
        if units.query.is_empty():
            return "", []
        sql, params = units.order_by().query.sql_with_params()
        return f"SELECT %s, sub.* FROM ({sql}) sub", [previous.pk, *params]
    ids = list(dict.fromkeys(int(u) for u in units))
    if not ids:
        return "", []
    marks = ", ".join(["%s"] * len(ids))
    return f"SELECT %s, id FROM {Unit._meta.db_table} WHERE id IN ({marks})", [previous.pk, *ids]


def _walk(seeds: list[tuple[str, list]]) -> dict[tuple[int, int], _Node]:
    """The lineage reachable from the seeds and the previous round's results of every unit reached, in one query:
    {(previous round id, unit id): node}."""
    edges, units, results = (
        Unit.predecessors.through._meta.db_table,
        Unit._meta.db_table,
        Result._meta.db_table,
    )
    # a subquery (not a CTE of the recursive query) so that the planner estimates it from the tables' statistics
    seed_sql = "(WITH s(prev_id, unit_id) AS ({}) SELECT prev_id, unit_id FROM s)".format(
        " UNION ALL ".join(sql for sql, _params in seeds)
    )
    seed_params = [p for _sql, ps in seeds for p in ps]
    params = [*seed_params, MAX_DEPTH, *seed_params]
    # The walk starts from the predecessors of the units without a result of their own in the previous round (few:
    # the planner then expects a small walk — seeded with every unit, PostgreSQL JIT-compiles the query for an
    # imagined huge one, 0.6 s at 10,000 units). UNION (not UNION ALL) with the depth bound ends the recursion on cycles; a unit with a result in the
    # previous round ends its path.
    own = f"SELECT 1 FROM {results} own WHERE own.unit_id = {{0}}.unit_id AND own.round_id = {{0}}.prev_id"
    sql = f"""
        WITH RECURSIVE walk(prev_id, unit_id, depth) AS (
            SELECT seed.prev_id, e.to_unit_id, 1 FROM {seed_sql} seed JOIN {edges} e ON e.from_unit_id = seed.unit_id
            WHERE NOT EXISTS ({own.format("seed")})
            UNION
            SELECT walk.prev_id, e.to_unit_id, walk.depth + 1
            FROM walk JOIN {edges} e ON e.from_unit_id = walk.unit_id
            WHERE walk.depth < %s AND NOT EXISTS ({own.format("walk")})
        ),
        reach(prev_id, unit_id) AS (
            SELECT seed.prev_id, seed.unit_id FROM {seed_sql} seed UNION SELECT prev_id, unit_id FROM walk
        )
        SELECT r.prev_id, r.unit_id, u.name, u.valid_from, pr.id, pr.par_index, pr.grade, pr.rank,
            e.to_unit_id, COALESCE(sc.n, 0)
        FROM reach r
        JOIN {units} u ON u.id = r.unit_id
        LEFT JOIN {results} pr ON pr.unit_id = r.unit_id AND pr.round_id = r.prev_id
        LEFT JOIN {edges} e ON e.from_unit_id = r.unit_id AND pr.id IS NULL
        LEFT JOIN (SELECT to_unit_id, COUNT(*) AS n FROM {edges} GROUP BY to_unit_id) sc ON sc.to_unit_id = r.unit_id
    """
    nodes: dict[tuple[int, int], _Node] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for prev_id, unit_id, name, valid_from, result_id, index, grade, rank, pred, successors in cursor:
            node = nodes.get((prev_id, unit_id))
            if node is None:
                if isinstance(valid_from, str):  # SQLite
                    valid_from = date.fromisoformat(valid_from)
                node = nodes[(prev_id, unit_id)] = _Node(
                    name,
                    valid_from,
                    None if index is None else Decimal(str(index)).quantize(CENT),
                    grade or "",
                    rank,
                    result_id is not None,
                    successors,
                    [],
                )
            if pred is not None and pred not in node.predecessors:
                node.predecessors.append(pred)
    return nodes


def _compared(unit_id: int, node: _Node) -> Compared:
    return Compared(unit_id, node.name, node.index, node.grade, node.rank)


def _resolve(prev_id: int, prev_year: int, unit_id: int, nodes: dict[tuple[int, int], _Node]) -> Baseline:
    """The rule (module docstring) for one unit, from the walked nodes."""
    node = nodes[(prev_id, unit_id)]
    if node.has_result:
        return Baseline(SAME, node.index, node.rank)

    def walk(x: int, depth: int, split: bool, path: frozenset[int]) -> dict[int, tuple[Compared, bool]]:
        """The comparison units reached from ``x``'s predecessors: {unit id: (unit, reached through a split)}."""
        found: dict[int, tuple[Compared, bool]] = {}
        for q in nodes[(prev_id, x)].predecessors:
            q_node = nodes.get((prev_id, q))
            if q in path or q_node is None:  # a cycle, or beyond the depth bound
                continue
            q_split = split or q_node.successors > 1
            reached = {}
            if not q_node.has_result and depth + 1 < MAX_DEPTH:
                reached = walk(q, depth + 1, q_split, path | {q})
            if not any(c.index is not None for c, _s in reached.values()):
                # q has the result, or nothing published lies behind it: q itself is compared (maybe without index)
                reached = {q: (_compared(q, q_node), q_split)}
            for unit, (c, s) in reached.items():
                found[unit] = (c, s or found.get(unit, (c, False))[1])
        return found

    found = walk(unit_id, 0, False, frozenset({unit_id}))
    units = sorted((c for c, _split in found.values()), key=lambda c: (c.name, c.unit_id))
    with_index = [c.index for c in units if c.index is not None]
    if not with_index:
        started_after = node.valid_from is not None and node.valid_from > date(prev_year, 12, 31)
        kind = NEW if units or started_after else MISSING
        return Baseline(kind, None, None, tuple(units))
    if len(units) == 1:
        [(only, split)] = found.values()
        if split:
            return Baseline(SPLIT, only.index, None, tuple(units))
        return Baseline(RENAMED, only.index, only.rank, tuple(units))
    mean = (sum(with_index, Decimal(0)) / len(with_index)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Baseline(MERGED, mean, None, tuple(units))


def baselines_for(seeds: Seeds) -> dict[int, dict[int, Baseline]]:
    """{previous round id: {unit id: ``Baseline``}} for each (previous round, units) of ``seeds`` — 1 query
    whatever the number of units and pairs (none when there is nothing to compare). Pairs whose previous round is
    not published are left out (nobody is compared with unpublished figures)."""
    pairs = [(p, units) for p, units in seeds if p is not None and p.state == RoundState.PUBLISHED]
    parts = [part for p, units in pairs for part in [_seed_sql(p, units)] if part[0]]
    out: dict[int, dict[int, Baseline]] = {p.pk: {} for p, _units in pairs}
    if not parts:
        return out
    nodes = _walk(parts)
    years = {p.pk: p.year for p, _units in pairs}
    # Every node is resolved (the seeds and the units walked through): cheap, and each caller looks up its own.
    for prev_id, unit_id in nodes:
        out[prev_id][unit_id] = _resolve(prev_id, years[prev_id], unit_id, nodes)
    return out


def own(index: Decimal | None, rank: int | None) -> Baseline:
    """The ``SAME`` baseline of a unit whose own result in the previous round a caller has read already (a join):
    that result's ``index`` (%) and ``rank`` — what the walk gives such a unit, without walking (rule 1)."""
    return Baseline(SAME, None if index is None else Decimal(str(index)).quantize(CENT), rank)


def baselines(*, previous: AssessmentRound | None, units) -> dict[int, Baseline]:
    """{unit id: ``Baseline``} of ``units`` (ids, or a one-column queryset of unit ids) against the ``previous``
    round (the mapping also holds the units walked through); empty — no query — when ``previous`` is None or not
    published. 1 query."""
    if previous is None or previous.state != RoundState.PUBLISHED:
        return {}
    return baselines_for([(previous, units)])[previous.pk]
