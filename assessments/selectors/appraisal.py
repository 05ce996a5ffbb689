"""Reads of the appraisal (issue 4; shared/DESIGN.md §4, §7): which agency appraises which leaves, the
appraiser's queue, one part's sheet, the unit's questions, and the coordinator's overview.

Kept apart from ``selectors.scoring`` (self-assessment reads) so each module stays readable; the rules of who
sees what are in ``permissions.py`` and here (``parts_visible_to``).
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from django.db.models import Count, Prefetch, QuerySet

from criteria.models import EXTRA_KINDS, Criterion, Source
from units.models import Role, Unit, UnitGroup
from units.permissions import units_of

from ..models import Assessment, AssessmentRound, AssessmentState, FieldAppraisal, PartState, Score
from .scoring import Row, scoring_sheet

#: Queue statuses as the issue names them, from part states (issue 4 §2).
QUEUE_STATUS = {
    PartState.PENDING: ("not_started", "Chưa bắt đầu"),
    PartState.IN_PROGRESS: ("in_progress", "Đang thẩm định"),
    PartState.EXPLANATION: ("waiting", "Chờ giải trình"),
    PartState.APPRAISAL_2: ("in_progress", "Đang thẩm định"),
    PartState.FINAL: ("done", "Đã xong"),
}
STATUS_CHOICES = (
    ("not_started", "Chưa bắt đầu"),
    ("in_progress", "Đang thẩm định"),
    ("waiting", "Chờ giải trình"),
    ("done", "Đã xong"),
)
_STATUS_STATES = {
    "not_started": [PartState.PENDING],
    "in_progress": [PartState.IN_PROGRESS, PartState.APPRAISAL_2],
    "waiting": [PartState.EXPLANATION],
    "done": [PartState.FINAL],
}


def leaf_parts(criteria_set_id: int) -> dict[int, tuple[int, int | None]]:
    """``{leaf id: (field id, owner unit id)}`` for the set's appraisal leaves (bonus and penalty included):
    the owner is the nearest node on the path from the leaf to its field that names one (``Criterion.owner``;
    e.g. ISO sub-criteria → Sở KH&CN inside the modernisation field owned by Sở TT&TT), ``None`` when no node
    on that path names one. One query."""
    nodes = list(
        Criterion.objects.filter(criteria_set_id=criteria_set_id).values(
            "id", "code", "level", "owner_id", "source"
        )
    )
    by_code = {n["code"]: n for n in nodes}
    parents = {n["code"].rpartition(".")[0] for n in nodes}
    result: dict[int, tuple[int, int | None]] = {}
    for n in nodes:
        if n["code"] in parents or n["source"] != Source.APPRAISAL:
            continue
        code, owner = n["code"], None
        while code:
            node = by_code[code]
            owner = owner or node["owner_id"]
            if node["level"] == 1:
                break
            code = code.rpartition(".")[0]
        result[n["id"]] = (by_code[code]["id"], owner)
    return result


def part_leaf_ids(part: FieldAppraisal) -> list[int]:
    """Criterion ids of the leaves appraised in ``part`` (one query)."""
    return [
        leaf
        for leaf, key in leaf_parts(part.assessment.criteria_set_id).items()
        if key == (part.field_id, part.owner_id)
    ]


def parts_visible_to(user) -> QuerySet[FieldAppraisal]:
    """Parts ``user`` may open: appraisers the parts of their agencies once submitted; the coordinator and
    admins all. Nobody sees a part of a draft (DESIGN §7)."""
    qs = FieldAppraisal.objects.exclude(assessment__state=AssessmentState.DRAFT)
    if user.has_perm("assessments.view_all"):
        return qs
    return qs.filter(owner_id__in=units_of(user, Role.APPRAISER))


def part_get(*, user, pk) -> FieldAppraisal:
    """A part ``user`` may open, with assessment, round, unit, field and owner; ``DoesNotExist`` (→ 404)."""
    return (
        parts_visible_to(user)
        .select_related(
            "assessment",
            "assessment__round",
            "assessment__unit",
            "assessment__unit__group",
            "assessment__criteria_set",
            "field",
            "owner",
        )
        .get(pk=pk)
    )


def appraisal_queue(
    *, user, round: AssessmentRound | None = None, group: str = "", unit: str = "", status: str = ""
) -> QuerySet[FieldAppraisal]:
    """The appraiser's queue (issue 4 §2): submitted assessments × the parts the user's agencies own,
    newest round first, with ``status``/``status_label`` from ``QUEUE_STATUS`` added by ``queue_rows``.
    Filters: ``round``, ``group`` (unit group code), ``unit`` (unit code), ``status`` (a ``STATUS_CHOICES``
    key; unknown values are ignored). One query (see ``queue_rows`` for the counts)."""
    qs = (
        parts_visible_to(user)
        .select_related(
            "assessment", "assessment__round", "assessment__unit", "assessment__unit__group", "field", "owner"
        )
        .order_by(
            "-assessment__round__year",
            "assessment__unit__group__order",
            "assessment__unit__order",
            "field__order",
            "owner__order",
        )
    )
    if round is not None:
        qs = qs.filter(assessment__round=round)
    if group:
        qs = qs.filter(assessment__unit__group__code=group)
    if unit:
        qs = qs.filter(assessment__unit__code=unit)
    if status in _STATUS_STATES:
        qs = qs.filter(state__in=_STATUS_STATES[status])
    return qs


@dataclass
class QueueRow:
    """A row of the queue: the part, its status key and label, the deadline that applies (a date or None
    when done), and leaf counts (decided / flagged / total)."""

    part: FieldAppraisal
    status: str
    status_label: str
    deadline: datetime.date | None
    decided: int
    flagged: int
    leaves: int
    days_left: int | None = None  # set by ``home.appraiser_work`` (whole days to ``deadline``)


def queue_rows(parts) -> list[QueueRow]:
    """The queue's rows with counts per part, in two queries whatever the number of parts (the parts; the
    score rows of their assessments, grouped)."""
    parts = list(parts)
    if not parts:
        return []
    by_set = defaultdict(set)
    for p in parts:
        by_set[p.assessment.criteria_set_id].add(p.assessment_id)
    leaf_keys = {set_id: leaf_parts(set_id) for set_id in by_set}
    counts: defaultdict[tuple[int, int, int | None], Counter[str]] = defaultdict(Counter)
    scores = Score.objects.filter(
        assessment_id__in={p.assessment_id for p in parts}, criterion__source=Source.APPRAISAL
    ).values_list(
        "assessment_id",
        "assessment__criteria_set_id",
        "criterion_id",
        "appraised_value",
        "na_accepted",
        "needs_explanation",
    )
    for aid, set_id, cid, value, na, flagged in scores:
        key = leaf_keys[set_id].get(cid)
        if key is None:
            continue
        c = counts[(aid, *key)]
        c["leaves"] += 1
        c["decided"] += value is not None or na is True
        c["flagged"] += bool(flagged)
    rows = []
    for p in parts:
        c = counts[(p.assessment_id, p.field_id, p.owner_id)]
        status, label = QUEUE_STATUS[p.state]
        rnd = p.assessment.round
        deadline = {
            PartState.PENDING: rnd.appraisal_1_deadline,
            PartState.IN_PROGRESS: rnd.appraisal_1_deadline,
            PartState.EXPLANATION: rnd.explanation_deadline,
            PartState.APPRAISAL_2: rnd.appraisal_2_deadline,
        }.get(p.state)
        rows.append(QueueRow(p, status, label, deadline, c["decided"], c["flagged"], c["leaves"]))
    return rows


@dataclass
class PartSheet:
    """One part as its appraisal page shows it: the field's rows (parents and this part's leaves, in print
    order), totals in points (self and appraised, bonus/penalty apart) and counts."""

    part: FieldAppraisal
    rows: list[Row]
    leaves: list[Row]
    self_total: Decimal
    appraised_total: Decimal
    max_total: Decimal
    decided: int
    flagged: int
    documents: list = field(default_factory=list)

    @property
    def undecided(self) -> int:
        return len(self.leaves) - self.decided


def part_sheet(part: FieldAppraisal) -> PartSheet:
    """The rows of ``part``: the field and its sub-nodes that hold at least one of the part's leaves, with
    each leaf's score and evidence. Four queries (``scoring_sheet``'s three and the leaf map)."""
    sheet = scoring_sheet(part.assessment)
    mine = set(part_leaf_ids(part))
    prefix = part.field.code + "."
    kept_codes = set()
    for row in sheet.rows:
        if row.is_leaf and row.node.pk in mine:
            code = row.node.code
            while code:
                kept_codes.add(code)
                code = code.rpartition(".")[0]
    rows = [
        r
        for r in sheet.rows
        if r.node.code in kept_codes and (r.node.code == part.field.code or r.node.code.startswith(prefix))
    ]
    leaves = [r for r in rows if r.is_leaf]
    self_total = appraised = maximum = Decimal(0)
    decided = flagged = 0
    for r in leaves:
        s = r.score
        assert s is not None, r.node.code  # a leaf's score row is created when the round opens
        decided += s.is_appraised
        flagged += s.needs_explanation
        if r.node.kind in EXTRA_KINDS:
            continue
        self_total += s.self_value or 0
        appraised += s.appraised_value or 0
        if not s.is_not_applicable:
            maximum += r.node.max_points
    documents = {ev.pk: ev for r in leaves for ev in r.evidence}
    return PartSheet(
        part=part,
        rows=rows,
        leaves=leaves,
        self_total=self_total,
        appraised_total=appraised,
        max_total=maximum,
        decided=decided,
        flagged=flagged,
        documents=list(documents.values()),
    )


def explanation_items(assessment: Assessment) -> list[Score]:
    """The leaves the unit must explain (flagged in parts waiting for explanation, or already answered
    and now in appraisal 2), in print order, with criterion and evidence links. Two queries."""
    return list(
        Score.objects.filter(assessment=assessment, needs_explanation=True)
        .select_related("criterion", "appraised_by")
        .prefetch_related(Prefetch("evidence_links__evidence"))
        .order_by("criterion__order")
    )


@dataclass
class OverviewRow:
    """A unit in the coordinator's overview: its assessment and its parts by field code."""

    assessment: Assessment
    parts: dict = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(1 for ps in self.parts.values() for p in ps if p.state == PartState.FINAL)

    @property
    def total(self) -> int:
        return sum(len(ps) for ps in self.parts.values())


