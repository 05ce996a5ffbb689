"""Writes of evidence (tài liệu kiểm chứng; issue 3 §3): upload a document for a leaf (type detected from
its bytes, stored once per content and assessment), attach it to another leaf, detach it (the file goes with
its last link).

The services' contract (actor, locks, history, errors): ``assessments.services``.
"""

import hashlib
import unicodedata
from datetime import date
from decimal import Decimal

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from criteria import scales
from criteria.models import Criterion
from parindex.audit import audit_stamp
from parindex.exceptions import InvalidTransition

from ..models import (
    Assessment,
    AssessmentState,
    Evidence,
    EvidenceLink,
    Score,
)
from .appraisal import explanation_lock_reason
from .scoring import locked_assessment, locked_score, require_editable, self_edit_check

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


def _require_evidence_editable(assessment: Assessment, score: Score) -> None:
    """Evidence may be added while the unit edits its draft, and during the explanation window on a leaf
    the appraisers asked about (issue 4 §4: "answers with text and new evidence")."""
    if assessment.state == AssessmentState.EXPLANATION and score.needs_explanation:
        reason = explanation_lock_reason(assessment)
        if reason:
            raise InvalidTransition(reason)
        return
    require_editable(assessment)


#: The earliest issue date an evidence document may carry (the province's documents of the PAR programme).
EVIDENCE_EARLIEST = date(1990, 1, 1)


def check_issued_on(issued_on: date | None, year: int) -> None:
    """Raise ``ValidationError`` (on ``issued_on``) unless the document's issue date falls between
    ``EVIDENCE_EARLIEST`` (01/01/1990) and 31 December of the round's ``year`` + 1 (a document of the next
    year's first months can still prove a round); no date is fine."""
    last = date(year + 1, 12, 31)
    if issued_on is not None and not EVIDENCE_EARLIEST <= issued_on <= last:
        raise ValidationError(
            {
                "issued_on": (
                    f"Ngày ban hành {issued_on.day:02d}/{issued_on.month:02d}/{issued_on.year:04d} không hợp lệ; tài liệu kiểm chứng phải ban hành "
                    f"từ {EVIDENCE_EARLIEST:%d/%m/%Y} đến {last:%d/%m/%Y}."
                )
            }
        )


def _check_file_name(name: str) -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name or "/" in name or "\\" in name or ".." in name or any(ord(ch) < 32 for ch in name):
        raise ValidationError(
            "Tên tệp không hợp lệ (không được chứa '/', '\\' hoặc '..'). Hãy đổi tên tệp rồi tải lên lại."
        )
    return name[:255]


def _detect_type(file) -> str:
    file.seek(0)
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    if kind is None or kind.extension not in EVIDENCE_TYPES:
        found = f" (nội dung là tệp {kind.extension})" if kind else ""
        raise ValidationError(
            "Chỉ nhận tài liệu PDF, Word (doc, docx), Excel (xls, xlsx) và ảnh JPG, PNG; "
            f"loại tệp được kiểm tra theo nội dung, không theo tên{found}."
        )
    return kind.extension


@transaction.atomic
def evidence_upload(
    *,
    assessment: Assessment,
    criterion: Criterion,
    file,
    name: str,
    by,
    doc_number: str = "",
    issued_on: date | None = None,
    issuer: str = "",
    cited_section: str = "",
    description: str = "",
) -> Evidence:
    """Store an evidence file in private storage and attach it to the leaf ``criterion``.

    ``file``: a Django ``File``/``UploadedFile``; its type is detected from its bytes (pdf, doc, docx, xls, xlsx,
    jpg, png); size limit ``EVIDENCE_MAX_BYTES``. The same content uploaded twice in one assessment is
    stored once and attached again; metadata the first upload left blank is filled from the second. Raises ``ValidationError`` (empty, oversize, wrong type, bad name, an issue date outside
    ``check_issued_on``),
    ``PermissionDenied``, ``InvalidTransition``, ``Score.DoesNotExist`` (leaf not in the assessment).
    """
    self_edit_check(assessment=assessment, by=by)
    assessment = locked_assessment(assessment.pk, "unit")
    score = locked_score(assessment, criterion)
    _require_evidence_editable(assessment, score)
    check_issued_on(issued_on, assessment.round.year)
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
        evidence = Evidence(
            assessment=assessment,
            original_name=name,
            size=size,
            sha256=sha,
            content_type=EVIDENCE_TYPES[ext],
            doc_number=doc_number.strip(),
            issued_on=issued_on,
            issuer=issuer.strip(),
            cited_section=cited_section.strip(),
            description=description.strip(),
            uploaded_by=by,
        )
        evidence.file.save(f"evidence.{ext}", file, save=False)
        try:
            audit_stamp(evidence, by, f"Tải lên cho tiêu chí {score.criterion.code}")
            evidence.save()
            _link(evidence, score, by)
        except Exception:
            evidence.file.delete(save=False)  # nothing half-stored: no file without its row
            raise
        return evidence
    # The same content again: keep one document, and fill in what its first upload left blank.
    given = {
        "doc_number": doc_number.strip(),
        "issued_on": issued_on,
        "issuer": issuer.strip(),
        "cited_section": cited_section.strip(),
        "description": description.strip(),
    }
    missing = [f for f, v in given.items() if v and not getattr(evidence, f)]
    if missing:
        for f in missing:
            setattr(evidence, f, given[f])
        audit_stamp(evidence, by, "Bổ sung thông tin tài liệu khi tải lại cùng tệp")
        evidence.save(update_fields=missing)
    _link(evidence, score, by)
    return evidence


def _link(evidence: Evidence, score: Score, by) -> None:
    if EvidenceLink.objects.filter(evidence=evidence, score=score).exists():
        return
    link = EvidenceLink(evidence=evidence, score=score, created_by=by)
    audit_stamp(link, by, f"Gắn tài liệu vào tiêu chí {score.criterion.code}")
    link.save()


@transaction.atomic
def evidence_attach(*, evidence: Evidence, criterion: Criterion, by) -> EvidenceLink:
    """Attach an already uploaded document to another leaf of the same assessment (no new upload).
    Idempotent. Raises as ``evidence_upload``."""
    assessment = locked_assessment(evidence.assessment_id)
    self_edit_check(assessment=assessment, by=by)
    score = locked_score(assessment, criterion)
    _require_evidence_editable(assessment, score)
    _link(evidence, score, by)
    return EvidenceLink.objects.get(evidence=evidence, score=score)


@transaction.atomic
def evidence_detach(*, evidence: Evidence, criterion: Criterion, by) -> bool:
    """Remove a document from a leaf; when no leaf uses it any more the document and its file are deleted
    (after commit). Returns True when the document itself was deleted. Raises as ``evidence_upload``."""
    assessment = locked_assessment(evidence.assessment_id)
    self_edit_check(assessment=assessment, by=by)
    require_editable(assessment)
    score = locked_score(assessment, criterion)
    link = EvidenceLink.objects.get(evidence=evidence, score=score)
    audit_stamp(link, by, f"Gỡ tài liệu khỏi tiêu chí {score.criterion.code}")
    link.delete()
    if evidence.links.exists():
        return False
    storage, stored = evidence.file.storage, evidence.file.name
    audit_stamp(evidence, by, "Xóa tài liệu (không còn gắn với tiêu chí nào)")
    evidence.delete()
    if stored:  # always, a document being stored with its file; the check narrows ``FieldFile.name``
        transaction.on_commit(lambda: storage.delete(stored))
    return True
