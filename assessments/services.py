"""Writes of rounds and self-assessments (shared/DESIGN.md §4; issue 3).

Every service takes the acting user as ``by`` and checks it; workflow steps lock their row
(``select_for_update``), check state and deadline, save, and leave history (django-simple-history, with
the user and a reason). Errors: ``ValidationError`` for bad input, ``PermissionDenied`` for an actor who
may not act, ``InvalidTransition`` for a step the state or a deadline forbids, ``StaleEdit`` for a write
based on an old version, ``Incomplete`` for a submission with missing parts. Nothing is stored when one
is raised.
"""

import hashlib
import unicodedata
from datetime import date
from decimal import Decimal

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from criteria import scales
from criteria.models import EXTRA_KINDS, CriteriaSet, Criterion, Kind, Source
from criteria.selectors import leaf_slots
from criteria.services import criteria_set_freeze
from parindex.exceptions import Incomplete, InvalidTransition, StaleEdit
from units.models import Role, Unit, UnitGroup

from .models import (
    DEADLINES,
    Assessment,
    AssessmentRound,
    AssessmentState,
    Evidence,
    EvidenceLink,
    RoundSet,
    RoundState,
    Score,
)
from .permissions import is_unit_member
from .selectors import submission_problems

#: Evidence types accepted, by the extension ``filetype`` detects from the bytes (not from the name).
EVIDENCE_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
DEFAULT_STEP = Decimal("0.25")


# ---------------------------------------------------------------- rounds

def _require_round_manager(by) -> None:
    if not by.has_perm("assessments.manage_rounds"):
        raise PermissionDenied("Chỉ Sở Nội vụ (điều phối) và quản trị viên được quản lý đợt đánh giá.")


def _check_round_sets(sets: dict[UnitGroup, CriteriaSet]) -> None:
    for group, criteria_set in sets.items():
        if criteria_set.group_id != group.pk:
            raise ValidationError(f"Bộ chỉ số '{criteria_set}' không thuộc nhóm '{group.name}'.")


@transaction.atomic
def round_create(*, year: int, name: str, opens_on: date, self_assessment_deadline: date,
                 appraisal_1_deadline: date, explanation_deadline: date, appraisal_2_deadline: date,
                 publication_date: date, sets: dict[UnitGroup, CriteriaSet], by) -> AssessmentRound:
    """Create a round in preparation (``draft``) with the set each group uses.

    Raises ``ValidationError`` for dates out of order, a year that already has a round, or a set of another
    group; ``PermissionDenied`` for users other than the coordinator and admins.
    """
    _require_round_manager(by)
    if AssessmentRound.objects.filter(year=year).exists():
        raise ValidationError(f"Năm {year} đã có đợt đánh giá.")
    rnd = AssessmentRound(year=year, name=name, opens_on=opens_on, self_assessment_deadline=self_assessment_deadline,
                          appraisal_1_deadline=appraisal_1_deadline, explanation_deadline=explanation_deadline,
                          appraisal_2_deadline=appraisal_2_deadline, publication_date=publication_date)
    rnd.full_clean()
    _check_round_sets(sets)
    rnd._history_user = by
    rnd._change_reason = "Tạo đợt đánh giá"
    rnd.save()
    RoundSet.objects.bulk_create([RoundSet(round=rnd, group=g, criteria_set=s) for g, s in sets.items()])
    return rnd


@transaction.atomic
def round_update(*, round: AssessmentRound, by, reason: str = "", sets: dict[UnitGroup, CriteriaSet] | None = None,
                 **fields) -> AssessmentRound:
    """Change a round's name or dates (any time before publication, audited with ``reason``) and, while it is
    still in preparation, the sets. Raises ``InvalidTransition`` for a published round or for set changes of an
    open round; ``ValidationError`` for dates out of order."""
    _require_round_manager(by)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if rnd.state == RoundState.PUBLISHED:
        raise InvalidTransition("Đợt đánh giá đã công bố; không thể sửa.")
    allowed = {"name", "opens_on"} | {f for f, _ in DEADLINES}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Không sửa được: {', '.join(sorted(unknown))}.")
    for key, value in fields.items():
        setattr(rnd, key, value)
    rnd.full_clean()
    if sets is not None:
        if rnd.state != RoundState.DRAFT:
            raise InvalidTransition("Đợt đánh giá đã mở; không thể đổi bộ chỉ số.")
        _check_round_sets(sets)
        rnd.round_sets.all().delete()
        RoundSet.objects.bulk_create([RoundSet(round=rnd, group=g, criteria_set=s) for g, s in sets.items()])
    rnd._history_user = by
    rnd._change_reason = reason or "Sửa đợt đánh giá"
    rnd.save()
    return rnd


