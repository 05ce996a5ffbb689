"""A unit self-assesses in the browser (issue 3): the officer scores every appraisal leaf of the real
departments' set on the scoring page (HTMX saves), uploads a document with its metadata on one leaf and
attaches the same document to a second one, explains the other positive scores, and sees the running total;
the head submits, withdraws and submits again. The database is checked at each step."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentState, Evidence, EvidenceLink, Score
from assessments.services.rounds import round_create, round_open
from criteria.models import EXTRA_KINDS, Criterion, Kind, Source
from criteria.scales import format_decimal
from criteria.services import criteria_set_import
from units.models import UnitGroup
from units.services import system_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXPLANATION = "Đơn vị đã thực hiện; văn bản lưu tại văn thư cơ quan."


@pytest.fixture
def assessment(units, coordinator, settings, tmp_path) -> Assessment:
    """Sở Công Thương's assessment in an open round using the real departments' set (SO.xlsx)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with open("fixtures/criteria/SO.xlsx", "rb") as fh:
        so_set = criteria_set_import(
            group=UnitGroup.objects.get(code="SO"), year=2026, data=fh.read(), by=system_user()
        )
    today, days = timezone.localdate(), datetime.timedelta
    rnd = round_create(
        year=2026,
        name="Đánh giá Chỉ số CCHC năm 2026",
        sets={so_set.group: so_set},
        by=coordinator,
        opens_on=today - days(10),
        self_assessment_deadline=today + days(30),
        appraisal_1_deadline=today + days(50),
        explanation_deadline=today + days(60),
        appraisal_2_deadline=today + days(75),
        publication_date=today + days(90),
    )
    round_open(round=rnd, by=coordinator)
    return Assessment.objects.get(round=rnd, unit__code="SCT")


def top_points(criterion: Criterion) -> Decimal:
    if criterion.kind == Kind.OPTIONS:
        return Decimal(criterion.scale[0]["points"])
    if criterion.kind == Kind.RATIO:
        return Decimal(criterion.scale[0]["points"])
    return criterion.max_points


def fill_top(card, criterion: Criterion) -> None:
    """Give the leaf its top value the way a user would: first option, max, numerator = denominator, Có."""
    if criterion.kind == Kind.OPTIONS:
        card.locator("input[name=option]").first.check()
    elif criterion.kind == Kind.RATIO:
        card.locator("input[name=numerator]").fill("20")
        card.locator("input[name=denominator]").fill("20")
        points = format_decimal(criterion.scale[0]["points"])
        assert card.locator(".ratio-preview").inner_text().endswith(f": {points} điểm")
    elif criterion.kind == Kind.YES_NO:
        card.get_by_label("Có (").check()
    else:
        card.locator("input[name=value]").fill(str(criterion.max_points))


def save(page, card) -> None:
    with page.expect_response(lambda r: r.request.method == "POST" and "/leaf/" in r.url) as response:
        card.locator("button.save-leaf").click()
    assert response.value.status == 200, response.value.text()[:500]
    card.locator(".saved-flag").wait_for()


