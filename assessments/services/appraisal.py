"""Writes of the appraisal (thẩm định; issue 4, shared/DESIGN.md §4): appraised scores, questions, the
unit's explanations, the two rounds, reopening, publication, corrections after publication, and who
appraises which field (what the deadlines do by themselves is in ``deadlines``).

Same habits as the other services: one service per transition; each locks its rows (``select_for_update``), checks the actor, the state and the
deadline, saves, leaves history with the user and the reason (django-simple-history), and tells people
through ``notifications`` (in-app now, e-mail after commit). Errors: ``PermissionDenied`` (actor),
``InvalidTransition`` (state or deadline), ``ValidationError`` (bad input), ``StaleEdit`` (edited since the
version shown), ``Incomplete`` (a step with missing parts, ``items`` listing them), ``DoesNotExist`` (a
leaf or part of another assessment: views answer 404). Nothing is stored when one is raised.

The part (``FieldAppraisal``) is the unit of work: one field of one assessment, appraised by one agency.
The assessment's state follows its parts (``_sync_state``): appraisal_1 while any part is in round 1,
explanation while questions wait for the unit, appraisal_2 after the answers, appraised when every part is
final, published with the round.
"""

import unicodedata
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from criteria import scales
from criteria.models import EXTRA_KINDS, CriteriaSet, Criterion, Kind, Level
from criteria.scope import owner_refusal
from parindex.audit import audit_stamp
from parindex.exceptions import Incomplete, InvalidTransition, StaleEdit
from units.models import Role, Unit
from units.permissions import require_perm, units_of

from .. import notifications, signals
from ..models import (
    Assessment,
    AssessmentRound,
    AssessmentState,
    FieldAppraisal,
    PartState,
    RoundState,
    Score,
)
from ..selectors.appraisal import leaf_parts, part_leaf_ids, publication_problems
from .scoring import self_points

ROUND_1_STATES = (PartState.PENDING, PartState.IN_PROGRESS)