def _units_in_year(group_id: int, year: int):
    start, end = date(year, 1, 1), date(year, 12, 31)
    return Unit.objects.filter(group_id=group_id, is_active=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=end), Q(valid_to__isnull=True) | Q(valid_to__gte=start))


def blank_scores(assessments, criteria_set_id: int) -> list[Score]:
    """Unsaved empty score rows, one per leaf of set ``criteria_set_id`` for each of ``assessments`` (all of that
    set), each with its leaf's computation slot (``criteria.selectors.set_layouts``), as opening a round makes them
    (the demo data sets the same slots); the caller saves them with ``bulk_create``. One query."""
    slots = leaf_slots(criteria_set_id)
    return [Score(assessment=a, criterion_id=leaf, slot=slot) for a in assessments for leaf, slot in slots.items()]


@transaction.atomic
def round_open(*, round: AssessmentRound, by) -> AssessmentRound:
    """Open a round: freeze its sets, create one assessment per active unit of each group with a set (units
    valid during the round's year) and one score row per leaf. Raises ``InvalidTransition`` unless the
    round is in preparation and has at least one set."""
    _require_round_manager(by)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if rnd.state != RoundState.DRAFT:
        raise InvalidTransition("Đợt đánh giá đã được mở.")
    round_sets = list(rnd.round_sets.select_related("criteria_set"))
    if not round_sets:
        raise InvalidTransition("Đợt đánh giá chưa có bộ chỉ số nào cho các nhóm đơn vị.")
    for rs in round_sets:
        criteria_set_freeze(criteria_set=rs.criteria_set, by=by)
        existing = set(rnd.assessments.values_list("unit_id", flat=True))
        assessments = [Assessment(round=rnd, unit=u, criteria_set=rs.criteria_set)
                       for u in _units_in_year(rs.group_id, rnd.year) if u.pk not in existing]
        created = bulk_create_with_history(assessments, Assessment, default_user=by,
                                           default_change_reason="Mở đợt đánh giá")
        if any(a.pk is None for a in created):  # pragma: no cover — backends without RETURNING
            created = list(Assessment.objects.filter(round=rnd, criteria_set=rs.criteria_set))
        Score.objects.bulk_create(blank_scores(created, rs.criteria_set_id), batch_size=2000)
    rnd.state = RoundState.OPEN
    rnd.opened_at = timezone.now()
    rnd.opened_by = by
    rnd._history_user = by
    rnd._change_reason = "Mở đợt đánh giá"
    rnd.save(update_fields=["state", "opened_at", "opened_by"])
    return rnd


# ---------------------------------------------------------------- self-assessment

def _require_member(by, assessment: Assessment, *roles: str) -> None:
    if not is_unit_member(by, assessment, *roles):
        if roles == (Role.HEAD,):
            raise PermissionDenied("Chỉ thủ trưởng đơn vị được nộp hoặc rút bản tự đánh giá của đơn vị mình.")
        raise PermissionDenied("Chỉ cán bộ CCHC và thủ trưởng của đơn vị được sửa bản tự đánh giá này.")


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


def _require_editable(assessment: Assessment) -> None:
    reason = self_assessment_lock_reason(assessment)
    if reason:
        raise InvalidTransition(reason)


def _require_evidence_editable(assessment: Assessment, score: Score) -> None:
    """Evidence may be added while the unit edits its draft, and during the explanation window on a leaf
    the appraisers asked about (issue 4 §4: "answers with text and new evidence")."""
    if assessment.state == AssessmentState.EXPLANATION and score.needs_explanation:
        from .appraisal_services import explanation_lock_reason  # noqa: PLC0415

        reason = explanation_lock_reason(assessment)
        if reason:
            raise InvalidTransition(reason)
        return
    _require_editable(assessment)


