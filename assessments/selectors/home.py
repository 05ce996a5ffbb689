"""Reads of the start page (issue 12 item 6): what is waiting for the signed-in user, one section per role held.

Each function returns plain data for one section of ``templates/home.html`` and goes through the existing
visibility rules (``assessments_for_units``, ``appraisal_queue``/``parts_visible_to``, ``visible_rounds``), so
a user never sees another unit's data here. Query counts do not depend on the number of units in the province
(see each function); the officer and head sections cost two more queries per own assessment in draft (the
submission check, ``selectors.scoring.submission_problems``).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from units.models import Role
from units.permissions import units_of

from ..models import Assessment, AssessmentRound, AssessmentState, RoundState
from . import appraisal
from .rounds import days_left
from .scoring import Progress, assessments_for_units, submission_problems

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

#: Overdue rules of the coordinator's section: (assessment states, the round's deadline that has passed, label).
OVERDUE_RULES = (
    ((AssessmentState.DRAFT,), "self_assessment_deadline", "Quá hạn tự đánh giá, chưa nộp"),
    (
        (AssessmentState.SUBMITTED, AssessmentState.APPRAISAL_1),
        "appraisal_1_deadline",
        "Quá hạn thẩm định vòng 1",
    ),
    ((AssessmentState.EXPLANATION,), "explanation_deadline", "Quá hạn giải trình, chưa gửi"),
    ((AssessmentState.APPRAISAL_2,), "appraisal_2_deadline", "Quá hạn thẩm định vòng 2"),
)
#: Overdue units listed by name on the coordinator's section (the others are counted).
OVERDUE_LISTED = 30
#: Parts listed one by one on the appraiser's section (the nearest deadlines first; the queue has the others).
PARTS_LISTED = 10


@dataclass
class UnitWork:
    """One open assessment of the user's unit: the assessment (with ``n_leaves``, ``n_scored``, ``self_total``,
    ``appraisal_max`` from ``assessments_for_units`` and ``n_questions``/``n_answered`` explanation counts), what
    blocks submission — ``problems`` as ``submission_problems`` gives it ``[(score, message)]``, split into
    ``unscored`` and ``without_evidence`` — ``explanation_days_left`` (days to the explanation deadline) and
    ``days_left`` (days to the self-assessment deadline)."""

    assessment: "WithAnnotations[Assessment, Progress]"
    problems: list = field(default_factory=list)
    explanation_days_left: int = 0
    days_left: int = 0

    @property
    def left_to_score(self) -> int:
        return self.assessment.n_leaves - self.assessment.n_scored

    @property
    def unscored(self) -> list:
        return [(s, m) for s, m in self.problems if s.self_value is None]

    @property
    def without_evidence(self) -> list:
        return [(s, m) for s, m in self.problems if s.self_value is not None]

    @property
    def is_draft(self) -> bool:
        return self.assessment.state == AssessmentState.DRAFT

    @property
    def deadline_passed(self) -> bool:
        return self.days_left < 0

    @property
    def ready(self) -> bool:
        """The head may submit now: a draft, before the deadline, nothing missing."""
        return self.is_draft and not self.deadline_passed and not self.problems

    @property
    def explaining(self) -> bool:
        return self.assessment.state == AssessmentState.EXPLANATION


def unit_work(user) -> dict[str, list[UnitWork]]:
    """The open assessments (round open) of the units where ``user`` is officer or head, as
    ``{"officer": [UnitWork], "head": [UnitWork]}`` (a unit appears under each role the user holds in it).
    Drafts carry the submission check's items. Three queries, plus two per own draft."""
    qs = (
        assessments_for_units(user=user)
        .filter(round__state=RoundState.OPEN)
        .annotate(
            n_questions=Count("scores", filter=Q(scores__needs_explanation=True)),
            n_answered=Count("scores", filter=Q(scores__needs_explanation=True) & ~Q(scores__answer="")),
        )
    )
    rows = []
    for a in qs:
        problems = submission_problems(a) if a.state == AssessmentState.DRAFT else []
        rows.append(
            UnitWork(
                a,
                problems,
                explanation_days_left=days_left(a.round.explanation_deadline),
                days_left=days_left(a.round.self_assessment_deadline),
            )
        )
    officer_units, head_units = set(units_of(user, Role.OFFICER)), set(units_of(user, Role.HEAD))
    return {
        "officer": [w for w in rows if w.assessment.unit_id in officer_units],
        "head": [w for w in rows if w.assessment.unit_id in head_units],
    }


