"""Reads of criteria sets: lists, summaries, the tree for display, and a set as ``SetSpec`` data.

Every public selector takes the acting ``user`` and refuses (``PermissionDenied``) one who may not
manage sets (admins and the coordinator may — shared/DESIGN.md §7).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet

from units.permissions import require_perm

from .models import EXTRA_KINDS, SLOT_BONUS, SLOT_PENALTY, CriteriaSet, Criterion, Kind, Source
from .rules import MANAGE_SETS_REFUSED
from .tree import BandSpec, NodeSpec, SetSpec, summarize


def criteria_set_list(
    *, user, year: int | None = None, group_code: str | None = None
) -> QuerySet[CriteriaSet]:
    """Sets ordered by year (newest first) then group order, with their group loaded."""
    require_perm(user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    qs = CriteriaSet.objects.select_related("group", "parent_unit")
    if year:
        qs = qs.filter(year=year)
    if group_code:
        qs = qs.filter(group__code=group_code)
    return qs


def criteria_set_get(*, user, pk) -> CriteriaSet:
    """One set; ``CriteriaSet.DoesNotExist`` for an unknown id (views turn it into 404)."""
    require_perm(user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    return CriteriaSet.objects.select_related("group", "cloned_from", "parent_unit__group").get(pk=pk)


def criteria_set_summaries(sets) -> dict[int, dict]:
    """``{set id: summarize(...)}`` for many sets with one query (see ``criteria.tree.summarize``)."""
    by_set = defaultdict(list)
    ids = [s.pk for s in sets]
    for node in Criterion.objects.filter(criteria_set_id__in=ids).only(
        "criteria_set_id", "code", "max_points", "source", "kind"
    ):
        by_set[node.criteria_set_id].append(node)
    return {pk: summarize(by_set.get(pk, [])) for pk in ids}


def criteria_set_spec(criteria_set: CriteriaSet) -> SetSpec:
    """The set as data (for export and cloning); two queries."""
    nodes = [
        NodeSpec(
            code=n.code,
            title=n.title,
            max_points=n.max_points,
            source=n.source,
            kind=n.kind,
            scale=n.scale,
            step=n.step,
            guidance=n.guidance,
            evidence_hint=n.evidence_hint,
            owner_code=n.owner.code if n.owner else "",
        )
        for n in criteria_set.nodes.select_related("owner").order_by("order")
    ]
    bands = [
        BandSpec(code=b.code, label=b.label, min_percent=b.min_percent) for b in criteria_set.bands.all()
    ]
    return SetSpec(
        name=criteria_set.name,
        bonus_cap=criteria_set.bonus_cap,
        penalty_cap=criteria_set.penalty_cap,
        bands=bands,
        nodes=nodes,
    )


@dataclass(frozen=True)
class SetLayout:
    """A set as the PAR Index computation needs it (``reports.results.services.results_compute``).

    ``slots``: {leaf id: slot} (``criteria.models.SLOT_BONUS``); ``fields``: [(k, field id, static max)] in order,
    the static max (points) being Σ max points of the field's appraisal and survey leaves — bonus and penalty
    leaves are in no maximum — before any leaf is found not applicable.
    """

    slots: dict[int, int]
    fields: list[tuple[int, int, Decimal]]


def set_layouts(set_ids) -> dict[int, SetLayout]:
    """{set id: ``SetLayout``} for the sets ``set_ids`` (criteria sets' ids), one query. A leaf's field is its
    level-1 ancestor; fields are numbered 1, 2, … by ``order`` within their set (shared/DESIGN.md §3)."""
    nodes = list(
        Criterion.objects.filter(criteria_set_id__in=list(set_ids))
        .order_by("criteria_set_id", "order")
        .values_list("id", "criteria_set_id", "parent_id", "max_points", "source", "kind")
    )
    parents = {parent for _id, _set, parent, *_rest in nodes if parent}
    root: dict[int, int] = {}
    number: dict[int, int] = {}
    counts: dict[int, int] = defaultdict(int)
    layouts = {pk: SetLayout(slots={}, fields=[]) for pk in set_ids}
    maxima: dict[int, Decimal] = defaultdict(Decimal)
    parent_of = {pk: parent for pk, _set, parent, *_rest in nodes}
    for pk, set_id, parent, *_rest in nodes:
        if not parent:
            counts[set_id] += 1
            number[pk] = counts[set_id]
    for pk in parent_of:
        top = pk
        while parent_of[top]:
            top = parent_of[top]
        root[pk] = top
    for pk, set_id, _parent, max_points, source, kind in nodes:
        if pk in parents:
            continue
        k = number[root[pk]]
        if kind == Kind.BONUS:
            slot = SLOT_BONUS
        elif kind == Kind.PENALTY:
            slot = SLOT_PENALTY
        else:
            slot = -k if source == Source.SURVEY else k
            maxima[root[pk]] += max_points
        layouts[set_id].slots[pk] = slot
    for pk, set_id, parent, *_rest in nodes:
        if not parent:
            layouts[set_id].fields.append((number[pk], pk, maxima[pk]))
    return layouts


def leaf_slots(criteria_set_id: int) -> dict[int, int]:
    """{leaf id: slot} of one set (see ``set_layouts``); what a new score row's ``slot`` is set from."""
    return set_layouts([criteria_set_id])[criteria_set_id].slots


@dataclass
class TreeRow:
    """A node as the tree page shows it: depth 0 for fields, the effective appraising agency, and for
    parents the sum of their appraisal and survey leaves (points)."""

    node: Criterion
    depth: int
    is_leaf: bool
    owner: object
    owner_inherited: bool
    appraisal_max: Decimal = Decimal(0)
    survey_max: Decimal = Decimal(0)
    children_codes: list = field(default_factory=list)


def criteria_tree(*, user, criteria_set: CriteriaSet) -> list[TreeRow]:
    """The set's nodes in print order with depth, leaf flag, effective owner and per-source totals.

    One query. Bonus/penalty leaves add to neither total.
    """
    require_perm(user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    nodes = list(criteria_set.nodes.select_related("owner").order_by("order"))
    rows = {
        n.code: TreeRow(node=n, depth=n.level - 1, is_leaf=True, owner=n.owner, owner_inherited=False)
        for n in nodes
    }
    for n in nodes:
        parent = n.code.rpartition(".")[0]
        if parent in rows:
            rows[parent].is_leaf = False
            rows[parent].children_codes.append(n.code)
            if n.owner is None:
                rows[n.code].owner = rows[parent].owner
                rows[n.code].owner_inherited = True
    for n in nodes:
        row = rows[n.code]
        if not row.is_leaf or n.kind in EXTRA_KINDS:
            continue
        code = n.code
        while code:
            target = rows[code]
            if n.source == Source.SURVEY:
                target.survey_max += n.max_points
            else:
                target.appraisal_max += n.max_points
            code = code.rpartition(".")[0]
    return [rows[n.code] for n in nodes]