def test_officer_scores_every_leaf_head_submits_withdraws_and_resubmits(
    page, login, make_user, assessment, tmp_path
):
    officer = make_user("officer", "SCT", username="canbo", first_name="Lan", last_name="Nguyễn")
    head = make_user("head", "SCT", username="thutruong")
    leaves = list(
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id, children__isnull=True, source=Source.APPRAISAL
        )
        .exclude(kind__in=EXTRA_KINDS)
        .order_by("order")
    )
    documented = [c for c in leaves if c.kind == Kind.OPTIONS][:2]  # evidence instead of an explanation
    scoring_url = f"/assessments/{assessment.pk}/"

    login("canbo")
    page.goto(scoring_url)
    assert page.inner_text("#scored-count") == f"0/{len(leaves)}"
    total = Decimal(0)
    for criterion in leaves:
        card = page.locator(f'[id="leaf-{criterion.code}"]')
        fill_top(card, criterion)
        points = top_points(criterion)
        if points and criterion not in documented:
            card.locator("textarea[name=explanation]").fill(EXPLANATION)
        save(page, card)
        total += points
        if criterion in documented:
            assert card.locator(".explain-hint").is_visible()
    assert page.inner_text("#self-total") == format_decimal(total)
    assert page.inner_text("#scored-count") == f"{len(leaves)}/{len(leaves)}"
    scores = Score.objects.filter(assessment=assessment, criterion__in=leaves)
    assert all(s.self_value == top_points(s.criterion) for s in scores.select_related("criterion"))
    assert scores.filter(updated_by=officer).count() == len(leaves)

    # a PDF with its metadata on the first documented leaf
    first = page.locator(f'[id="leaf-{documented[0].code}"]')
    first.locator("summary").click()
    pdf = tmp_path / "ke-hoach-cchc-2026.pdf"
    pdf.write_bytes(PDF)
    first.locator("input[name=file]").set_input_files(str(pdf))
    first.get_by_label("Số, ký hiệu").fill("125/KH-SCT")
    first.get_by_label("Ngày ban hành").fill("2026-01-15")
    first.get_by_label("Cơ quan ban hành").fill("Sở Công Thương")
    first.get_by_label("Trích dẫn (mục, trang)").fill("Mục II, trang 3")
    first.locator("button.upload-evidence").click()
    first.locator(".evidence-notice").wait_for()
    assert "125/KH-SCT · ngày 15/01/2026 · Sở Công Thương · Mục II, trang 3" in first.inner_text()
    assert first.locator(".explain-hint").count() == 0
    evidence = Evidence.objects.get(assessment=assessment)
    assert (evidence.doc_number, evidence.issued_on, evidence.original_name) == (
        "125/KH-SCT",
        datetime.date(2026, 1, 15),
        "ke-hoach-cchc-2026.pdf",
    )

    # the same document on the second leaf, chosen among the unit's documents
    second = page.locator(f'[id="leaf-{documented[1].code}"]')
    second.locator("summary").click()
    choices = second.locator("select[name=evidence]")
    choices.focus()
    choices.select_option(label="125/KH-SCT (15/01/2026) — ke-hoach-cchc-2026.pdf")
    second.locator("button.attach-evidence").click()
    second.locator(".evidence-notice").wait_for()
    assert "ke-hoach-cchc-2026.pdf" in second.inner_text() and second.locator(".explain-hint").count() == 0
    assert set(EvidenceLink.objects.values_list("score__criterion", flat=True)) == {c.pk for c in documented}
    assert Evidence.objects.count() == 1
    assert page.inner_text("#without-evidence") == str(len(leaves) - 2)
    link = first.get_by_role("link", name="ke-hoach-cchc-2026.pdf")
    response = page.request.get(link.get_attribute("href"))  # with the officer's session
    assert response.ok and response.body() == PDF
    assert response.headers["content-disposition"].startswith('inline; filename="ke-hoach-cchc-2026.pdf"')

    # the head submits, withdraws and submits again
    page.click("button:has-text('Đăng xuất')")
    login("thutruong")
    page.goto(scoring_url)
    page.click("#go-submit")
    assert page.locator("#ready").is_visible()
    page.click("#submit-assessment")
    page.click("#confirm-ok")  # the confirmation dialog (static/js/confirm.js)
    page.wait_for_url(f"**{scoring_url}")
    saved = Assessment.objects.get(pk=assessment.pk)
    assert saved.state == AssessmentState.SUBMITTED and saved.submitted_by == head
    assert page.locator(".score-form").count() == 0 and "Đã nộp" in page.inner_text("#assessment-state")
    assert page.inner_text("#self-total") == format_decimal(total)

    page.click("#withdraw")
    page.wait_for_selector(".score-form")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT
    assert "Đã rút bản tự đánh giá" in page.content()

    page.click("#go-submit")
    page.click("#submit-assessment")
    page.click("#confirm-ok")
    page.wait_for_url(f"**{scoring_url}")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    assert page.locator(".score-form").count() == 0


def test_submission_asks_for_confirmation_first(page, login, make_user, assessment):
    """The head's "Nộp" opens a dialog saying what will happen and who is told; "Hủy" (and Esc) leave the draft as
    it is, "Xác nhận" submits; the officers are told."""
    from assessments.tests.helpers import score_all
    from units.models import Notification

    officer = make_user("officer", "SCT", username="canbo")
    make_user("head", "SCT", username="thutruong")
    score_all(assessment, officer, explanation=EXPLANATION)
    login("thutruong")
    page.goto(f"/assessments/{assessment.pk}/submit/")
    dialog = page.locator("dialog#confirm-dialog")
    page.click("#submit-assessment")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "Sau khi nộp, đơn vị không sửa được điểm tự chấm" in text
    assert "Các cơ quan thẩm định và cán bộ CCHC của đơn vị được thông báo." in text
    assert dialog.get_by_role("button", name="Hủy").is_visible()
    dialog.get_by_role("button", name="Hủy").click()
    dialog.wait_for(state="hidden")
    page.wait_for_timeout(300)  # a form sent by mistake would be on its way by now
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT
    assert page.url.endswith("/submit/")

    page.click("#submit-assessment")
    dialog.wait_for()
    page.keyboard.press("Escape")  # Esc cancels too
    dialog.wait_for(state="hidden")
    page.wait_for_timeout(300)
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT

    stale = page.context.new_page()  # a second tab on the same page, left open
    stale.goto(f"/assessments/{assessment.pk}/submit/")
    page.click("#submit-assessment")
    dialog.get_by_role("button", name="Xác nhận").click()
    page.wait_for_url(f"**/assessments/{assessment.pk}/")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    assert "Đã nộp bản tự đánh giá" in page.content()
    assert Notification.objects.filter(user=officer, subject__contains="Thủ trưởng đã nộp").count() == 1

    # the stale tab sends it again: nothing more happens, and the page says so
    stale.click("#submit-assessment")
    stale.locator("dialog#confirm-dialog").get_by_role("button", name="Xác nhận").click()
    stale.wait_for_url(f"**/assessments/{assessment.pk}/")
    assert "Bản tự đánh giá đã được nộp trước đó" in stale.content()
    assert Notification.objects.filter(user=officer, subject__contains="Thủ trưởng đã nộp").count() == 1
