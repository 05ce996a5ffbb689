"""Who sees and does what on rounds and assessments (shared/DESIGN.md §7).

``assessments_visible_to(user)`` is the one place that decides visibility: outsiders never get an
assessment from it, so views answer 404. Actions (save, submit) are checked in the services.
"""

from django.db.models import Q, QuerySet

from units.models import Role
from units.permissions import roles_of, units_of

from .models import Assessment, AssessmentState


def assessments_visible_to(user) -> QuerySet[Assessment]:
    """Assessments ``user`` may see.

    Admin and coordinator: all. Unit officers and heads: their units' (drafts included). Appraisers:
    every assessment past the draft (issue 4 narrows this to their fields). Leaders: published ones.
    Nobody else sees a draft of another unit.
    """
    roles = roles_of(user)
    qs = Assessment.objects.all()
    if Role.ADMIN in roles or Role.COORDINATOR in roles:
        return qs
    condition = Q(pk__in=[])
    own = units_of(user, Role.OFFICER, Role.HEAD)
    if own:
        condition |= Q(unit_id__in=own)
    if Role.APPRAISER in roles:
        condition |= ~Q(state=AssessmentState.DRAFT)
    if Role.LEADER in roles:
        condition |= Q(state=AssessmentState.PUBLISHED)
    return qs.filter(condition)


def is_unit_member(user, assessment: Assessment, *roles: str) -> bool:
    """True when ``user`` holds one of ``roles`` (default officer or head) in the assessment's unit."""
    return assessment.unit_id in units_of(user, *(roles or (Role.OFFICER, Role.HEAD)))