class OverviewGroup(TypedDict):
    """A unit group in ``round_overview``: its fields (in order) and one row per assessment."""

    group: UnitGroup
    rows: list[OverviewRow]
    fields: list[Criterion]


def round_overview(round: AssessmentRound, group_code: str = "") -> dict:
    """The coordinator's overview of a round (issue 4 §6): per group, the fields (codes, in order) and one
    row per assessment with its parts by field; counts of assessments by state and parts by state. Three
    queries whatever the number of units."""
    listed = (
        Assessment.objects.filter(round=round)
        .select_related("unit", "unit__group")
        .order_by("unit__group__order", "unit__order", "unit__name")
    )
    if group_code:
        listed = listed.filter(unit__group__code=group_code)
    assessments = list(listed)
    parts = (
        FieldAppraisal.objects.filter(assessment__in=assessments)
        .select_related("field", "owner")
        .order_by("field__order", "owner__order")
    )
    rows = {a.pk: OverviewRow(a) for a in assessments}
    fields_by_group: defaultdict[int, dict[str, Criterion]] = defaultdict(dict)
    part_states: Counter[str] = Counter()
    for p in parts:
        row = rows[p.assessment_id]
        row.parts.setdefault(p.field.code, []).append(p)
        fields_by_group[row.assessment.unit.group_id][p.field.code] = p.field
        part_states[p.state] += 1
    groups: list[OverviewGroup] = []
    for a in assessments:
        g = a.unit.group
        if not groups or groups[-1]["group"].pk != g.pk:
            groups.append({"group": g, "rows": [], "fields": list(fields_by_group[g.pk].values())})
        groups[-1]["rows"].append(rows[a.pk])
    states = Counter(a.state for a in assessments)
    return {
        "groups": groups,
        "assessment_states": [(s, label, states.get(s, 0)) for s, label in AssessmentState.choices],
        "part_states": [(s, label, part_states.get(s, 0)) for s, label in PartState.choices],
        "n_assessments": len(assessments),
        "ready": bool(assessments) and all(a.state == AssessmentState.APPRAISED for a in assessments),
    }