def _text(value) -> str:
    """A comment, question, answer or reason as stored: NFC, stripped. ``ValidationError`` for a NUL byte
    (PostgreSQL cannot store it; the pages' forms never send one)."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if "\x00" in text:
        raise ValidationError("Nội dung chứa ký tự NUL (mã 0), không lưu được; hãy gõ lại nội dung.")
    return text


def points_text(value) -> str:
    return "chưa chấm" if value is None else f"{scales.format_decimal(value)} điểm"


def parts_ensure(assessment: Assessment, by=None) -> list[FieldAppraisal]:
    """Create the parts an assessment is missing: one per (field, owner agency) of its appraisal leaves.
    Idempotent; called at submission (issue 4 §1)."""
    keys = set(leaf_parts(assessment.criteria_set_id).values())
    existing = set(FieldAppraisal.objects.filter(assessment=assessment).values_list("field_id", "owner_id"))
    missing = [
        FieldAppraisal(assessment=assessment, field_id=f, owner_id=o)
        for f, o in sorted(keys - existing)
        if o is not None
    ]
    if missing:
        bulk_create_with_history(
            missing, FieldAppraisal, default_user=by, default_change_reason="Tạo phần thẩm định khi nộp"
        )
    return list(FieldAppraisal.objects.filter(assessment=assessment))


def _sync_state(assessment: Assessment, by, reason: str) -> str:
    """Set the (locked) assessment's state from its parts; returns the new state. Notifies the unit when
    its questions become visible and the coordinators when everything is final."""
    states = list(FieldAppraisal.objects.filter(assessment=assessment).values_list("state", flat=True))
    if assessment.state in (AssessmentState.DRAFT, AssessmentState.PUBLISHED):
        return assessment.state
    if (
        not states
        or all(s == PartState.PENDING for s in states)
        and assessment.state == AssessmentState.SUBMITTED
    ):
        new = AssessmentState.SUBMITTED
    elif any(s in ROUND_1_STATES for s in states):
        new = AssessmentState.APPRAISAL_1
    elif PartState.EXPLANATION in states:
        new = AssessmentState.EXPLANATION
    elif PartState.APPRAISAL_2 in states:
        new = AssessmentState.APPRAISAL_2
    else:
        new = AssessmentState.APPRAISED
    if new == assessment.state:
        return new
    old = assessment.state
    assessment.state = new
    audit_stamp(assessment, by, reason)
    assessment.save(update_fields=["state", "updated_at"])
    if new == AssessmentState.EXPLANATION and old != AssessmentState.EXPLANATION:
        n = Score.objects.filter(assessment=assessment, needs_explanation=True).count()
        notifications.questions_sent(assessment, n)
    if new == AssessmentState.APPRAISED:
        notifications.appraised(assessment)
    _results_changed(assessment.round_id, assessment.pk)
    return new


def _results_changed(round_id: int, assessment_id: int | None = None) -> None:
    """Scores that count changed: the results snapshot is recomputed after commit (issue 6) — of
    ``assessment_id`` (and the round's grades and ranks) when given, of the whole round otherwise — by the
    results app, told through ``signals.scores_changed``."""
    signals.recompute_later(round_id, assessment_id)


def _locked_part(pk: int) -> FieldAppraisal:
    return FieldAppraisal.objects.select_for_update(of=("self",)).select_related("field", "owner").get(pk=pk)


def locked_assessment(pk: int) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("round", "unit", "criteria_set")
        .get(pk=pk)
    )


def appraisal_write_check(*, part: FieldAppraisal, by) -> None:
    """Raise ``PermissionDenied`` unless ``by`` appraises for the agency that owns ``part``. Every appraisal
    write checks it first (``_load``); the views call it before they read what was posted, so a user who may
    only read the part gets 403 for any POST, well-formed or not (issue 14 item 10)."""
    _require_appraiser(by, part)


def score_correct_check(*, by) -> None:
    """Raise ``PermissionDenied`` unless ``by`` may correct an appraised score after publication (admins:
    ``assessments.correct_score``); ``score_correct`` checks it first, its view before reading the form."""
    require_perm(
        by, "assessments.correct_score", message="Chỉ quản trị viên được điều chỉnh điểm sau khi công bố."
    )


def _require_appraiser(by, part: FieldAppraisal) -> None:
    if part.owner_id not in units_of(by, Role.APPRAISER):
        raise PermissionDenied(f"Chỉ thẩm định viên của {part.owner.name} được thẩm định phần này.")


def _require_coordinator(by) -> None:
    require_perm(
        by,
        "assessments.coordinate_appraisal",
        message="Chỉ Sở Nội vụ (điều phối) và quản trị viên được thực hiện thao tác này.",
    )


def appraisal_lock_reason(
    part: FieldAppraisal, assessment: Assessment, score: Score | None = None, now: datetime | None = None
) -> str | None:
    """Why the part's appraiser cannot edit (the leaf ``score``) now, in Vietnamese, or None when they can.

    Round 1 (part pending / in progress): any leaf until the appraisal 1 deadline. Round 2: the flagged
    leaves until the appraisal 2 deadline. A part the coordinator reopened: every leaf, whatever the date.
    """
    rnd = assessment.round
    if rnd.state == RoundState.PUBLISHED or assessment.state == AssessmentState.PUBLISHED:
        return "Kết quả đã công bố; mọi điểm đã khóa (chỉ quản trị viên được điều chỉnh, có lý do)."
    if assessment.state == AssessmentState.DRAFT:
        return "Đơn vị chưa nộp bản tự đánh giá; chưa thể thẩm định."
    if part.state == PartState.FINAL:
        return "Phần thẩm định này đã hoàn thành; đề nghị Sở Nội vụ mở lại nếu cần sửa."
    if part.state == PartState.EXPLANATION:
        return "Đang chờ đơn vị giải trình; thẩm định vòng 2 sau khi đơn vị gửi giải trình."
    if part.reopened_reason:
        return None
    if part.state in ROUND_1_STATES:
        if rnd.is_past("appraisal_1_deadline", now):
            return (
                f"Đã hết hạn thẩm định vòng 1 (ngày {rnd.appraisal_1_deadline:%d/%m/%Y}); "
                "đề nghị Sở Nội vụ gia hạn."
            )
        return None
    # appraisal 2
    if rnd.is_past("appraisal_2_deadline", now):
        return (
            f"Đã hết hạn thẩm định vòng 2 (ngày {rnd.appraisal_2_deadline:%d/%m/%Y}); "
            "đề nghị Sở Nội vụ gia hạn."
        )
    if score is not None and not score.needs_explanation:
        return (
            f"Vòng 2 chỉ thẩm định lại các tiêu chí đã đề nghị giải trình; tiêu chí {score.criterion.code} "
            "đã chốt ở vòng 1."
        )
    return None


def _check_editable(part, assessment, score=None) -> None:
    reason = appraisal_lock_reason(part, assessment, score)
    if reason:
        raise InvalidTransition(reason)


def _load(score: Score, by) -> tuple[Assessment, FieldAppraisal, Score]:
    """Lock the assessment, the leaf's part and the score (in that order, as every service does)."""
    assessment = locked_assessment(score.assessment_id)
    key = leaf_parts(assessment.criteria_set_id).get(score.criterion_id)
    if key is None:
        raise ValidationError(
            "Tiêu chí điều tra XHH lấy điểm từ kết quả điều tra xã hội học; không thẩm định."
        )
    part = (
        FieldAppraisal.objects.select_for_update(of=("self",))
        .select_related("field", "owner")
        .get(assessment=assessment, field_id=key[0], owner_id=key[1])
    )
    _require_appraiser(by, part)
    locked = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion", "appraised_by")
        .get(pk=score.pk)
    )
    return assessment, part, locked


