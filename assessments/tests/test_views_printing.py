"""Official print formats of a unit's score sheet (issue 12 item 12): the self-assessment and the appraised sheet as
printable pages and PDF — who gets them (as the xlsx sheets: allowed, 403, outsider 404), the layout of Nghị định
30/2020/NĐ-CP (motto, issuing body, place and date, signature, "Nơi nhận") and, before publication, no provisional
index, grade, component or survey figure for appraisers."""

import re
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentState, FieldAppraisal, Score
from assessments.services import appraisal as svc
from assessments.services.submission import assessment_submit
from criteria.models import Source
from parindex import printing

from .helpers import save, score_all

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def appraise_all(assessment, people):
    """Every part accepted as self-scored and round 1 closed: the assessment is appraised."""
    owners = {
        "STP": people["stp"],
        "SNV": people["snv"],
        "STC": people["stc"],
        "VPUBND": people["vp"],
        "STTTT": people["tt"],
        "SKHCN": people["kh"],
    }
    for p in FieldAppraisal.objects.filter(assessment=assessment).select_related("owner"):
        svc.appraisal_accept_all(part=p, by=owners[p.owner.code])
        svc.part_close_round_1(part=p, by=owners[p.owner.code])
    return Assessment.objects.get(pk=assessment.pk)


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


def today_line() -> str:
    """ "Sóc Trăng, ngày dd tháng m năm yyyy" of today, written independently of the code under test."""
    d = timezone.localdate()
    month = f"0{d.month}" if d.month < 3 else str(d.month)
    return f"Sóc Trăng, ngày {d.day:02d} tháng {month} năm {d.year}"


def pdf_text(html: str) -> str:
    """The text WeasyPrint lays out on the PDF's pages (the boxes of its rendered document)."""
    from weasyprint import HTML

    parts = []

    def walk(box):
        if getattr(box, "text", None):
            parts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in HTML(string=html).render().pages:
        walk(page._page_box)
    return " ".join(parts)


@pytest.fixture
def pdf_html(monkeypatch):
    """Records the HTML each PDF response was printed from (the PDF itself is still built)."""
    seen = []
    real = printing.pdf

    def spy(html):
        seen.append(html)
        return real(html)

    monkeypatch.setattr(printing, "pdf", spy)
    return seen


def row_cells(html: str, code: str) -> list[str]:
    """The cell texts of the sheet's row of ``code``."""
    m = re.search(rf'<tr class="[^"]*" data-code="{re.escape(code)}">(.*?)</tr>', html, re.S)
    assert m, code
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(1), re.S)]


# ---------------------------------------------------------------- the self-assessment


@pytest.fixture
def fractional(assessment, officer, leaf):
    """SCT's first range leaf scored at a fraction of its max (its step), with a note; returns (leaf, points)."""
    rng = leaf("range")
    step = rng.step or Decimal("0.25")
    points = rng.max_points - step if rng.max_points > step else step
    assert points != points.to_integral(), (rng.code, points)  # a fraction: printed "0,75" or "1,50"
    save(assessment, rng, officer, value=points, note="Đã ban hành đúng hạn")
    return rng, points


