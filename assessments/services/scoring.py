"""Writes of the self-assessment score sheet (shared/DESIGN.md §3–4; issue 3): the unit's self score, note
and explanation on one leaf, and the checks every self-assessment write shares (``require_member``,
``require_editable``, ``self_assessment_lock_reason``, ``locked_assessment``, ``locked_score``) and the reading of a
leaf's input by kind (``self_points``, also used by the appraisal).

The services' contract (actor, locks, history, errors): ``assessments.services``.
"""

import unicodedata
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from criteria import scales
from criteria.models import EXTRA_KINDS, Criterion, Kind, Source
from parindex.audit import audit_stamp
from parindex.exceptions import InvalidTransition, StaleEdit
from units.models import Role

from ..models import (
    Assessment,
    AssessmentState,
    RoundState,
    Score,
)
from ..permissions import is_unit_member

DEFAULT_STEP = Decimal("0.25")


def require_member(by, assessment: Assessment, *roles: str) -> None:
    if not is_unit_member(by, assessment, *roles):
        if roles == (Role.HEAD,):
            raise PermissionDenied("Chỉ thủ trưởng đơn vị được nộp hoặc rút bản tự đánh giá của đơn vị mình.")
        raise PermissionDenied("Chỉ cán bộ CCHC và thủ trưởng của đơn vị được sửa bản tự đánh giá này.")


def self_edit_check(*, assessment: Assessment, by) -> None:
    """Raise ``PermissionDenied`` unless ``by`` may write the unit's own inputs of ``assessment`` (its scores,
    notes, evidence): an officer or head of the unit (``units.permissions.is_unit_member``). The services below
    check it first; the views and the API call it before they parse what was posted, so a user who may only
    read (a leader, an appraiser, the coordinator, another unit's officer) gets 403 for any POST, well-formed or
    not (issue 14 item 10: permission before validation)."""
    require_member(by, assessment)


def self_assessment_lock_reason(assessment: Assessment, now=None) -> str | None:
    """Why the unit can no longer edit (Vietnamese), or None while it can: draft, round open, deadline not passed."""
    rnd = assessment.round
    if assessment.state != AssessmentState.DRAFT:
        return f"Bản tự đánh giá đang ở trạng thái '{assessment.get_state_display()}'; không thể sửa."
    if rnd.state != RoundState.OPEN:
        return "Đợt đánh giá không mở; không thể sửa."
    if rnd.is_past("self_assessment_deadline", now):
        return f"Đã hết hạn tự đánh giá (ngày {rnd.self_assessment_deadline:%d/%m/%Y}); không thể sửa."
    return None


def require_editable(assessment: Assessment) -> None:
    reason = self_assessment_lock_reason(assessment)
    if reason:
        raise InvalidTransition(reason)


def _number(raw, what: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, Decimal):
        return raw
    try:
        return scales.parse_decimal(raw, what=what)
    except scales.ScaleError as exc:
        raise ValidationError(str(exc)) from exc


def self_points(criterion: Criterion, *, value, option, numerator, denominator):
    """(self_value, self_option, numerator, denominator) for the leaf's kind; ``ValidationError`` when the
    input does not fit it (shared/DESIGN.md §3)."""
    mx = criterion.max_points
    fmt = scales.format_decimal
    if criterion.kind == Kind.OPTIONS:
        option = (option or "").strip()
        if not option:
            return None, "", None, None
        for item in criterion.scale:
            if item["label"] == unicodedata.normalize("NFC", option):
                return Decimal(item["points"]), item["label"], None, None
        raise ValidationError(f"'{option}' không phải là một lựa chọn của tiêu chí này.")
    if criterion.kind == Kind.RATIO:
        num, den = _number(numerator, "Tử số"), _number(denominator, "Mẫu số")
        if num is None and den is None:
            return None, "", None, None
        if num is None or den is None:
            raise ValidationError("Nhập cả tử số và mẫu số.")
        try:
            _, ratio_points = scales.ratio_points(criterion.scale, num, den)
        except scales.ScaleError as exc:
            raise ValidationError(str(exc)) from exc
        return ratio_points, "", num, den
    points = _number(value, "Điểm")
    if points is None:
        return None, "", None, None
    if points < 0:
        raise ValidationError("Điểm không được âm.")
    if points > mx:
        raise ValidationError(f"Điểm {fmt(points)} vượt điểm tối đa {fmt(mx)} của tiêu chí.")
    if criterion.kind == Kind.YES_NO:
        if points not in (0, mx):
            raise ValidationError(f"Tiêu chí có/không chỉ nhận {fmt(mx)} (có) hoặc 0 (không).")
    else:  # range, bonus, penalty
        step = criterion.step or DEFAULT_STEP
        if points % step != 0:
            raise ValidationError(f"Điểm phải theo bước {fmt(step)} (ví dụ {fmt(mx - step)} hoặc {fmt(mx)}).")
    return points, "", None, None