def _stale(score: Score, expected_version: int) -> None:
    if score.version != expected_version:
        who = (
            (score.appraised_by.get_full_name() or score.appraised_by.username)
            if score.appraised_by
            else "người khác"
        )
        raise StaleEdit(
            f"Tiêu chí {score.criterion.code} vừa được {who} cập nhật (điểm thẩm định hiện là "
            f"{points_text(score.appraised_value)}). Giá trị của bạn chưa được lưu; hãy xem giá trị hiện "
            "tại rồi lưu lại.",
            current=score,
        )


def _save_score(score: Score, by, reason: str, fields: list[str]) -> Score:
    score.version += 1
    score.appraised_at = timezone.now()
    score.appraised_by = by
    audit_stamp(score, by, reason)
    score.save(update_fields=[*fields, "version", "appraised_at", "appraised_by"])
    return score


def _start(part: FieldAppraisal, assessment: Assessment, by) -> None:
    """The first appraisal write of a part starts round 1 (and the assessment's appraisal)."""
    if part.state == PartState.PENDING:
        part.state = PartState.IN_PROGRESS
        audit_stamp(part, by, "Bắt đầu thẩm định vòng 1")
        part.save(update_fields=["state", "updated_at"])
        _sync_state(assessment, by, "Bắt đầu thẩm định")


def _check_caps(score: Score, points: Decimal | None) -> None:
    """Bonus / penalty within the set's cap (DESIGN §3): the other leaves of the same kind plus this one."""
    kind = score.criterion.kind
    if kind not in EXTRA_KINDS or not points:
        return
    cs: CriteriaSet = score.assessment.criteria_set
    cap = cs.bonus_cap if kind == Kind.BONUS else cs.penalty_cap
    others = Score.objects.filter(assessment_id=score.assessment_id, criterion__kind=kind).exclude(
        pk=score.pk
    ).aggregate(s=Sum("appraised_value"))["s"] or Decimal(0)
    if others + points > cap:
        what = "điểm thưởng" if kind == Kind.BONUS else "điểm trừ"
        raise ValidationError(
            f"Tổng {what} sẽ là {scales.format_decimal(others + points)}, vượt mức tối đa "
            f"{scales.format_decimal(cap)} điểm của bộ chỉ số."
        )


@transaction.atomic
def appraisal_leaf_save(
    *,
    score: Score,
    by,
    expected_version: int,
    value=None,
    option: str | None = None,
    numerator=None,
    denominator=None,
    comment: str = "",
    na_accept: bool | None = None,
    flag: bool = False,
    question: str = "",
) -> Score:
    """The appraiser's decision on one leaf (issue 4 §3): appraised score, comment, a ruling on the unit's
    not-applicable claim, and (round 1 only) the "needs explanation" flag with its question.

    Inputs by kind as ``services.scoring.score_save_self`` (points; ``options`` label; ``ratio`` figures; 0..max on
    the step). ``na_accept`` True accepts the unit's not-applicable claim (the leaf leaves the denominator;
    no score), False refuses it (a score is then needed), None leaves it undecided. Bonus and penalty
    leaves need ``comment`` as their reason and stay within the set's caps. Empty input clears the
    appraised score. Raises ``PermissionDenied`` (not an appraiser of the leaf's agency),
    ``InvalidTransition`` (before submission, waiting for explanation, final, deadline, flag outside round 1,
    a round-2 leaf that was not flagged), ``ValidationError``, ``StaleEdit``.
    """
    assessment, part, score = _load(score, by)
    _check_editable(part, assessment, score)
    _stale(score, expected_version)
    criterion: Criterion = score.criterion
    comment, question = _text(comment), _text(question)
    if na_accept is not None and not score.self_not_applicable:
        raise ValidationError(f"Đơn vị không đề nghị 'không áp dụng' tiêu chí {criterion.code}.")
    if na_accept is True:
        points, chosen, num, den = None, "", None, None
    else:
        points, chosen, num, den = self_points(
            criterion, value=value, option=option, numerator=numerator, denominator=denominator
        )
    if criterion.kind in EXTRA_KINDS and points and not comment:
        what = "điểm thưởng" if criterion.kind == Kind.BONUS else "điểm trừ"
        raise ValidationError(f"Ghi lý do {what} của tiêu chí {criterion.code} vào ô nhận xét.")
    _check_caps(score, points)
    round_1 = part.state in ROUND_1_STATES
    if flag and not question:
        raise ValidationError(f"Ghi nội dung đề nghị đơn vị giải trình cho tiêu chí {criterion.code}.")
    if not round_1 and (flag != score.needs_explanation or (flag and question != score.question)):
        raise InvalidTransition("Chỉ đề nghị giải trình ở vòng 1.")
    new = {
        "appraised_value": points,
        "appraised_option": chosen,
        "appraised_numerator": num,
        "appraised_denominator": den,
        "appraisal_comment": comment,
        "na_accepted": na_accept if score.self_not_applicable else None,
        "needs_explanation": bool(flag),
        "question": question if flag else "",
    }
    if score.self_not_applicable and na_accept is None and points is not None:
        new["na_accepted"] = False  # a score on a claimed leaf refuses the claim
    changed = [k for k, v in new.items() if getattr(score, k) != v]
    if not changed:
        return score
    for k in changed:
        setattr(score, k, new[k])
    reason = (
        "Thẩm định vòng 1"
        if round_1
        else (
            "Thẩm định lại (mở lại)"
            if part.reopened_reason and not score.needs_explanation
            else "Thẩm định vòng 2"
        )
    )
    _save_score(score, by, reason, changed)
    if round_1:
        _start(part, assessment, by)
    _results_changed(assessment.round_id, assessment.pk)
    return score