def test_the_unit_prints_its_self_assessment_in_the_official_layout(client, head, assessment, fractional):
    rng, points = fractional
    head.first_name = "Nguyễn Văn An"  # the portal keeps the full name there (setup_portal)
    head.save()
    r = get(client, head, reverse("assessments:self_print", args=[assessment.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert MOTTO in html and "Độc lập - Tự do - Hạnh phúc" in html
    assert "UBND TỈNH SÓC TRĂNG" in html and "SỞ CÔNG THƯƠNG" in html
    assert today_line() in html
    assert "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026" in html
    assert "THỦ TRƯỞNG ĐƠN VỊ" in html and "Nguyễn Văn An" in html and "Nơi nhận:" in html
    assert "data-print" in html and reverse("assessments:self_pdf", args=[assessment.pk]) in html
    assert "navbar" not in html  # no portal navigation on the printed page
    cells = row_cells(html, rng.code)
    assert cells[2] == printing.number(rng.max_points) and cells[3] == f"{points:.2f}".replace(".", ",")
    assert "," in cells[3] and "Đã ban hành đúng hạn" in cells[4] and cells[5] == "0"
    assert "A4 portrait" in html and "margin: 20mm 15mm 20mm 30mm" in html
    assert '"Times New Roman", "Liberation Serif", "DejaVu Serif", serif' in html


def test_the_self_assessment_pdf_is_a_pdf_with_the_header_scores_and_signature(
    client, officer, assessment, fractional, pdf_html
):
    rng, points = fractional
    start = time.perf_counter()
    r = get(client, officer, reverse("assessments:self_pdf", args=[assessment.pk]))
    elapsed = time.perf_counter() - start
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and len(r.content) > 10_000
    assert r["Content-Disposition"] == 'inline; filename="tu-danh-gia-SCT-2026.pdf"'
    assert elapsed < 30, elapsed
    [html] = pdf_html
    assert "data-print" not in html  # no toolbar in the PDF
    text = pdf_text(html)
    for expected in (
        MOTTO,
        "SỞ CÔNG THƯƠNG",
        today_line(),
        "THỦ TRƯỞNG ĐƠN VỊ",
        "Nơi nhận:",
        f"{points:.2f}".replace(".", ","),
        rng.title.split()[0],
    ):
        assert expected in text, expected
    # the head's name is left blank when the unit has no single head with a name
    assert "(Ký, ghi rõ họ tên và đóng dấu)" in text


def test_the_signers_name_is_blank_unless_the_unit_has_exactly_one_head(
    client, officer, head, make_user, assessment
):
    head.first_name = "Nguyễn Văn An"  # the portal keeps the full name there (setup_portal)
    head.save()
    url = reverse("assessments:self_print", args=[assessment.pk])
    assert "Nguyễn Văn An" in get(client, officer, url).content.decode()
    second = make_user("head", "SCT", username="thutruong2-sct", first_name="Trần Thị Bình")
    html = get(client, officer, url).content.decode()
    assert "Nguyễn Văn An" not in html and "Trần Thị Bình" not in html and 'class="blank"' in html
    assert second.pk


@pytest.mark.parametrize("name", ["self_print", "self_pdf"])
def test_the_self_assessment_prints_for_whoever_may_export_the_xlsx(
    client, name, assessment, officer, head, coordinator, other_officer, make_user
):
    url = reverse(f"assessments:{name}", args=[assessment.pk])
    for who in (officer, head, coordinator):
        assert get(client, who, url).status_code == 200
    # outsiders, as for the xlsx: another unit's officer, a leader before publication, a forged id
    assert get(client, other_officer, url).status_code == 404
    assert get(client, make_user("leader", "UBNDT"), url).status_code == 404
    missing = Assessment.objects.order_by("-pk").first().pk + 1
    assert get(client, officer, reverse(f"assessments:{name}", args=[missing])).status_code == 404
    client.logout()
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    assert get(client, officer, url).status_code == 200 and client.post(url).status_code == 405


def test_an_appraiser_prints_a_submitted_self_assessment_but_not_a_draft(
    client, assessment, officer, head, people
):
    url = reverse("assessments:self_print", args=[assessment.pk])
    assert get(client, people["stp"], url).status_code == 404  # a draft is the unit's own
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    assert get(client, people["stp"], url).status_code == 200


def test_the_unit_list_and_the_scoring_page_link_to_the_print_formats(client, officer, assessment):
    html = get(client, officer, reverse("assessments:my_assessments")).content.decode()
    assert reverse("assessments:self_print", args=[assessment.pk]) in html
    html = get(client, officer, reverse("assessments:scoring", args=[assessment.pk])).content.decode()
    assert reverse("assessments:self_print", args=[assessment.pk]) in html


# ---------------------------------------------------------------- the appraised sheet


@pytest.mark.parametrize("name", ["appraised_print", "appraised_pdf"])
def test_the_appraised_sheet_prints_for_whoever_may_have_the_xlsx(
    client, name, submitted, people, officer, head, other_officer
):
    url = reverse(f"assessments:{name}", args=[submitted.pk])
    xlsx = reverse("assessments:appraised_sheet", args=[submitted.pk])
    for who, status in (
        (people["coordinator"], 200),
        (people["admin"], 200),
        (people["stp"], 200),
        (officer, 403),
        (head, 403),
        (other_officer, 404),
        (people["leader"], 404),
    ):
        assert get(client, who, url).status_code == status, (who, status)
        assert get(client, who, xlsx).status_code == status, ("xlsx", who, status)  # the same rule


def test_after_publication_the_unit_prints_its_appraised_sheet_with_index_and_grade(
    client, submitted, people, officer, other_officer, django_capture_on_commit_callbacks, pdf_html
):
    appraise_all(submitted, people)
    Assessment.objects.filter(round=submitted.round).exclude(pk=submitted.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_publish(round=submitted.round, by=people["coordinator"])
    from reports.models import Result

    result = Result.objects.get(assessment=submitted)
    url = reverse("assessments:appraised_print", args=[submitted.pk])
    assert get(client, people["leader"], url).status_code == 200
    assert get(client, other_officer, url).status_code == 404
    html = get(client, officer, url).content.decode()
    assert "BẢNG ĐIỂM THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026" in html and MOTTO in html
    assert f"Chỉ số CCHC: {printing.number(result.par_index)}%" in html and "KẾT QUẢ TẠM TÍNH" not in html
    assert "Chỉ số thành phần:" in html
    # a leaf's appraised score is its self score (accepted), printed with a decimal comma
    s = (
        Score.objects.filter(assessment=submitted, criterion__source=Source.APPRAISAL, appraised_value__gt=0)
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )
    cells = row_cells(html, s.criterion.code)
    assert cells[3] == cells[4] == printing.number(s.appraised_value)
    r = get(client, officer, reverse("assessments:appraised_pdf", args=[submitted.pk]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r["Content-Disposition"] == 'inline; filename="diem-tham-dinh-SCT-2026.pdf"'
    text = pdf_text(pdf_html[-1])
    for expected in (
        MOTTO,
        "SỞ CÔNG THƯƠNG",
        today_line(),
        "THỦ TRƯỞNG ĐƠN VỊ",
        "Nơi nhận:",
        f"{printing.number(result.par_index)}%",
    ):
        assert expected in text, expected


def test_before_publication_appraisers_get_no_provisional_index_grade_components_or_survey(
    client, submitted, people
):
    from reports.models import Result
    from reports.results.services import results_compute

    appraised = appraise_all(submitted, people)
    assert appraised.state == AssessmentState.APPRAISED
    survey = (
        Score.objects.filter(
            assessment=submitted, criterion__source=Source.SURVEY, criterion__children__isnull=True
        )
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )
    Score.objects.filter(pk=survey.pk).update(survey_value=survey.criterion.max_points)
    results_compute(round=submitted.round)
    result = Result.objects.get(assessment=submitted)
    assert result.par_index > 0 and result.provisional

    url = reverse("assessments:appraised_print", args=[submitted.pk])
    html = get(
        client, people["coordinator"], url
    ).content.decode()  # the coordinator sees provisional results
    assert f"Chỉ số CCHC: {printing.number(result.par_index)}%" in html and "KẾT QUẢ TẠM TÍNH" in html
    assert "Chỉ số thành phần:" in html
    assert row_cells(html, survey.criterion.code)[5] == printing.number(survey.criterion.max_points)

    html = get(client, people["stp"], url).content.decode()
    assert "Chỉ số CCHC:" not in html and "Chỉ số thành phần:" not in html and "Xếp loại:" not in html
    assert "xem sau khi công bố kết quả" in html and "KẾT QUẢ TẠM TÍNH" in html
    # only the fields Sở Tư pháp appraises (issue 14 item 9): no survey leaf, no other agency's field
    assert f'data-code="{survey.criterion.code}"' not in html
    owned = FieldAppraisal.objects.filter(assessment=submitted, owner__code="STP").values_list(
        "field__code", flat=True
    )
    others = FieldAppraisal.objects.filter(assessment=submitted).exclude(owner__code="STP")
    assert owned and others.exists()
    assert all(f'data-code="{code}"' in html for code in owned)
    assert all(f'data-code="{p.field.code}"' not in html for p in others if p.field.code not in owned)

    # the xlsx follows the same rule
    import io

    from openpyxl import load_workbook

    xlsx = get(client, people["stp"], reverse("assessments:appraised_sheet", args=[submitted.pk]))
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    values = [row for row in ws.iter_rows(min_row=7, values_only=True)]
    total = [row for row in values if row[1] and str(row[1]).startswith("Tổng")][0]
    assert total[7] is None and total[6] is None
    assert all(row[7] is None for row in values)  # no component index
    assert all(row[3] is None for row in values)  # no survey score


def test_the_scoring_page_links_to_the_appraised_print_after_publication(
    client, submitted, people, officer, django_capture_on_commit_callbacks
):
    url = reverse("assessments:scoring", args=[submitted.pk])
    link = reverse("assessments:appraised_print", args=[submitted.pk])
    assert link not in get(client, officer, url).content.decode()
    appraise_all(submitted, people)
    Assessment.objects.filter(round=submitted.round).exclude(pk=submitted.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_publish(round=submitted.round, by=people["coordinator"])
    assert link in get(client, officer, url).content.decode()