def locked_assessment(pk: int, *related: str) -> Assessment:
    """The assessment with its round, its row locked until commit: a unit's edit waits for a submission or
    withdrawal in progress and then sees the new state, so nothing changes between the submission's checks
    and its commit (only the assessment row is locked, not the round shared by every unit)."""
    return Assessment.objects.select_for_update(of=("self",)).select_related("round", *related).get(pk=pk)


def locked_score(assessment: Assessment, criterion: Criterion) -> Score:
    """The score row of ``criterion`` in ``assessment``, locked; ``Score.DoesNotExist`` when the leaf is not
    of this assessment's set (a forged id: views answer 404); ``ValidationError`` for a survey leaf, which
    the unit neither scores nor proves (shared/DESIGN.md §3)."""
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion")
        .get(assessment=assessment, criterion=criterion)
    )
    if score.criterion.source == Source.SURVEY:
        raise ValidationError(
            "Tiêu chí điều tra XHH lấy điểm từ kết quả điều tra xã hội học; đơn vị không tự chấm "
            "và không nộp tài liệu kiểm chứng cho tiêu chí này."
        )
    return score


def stale_score(score: Score, *, current: str, subject: str = "Tiêu chí") -> StaleEdit:
    """The ``StaleEdit`` for a write to ``score`` based on an older ``version`` (``current=score``): who saved it
    last (full name or username; "người khác" when unknown), when (local time "HH:MM dd/mm/yyyy"), and
    ``current``, the stored value as the page words it ("chưa chấm", "3,5 điểm"). ``subject`` starts the message
    ("Tiêu chí", "Điểm tiêu chí"); ``score.criterion`` is read."""
    who = (
        (score.updated_by.get_full_name() or score.updated_by.username) if score.updated_by else "người khác"
    )
    when = timezone.localtime(score.updated_at).strftime("%H:%M %d/%m/%Y") if score.updated_at else ""
    return StaleEdit(
        f"{subject} {score.criterion.code} vừa được {who} cập nhật lúc {when} (hiện là {current}). "
        "Giá trị của bạn chưa được lưu; hãy xem giá trị hiện tại rồi lưu lại.",
        current=score,
    )


@transaction.atomic
def score_save_self(
    *,
    assessment: Assessment,
    criterion: Criterion,
    by,
    expected_version: int,
    value=None,
    option: str | None = None,
    numerator=None,
    denominator=None,
    note: str = "",
    explanation: str = "",
    not_applicable: bool = False,
) -> Score:
    """Save the unit's self score, note and explanation on one leaf.

    Inputs by kind: ``options`` → ``option`` (a label); ``ratio`` → ``numerator`` and ``denominator``
    (points from the leaf's bands); ``range``/``bonus``/``penalty`` → ``value`` in 0..max on the leaf's step
    (default 0,25); ``yes_no`` → ``value`` 0 or max. Numbers may be Decimal or text with a decimal comma.
    Empty input clears the score. ``expected_version`` is the version the user edited. ``not_applicable``
    claims the leaf does not apply to the unit (its appraiser accepts or refuses; DESIGN §5): the claim
    needs its reason in ``note`` and clears the self score.

    Raises ``Score.DoesNotExist`` (leaf not in this assessment), ``PermissionDenied`` (not an officer or head
    of the unit), ``InvalidTransition`` (submitted, round closed or deadline passed), ``ValidationError``
    (survey leaf, bad value), ``StaleEdit`` (someone saved since ``expected_version``).
    """
    self_edit_check(assessment=assessment, by=by)
    assessment = locked_assessment(assessment.pk)
    require_editable(assessment)
    score = locked_score(assessment, criterion)
    criterion = score.criterion
    if score.version != expected_version:
        current = (
            "chưa chấm" if score.self_value is None else f"{scales.format_decimal(score.self_value)} điểm"
        )
        raise stale_score(score, current=current)
    note, explanation = (unicodedata.normalize("NFC", (t or "").strip()) for t in (note, explanation))
    if not_applicable:
        if criterion.kind in EXTRA_KINDS:
            raise ValidationError(
                "Điểm thưởng, điểm trừ không có đề nghị 'không áp dụng'; để trống nếu không có."
            )
        if not note:
            raise ValidationError(
                f"Tiêu chí {criterion.code}: ghi rõ lý do đề nghị không áp dụng vào ô ghi chú."
            )
        points, chosen, num, den = None, "", None, None
    else:
        points, chosen, num, den = self_points(
            criterion, value=value, option=option, numerator=numerator, denominator=denominator
        )
    new = {
        "self_value": points,
        "self_option": chosen,
        "numerator": num,
        "denominator": den,
        "note": note,
        "explanation": explanation,
        "self_not_applicable": bool(not_applicable),
    }
    if all(getattr(score, k) == v for k, v in new.items()):
        return score
    for key, val in new.items():
        setattr(score, key, val)
    score.version += 1
    score.updated_at = timezone.now()
    score.updated_by = by
    audit_stamp(score, by, "Tự chấm điểm")
    score.save()
    return score