def _copy_self(score: Score) -> list[str]:
    """Make the unit's self score the appraised one (or accept its not-applicable claim); changed fields."""
    new: dict[str, Decimal | str | bool | None]
    if score.self_not_applicable:
        new = {
            "appraised_value": None,
            "appraised_option": "",
            "appraised_numerator": None,
            "appraised_denominator": None,
            "na_accepted": True,
        }
    else:
        new = {
            "appraised_value": score.self_value,
            "appraised_option": score.self_option,
            "appraised_numerator": score.numerator,
            "appraised_denominator": score.denominator,
        }
    changed = [k for k, v in new.items() if getattr(score, k) != v]
    for k in changed:
        setattr(score, k, new[k])
    return changed


@transaction.atomic
def appraisal_accept_self(*, score: Score, by, expected_version: int) -> Score:
    """ "Accept the self score" on one leaf (issue 4 §3): the appraised score becomes the unit's self score
    (an N/A claim is accepted). Raises as ``appraisal_leaf_save``; ``ValidationError`` when the unit did not
    score the leaf, or for a bonus/penalty beyond the cap."""
    assessment, part, score = _load(score, by)
    _check_editable(part, assessment, score)
    _stale(score, expected_version)
    if score.self_value is None and not score.self_not_applicable:
        raise ValidationError(
            f"Đơn vị chưa tự chấm tiêu chí {score.criterion.code}; hãy nhập điểm thẩm định."
        )
    _check_caps(score, score.self_value)
    changed = _copy_self(score)
    if changed:
        _save_score(score, by, "Chấp nhận điểm tự chấm", changed)
        if part.state in ROUND_1_STATES:
            _start(part, assessment, by)
        _results_changed(assessment.round_id, assessment.pk)
    return score


@transaction.atomic
def appraisal_accept_all(*, part: FieldAppraisal, by) -> int:
    """ "Accept the self score" for every leaf of the part that is not flagged and not yet appraised, and
    that the unit scored (issue 4 §3). Leaves the appraiser already decided are never overwritten, so no
    edit is lost. Returns how many leaves were accepted. Raises ``PermissionDenied``,
    ``InvalidTransition``."""
    assessment = locked_assessment(part.assessment_id)
    part = _locked_part(part.pk)
    _require_appraiser(by, part)
    _check_editable(part, assessment)
    if part.state == PartState.APPRAISAL_2 and not part.reopened_reason:
        raise InvalidTransition("Vòng 2 chỉ thẩm định lại từng tiêu chí đã đề nghị giải trình.")
    scores = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion")
        .filter(
            assessment=assessment,
            criterion_id__in=part_leaf_ids(part),
            needs_explanation=False,
            appraised_value__isnull=True,
        )
        .exclude(na_accepted=True)
        .order_by("criterion__order")
    )
    n = 0
    for score in scores:
        if score.self_value is None and not score.self_not_applicable:
            continue
        if score.na_accepted is False:
            continue  # the appraiser refused the claim: they score it themselves
        if score.criterion.kind in EXTRA_KINDS and score.self_value:
            continue  # bonus and penalty need the appraiser's reason: decided one by one
        changed = _copy_self(score)
        if changed:
            _save_score(score, by, "Chấp nhận điểm tự chấm (cả lĩnh vực)", changed)
            n += 1
    if n and part.state in ROUND_1_STATES:
        _start(part, assessment, by)
    if n:
        _results_changed(assessment.round_id, assessment.pk)
    return n


