"""The whole appraisal cycle in the browser (issue 4, "done when"): Sở Công Thương's officer scores and the
head submits → the appraisers of Sở Tư pháp and Sở Tài chính appraise their fields, one leaf is flagged →
the unit explains with a new document and the head sends → appraisal 2 → the coordinator publishes. The
appraised totals are what the inputs imply, the e-mails went out (locmem backend) and the history shows every
change. The other agencies' parts are appraised through the services (their pages are the same)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from assessments.models import Assessment, AssessmentState, FieldAppraisal, PartState, RoundState, Score
from assessments.selectors.appraisal import part_leaf_ids
from assessments.services import appraisal as svc
from assessments.services.rounds import round_create, round_open
from assessments.tests.helpers import appraisal_leaves, leaf_input, save
from criteria.models import Kind
from criteria.services import criteria_set_import
from reports.models import Result
from units.models import Unit, UnitGroup
from units.services import system_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def setting(units, make_user, settings, tmp_path):
    """A 2026 round with one department (the others inactive), and its people."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Unit.objects.filter(group__code="SO").exclude(code="SCT").update(is_active=False)
    people = {
        "officer": make_user("officer", "SCT", username="canbo", email="canbo@sct.vn"),
        "head": make_user("head", "SCT", username="thutruong", email="thutruong@sct.vn"),
        "coordinator": make_user("coordinator", "SNV", username="dieuphoi", email="dieuphoi@snv.vn"),
    }
    for code in ("STP", "STC", "SNV", "VPUBND", "STTTT", "SKHCN"):
        people[code] = make_user(
            "appraiser", code, username=f"td-{code.lower()}", email=f"td@{code.lower()}.vn"
        )
    with open("fixtures/criteria/SO.xlsx", "rb") as fh:
        so_set = criteria_set_import(
            group=UnitGroup.objects.get(code="SO"), year=2026, data=fh.read(), by=system_user()
        )
    today, days = timezone.localdate(), datetime.timedelta
    rnd = round_create(
        year=2026,
        name="Đánh giá Chỉ số CCHC năm 2026",
        sets={so_set.group: so_set},
        by=people["coordinator"],
        opens_on=today - days(10),
        self_assessment_deadline=today + days(30),
        appraisal_1_deadline=today + days(50),
        explanation_deadline=today + days(60),
        appraisal_2_deadline=today + days(75),
        publication_date=today + days(90),
    )
    round_open(round=rnd, by=people["coordinator"])
    return Assessment.objects.get(round=rnd, unit__code="SCT"), people


def fill_appraisal(card, criterion, *, top: bool):
    """Enter the leaf's highest (or lowest) value in the appraisal form, as a user would."""
    if criterion.kind == Kind.OPTIONS:
        pick = (max if top else min)(criterion.scale, key=lambda o: Decimal(o["points"]))
        card.locator(f'input[name=option][value="{pick["label"]}"]').check()  # labelled radios
        return Decimal(pick["points"])
    if criterion.kind == Kind.RATIO:
        card.locator("input[name=numerator]").fill("10" if top else "0")
        card.locator("input[name=denominator]").fill("10")
        bands = criterion.scale
        return Decimal(bands[0]["points"] if top else bands[-1]["points"])
    value = criterion.max_points if top else Decimal(0)
    card.locator("input[name=value]").fill(str(value).replace(".", ","))
    return value


def leaf_id(code: str) -> str:
    """The CSS selector of a leaf's card (dots escaped)."""
    return "#leaf-" + code.replace(".", "\\.")


def click_and_wait(page, selector):
    """Click a button that posts a plain form and wait for the page it redirects to (with its message); an
    irreversible step (``data-confirm``) is confirmed in its dialog first (static/js/confirm.js)."""
    asks = page.locator(selector).evaluate("b => !!(b.dataset.confirm || (b.form && b.form.dataset.confirm))")
    with page.expect_navigation():
        page.click(selector)
        if asks:
            page.click("dialog#confirm-dialog #confirm-ok")
    page.locator(".alert").first.wait_for()


