"""Who is told what during a round (issue 4 §7): one function per event, each choosing the recipients and
writing the Vietnamese message, then calling ``units.services.notify`` (in-app notification now, e-mail by
a Celery task after commit). Services call these inside their transaction, so a rolled-back step tells
nobody anything.
"""

from django.urls import reverse
from django.utils import timezone

from criteria.scales import format_decimal
from units.models import Role

from .models import Assessment, AssessmentRound, FieldAppraisal
from .selectors.appraisal import role_users, unit_users


def _notify(users, year: int, subject: str, body: str, url: str = "") -> int:
    """Notify ``users``; the subject is prefixed with the round's "[Chỉ số CCHC <year>] ". Returns how many."""
    from units.services import notify

    return len(notify(users=users, subject=f"[Chỉ số CCHC {year}] {subject}", body=body, url=url))


def _notify_unit(assessment: Assessment, subject: str, body: str, page: str, users=None) -> int:
    """``_notify`` about one assessment: to ``users`` (default every active user of its unit), linking to its
    page ``assessments:<page>``."""
    return _notify(
        unit_users(assessment.unit_id) if users is None else users,
        assessment.round.year,
        subject,
        body,
        reverse(f"assessments:{page}", args=[assessment.pk]),
    )


def _appraisers(owner_ids):
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(
            is_active=True, memberships__role=Role.APPRAISER, memberships__unit_id__in=list(owner_ids)
        )
        .distinct()
    )


def submitted(assessment: Assessment, *, automatic: bool = False) -> int:
    """A unit submitted (or its draft was locked at the deadline): tell the appraisers of every part."""
    owners = set(assessment.parts.values_list("owner_id", flat=True))
    how = "được hệ thống tự động chuyển thẩm định khi hết hạn" if automatic else "đã nộp"
    return _notify(
        _appraisers(owners),
        assessment.round.year,
        f"{assessment.unit.name} {how}",
        f"Bản tự đánh giá của {assessment.unit.name} {how}. Hạn thẩm định vòng 1: "
        f"{assessment.round.appraisal_1_deadline:%d/%m/%Y}.",
        reverse("assessments:appraisal_queue"),
    )


def _name(user) -> str:
    return user.get_full_name() or user.username


def unit_submitted(assessment: Assessment, by) -> int:
    """The head submitted: tell the unit's officers (not the head who did it) that their scores are locked."""
    when = timezone.localtime(assessment.submitted_at or timezone.now())
    return _notify_unit(
        assessment,
        f"Thủ trưởng đã nộp bản tự đánh giá của {assessment.unit.name}",
        f"{_name(by)} đã nộp bản tự đánh giá của {assessment.unit.name} lúc {when:%H:%M %d/%m/%Y}. "
        "Điểm tự chấm và tài liệu kiểm chứng không sửa được nữa; bản tự đánh giá đã được chuyển tới "
        "các cơ quan thẩm định.",
        "scoring",
        users=unit_users(assessment.unit_id, Role.OFFICER).exclude(pk=by.pk),
    )


def unit_withdrawn(assessment: Assessment, by) -> int:
    """The head took the submission back: tell the unit's officers they may edit again until the deadline."""
    rnd = assessment.round
    return _notify_unit(
        assessment,
        f"Thủ trưởng đã rút lại bản tự đánh giá của {assessment.unit.name}",
        f"{_name(by)} đã rút bản tự đánh giá của {assessment.unit.name} về trạng thái đang tự đánh giá. "
        f"Cán bộ CCHC sửa được điểm và tài liệu kiểm chứng đến hết hạn tự đánh giá "
        f"({rnd.self_assessment_deadline:%d/%m/%Y}); thủ trưởng nộp lại sau đó.",
        "scoring",
        users=unit_users(assessment.unit_id, Role.OFFICER).exclude(pk=by.pk),
    )


def auto_locked(assessment: Assessment) -> int:
    """The unit's draft was locked at the self-assessment deadline and sent to appraisal as it stood."""
    rnd = assessment.round
    return _notify_unit(
        assessment,
        "Đã hết hạn tự đánh giá",
        f"Đã hết hạn tự đánh giá (ngày {rnd.self_assessment_deadline:%d/%m/%Y}). Bản tự đánh giá "
        f"của {assessment.unit.name} đã được khóa và chuyển thẩm định theo số liệu đã nhập.",
        "scoring",
    )