def _undecided(part: FieldAppraisal, assessment: Assessment, *, round_1: bool) -> list[tuple[Score, str]]:
    """Leaves of the part still without a decision, as ``[(score, message)]``: round 1 accepts a flag as a
    decision; bonus/penalty leaves are always decided (no points unless given)."""
    items = []
    scores = (
        Score.objects.filter(assessment=assessment, criterion_id__in=part_leaf_ids(part))
        .select_related("criterion")
        .order_by("criterion__order")
    )
    for s in scores:
        if s.criterion.kind in EXTRA_KINDS or s.is_appraised or (round_1 and s.needs_explanation):
            continue
        if s.self_not_applicable and s.na_accepted is None:
            items.append(
                (
                    s,
                    f"Tiêu chí {s.criterion.code}: đơn vị đề nghị không áp dụng; hãy chấp nhận hoặc "
                    "không chấp nhận và chấm điểm.",
                )
            )
        else:
            items.append((s, f"Tiêu chí {s.criterion.code} chưa có điểm thẩm định."))
    return items


def _part_to_close(
    part: FieldAppraisal, by, *, states, wrong_state: str, round_1: bool, incomplete: str
) -> tuple[Assessment, FieldAppraisal]:
    """Lock ``part``'s assessment and the part (that order) and check that ``by`` may end the part's round now:
    an appraiser of its owner (``PermissionDenied``), the part in one of ``states`` (else ``InvalidTransition``
    "Phần thẩm định lĩnh vực <code> <wrong_state> (trạng thái: …)"), still editable (``InvalidTransition``: the
    deadline…), every leaf decided for the round (``_undecided``; else ``Incomplete`` with ``incomplete``, whose
    ``{n}`` is the number left). Returns the locked assessment and part."""
    assessment = locked_assessment(part.assessment_id)
    part = _locked_part(part.pk)
    _require_appraiser(by, part)
    if part.state not in states:
        raise InvalidTransition(
            f"Phần thẩm định lĩnh vực {part.field.code} {wrong_state} (trạng thái: {part.get_state_display()})."
        )
    _check_editable(part, assessment)
    items = _undecided(part, assessment, round_1=round_1)
    if items:
        raise Incomplete(incomplete.format(n=len(items)), items)
    return assessment, part


@transaction.atomic
def part_close_round_1(*, part: FieldAppraisal, by) -> FieldAppraisal:
    """The appraiser ends round 1 of a part (issue 4 §4): flagged leaves go to the unit for explanation
    (part → explanation), otherwise the part is final. The unit sees the questions once every part of its
    assessment has ended round 1. Every leaf must be appraised or flagged (``Incomplete`` lists the
    others). Raises ``PermissionDenied``, ``InvalidTransition`` (not in round 1 — sent twice —, deadline)."""
    assessment, part = _part_to_close(
        part,
        by,
        states=ROUND_1_STATES,
        wrong_state="đã kết thúc vòng 1",
        round_1=True,
        incomplete="Chưa thể kết thúc vòng 1: còn {n} tiêu chí chưa thẩm định.",
    )
    flagged = Score.objects.filter(
        assessment=assessment, criterion_id__in=part_leaf_ids(part), needs_explanation=True
    ).exists()
    now = timezone.now()
    part.round_1_closed_at = now
    if flagged:
        part.state = PartState.EXPLANATION
        reason = "Kết thúc vòng 1: đề nghị đơn vị giải trình"
        fields = ["state", "round_1_closed_at", "updated_at"]
    else:
        part.state, part.finalised_at, part.finalised_by = PartState.FINAL, now, by
        reason = "Kết thúc vòng 1: hoàn thành (không cần giải trình)"
        fields = ["state", "round_1_closed_at", "finalised_at", "finalised_by", "updated_at"]
    part.reopened_reason = ""
    audit_stamp(part, by, reason)
    part.save(update_fields=[*fields, "reopened_reason"])
    _sync_state(assessment, by, reason)
    return part