def post_leaf(page, card, button="button.save-appraisal"):
    with page.expect_response(lambda r: r.request.method == "POST" and "/appraisal/parts/" in r.url) as resp:
        card.locator(button).click()
    assert resp.value.status == 200, resp.value.text()[:500]
    card.locator(".saved-flag").wait_for()


def test_whole_cycle_for_a_department(page, login, setting):
    assessment, people = setting
    leaves = appraisal_leaves(assessment.criteria_set_id)
    expected = {}  # leaf code → appraised points as the inputs imply

    # 1. The officer has scored every leaf but the last (services); scores the last one here; the head submits.
    for criterion in leaves[:-1]:
        kwargs, points = leaf_input(criterion)
        save(assessment, criterion, people["officer"], explanation="Văn bản lưu tại đơn vị", **kwargs)
        expected[criterion.code] = points
    last = leaves[-1]
    login("canbo")
    page.goto(f"/assessments/{assessment.pk}/")
    card = page.locator(leaf_id(last.code))
    kwargs, points = leaf_input(last)
    if last.kind == Kind.OPTIONS:
        card.get_by_label(kwargs["option"], exact=False).first.check()
    elif last.kind == Kind.RATIO:
        card.locator("input[name=numerator]").fill("10")
        card.locator("input[name=denominator]").fill("10")
    else:
        card.locator("input[name=value]").fill(str(points))
    card.locator("textarea[name=explanation]").fill("Văn bản lưu tại đơn vị")
    with page.expect_response(lambda r: r.request.method == "POST" and "/leaf/" in r.url) as resp:
        card.locator("button.save-leaf").click()
    assert resp.value.status == 200
    expected[last.code] = points
    login("thutruong")
    page.goto(f"/assessments/{assessment.pk}/submit/")
    page.click("#submit-assessment")
    page.click("#confirm-ok")  # the confirmation dialog
    page.wait_for_url(f"**/assessments/{assessment.pk}/")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    assert any("td@stp.vn" in m.to for m in mail.outbox), [m.to for m in mail.outbox]

    # 2. Sở Tư pháp's appraiser flags one leaf with a question, accepts the others and ends round 1.
    stp = FieldAppraisal.objects.get(assessment=assessment, owner__code="STP")
    asked = (
        Score.objects.select_related("criterion")
        .filter(assessment=assessment, criterion_id__in=part_leaf_ids(stp))
        .order_by("criterion__order")
        .first()
    )
    login("td-stp")
    page.goto("/appraisal/")
    page.click(f"#queue a[href='/appraisal/parts/{stp.pk}/']")
    card = page.locator(leaf_id(asked.criterion.code))
    card.locator("input[name=flag]").check()
    card.locator("textarea[name=question]").fill("Đề nghị cung cấp quyết định ban hành kế hoạch.")
    post_leaf(page, card)
    assert Score.objects.get(pk=asked.pk).needs_explanation
    click_and_wait(page, "#accept-all")
    click_and_wait(page, "#close-round-1")
    assert FieldAppraisal.objects.get(pk=stp.pk).state == PartState.EXPLANATION

    # 3. Sở Tài chính's appraiser lowers one leaf with a comment, accepts the rest, ends round 1 (final).
    stc = FieldAppraisal.objects.get(assessment=assessment, owner__code="STC")
    lowered = (
        Score.objects.select_related("criterion")
        .filter(assessment=assessment, criterion_id__in=part_leaf_ids(stc))
        .order_by("criterion__order")
        .first()
    )
    login("td-stc")
    page.goto(f"/appraisal/parts/{stc.pk}/")
    card = page.locator(leaf_id(lowered.criterion.code))
    expected[lowered.criterion.code] = fill_appraisal(card, lowered.criterion, top=False)
    card.locator("textarea[name=comment]").fill("Chưa có báo cáo quyết toán đúng hạn.")
    post_leaf(page, card)
    click_and_wait(page, "#accept-all")
    click_and_wait(page, "#close-round-1")
    assert FieldAppraisal.objects.get(pk=stc.pk).state == PartState.FINAL

    # The other agencies accept and end round 1 through the services.
    for part in FieldAppraisal.objects.filter(assessment=assessment, state=PartState.PENDING).select_related(
        "owner"
    ):
        svc.appraisal_accept_all(part=part, by=people[part.owner.code])
        svc.part_close_round_1(part=part, by=people[part.owner.code])
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.EXPLANATION
    assert any("canbo@sct.vn" in m.to and "giải trình" in m.subject for m in mail.outbox)

    # 4. The unit answers with a new document; the head sends.
    login("canbo")
    page.goto(f"/assessments/{assessment.pk}/explanation/")
    item = page.locator(leaf_id(asked.criterion.code))
    assert "quyết định ban hành kế hoạch" in item.inner_text()
    item.locator("textarea[name=answer]").fill("Đã bổ sung Quyết định số 15/QĐ-SCT ngày 10/01/2026.")
    with page.expect_navigation():
        item.locator("button.save-answer").click()
    item = page.locator(leaf_id(asked.criterion.code))
    item.locator("input[type=file]").set_input_files(
        {"name": "qd15.pdf", "mimeType": "application/pdf", "buffer": PDF + b"%qd15"}
    )
    item.locator("input[name=doc_number]").fill("15/QĐ-SCT")
    with page.expect_navigation():
        item.locator("button.upload-evidence").click()
    page.locator("text=15/QĐ-SCT").first.wait_for()
    login("thutruong")
    page.goto(f"/assessments/{assessment.pk}/explanation/")
    click_and_wait(page, "#send-explanation")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.APPRAISAL_2
    assert any("td@stp.vn" in m.to and "giải trình" in m.subject for m in mail.outbox)

    # 5. Appraisal 2: Sở Tư pháp scores the explained leaf at half its range and finalises.
    login("td-stp")
    page.goto(f"/appraisal/parts/{stp.pk}/")
    card = page.locator(leaf_id(asked.criterion.code))
    assert "15/QĐ-SCT" in card.inner_text() and "Đã bổ sung Quyết định" in card.inner_text()
    expected[asked.criterion.code] = fill_appraisal(card, asked.criterion, top=False)
    card.locator("textarea[name=comment]").fill("Quyết định ban hành muộn.")
    post_leaf(page, card)
    click_and_wait(page, "#finalise")
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.APPRAISED

    # 6. The coordinator publishes.
    login("dieuphoi")
    page.goto(f"/rounds/{assessment.round_id}/overview/")
    click_and_wait(page, "#publish")
    assessment.refresh_from_db()
    assert assessment.state == AssessmentState.PUBLISHED and assessment.round.state == RoundState.PUBLISHED

    # The appraised totals are what the inputs imply (no survey results: 0 of the 37 survey points).
    scores = {
        s.criterion.code: s for s in Score.objects.filter(assessment=assessment).select_related("criterion")
    }
    for code, points in expected.items():
        assert scores[code].appraised_value == points, code
    total = sum(expected.values())
    result = Result.objects.get(assessment=assessment)
    assert result.total == total and result.par_index == (total / 100 * 100).quantize(Decimal("0.01"))
    assert not result.provisional
    assert any("canbo@sct.vn" in m.to and "công bố" in m.subject for m in mail.outbox)

    # The history shows every change of the explained leaf: self score, flag, answer, appraisal 2.
    reasons = [h.history_change_reason for h in scores[asked.criterion.code].history.order_by("history_date")]
    assert reasons[0] == "Tự chấm điểm" and "Thẩm định vòng 1" in reasons and "Giải trình" in reasons
    assert reasons[-1] == "Thẩm định vòng 2"
    page.goto(f"/assessments/{assessment.pk}/leaf/{asked.criterion_id}/history/")
    body = page.locator("body").inner_text()
    assert "Đề nghị cung cấp quyết định" in body and "Quyết định ban hành muộn." in body