def publication_problems(round: AssessmentRound) -> list[str]:
    """Why ``round`` cannot be published yet, as Vietnamese lines (empty when it can): assessments not
    appraised, by state, with up to 10 unit names each. One query."""
    pending = (
        Assessment.objects.filter(round=round)
        .exclude(state=AssessmentState.APPRAISED)
        .values("state")
        .annotate(n=Count("id"))
        .order_by("state")
    )
    problems = []
    labels = dict(AssessmentState.choices)
    for row in pending:
        names = list(
            Unit.objects.filter(assessments__round=round, assessments__state=row["state"])
            .order_by("group__order", "order")
            .values_list("name", flat=True)[:10]
        )
        more = "…" if row["n"] > len(names) else ""
        problems.append(f"{row['n']} bản ở trạng thái '{labels[row['state']]}': {', '.join(names)}{more}")
    return problems


def unit_users(unit_id: int, *roles: str):
    """Active users holding ``roles`` (default officer and head) in the unit."""
    return units_users([unit_id], *roles)


def units_users(unit_ids, *roles: str):
    """Active users holding ``roles`` (default officer and head) in any of the units ``unit_ids`` (ids or a
    queryset of ids), each once."""
    from django.contrib.auth import get_user_model

    roles = roles or (Role.OFFICER, Role.HEAD)
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__unit_id__in=unit_ids, memberships__role__in=roles)
        .distinct()
    )


def role_users(*roles: str):
    """Active users holding any of ``roles`` in any unit (e.g. every coordinator)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, memberships__role__in=roles).distinct()


def parts_by_state(round: AssessmentRound, *states: str) -> QuerySet[FieldAppraisal]:
    """The round's parts in ``states`` (for reminders), with owner and assessment unit."""
    return FieldAppraisal.objects.filter(assessment__round=round, state__in=states).select_related(
        "owner", "assessment__unit"
    )