@transaction.atomic
def part_finalise(*, part: FieldAppraisal, by) -> FieldAppraisal:
    """The appraiser finalises a part in round 2 (or a reopened part): every leaf decided (``Incomplete``
    lists the others). Raises ``PermissionDenied``, ``InvalidTransition`` (not in round 2 — sent twice —,
    deadline)."""
    assessment, part = _part_to_close(
        part,
        by,
        states=(PartState.APPRAISAL_2,),
        wrong_state="không ở vòng 2",
        round_1=False,
        incomplete="Chưa thể hoàn thành: còn {n} tiêu chí chưa có điểm thẩm định.",
    )
    part.state, part.finalised_at, part.finalised_by = PartState.FINAL, timezone.now(), by
    part.reopened_reason = ""
    audit_stamp(part, by, "Hoàn thành thẩm định")
    part.save(update_fields=["state", "finalised_at", "finalised_by", "reopened_reason", "updated_at"])
    _sync_state(assessment, by, "Hoàn thành thẩm định lĩnh vực")
    return part


def explanation_lock_reason(assessment: Assessment, now=None) -> str | None:
    """Why the unit cannot answer now (Vietnamese), or None while it can (explanation state, before the
    round's explanation deadline)."""
    if assessment.state != AssessmentState.EXPLANATION:
        if assessment.state in (
            AssessmentState.APPRAISAL_2,
            AssessmentState.APPRAISED,
            AssessmentState.PUBLISHED,
        ):
            return "Đơn vị đã gửi giải trình (hoặc đã hết hạn giải trình); không thể sửa."
        return "Chưa có nội dung nào cần giải trình."
    rnd = assessment.round
    if rnd.is_past("explanation_deadline", now):
        return f"Đã hết hạn giải trình (ngày {rnd.explanation_deadline:%d/%m/%Y}); không thể sửa."
    return None


def _require_unit(by, assessment: Assessment, *roles) -> None:
    if assessment.unit_id not in units_of(by, *(roles or (Role.OFFICER, Role.HEAD))):
        if roles == (Role.HEAD,):
            raise PermissionDenied("Chỉ thủ trưởng đơn vị được gửi giải trình.")
        raise PermissionDenied("Chỉ cán bộ CCHC và thủ trưởng của đơn vị được giải trình.")


@transaction.atomic
def explanation_answer_save(*, score: Score, by, expected_version: int, answer: str) -> Score:
    """The unit's answer to the question on a flagged leaf (issue 4 §4), while the explanation window is
    open. New evidence goes through ``services.evidence.evidence_upload``/``evidence_attach`` (allowed on flagged
    leaves in that window). Raises ``PermissionDenied``, ``InvalidTransition`` (not flagged, window closed,
    answers already sent), ``StaleEdit``."""
    if score.assessment.unit_id not in units_of(by, Role.OFFICER, Role.HEAD):
        _require_unit(by, score.assessment)
    assessment = locked_assessment(score.assessment_id)
    reason = explanation_lock_reason(assessment)
    if reason:
        raise InvalidTransition(reason)
    score = Score.objects.select_for_update(of=("self",)).select_related("criterion").get(pk=score.pk)
    if not score.needs_explanation:
        raise InvalidTransition(f"Tiêu chí {score.criterion.code} không có đề nghị giải trình.")
    if score.version != expected_version:
        raise StaleEdit(
            f"Giải trình tiêu chí {score.criterion.code} vừa được người khác cập nhật. Nội dung của "
            "bạn chưa được lưu; hãy xem nội dung hiện tại rồi lưu lại.",
            current=score,
        )
    answer = _text(answer)
    if answer == score.answer:
        return score
    score.answer = answer
    score.answered_at = timezone.now() if answer else None
    score.version += 1
    score.updated_at = timezone.now()
    score.updated_by = by
    audit_stamp(score, by, "Giải trình")
    score.save(update_fields=["answer", "answered_at", "version", "updated_at", "updated_by"])
    return score


def close_explanation(assessment: Assessment, by, reason: str, *, automatic: bool) -> list[FieldAppraisal]:
    parts = list(
        FieldAppraisal.objects.select_for_update(of=("self",)).filter(
            assessment=assessment, state=PartState.EXPLANATION
        )
    )
    for p in parts:
        p.state = PartState.APPRAISAL_2
        audit_stamp(p, by, reason)
        p.save(update_fields=["state", "updated_at"])
    _sync_state(assessment, by, reason)
    notifications.answers_sent(assessment, parts, automatic=automatic)
    return parts