def _number(raw, what: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, Decimal):
        return raw
    try:
        return scales.parse_decimal(raw, what=what)
    except scales.ScaleError as exc:
        raise ValidationError(str(exc)) from exc


def _self_points(criterion: Criterion, *, value, option, numerator, denominator):
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
            _, points = scales.ratio_points(criterion.scale, num, den)
        except scales.ScaleError as exc:
            raise ValidationError(str(exc)) from exc
        return points, "", num, den
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


def _locked_assessment(pk: int, *related: str) -> Assessment:
    """The assessment with its round, its row locked until commit: a unit's edit waits for a submission or
    withdrawal in progress and then sees the new state, so nothing changes between the submission's checks
    and its commit (only the assessment row is locked, not the round shared by every unit)."""
    return Assessment.objects.select_for_update(of=("self",)).select_related("round", *related).get(pk=pk)


def _locked_score(assessment: Assessment, criterion: Criterion) -> Score:
    """The score row of ``criterion`` in ``assessment``, locked; ``Score.DoesNotExist`` when the leaf is not
    of this assessment's set (a forged id: views answer 404); ``ValidationError`` for a survey leaf, which
    the unit neither scores nor proves (shared/DESIGN.md §3)."""
    score = Score.objects.select_for_update(of=("self",)).select_related("criterion").get(
        assessment=assessment, criterion=criterion)
    if score.criterion.source == Source.SURVEY:
        raise ValidationError("Tiêu chí điều tra XHH lấy điểm từ kết quả điều tra xã hội học; đơn vị không tự chấm "
                              "và không nộp tài liệu kiểm chứng cho tiêu chí này.")
    return score


@transaction.atomic
def score_save_self(*, assessment: Assessment, criterion: Criterion, by, expected_version: int,
                    value=None, option: str | None = None, numerator=None, denominator=None,
                    note: str = "", explanation: str = "", not_applicable: bool = False) -> Score:
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
    _require_member(by, assessment)
    assessment = _locked_assessment(assessment.pk)
    _require_editable(assessment)
    score = _locked_score(assessment, criterion)
    criterion = score.criterion
    if score.version != expected_version:
        current = "chưa chấm" if score.self_value is None else f"{scales.format_decimal(score.self_value)} điểm"
        who = score.updated_by.get_full_name() or score.updated_by.username if score.updated_by else "người khác"
        when = timezone.localtime(score.updated_at).strftime("%H:%M %d/%m/%Y") if score.updated_at else ""
        raise StaleEdit(f"Tiêu chí {criterion.code} vừa được {who} cập nhật lúc {when} (hiện là {current}). "
                        "Giá trị của bạn chưa được lưu; hãy xem giá trị hiện tại rồi lưu lại.", current=score)
    note, explanation = (unicodedata.normalize("NFC", (t or "").strip()) for t in (note, explanation))
    if not_applicable:
        if criterion.kind in EXTRA_KINDS:
            raise ValidationError("Điểm thưởng, điểm trừ không có đề nghị 'không áp dụng'; để trống nếu không có.")
        if not note:
            raise ValidationError(f"Tiêu chí {criterion.code}: ghi rõ lý do đề nghị không áp dụng vào ô ghi chú.")
        points, chosen, num, den = None, "", None, None
    else:
        points, chosen, num, den = _self_points(criterion, value=value, option=option, numerator=numerator,
                                                denominator=denominator)
    new = {"self_value": points, "self_option": chosen, "numerator": num, "denominator": den, "note": note,
           "explanation": explanation, "self_not_applicable": bool(not_applicable)}
    if all(getattr(score, k) == v for k, v in new.items()):
        return score
    for key, val in new.items():
        setattr(score, key, val)
    score.version += 1
    score.updated_at = timezone.now()
    score.updated_by = by
    score._history_user = by
    score._change_reason = "Tự chấm điểm"
    score.save()
    return score


