"""Reads of rounds: the coordinator's list, a round's assessments with their progress, and the days left
before a deadline."""

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ..models import Assessment, AssessmentRound, AssessmentState
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
