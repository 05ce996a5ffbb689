"""Writes of the submission (issue 3 §4–5): the unit head submits the self-assessment (which creates the
appraisal parts and tells the appraisers) or withdraws it before appraisal starts.

The services' contract (actor, locks, history, errors): ``assessments.services``.
"""

from django.db import transaction
from django.utils import timezone

from parindex.audit import audit_stamp
from parindex.exceptions import Incomplete, InvalidTransition
from units.models import Role

from .. import notifications
from ..models import (
    Assessment,
    AssessmentState,
)
from ..selectors.scoring import submission_problems
from . import appraisal
from .scoring import locked_assessment, require_editable, require_member


def mark_submitted(locked: Assessment, by, reason: str) -> None:
    """Move the locked draft ``locked`` to *submitted* now, by ``by`` (the unit head; None when the deadline
    locks it: ``deadlines.assessment_auto_submit``), with ``reason`` in its history, and create its appraisal
    parts (``appraisal.parts_ensure``). The callers check, lock and notify."""
    locked.state = AssessmentState.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    audit_stamp(locked, by, reason)
    locked.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
    appraisal.parts_ensure(locked, by)


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by) -> Assessment:
    """The unit head submits the self-assessment (draft → submitted).

    Checks (issue 3 §4–5): every appraisal leaf scored; a leaf scored above 0 without evidence has an
    explanation. Raises ``Incomplete`` with ``items`` = [(score, message)] listing what is missing,
    ``PermissionDenied`` (not the unit's head), ``InvalidTransition`` (not a draft — already submitted —,
    deadline passed). The appraisers of every part and the unit's officers are told (after commit)."""
    require_member(by, assessment, Role.HEAD)
    locked = locked_assessment(assessment.pk)
    require_editable(locked)
    problems = submission_problems(locked)
    if problems:
        raise Incomplete(f"Chưa thể nộp: còn {len(problems)} tiêu chí cần hoàn thiện.", problems)
    mark_submitted(locked, by, "Nộp bản tự đánh giá")
    notifications.submitted(locked)
    notifications.unit_submitted(locked, by)
    return locked


@transaction.atomic
def assessment_withdraw(*, assessment: Assessment, by) -> Assessment:
    """The unit head takes a submitted assessment back to draft, until appraisal starts and before the
    self-assessment deadline; the unit's officers are told (after commit). Raises ``PermissionDenied`` or
    ``InvalidTransition`` (not submitted — already withdrawn —, appraisal started, deadline passed)."""
    require_member(by, assessment, Role.HEAD)
    locked = locked_assessment(assessment.pk)
    if locked.state != AssessmentState.SUBMITTED:
        raise InvalidTransition("Chỉ rút lại được bản đã nộp và chưa bắt đầu thẩm định.")
    if locked.round.is_past("self_assessment_deadline"):
        raise InvalidTransition(
            f"Đã hết hạn tự đánh giá (ngày {locked.round.self_assessment_deadline:%d/%m/%Y}); "
            "không thể rút lại."
        )
    locked.state = AssessmentState.DRAFT
    locked.submitted_at = None
    locked.submitted_by = None
    audit_stamp(locked, by, "Rút lại bản tự đánh giá")
    locked.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
    notifications.unit_withdrawn(locked, by)
    return locked