@dataclass
class StatusBox:
    """Parts of one queue status (``selectors.appraisal.STATUS_CHOICES``): key, label, count, and the nearest
    deadline that applies with its days left (None when done or empty)."""

    key: str
    label: str
    count: int = 0
    deadline: datetime.date | None = None
    days_left: int | None = None


def appraiser_work(user) -> dict:
    """The parts of open rounds that the agencies where ``user`` is appraiser own: ``{"boxes": [StatusBox] in
    queue order, "todo": [QueueRow] not done, nearest deadline first, at most PARTS_LISTED, each with
    ``days_left``, "n_todo": int, "round": the newest open round (for the queue's link) or None}``. Three
    queries plus one per criteria set (``queue_rows``), whatever the number of units."""
    owned = units_of(user, Role.APPRAISER)
    qs = appraisal.appraisal_queue(user=user).filter(
        owner_id__in=owned, assessment__round__state=RoundState.OPEN
    )
    rows = appraisal.queue_rows(qs)
    boxes = {key: StatusBox(key, label) for key, label in appraisal.STATUS_CHOICES}
    for r in rows:
        box = boxes[r.status]
        box.count += 1
        if r.deadline and (box.deadline is None or r.deadline < box.deadline):
            box.deadline = r.deadline
    for box in boxes.values():
        box.days_left = days_left(box.deadline) if box.deadline else None
    todo = sorted((r for r in rows if r.status != "done"), key=lambda r: (r.deadline, r.part.pk))
    for r in todo:
        r.days_left = days_left(r.deadline)
    rnd = rows[0].part.assessment.round if rows else None
    return {"boxes": list(boxes.values()), "todo": todo[:PARTS_LISTED], "n_todo": len(todo), "round": rnd}


@dataclass
class RoundWork:
    """One open round on the coordinator's section: the round, its unit groups (survey grid links), counts of
    assessments by state ``[(state, label, n)]``, the overdue assessments ``[(assessment, label, deadline,
    days late)]`` (at most OVERDUE_LISTED) and their number."""

    round: AssessmentRound
    groups: list = field(default_factory=list)
    states: list = field(default_factory=list)
    n_assessments: int = 0
    overdue: list = field(default_factory=list)
    n_overdue: int = 0


def coordinator_work() -> list[RoundWork]:
    """The open rounds, newest first, with what the coordinator watches (``RoundWork``). Four queries whatever
    the number of rounds and units (rounds with their groups; counts by state; overdue assessments)."""
    rounds = list(
        AssessmentRound.objects.filter(state=RoundState.OPEN)
        .order_by("-year")
        .prefetch_related("round_sets__group")
    )
    if not rounds:
        return []
    today = timezone.localdate()
    counts: Counter[tuple[int, str]] = Counter()
    for row in (
        Assessment.objects.filter(round__in=rounds)
        .order_by()
        .values("round_id", "state")
        .annotate(n=Count("id"))
    ):
        counts[(row["round_id"], row["state"])] = row["n"]
    late = Q(pk__in=[])
    for states, deadline, _ in OVERDUE_RULES:
        late |= Q(state__in=states, **{f"round__{deadline}__lt": today})
    overdue = (
        Assessment.objects.filter(late, round__in=rounds)
        .select_related("unit", "round")
        .order_by("unit__group__order", "unit__order", "unit__name")
    )
    by_round = {r.pk: RoundWork(r) for r in rounds}
    for r in rounds:
        work = by_round[r.pk]
        groups = {
            rs.group_id: rs.group for rs in r.round_sets.all()
        }  # a group may have several sets (districts')
        work.groups = sorted(groups.values(), key=lambda g: (g.order, g.name))
        work.states = [(s, label, counts.get((r.pk, s), 0)) for s, label in AssessmentState.choices]
        work.n_assessments = sum(n for _, _, n in work.states)
    for a in overdue:
        work = by_round[a.round_id]
        work.n_overdue += 1
        if len(work.overdue) < OVERDUE_LISTED:
            states, deadline, label = next(rule for rule in OVERDUE_RULES if a.state in rule[0])
            day = getattr(a.round, deadline)
            work.overdue.append((a, label, day, -days_left(day)))
    return list(by_round.values())