@transaction.atomic
def explanation_send(*, assessment: Assessment, by) -> Assessment:
    """The unit head sends the answers (issue 4 §4): explanation → appraisal 2 for the flagged parts. Every
    question needs an answer (``Incomplete`` lists the others). Raises ``PermissionDenied`` (not the
    head), ``InvalidTransition`` (nothing to send — sent twice —, window closed)."""
    _require_unit(by, assessment, Role.HEAD)
    assessment = locked_assessment(assessment.pk)
    reason = explanation_lock_reason(assessment)
    if reason:
        raise InvalidTransition(reason)
    missing = [
        (s, f"Tiêu chí {s.criterion.code} chưa có nội dung giải trình.")
        for s in Score.objects.filter(assessment=assessment, needs_explanation=True, answer="")
        .select_related("criterion")
        .order_by("criterion__order")
    ]
    if missing:
        raise Incomplete(f"Chưa thể gửi: còn {len(missing)} tiêu chí chưa giải trình.", missing)
    close_explanation(assessment, by, "Đơn vị gửi giải trình", automatic=False)
    return assessment


def reopen_refusal(part: FieldAppraisal, rnd: AssessmentRound) -> str | None:
    """Why ``part`` (of round ``rnd``) cannot be reopened now, in Vietnamese, or None when it can: the round is
    published, or the part is not final. ``part_reopen`` refuses with it; the part page shows "Mở lại" from it."""
    if rnd.state == RoundState.PUBLISHED:
        return "Kết quả đã công bố; không thể mở lại."
    if part.state != PartState.FINAL:
        return f"Phần thẩm định lĩnh vực {part.field.code} chưa hoàn thành; không cần mở lại."
    return None


def publish_refusal(rnd: AssessmentRound) -> str | None:
    """Why round ``rnd`` cannot be published whatever its assessments (already published, not open), or None;
    ``round_publish`` refuses with it, the overview shows "Công bố kết quả" from it."""
    if rnd.state == RoundState.PUBLISHED:
        return f"{rnd.name} đã được công bố."
    if rnd.state != RoundState.OPEN:
        return "Đợt đánh giá chưa mở; không thể công bố."
    return None


@transaction.atomic
def part_reopen(*, part: FieldAppraisal, by, reason: str) -> FieldAppraisal:
    """The coordinator reopens a finished part with a reason (issue 4 §6): its appraiser may edit every
    leaf again, whatever the deadlines, until they finalise it. Before the unit's explanation stage the
    part goes back to round 1, after it to round 2 (so questions already sent stay with the unit). Raises
    ``PermissionDenied``, ``ValidationError`` (no reason), ``InvalidTransition`` (not final, published)."""
    _require_coordinator(by)
    reason = _text(reason)
    if not reason:
        raise ValidationError("Ghi lý do mở lại phần thẩm định.")
    assessment = locked_assessment(part.assessment_id)
    part = _locked_part(part.pk)
    refusal = reopen_refusal(part, assessment.round)
    if refusal:
        raise InvalidTransition(refusal)
    early = assessment.state in (AssessmentState.SUBMITTED, AssessmentState.APPRAISAL_1)
    part.state = PartState.IN_PROGRESS if early else PartState.APPRAISAL_2
    part.reopened_reason = reason
    part.finalised_at = part.finalised_by = None
    audit_stamp(part, by, f"Mở lại: {reason}")
    part.save(update_fields=["state", "reopened_reason", "finalised_at", "finalised_by", "updated_at"])
    _sync_state(assessment, by, f"Mở lại lĩnh vực {part.field.code}: {reason}")
    notifications.reopened(part, reason)
    return part


@transaction.atomic
def round_publish(*, round: AssessmentRound, by) -> AssessmentRound:
    """Publish a round (issue 4 §6): every assessment must be appraised (``Incomplete`` with the reasons of
    ``publication_problems``). Assessments and round become published; everything is locked; the units
    and leaders are told. Raises ``PermissionDenied``, ``InvalidTransition`` (not open — sent twice)."""

    _require_coordinator(by)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    refusal = publish_refusal(rnd)
    if refusal:
        raise InvalidTransition(refusal)
    assessments = list(
        Assessment.objects.select_for_update(of=("self",)).select_related("unit").filter(round=rnd)
    )
    problems = publication_problems(rnd)
    if problems or not assessments:
        raise Incomplete(
            "Chưa thể công bố: còn bản chưa thẩm định xong.",
            [(None, p) for p in problems] or [(None, "Đợt đánh giá không có bản nào.")],
        )
    for a in assessments:
        a.state = AssessmentState.PUBLISHED
        audit_stamp(a, by, "Công bố kết quả")
        a.save(update_fields=["state", "updated_at"])
    rnd.state = RoundState.PUBLISHED
    audit_stamp(rnd, by, "Công bố kết quả")
    rnd.save(update_fields=["state"])
    _results_changed(rnd.pk)
    notifications.published(rnd, assessments)
    return rnd