def questions_sent(assessment: Assessment, n_questions: int) -> int:
    """Round 1 is over for every field and some leaves need explanation: tell the unit."""
    rnd = assessment.round
    return _notify_unit(
        assessment,
        f"Có {n_questions} nội dung cần giải trình",
        f"Hội đồng thẩm định đề nghị {assessment.unit.name} giải trình {n_questions} tiêu chí. "
        f"Hạn giải trình: {rnd.explanation_deadline:%d/%m/%Y}.",
        "explanation",
    )


def answers_sent(assessment: Assessment, parts, *, automatic: bool = False) -> int:
    """The unit sent its explanations (or the window closed): tell the appraisers of the parts in round 2."""
    rnd = assessment.round
    how = (
        "Hết hạn giải trình; thẩm định vòng 2 với nội dung đơn vị đã nhập"
        if automatic
        else f"{assessment.unit.name} đã gửi giải trình"
    )
    return _notify(
        _appraisers({p.owner_id for p in parts}),
        rnd.year,
        f"{assessment.unit.name}: giải trình",
        f"{how}. Hạn thẩm định vòng 2: {rnd.appraisal_2_deadline:%d/%m/%Y}.",
        reverse("assessments:appraisal_queue") + "?status=in_progress",
    )


def appraised(assessment: Assessment) -> int:
    """Every part of the assessment is final: tell the coordinators."""
    return _notify(
        role_users(Role.COORDINATOR),
        assessment.round.year,
        f"{assessment.unit.name} đã thẩm định xong",
        f"Tất cả lĩnh vực của {assessment.unit.name} đã được thẩm định xong.",
        reverse("assessments:overview", args=[assessment.round_id]),
    )


def reopened(part: FieldAppraisal, reason: str) -> int:
    """The coordinator reopened a part: tell its appraisers."""
    a = part.assessment
    return _notify(
        _appraisers({part.owner_id}),
        a.round.year,
        f"Mở lại thẩm định lĩnh vực {part.field.code} — {a.unit.name}",
        f"Sở Nội vụ mở lại phần thẩm định lĩnh vực {part.field.code} của {a.unit.name}. Lý do: {reason}",
        reverse("assessments:appraisal_part", args=[part.pk]),
    )


def published(rnd: AssessmentRound, assessments) -> int:
    """Results are published: tell every unit (officers, heads) and the leaders."""
    n = 0
    for a in assessments:
        n += _notify(
            unit_users(a.unit_id),
            rnd.year,
            "Đã công bố kết quả",
            f"Kết quả Chỉ số CCHC năm {rnd.year} của {a.unit.name} đã được công bố.",
            reverse("assessments:scoring", args=[a.pk]),
        )
    n += _notify(
        role_users(Role.LEADER),
        rnd.year,
        "Đã công bố kết quả",
        f"Kết quả Chỉ số CCHC năm {rnd.year} của các cơ quan, đơn vị đã được công bố.",
        "/",
    )
    return n


def reminder(users, rnd: AssessmentRound, label: str, day, days_before: int, what: str, url: str) -> int:
    """``days_before`` days before a deadline: remind ``users`` of ``what`` is still to do."""
    when = "ngày mai" if days_before == 1 else f"còn {days_before} ngày"
    return _notify(
        users,
        rnd.year,
        f"Nhắc hạn: {label.lower()} ({when})",
        f"{label} là ngày {day:%d/%m/%Y} ({when}). {what}",
        url,
    )


def corrected(score, reason: str) -> int:
    """An admin corrected a published score: tell the unit and the coordinators."""
    a = score.assessment
    users = list(unit_users(a.unit_id)) + list(role_users(Role.COORDINATOR))
    value = "—" if score.appraised_value is None else format_decimal(score.appraised_value)
    return _notify_unit(
        a,
        f"Điều chỉnh điểm tiêu chí {score.criterion.code}",
        f"Điểm thẩm định tiêu chí {score.criterion.code} của {a.unit.name} được điều chỉnh thành "
        f"{value}. Lý do: {reason}",
        "scoring",
        users=users,
    )
