"""Who sees and does what on rounds and assessments (shared/DESIGN.md §7).

``assessments_visible_to(user)`` is the one place that decides visibility: outsiders never get an
assessment from it, so views answer 404. Actions (save, submit) are checked in the services.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from units.models import Role
from units.permissions import roles_of, units_of

from .models import Assessment, AssessmentState, FieldAppraisal


def assessments_visible_to(user) -> QuerySet[Assessment]:
    """Assessments ``user`` may see.

    Admin and coordinator: all. Unit officers and heads: their units' (drafts included). Appraisers: the
    submitted assessments with a part their agency appraises (issue 4). Leaders: published ones.
    Nobody else sees a draft of another unit.
    """
    roles = roles_of(user)
    qs = Assessment.objects.all()
    if user.has_perm("assessments.view_all"):
        return qs
    condition = Q(pk__in=[])
    own = units_of(user, Role.OFFICER, Role.HEAD)
    if own:
        condition |= Q(unit_id__in=own)
    if Role.APPRAISER in roles:
        owned = units_of(user, Role.APPRAISER)
        condition |= ~Q(state=AssessmentState.DRAFT) & Q(
            pk__in=FieldAppraisal.objects.filter(owner_id__in=owned).values("assessment_id")
        )
    if Role.LEADER in roles:
        condition |= Q(state=AssessmentState.PUBLISHED)
    return qs.filter(condition)


def is_unit_member(user, assessment: Assessment, *roles: str) -> bool:
    """True when ``user`` holds one of ``roles`` (default officer or head) in the assessment's unit."""
    return assessment.unit_id in units_of(user, *(roles or (Role.OFFICER, Role.HEAD)))


def survey_results_visible(user, assessment: Assessment) -> bool:
    """Survey scores of ``assessment`` are shown to ``user``: to the coordinator and admins at any time, to
    everyone who can see the assessment once its round is published (issue 5: units and leaders read survey
    results only after publication)."""
    return assessment.state == AssessmentState.PUBLISHED or user.has_perm("assessments.view_all")


def appraised_sheet_check(user, assessment: Assessment) -> None:
    """Raise ``PermissionDenied`` unless ``user`` may have the appraised score sheet of ``assessment`` (one the
    user can see: ``assessments_visible_to``): after publication everyone who sees it; before, the coordinator
    and admins, and appraisers once it is submitted (issue 4 §8). The xlsx and the print formats share it."""
    if (
        assessment.state != AssessmentState.PUBLISHED
        and not user.has_perm("assessments.view_all")
        and not (Role.APPRAISER in roles_of(user) and assessment.state != AssessmentState.DRAFT)
    ):
        raise PermissionDenied("Bảng điểm thẩm định xem được sau khi công bố kết quả.")