def _check_file_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or "/" in name or "\\" in name or ".." in name or any(ord(ch) < 32 for ch in name):
        raise ValidationError("Tên tệp không hợp lệ (không được chứa '/', '\\' hoặc '..'). Hãy đổi tên tệp rồi tải lên lại.")
    return name[:255]


def _detect_type(file) -> str:
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.extension not in EVIDENCE_TYPES:
        found = f" (nội dung là tệp {kind.extension})" if kind else ""
        raise ValidationError("Chỉ nhận tài liệu PDF, Word (doc, docx), Excel (xls, xlsx) và ảnh JPG, PNG; "
                              f"loại tệp được kiểm tra theo nội dung, không theo tên{found}.")
    return kind.extension


@transaction.atomic
def evidence_upload(*, assessment: Assessment, criterion: Criterion, file, name: str, by, doc_number: str = "",
                    issued_on: date | None = None, issuer: str = "", cited_section: str = "",
                    description: str = "") -> Evidence:
    """Store an evidence file in private storage and attach it to the leaf ``criterion``.

    ``file``: a Django ``File``/``UploadedFile``; its type is detected from its bytes (pdf, doc, docx, xls, xlsx,
    jpg, png); size limit ``EVIDENCE_MAX_BYTES``. The same content uploaded twice in one assessment is
    stored once and attached again; metadata the first upload left blank is filled from the second. Raises ``ValidationError`` (empty, oversize, wrong type, bad name),
    ``PermissionDenied``, ``InvalidTransition``, ``Score.DoesNotExist`` (leaf not in the assessment).
    """
    _require_member(by, assessment)
    assessment = _locked_assessment(assessment.pk, "unit")
    score = _locked_score(assessment, criterion)
    _require_evidence_editable(assessment, score)
    name = _check_file_name(name)
    size = file.size
    if not size:
        raise ValidationError("Tệp rỗng (0 byte); hãy chọn đúng tệp tài liệu.")
    limit = settings.EVIDENCE_MAX_BYTES
    if size > limit:
        def mb(n: int) -> str:  # "1,5" / "20": Vietnamese decimal comma, one decimal at most
            return scales.format_decimal(round(Decimal(n) / 1048576, 1))

        raise ValidationError(f"Tệp lớn {mb(size)} MB, vượt giới hạn {mb(limit)} MB.")
    ext = _detect_type(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    sha = digest.hexdigest()
    file.seek(0)
    evidence = Evidence.objects.filter(assessment=assessment, sha256=sha).first()
    if evidence is None:
        evidence = Evidence(assessment=assessment, original_name=name, size=size, sha256=sha,
                            content_type=EVIDENCE_TYPES[ext], doc_number=doc_number.strip(), issued_on=issued_on,
                            issuer=issuer.strip(), cited_section=cited_section.strip(),
                            description=description.strip(), uploaded_by=by)
        evidence.file.save(f"evidence.{ext}", file, save=False)
        stored = evidence.file.name
        try:
            evidence._history_user = by
            evidence._change_reason = f"Tải lên cho tiêu chí {score.criterion.code}"
            evidence.save()
            _link(evidence, score, by)
        except Exception:
            evidence.file.storage.delete(stored)  # nothing half-stored: no file without its row
            raise
        return evidence
    # The same content again: keep one document, and fill in what its first upload left blank.
    given = {"doc_number": doc_number.strip(), "issued_on": issued_on, "issuer": issuer.strip(),
             "cited_section": cited_section.strip(), "description": description.strip()}
    missing = [f for f, v in given.items() if v and not getattr(evidence, f)]
    if missing:
        for f in missing:
            setattr(evidence, f, given[f])
        evidence._history_user = by
        evidence._change_reason = "Bổ sung thông tin tài liệu khi tải lại cùng tệp"
        evidence.save(update_fields=missing)
    _link(evidence, score, by)
    return evidence


def _link(evidence: Evidence, score: Score, by) -> None:
    if EvidenceLink.objects.filter(evidence=evidence, score=score).exists():
        return
    link = EvidenceLink(evidence=evidence, score=score, created_by=by)
    link._history_user = by
    link._change_reason = f"Gắn tài liệu vào tiêu chí {score.criterion.code}"
    link.save()


@transaction.atomic
def evidence_attach(*, evidence: Evidence, criterion: Criterion, by) -> EvidenceLink:
    """Attach an already uploaded document to another leaf of the same assessment (no new upload).
    Idempotent. Raises as ``evidence_upload``."""
    assessment = _locked_assessment(evidence.assessment_id)
    _require_member(by, assessment)
    score = _locked_score(assessment, criterion)
    _require_evidence_editable(assessment, score)
    _link(evidence, score, by)
    return EvidenceLink.objects.get(evidence=evidence, score=score)


@transaction.atomic
def evidence_detach(*, evidence: Evidence, criterion: Criterion, by) -> bool:
    """Remove a document from a leaf; when no leaf uses it any more the document and its file are deleted
    (after commit). Returns True when the document itself was deleted. Raises as ``evidence_upload``."""
    assessment = _locked_assessment(evidence.assessment_id)
    _require_member(by, assessment)
    _require_editable(assessment)
    score = _locked_score(assessment, criterion)
    link = EvidenceLink.objects.get(evidence=evidence, score=score)
    link._history_user = by
    link._change_reason = f"Gỡ tài liệu khỏi tiêu chí {score.criterion.code}"
    link.delete()
    if evidence.links.exists():
        return False
    storage, stored = evidence.file.storage, evidence.file.name
    evidence._history_user = by
    evidence._change_reason = "Xóa tài liệu (không còn gắn với tiêu chí nào)"
    evidence.delete()
    transaction.on_commit(lambda: storage.delete(stored))
    return True


@transaction.atomic
def assessment_submit(*, assessment: Assessment, by) -> Assessment:
    """The unit head submits the self-assessment (draft → submitted).

    Checks (issue 3 §4–5): every appraisal leaf scored; a leaf scored above 0 without evidence has an
    explanation. Raises ``Incomplete`` with ``items`` = [(score, message)] listing what is missing,
    ``PermissionDenied`` (not the unit's head), ``InvalidTransition`` (not a draft — already submitted —,
    deadline passed). The appraisers of every part and the unit's officers are told (after commit)."""
    _require_member(by, assessment, Role.HEAD)
    locked = _locked_assessment(assessment.pk)
    _require_editable(locked)
    problems = submission_problems(locked)
    if problems:
        raise Incomplete(f"Chưa thể nộp: còn {len(problems)} tiêu chí cần hoàn thiện.", problems)
    locked.state = AssessmentState.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked._history_user = by
    locked._change_reason = "Nộp bản tự đánh giá"
    locked.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
    from . import appraisal_services, notifications  # noqa: PLC0415 — they build on this module

    appraisal_services.parts_ensure(locked, by)
    notifications.submitted(locked)
    notifications.unit_submitted(locked, by)
    return locked


@transaction.atomic
def assessment_withdraw(*, assessment: Assessment, by) -> Assessment:
    """The unit head takes a submitted assessment back to draft, until appraisal starts and before the
    self-assessment deadline; the unit's officers are told (after commit). Raises ``PermissionDenied`` or
    ``InvalidTransition`` (not submitted — already withdrawn —, appraisal started, deadline passed)."""
    _require_member(by, assessment, Role.HEAD)
    locked = _locked_assessment(assessment.pk)
    if locked.state != AssessmentState.SUBMITTED:
        raise InvalidTransition("Chỉ rút lại được bản đã nộp và chưa bắt đầu thẩm định.")
    if locked.round.is_past("self_assessment_deadline"):
        raise InvalidTransition(f"Đã hết hạn tự đánh giá (ngày {locked.round.self_assessment_deadline:%d/%m/%Y}); "
                                "không thể rút lại.")
    locked.state = AssessmentState.DRAFT
    locked.submitted_at = None
    locked.submitted_by = None
    locked._history_user = by
    locked._change_reason = "Rút lại bản tự đánh giá"
    locked.save(update_fields=["state", "submitted_at", "submitted_by", "updated_at"])
    from . import notifications  # noqa: PLC0415 — it builds on this module

    notifications.unit_withdrawn(locked, by)
    return locked
