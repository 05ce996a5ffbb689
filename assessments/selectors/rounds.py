"""Reads of rounds: the coordinator's list, a round's assessments with their progress, the days left
before a deadline, and which criteria set a unit uses in a round (``round_set_for_unit``)."""

from collections.abc import Iterable

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from units.models import Unit, UnitGroup

from ..models import Assessment, AssessmentRound, AssessmentState, RoundSet
from .scoring import with_progress


def round_list(*, user) -> QuerySet[AssessmentRound]:
    """Rounds with their number of assessments and submitted ones (coordinator and admins)."""
    return AssessmentRound.objects.annotate(
        n_assessments=Count("assessments"),
        n_submitted=Count("assessments", filter=~Q(assessments__state=AssessmentState.DRAFT)),
    )


def days_left(day, now=None) -> int:
    """Whole days until the end of deadline ``day`` (0 on the day itself, negative once passed)."""
    today = timezone.localdate(now)
    return (day - today).days


def with_days_left(assessments) -> list[Assessment]:
    """The assessments as a list, each with ``days_left`` (whole days) until its round's self-assessment
    deadline (see ``days_left``)."""
    rows = list(assessments)
    for a in rows:
        a.days_left = days_left(a.round.self_assessment_deadline)
    return rows


def round_assessments(round: AssessmentRound) -> QuerySet[Assessment]:
    """A round's assessments with unit, group and set, ordered by unit group then unit, annotated with
    ``with_progress``. One query whatever the number of units."""
    return with_progress(
        Assessment.objects.filter(round=round).select_related("unit", "unit__group", "criteria_set")
    ).order_by("unit__group__order", "unit__group__code", "unit__order", "unit__name")


# ---------------------------------------------------------------- which set a unit uses in a round

#: ``{(group id, parent unit id or None): RoundSet}`` — a round's sets, as ``round_sets_index`` builds it.
RoundSetIndex = dict[tuple[int, int | None], RoundSet]


def round_sets_of(round: AssessmentRound) -> list[RoundSet]:
    """The round's sets with group, set and parent unit loaded: the group-wide set of each group before the sets
    issued by a parent unit (those by the parent's order, then code). One query."""
    return list(
        RoundSet.objects.filter(round=round)
        .select_related("group", "criteria_set", "parent_unit")
        .order_by("group__order", "group__code", *_PARENT_ORDER)
    )


#: A group's sets in a round: the group-wide one first, then those issued by a parent unit in the parent's order.
_PARENT_ORDER = (F("parent_unit").asc(nulls_first=True), "parent_unit__order", "parent_unit__code")


def round_group_sets(
    round: AssessmentRound, *, group: UnitGroup | None = None, group_code: str = ""
) -> QuerySet[RoundSet]:
    """The sets of one group (``group`` or ``group_code``) in ``round``, group and set loaded, in the order
    ``round_group_set`` picks from (group-wide first). A queryset (one query when read; usable as a subquery)."""
    qs = RoundSet.objects.filter(round=round).select_related("group", "criteria_set")
    qs = qs.filter(group=group) if group is not None else qs.filter(group__code=group_code)
    return qs.order_by(*_PARENT_ORDER)


def round_sets_index(round_sets: Iterable[RoundSet]) -> RoundSetIndex:
    """``round_sets`` keyed by (group id, parent unit id or None), for ``round_set_for_unit``. No query."""
    return {(rs.group_id, rs.parent_unit_id): rs for rs in round_sets}


def round_set_for_unit(index: RoundSetIndex, unit: Unit) -> RoundSet | None:
    """THE rule of which set a unit uses in a round (the one place it lives; opening a round calls it for every
    unit): the round's set of the unit's group issued by the unit's parent, if the round has one (before 1 July
    2025 a district's set for its communes — 004 Phần III §III.1), else the round's set of the group without a
    parent unit (the province's set; from 2025 the communes' too), else None (the unit is not assessed in the
    round). ``index``: ``round_sets_index`` of the round's sets. No query (reads ``unit.group_id`` and
    ``unit.parent_id`` only)."""
    if unit.parent_id is not None:
        issued = index.get((unit.group_id, unit.parent_id))
        if issued is not None:
            return issued
    return index.get((unit.group_id, None))


def round_group_set(
    round: AssessmentRound, *, group: UnitGroup | None = None, group_code: str = ""
) -> RoundSet:
    """The set that stands for a whole group in a round where the group's units may use different sets (the
    columns of the group's survey grid, its ranking's field headers, its grade bands): the group-wide set when
    there is one, else the first set issued by a parent unit (``round_group_sets``' order; the shipped district
    sets share one layout). Raises ``RoundSet.DoesNotExist`` when the group has no set in the round. One query."""
    found = round_group_sets(round, group=group, group_code=group_code).first()
    if found is None:
        raise RoundSet.DoesNotExist(f"no set of group {group or group_code} in round {round.pk}")
    return found
