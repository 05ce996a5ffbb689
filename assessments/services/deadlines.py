"""What the deadlines do by themselves (issue 4 §7; shared/DESIGN.md §4 "past a deadline the matching
edits lock automatically"): reminders before each deadline (once each, recorded in ``DeadlineEvent``),
drafts locked and sent to appraisal after the self-assessment deadline, explanation windows closed after
theirs. Run hourly by Celery beat through ``assessments.tasks.deadlines_run``; safe to run any number of times.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from units.models import Role

from .. import notifications
from ..models import (
    DEADLINES,
    Assessment,
    AssessmentRound,
    AssessmentState,
    DeadlineEvent,
    PartState,
    RoundState,
)
from ..selectors.appraisal import parts_by_state, role_users, units_users
from .appraisal import ROUND_1_STATES, close_explanation, locked_assessment
from .submission import mark_submitted


def assessment_auto_submit(assessment: Assessment, now: datetime | None = None) -> bool:
    """Past the self-assessment deadline a draft is locked and goes to appraisal as it stands (issue 4 §7,
    DESIGN §4 "past a deadline the matching edits lock automatically"). Returns True when it changed."""
    with transaction.atomic():
        a = locked_assessment(assessment.pk)
        if a.state != AssessmentState.DRAFT or not a.round.is_past("self_assessment_deadline", now):
            return False
        mark_submitted(a, None, "Hết hạn tự đánh giá: hệ thống khóa và chuyển thẩm định")
        notifications.auto_locked(a)
        notifications.submitted(a, automatic=True)
    return True


def explanation_auto_close(assessment: Assessment, now: datetime | None = None) -> bool:
    """Past the explanation deadline the window closes: the answers saved so far go to round 2 (nothing
    the unit wrote is lost). Returns True when it changed."""
    with transaction.atomic():
        a = locked_assessment(assessment.pk)
        if a.state != AssessmentState.EXPLANATION or not a.round.is_past("explanation_deadline", now):
            return False
        close_explanation(a, None, "Hết hạn giải trình: hệ thống chuyển thẩm định vòng 2", automatic=True)
    return True


def _once(rnd: AssessmentRound, key: str, action) -> int | None:
    """Run ``action()`` (returning a count) once per round and key, recorded in ``DeadlineEvent``."""
    with transaction.atomic():
        event, created = DeadlineEvent.objects.select_for_update().get_or_create(round=rnd, key=key)
        if not created:
            return None
        event.count = action()
        event.save(update_fields=["count"])
        return event.count


def _units_users_in_state(rnd: AssessmentRound, state: str):
    """The officers and heads (``units_users``) of the units whose assessment in ``rnd`` is in ``state``."""
    units = Assessment.objects.filter(round=rnd, state=state).values_list("unit_id", flat=True)
    return units_users(list(units))


def _reminder_targets(rnd: AssessmentRound, field: str):
    """(users, what is left, url) to remind before the deadline ``field``."""
    from django.urls import reverse

    if field == "self_assessment_deadline":
        return (
            _units_users_in_state(rnd, AssessmentState.DRAFT),
            "Đơn vị chưa nộp bản tự đánh giá.",
            reverse("assessments:my_assessments"),
        )
    if field in ("appraisal_1_deadline", "appraisal_2_deadline"):
        states = ROUND_1_STATES if field == "appraisal_1_deadline" else (PartState.APPRAISAL_2,)
        owners = set(parts_by_state(rnd, *states).values_list("owner_id", flat=True))
        return (
            units_users(owners, Role.APPRAISER),
            "Cơ quan của anh/chị còn phần thẩm định chưa hoàn thành.",
            reverse("assessments:appraisal_queue"),
        )
    if field == "explanation_deadline":
        return (
            _units_users_in_state(rnd, AssessmentState.EXPLANATION),
            "Đơn vị còn nội dung chưa gửi giải trình.",
            reverse("assessments:my_assessments"),
        )
    # publication
    return (
        role_users(Role.COORDINATOR),
        "Kiểm tra kết quả thẩm định trước khi công bố.",
        reverse("assessments:overview", args=[rnd.pk]),
    )


def deadlines_run(now: datetime | None = None) -> dict:
    """What the deadlines do by themselves, for every open round (issue 4 §7; run hourly by Celery beat):
    reminders ``settings.REMINDER_DAYS_BEFORE`` days before each deadline (once each), drafts locked and
    sent to appraisal after the self-assessment deadline, explanation windows closed after theirs. Returns
    counts ``{"reminders": n, "auto_submitted": n, "explanations_closed": n}``. Safe to run any number of
    times."""
    today = timezone.localdate(now)
    result = {"reminders": 0, "auto_submitted": 0, "explanations_closed": 0}
    days = sorted({int(d) for d in getattr(settings, "REMINDER_DAYS_BEFORE", [3, 1]) if int(d) > 0})
    for rnd in AssessmentRound.objects.filter(state=RoundState.OPEN):
        for field, label in DEADLINES:
            day = getattr(rnd, field)
            for k in days:
                if (day - today).days == k:

                    def send(rnd=rnd, field=field, label=label, day=day, k=k):
                        users, what, url = _reminder_targets(rnd, field)
                        return notifications.reminder(users, rnd, label, day, k, what, url)

                    result["reminders"] += _once(rnd, f"reminder:{field}:{k}", send) or 0
        if rnd.is_past("self_assessment_deadline", now):
            for a in Assessment.objects.filter(round=rnd, state=AssessmentState.DRAFT):
                result["auto_submitted"] += assessment_auto_submit(a, now)
        if rnd.is_past("explanation_deadline", now):
            for a in Assessment.objects.filter(round=rnd, state=AssessmentState.EXPLANATION):
                result["explanations_closed"] += explanation_auto_close(a, now)
    return result
