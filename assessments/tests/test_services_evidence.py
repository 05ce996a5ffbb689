"""Evidence (tài liệu kiểm chứng): upload with type detection by content, limits and names, one document
for several leaves, detaching and deleting, who and when, and the history."""

import hashlib
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import Assessment, AssessmentState, Evidence, EvidenceLink, Score
from assessments.selectors import scoring as scoring_reads
from assessments.services.evidence import evidence_attach, evidence_detach, evidence_upload
from parindex.exceptions import InvalidTransition

from .conftest import PDF, PNG
from .helpers import snapshot, stored_files


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["Chỉ tiêu", "Kết quả"])
    wb.active.append(["Hồ sơ đúng hạn", 98])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _docx() -> bytes:
    """A minimal Word document: ``filetype`` recognises OOXML by the zip's first entry being
    ``[Content_Types].xml`` followed (within the next entries) by one under ``word/``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            "<w:p><w:r><w:t>Quyết định ban hành kế hoạch CCHC</w:t></w:r></w:p></w:body></w:document>",
        )
    return out.getvalue()


def _upload(assessment, criterion, by, content=PDF, name="quyet-dinh.pdf", **extra):
    return evidence_upload(
        assessment=assessment,
        criterion=criterion,
        by=by,
        name=name,
        file=SimpleUploadedFile(name, content),
        **extra,
    )


def _refused(assessment, error, words, call):
    before = snapshot(assessment)
    with pytest.raises(error) as exc:
        call()
    if words:
        assert words in " ".join(getattr(exc.value, "messages", None) or [str(exc.value)])
    assert snapshot(assessment) == before
    return exc.value


def _links(assessment):
    return sorted(
        EvidenceLink.objects.filter(score__assessment=assessment).values_list(
            "evidence__original_name", "score__criterion__code"
        )
    )


# ---------------------------------------------------------------------------------------------- upload


@pytest.mark.parametrize(
    "content, name, content_type",
    [
        (PDF, "Quyết định 12-QĐ.pdf", "application/pdf"),
        (PNG, "anh-chup.png", "image/png"),
    ],
)
def test_it_stores_an_upload_privately_and_links_it(
    assessment, officer, leaf, media, content, name, content_type
):
    criterion = leaf("options")
    evidence = _upload(
        assessment,
        criterion,
        officer,
        content=content,
        name=name,
        doc_number=" 12/QĐ-SCT ",
        issuer="Sở Công Thương",
    )
    evidence = Evidence.objects.get(pk=evidence.pk)
    assert (evidence.original_name, evidence.size, evidence.sha256, evidence.content_type) == (
        name,
        len(content),
        hashlib.sha256(content).hexdigest(),
        content_type,
    )
    assert (evidence.doc_number, evidence.issuer, evidence.uploaded_by) == (
        "12/QĐ-SCT",
        "Sở Công Thương",
        officer,
    )
    assert evidence.file.name.startswith("evidence/2026/SCT/")
    assert Path(name).stem not in evidence.file.name and officer.username not in evidence.file.name
    assert stored_files() == [evidence.file.name]
    assert (Path(media) / evidence.file.name).read_bytes() == content
    assert _links(assessment) == [(name, criterion.code)]


@pytest.mark.parametrize(
    "maker, name, content_type",
    [
        (_xlsx, "bang-tong-hop.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (_docx, "bao-cao.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_it_accepts_real_office_documents(assessment, officer, leaf, maker, name, content_type):
    evidence = _upload(assessment, leaf("ratio"), officer, content=maker(), name=name)
    assert Evidence.objects.get(pk=evidence.pk).content_type == content_type
    assert evidence.file.name.endswith("." + name.rsplit(".", 1)[1])


def test_the_type_comes_from_the_content_not_the_name(assessment, officer, leaf):
    # a PDF named .docx is stored as the PDF it is
    evidence = _upload(assessment, leaf("options"), officer, content=PDF, name="bao-cao.docx")
    assert evidence.content_type == "application/pdf" and evidence.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    "content, name, words",
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "quyet-dinh.pdf", "exe"),
        ("Báo cáo kết quả CCHC năm 2026\n".encode() * 20, "bao-cao.docx", "theo nội dung"),
    ],
)
def test_it_rejects_content_that_is_not_a_document(assessment, officer, leaf, content, name, words):
    error = _refused(
        assessment,
        ValidationError,
        words,
        lambda: _upload(assessment, leaf("options"), officer, content=content, name=name),
    )
    assert "Chỉ nhận tài liệu PDF" in error.messages[0]


def test_it_rejects_an_empty_file(assessment, officer, leaf):
    _refused(
        assessment,
        ValidationError,
        "Tệp rỗng",
        lambda: _upload(assessment, leaf("options"), officer, content=b""),
    )


@pytest.mark.parametrize("limit, shown", [(1024 * 1024, "1"), (1024 * 1024 * 3 // 2, "1,5")])
def test_it_rejects_a_file_over_the_limit(assessment, officer, leaf, settings, limit, shown):
    settings.EVIDENCE_MAX_BYTES = limit
    padding = b"\n" * (limit - len(PDF))
    error = _refused(
        assessment,
        ValidationError,
        None,
        lambda: _upload(assessment, leaf("options"), officer, content=PDF + padding + b"\n"),
    )
    assert error.messages[0].endswith(f"vượt giới hạn {shown} MB.")
    # exactly at the limit is fine
    evidence = _upload(assessment, leaf("options"), officer, content=PDF + padding)
    assert evidence.size == limit


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "thu-muc/quyet-dinh.pdf",
        "C:\\tai-lieu\\qd.pdf",
        "bao..cao.pdf",
        "   ",
        "qd\x00.pdf",
    ],
)
def test_it_rejects_unsafe_file_names(assessment, officer, leaf, name):
    _refused(
        assessment,
        ValidationError,
        "Tên tệp không hợp lệ",
        lambda: evidence_upload(
            assessment=assessment,
            criterion=leaf("options"),
            by=officer,
            name=name,
            file=SimpleUploadedFile("x.pdf", PDF),
        ),
    )


def test_the_same_content_twice_is_one_document_on_both_leaves(assessment, officer, head, leaf):
    first = _upload(assessment, leaf("options"), officer, name="qd-12.pdf")
    again = _upload(assessment, leaf("ratio"), head, name="ban-sao-qd-12.pdf")
    assert again.pk == first.pk
    assert Evidence.objects.filter(assessment=assessment).count() == 1
    assert len(stored_files()) == 1
    assert _links(assessment) == sorted(
        [("qd-12.pdf", leaf("options").code), ("qd-12.pdf", leaf("ratio").code)]
    )
    # and once more on the same leaf changes nothing
    before = snapshot(assessment)
    _upload(assessment, leaf("ratio"), head, name="qd-12.pdf")
    assert snapshot(assessment) == before


def test_other_units_keep_their_own_copy_of_the_same_content(
    assessment, open_round, officer, other_officer, leaf
):
    stp = Assessment.objects.get(round=open_round, unit__code="STP")
    mine = _upload(assessment, leaf("options"), officer)
    theirs = _upload(stp, leaf("options"), other_officer)
    assert mine.pk != theirs.pk and theirs.file.name.startswith("evidence/2026/STP/")
    assert len(stored_files()) == 2


# ---------------------------------------------------------------------------------------------- attach / detach


def test_a_document_can_be_attached_to_another_leaf_once(assessment, officer, leaf):
    evidence = _upload(assessment, leaf("options"), officer)
    link = evidence_attach(evidence=evidence, criterion=leaf("yes_no"), by=officer)
    assert (link.evidence, link.score.criterion, link.created_by) == (evidence, leaf("yes_no"), officer)
    before = snapshot(assessment)
    again = evidence_attach(evidence=evidence, criterion=leaf("yes_no"), by=officer)
    assert again.pk == link.pk and snapshot(assessment) == before
    assert _links(assessment) == sorted(
        [("quyet-dinh.pdf", leaf("options").code), ("quyet-dinh.pdf", leaf("yes_no").code)]
    )


def test_a_document_of_another_unit_cannot_be_attached(assessment, open_round, officer, other_officer, leaf):
    stp = Assessment.objects.get(round=open_round, unit__code="STP")
    theirs = _upload(stp, leaf("options"), other_officer)
    before_stp = snapshot(stp)
    # the service works on the document's own assessment, so SCT's officer is an outsider there
    _refused(
        assessment,
        PermissionDenied,
        "Chỉ cán bộ CCHC",
        lambda: evidence_attach(evidence=theirs, criterion=leaf("yes_no"), by=officer),
    )
    assert snapshot(stp) == before_stp


def test_a_criterion_outside_the_set_cannot_get_a_document(assessment, officer, leaf, so_set):
    evidence = _upload(assessment, leaf("options"), officer)
    field = so_set.nodes.get(code="1")
    _refused(
        assessment,
        Score.DoesNotExist,
        None,
        lambda: evidence_attach(evidence=evidence, criterion=field, by=officer),
    )
    _refused(
        assessment,
        Score.DoesNotExist,
        None,
        lambda: _upload(assessment, field, officer, content=PNG, name="anh.png"),
    )


def test_detaching_keeps_a_document_that_another_leaf_uses(
    assessment, officer, leaf, django_capture_on_commit_callbacks
):
    evidence = _upload(assessment, leaf("options"), officer)
    evidence_attach(evidence=evidence, criterion=leaf("ratio"), by=officer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        deleted = evidence_detach(evidence=evidence, criterion=leaf("options"), by=officer)
    assert deleted is False and callbacks == []
    assert _links(assessment) == [("quyet-dinh.pdf", leaf("ratio").code)]
    assert stored_files() == [evidence.file.name]


def test_detaching_the_last_link_deletes_the_document_and_its_file_after_commit(
    assessment, officer, leaf, django_capture_on_commit_callbacks
):
    evidence = _upload(assessment, leaf("options"), officer)
    name = evidence.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        deleted = evidence_detach(evidence=evidence, criterion=leaf("options"), by=officer)
    assert deleted is True
    assert not Evidence.objects.filter(assessment=assessment).exists() and _links(assessment) == []
    assert stored_files() == [name]  # the file stays until the transaction commits
    for callback in callbacks:
        callback()
    assert stored_files() == []


def test_detaching_a_document_that_is_not_on_the_leaf_is_refused(assessment, officer, leaf):
    evidence = _upload(assessment, leaf("options"), officer)
    _refused(
        assessment,
        EvidenceLink.DoesNotExist,
        None,
        lambda: evidence_detach(evidence=evidence, criterion=leaf("ratio"), by=officer),
    )


# ---------------------------------------------------------------------------------------------- who and when


@pytest.mark.parametrize(
    "role, unit", [("officer", "STP"), ("coordinator", "SNV"), ("appraiser", "SNV"), ("leader", "UBNDT")]
)
def test_outsiders_cannot_touch_evidence(assessment, officer, leaf, make_user, role, unit):
    evidence = _upload(assessment, leaf("options"), officer)
    outsider = make_user(role, unit)
    for call in (
        lambda: _upload(assessment, leaf("ratio"), outsider, content=PNG, name="anh.png"),
        lambda: evidence_attach(evidence=evidence, criterion=leaf("ratio"), by=outsider),
        lambda: evidence_detach(evidence=evidence, criterion=leaf("options"), by=outsider),
    ):
        _refused(assessment, PermissionDenied, None, call)


def test_no_evidence_changes_after_submission(assessment, officer, head, leaf):
    evidence = _upload(assessment, leaf("options"), officer)
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.SUBMITTED)
    for by in (officer, head):
        _refused(
            assessment,
            InvalidTransition,
            "Đã nộp",
            lambda by=by: _upload(assessment, leaf("ratio"), by, content=PNG, name="anh.png"),
        )
        _refused(
            assessment,
            InvalidTransition,
            "Đã nộp",
            lambda by=by: evidence_attach(evidence=evidence, criterion=leaf("ratio"), by=by),
        )
        _refused(
            assessment,
            InvalidTransition,
            "Đã nộp",
            lambda by=by: evidence_detach(evidence=evidence, criterion=leaf("options"), by=by),
        )


# ---------------------------------------------------------------------------------------------- history


def test_upload_link_and_unlink_are_recorded_with_the_user(assessment, officer, head, leaf):
    evidence = _upload(assessment, leaf("options"), officer, doc_number="12/QĐ-SCT")
    assert [(r.history_type, r.history_user) for r in Evidence.history.filter(id=evidence.pk)] == [
        ("+", officer)
    ]
    evidence_attach(evidence=evidence, criterion=leaf("ratio"), by=head)
    evidence_detach(evidence=evidence, criterion=leaf("options"), by=head)
    links = EvidenceLink.history.order_by("history_date", "history_id")
    assert [(r.history_type, r.history_user, r.score.criterion.code) for r in links] == [
        ("+", officer, leaf("options").code),
        ("+", head, leaf("ratio").code),
        ("-", head, leaf("options").code),
    ]
    pk = evidence.pk
    evidence_detach(evidence=evidence, criterion=leaf("ratio"), by=officer)
    assert [
        (r.history_type, r.history_user)
        for r in Evidence.history.filter(id=pk).order_by("history_date", "history_id")
    ] == [("+", officer), ("-", officer)]

    entries = scoring_reads.leaf_history(Score.objects.get(assessment=assessment, criterion=leaf("options")))
    assert [(e.what, e.who, e.changes) for e in entries] == [
        ("Gỡ tài liệu", head.username, [("Tài liệu kiểm chứng", "12/QĐ-SCT", "—")]),
        ("Gắn tài liệu", officer.username, [("Tài liệu kiểm chứng", "—", "12/QĐ-SCT")]),
    ]


def test_a_survey_leaf_takes_no_evidence(assessment, officer, so_set):
    from criteria.models import CriteriaSet, Source

    survey = CriteriaSet.objects.get(pk=so_set.pk).nodes.filter(source=Source.SURVEY).first()
    _refused(
        assessment,
        ValidationError,
        "không nộp tài liệu kiểm chứng",
        lambda: _upload(assessment, survey, officer),
    )
    assert stored_files() == []


def test_uploading_the_same_file_again_fills_in_blank_metadata(assessment, officer, leaf):
    first = _upload(assessment, leaf("options"), officer)
    again = _upload(assessment, leaf("ratio"), officer, doc_number="15/KH-SCT", issuer="Sở Công Thương")
    assert again.pk == first.pk
    again.refresh_from_db()
    assert (again.doc_number, again.issuer) == ("15/KH-SCT", "Sở Công Thương")
    kept = _upload(assessment, leaf("range"), officer, doc_number="khác")
    kept.refresh_from_db()
    assert kept.doc_number == "15/KH-SCT"  # an existing value is never overwritten silently