@transaction.atomic
def score_correct(
    *,
    score: Score,
    by,
    reason: str,
    expected_version: int,
    value=None,
    option=None,
    numerator=None,
    denominator=None,
) -> Score:
    """An admin's correction of an appraised score after publication (DESIGN §4): reason required, audited,
    the unit and the coordinators told. Raises ``PermissionDenied`` (not an admin), ``InvalidTransition``
    (round not published: use the appraisal), ``ValidationError``, ``StaleEdit``."""
    score_correct_check(by=by)
    reason = _text(reason)
    if not reason:
        raise ValidationError("Ghi lý do điều chỉnh điểm.")
    assessment = locked_assessment(score.assessment_id)
    if assessment.round.state != RoundState.PUBLISHED:
        raise InvalidTransition("Đợt đánh giá chưa công bố; điểm được sửa qua thẩm định.")
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion", "appraised_by")
        .get(pk=score.pk)
    )
    if score.criterion.source != "appraisal":
        raise ValidationError("Điểm điều tra XHH được sửa ở trang điều tra XHH.")
    _stale(score, expected_version)
    points, chosen, num, den = self_points(
        score.criterion, value=value, option=option, numerator=numerator, denominator=denominator
    )
    _check_caps(score, points)
    new = {
        "appraised_value": points,
        "appraised_option": chosen,
        "appraised_numerator": num,
        "appraised_denominator": den,
    }
    changed = [k for k, v in new.items() if getattr(score, k) != v]
    if not changed:
        return score
    for k in changed:
        setattr(score, k, new[k])
    _save_score(score, by, f"Điều chỉnh sau công bố: {reason}", changed)
    _results_changed(assessment.round_id, assessment.pk)
    notifications.corrected(score, reason)
    return score


@transaction.atomic
def field_owner_set(
    *, criteria_set: CriteriaSet, node: Criterion, owner: Unit | None, by, reason: str = ""
) -> Criterion:
    """The coordinator changes the agency that appraises a node's subtree (issue 4 §1): on a field any
    agency, below it an override (None removes it). Allowed while no part of this set whose leaves would
    move has started; the set's not-started parts are rebuilt for submitted assessments. Raises
    ``PermissionDenied``, ``ValidationError`` (a field without owner, a node of another set, an owner that may
    not appraise this set in its year — ``criteria.scope.owner_refusal``: a department on a district's set, a unit
    closed before the end of the set's year),
    ``InvalidTransition`` (appraisal of the affected leaves already started)."""
    _require_coordinator(by)
    node = Criterion.objects.select_for_update().get(pk=node.pk)
    if node.criteria_set_id != criteria_set.pk:
        raise ValidationError("Tiêu chí không thuộc bộ chỉ số này.")
    if node.level == Level.FIELD and owner is None:
        raise ValidationError("Lĩnh vực phải có cơ quan thẩm định.")
    refusal = owner and owner_refusal(
        owner=owner, year=criteria_set.year, parent_unit=criteria_set.parent_unit
    )
    if refusal:
        raise ValidationError(refusal)
    if node.owner_id == (owner.pk if owner else None):
        return node
    before = leaf_parts(criteria_set.pk)
    prefix = node.code + "."
    codes = dict(Criterion.objects.filter(criteria_set=criteria_set).values_list("id", "code"))
    moved = {
        leaf: key
        for leaf, key in before.items()
        if codes[leaf] == node.code or codes[leaf].startswith(prefix)
    }
    affected_keys = set(moved.values())
    started = (
        FieldAppraisal.objects.filter(assessment__criteria_set=criteria_set)
        .exclude(state=PartState.PENDING)
        .filter(field_id__in={k[0] for k in affected_keys}, owner_id__in={k[1] for k in affected_keys})
    )
    if started.exists():
        raise InvalidTransition(
            "Đã có phần thẩm định của các tiêu chí này bắt đầu; không thể đổi cơ quan "
            "thẩm định. Đổi trước khi thẩm định, hoặc mở lại sau khi thống nhất."
        )
    node.owner = owner
    audit_stamp(node, by, _text(reason) or "Đổi cơ quan thẩm định")
    node.save(update_fields=["owner"])
    after = set(leaf_parts(criteria_set.pk).values())
    stale = FieldAppraisal.objects.filter(
        assessment__criteria_set=criteria_set, state=PartState.PENDING
    ).exclude(assessment__state=AssessmentState.DRAFT)
    for part in list(stale):
        if (part.field_id, part.owner_id) not in after:
            audit_stamp(part, by, "Đổi cơ quan thẩm định")
            part.delete()
    for a in Assessment.objects.filter(criteria_set=criteria_set).exclude(state=AssessmentState.DRAFT):
        parts_ensure(a, by)
    return node
