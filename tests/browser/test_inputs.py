"""No lost value, decimal commas and every refusal shown (issue 12 §1–4), in Chromium.

For each kind of leaf of the departments' set (options, range, ratio, yes/no; the set has no bonus/penalty
leaves) on the scoring page and on the appraisal page: save a value, reload, change only the note/comment,
save, reload — the value is unchanged; "0,75" typed with a comma is read; a refused value ("abc", above max)
shows the portal's Vietnamese message next to the field and the stored value back in the control. The survey
grid: "1,5" above max and "abc" answer with the message in the cell and the stored value back; "Lưu dòng" saves
the valid cells of a row and shows the refused one in place; "Lưu cả trang" saves the page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Assessment, FieldAppraisal, Score
from assessments.services.rounds import round_create, round_open
from assessments.services.submission import assessment_submit
from assessments.tests.helpers import score_all
from criteria.models import Criterion, Kind, Source
from criteria.services import criteria_set_import
from units.models import Membership, Role, Unit, UnitGroup
from units.services import system_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KINDS = (Kind.OPTIONS, Kind.RANGE, Kind.RATIO, Kind.YES_NO, Kind.BONUS, Kind.PENALTY)


@pytest.fixture
def assessment(units, coordinator, settings, tmp_path) -> Assessment:
    settings.MEDIA_ROOT = tmp_path / "media"
    Unit.objects.filter(group__code="SO").exclude(code="SCT").update(is_active=False)
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


def leaves_by_kind(assessment) -> dict[str, Criterion]:
    """The first appraisal leaf of each kind the set has."""
    found = {}
    for c in Criterion.objects.filter(
        criteria_set_id=assessment.criteria_set_id, children__isnull=True, source=Source.APPRAISAL
    ).order_by("order"):
        if c.kind == Kind.RANGE and c.max_points < Decimal("0.75"):
            continue  # the range leaf must take "0,75"
        found.setdefault(c.kind, c)
    assert {Kind.OPTIONS, Kind.RANGE, Kind.RATIO, Kind.YES_NO} <= set(found)
    return found


def card_of(page, code):
    return page.locator("#leaf-" + code.replace(".", "\\."))


def post(page, card, button, status=200):
    with page.expect_response(lambda r: r.request.method == "POST" and r.status < 500) as resp:
        card.locator(button).click()
    assert resp.value.status == status, resp.value.text()[:400]


def fill(card, c: Criterion, *, appraisal=False) -> Decimal:
    """Enter a value of the leaf's kind the way a user would; returns the points it gives."""
    if c.kind == Kind.OPTIONS:
        option = c.scale[1]
        card.locator(f'input[name=option][value="{option["label"]}"]').check()
        return Decimal(option["points"])
    if c.kind == Kind.RATIO:
        card.get_by_label("Tử số").fill("7,5")
        card.get_by_label("Mẫu số").fill("10")
        return next(Decimal(b["points"]) for b in c.scale if Decimal("75") >= Decimal(b["min"]))
    if c.kind == Kind.YES_NO:
        card.get_by_label("Có (").check()
        return c.max_points
    card.locator("input[name=value]").fill("0,75")  # decimal comma
    return Decimal("0.75")


def shows_value(card, c: Criterion, score: Score, *, appraisal=False):
    """The control shows the stored value in the form the server reads back."""
    if c.kind == Kind.OPTIONS:
        option = score.appraised_option if appraisal else score.self_option
        assert card.locator(f'input[name=option][value="{option}"]').is_checked()
    elif c.kind == Kind.RATIO:
        assert card.get_by_label("Tử số").input_value() == "7,5"
        assert card.get_by_label("Mẫu số").input_value() == "10"
    elif c.kind == Kind.YES_NO:
        assert card.get_by_label("Có (").is_checked()
    else:
        assert card.locator("input[name=value]").input_value() == "0,75"


def test_scoring_page_keeps_every_kind_and_shows_refusals(page, login, make_user, assessment):
    make_user("officer", "SCT", username="canbo")
    leaves = leaves_by_kind(assessment)
    login("canbo")
    url = f"/assessments/{assessment.pk}/"
    page.goto(url)
    assert page.locator("input[type=number], input[type=date]").count() == 0
    for kind, c in leaves.items():
        points = fill(card_of(page, c.code), c)
        post(page, card_of(page, c.code), "button.save-leaf")
        score = Score.objects.get(assessment=assessment, criterion=c)
        assert score.self_value == points, kind
        page.goto(url)
        card = card_of(page, c.code)
        shows_value(card, c, score)
        card.locator("textarea[name=note]").fill(f"Chỉ sửa ghi chú {kind}")
        post(page, card, "button.save-leaf")
        page.goto(url)
        score = Score.objects.get(assessment=assessment, criterion=c)
        assert score.self_value == points and score.note == f"Chỉ sửa ghi chú {kind}", kind
        shows_value(card_of(page, c.code), c, score)

    # refused values: the Vietnamese message next to the field, the stored value back in the control
    c = leaves[Kind.RANGE]
    for typed, message in (("abc", "không phải là số hợp lệ"), ("1,5", "vượt điểm tối đa")):
        card = card_of(page, c.code)
        card.locator("input[name=value]").fill(typed)
        post(page, card, "button.save-leaf", status=400)
        error = card_of(page, c.code).locator(".score-error")
        error.wait_for()
        assert message in error.inner_text() and typed in error.inner_text()
        assert card_of(page, c.code).locator("input[name=value]").input_value() == "0,75"
    assert Score.objects.get(assessment=assessment, criterion=c).self_value == Decimal("0.75")
    assert "Please" not in page.locator("body").inner_text()


def test_appraisal_page_keeps_every_kind_and_shows_refusals(page, login, make_user, assessment):
    officer = make_user("officer", "SCT")
    head = make_user("head", "SCT")
    score_all(assessment, officer, top=False, explanation="Văn bản lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    appraiser = make_user("appraiser", "STP", username="thamdinh")
    leaves = leaves_by_kind(assessment)
    parts = {}
    for kind, c in leaves.items():
        part = FieldAppraisal.objects.select_related("owner", "field").get(
            assessment=assessment, field__code=c.code.split(".")[0]
        )
        Membership.objects.get_or_create(user=appraiser, unit=part.owner, role=Role.APPRAISER)
        parts[kind] = part
    login("thamdinh")
    for kind, c in leaves.items():
        url = f"/appraisal/parts/{parts[kind].pk}/"
        page.goto(url)
        field = parts[kind].field
        assert f"Lĩnh vực {field.code}. {field.title}" in page.locator(".breadcrumb").inner_text()
        card = card_of(page, c.code)
        points = fill(card, c, appraisal=True)
        post(page, card, "button.save-appraisal")
        card_of(page, c.code).locator(".saved-flag").wait_for()
        score = Score.objects.get(assessment=assessment, criterion=c)
        assert score.appraised_value == points, kind
        page.goto(url)
        card = card_of(page, c.code)
        shows_value(card, c, score, appraisal=True)
        card.locator("textarea[name=comment]").fill(f"Chỉ sửa nhận xét {kind}")
        post(page, card, "button.save-appraisal")
        page.goto(url)
        score = Score.objects.get(assessment=assessment, criterion=c)
        assert score.appraised_value == points and score.appraisal_comment == f"Chỉ sửa nhận xét {kind}", kind
        shows_value(card_of(page, c.code), c, score, appraisal=True)
        if kind == Kind.OPTIONS:  # option labels print points with a decimal comma
            assert "(0.75)" not in page.locator("body").inner_text()

    # refused: letters and above max in the range box, "Cần giải trình" without a question
    c = leaves[Kind.RANGE]
    page.goto(f"/appraisal/parts/{parts[Kind.RANGE].pk}/")
    for typed, message in (("abc", "không phải là số hợp lệ"), ("1,5", "vượt điểm tối đa")):
        card = card_of(page, c.code)
        card.locator("input[name=value]").fill(typed)
        post(page, card, "button.save-appraisal", status=400)
        error = card_of(page, c.code).locator(".leaf-error")
        error.wait_for()
        assert message in error.inner_text() and typed in error.inner_text()
        assert card_of(page, c.code).locator("input[name=value]").input_value() == "0,75"
    card = card_of(page, c.code)
    card.locator("input[name=flag]").check()
    post(page, card, "button.save-appraisal", status=400)
    error = card_of(page, c.code).locator(".leaf-error")
    error.wait_for()
    assert "Ghi nội dung đề nghị đơn vị giải trình" in error.inner_text()
    assert card_of(page, c.code).locator("input[name=value]").input_value() == "0,75"
    score = Score.objects.get(assessment=assessment, criterion=c)
    assert score.appraised_value == Decimal("0.75") and not score.needs_explanation


def test_survey_grid_shows_refusals_in_the_cell(page, login, make_user, assessment):
    make_user("coordinator", "SNV", username="dieuphoi")
    leaf = (
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id, children__isnull=True, source=Source.SURVEY
        )
        .order_by("order")
        .first()
    )
    score = Score.objects.get(assessment=assessment, criterion=leaf)
    login("dieuphoi")
    page.goto(f"/surveys/{assessment.round_id}/SO/")
    cell = page.locator(f"#cell-{score.pk}")
    cell.locator(f"input[name=value-{score.pk}]").fill("0,75")
    post(page, cell, "button")
    page.locator(f"#cell-{score.pk} .cell-message").wait_for()
    assert Score.objects.get(pk=score.pk).survey_value == Decimal("0.75")
    too_much = str(leaf.max_points + 1).replace(".", ",")
    for typed, message in ((too_much, "vượt điểm tối đa"), ("abc", "không phải là số hợp lệ")):
        cell = page.locator(f"#cell-{score.pk}")
        cell.locator(f"input[name=value-{score.pk}]").fill(typed)
        post(page, cell, "button", status=400)
        expect(page.locator(f"#cell-{score.pk} .cell-message")).to_contain_text(message)
        assert typed in page.locator(f"#cell-{score.pk} .cell-message").inner_text()
        assert page.locator(f"#cell-{score.pk} input[name=value-{score.pk}]").input_value() == "0,75"
    assert Score.objects.get(pk=score.pk).survey_value == Decimal("0.75")

    # "Lưu dòng": every cell of the unit's row at once — "0,75" and "0.5" saved, "abc" refused in its cell
    others = [
        Score.objects.get(assessment=assessment, criterion=c)
        for c in Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id,
            children__isnull=True,
            source=Source.SURVEY,
            max_points__gte=Decimal("0.75"),
        )
        .exclude(pk=leaf.pk)
        .order_by("order")[:2]
    ]
    row = page.locator(f"#unit-{assessment.pk}")
    for typed, target in (("abc", score), ("0,75", others[0]), ("0.5", others[1])):
        row.locator(f"input[name=value-{target.pk}]").fill(typed)
    page.evaluate("window.notReloaded = true")
    post(page, row, "button:has-text('Lưu dòng')", status=400)
    assert page.evaluate("window.notReloaded === true")  # swapped in place (HTMX), not a page load
    row = page.locator(f"#unit-{assessment.pk}")
    expect(row.locator(".row-message")).to_contain_text("Đã lưu 2 ô; 1 ô chưa lưu được")
    expect(page.locator(f"#cell-{score.pk} .cell-message")).to_contain_text("không phải là số hợp lệ")
    assert "abc" in page.locator(f"#cell-{score.pk} .cell-message").inner_text()
    assert (
        page.locator(f"#cell-{score.pk} input[name=value-{score.pk}]").input_value() == "0,75"
    )  # stored value
    for target in others:
        expect(page.locator(f"#cell-{target.pk} .cell-message")).to_have_text("Đã lưu")
    expected_total = "2"  # 0,75 + 0,75 + 0,5
    expect(page.locator(f"#total-{assessment.pk}")).to_have_text(expected_total)
    page.reload()
    page.evaluate("window.notReloaded = true")
    assert page.locator(f"input[name=value-{others[0].pk}]").input_value() == "0,75"
    assert page.locator(f"input[name=value-{others[1].pk}]").input_value() == "0,5"
    assert page.locator(f"input[name=value-{score.pk}]").input_value() == "0,75"
    assert [Score.objects.get(pk=x.pk).survey_value for x in (score, *others)] == [
        Decimal("0.75"),
        Decimal("0.75"),
        Decimal("0.5"),
    ]

    # "Lưu cả trang" (the page's form; Enter in a cell does the same)
    page.locator(f"input[name=value-{others[1].pk}]").fill("0,25")
    post(page, page, "#save-page")
    assert page.evaluate("window.notReloaded === true")
    expect(page.locator("#grid-summary")).to_contain_text("Đã lưu 1 ô.")
    expect(page.locator(f"#cell-{others[1].pk} .cell-message")).to_have_text("Đã lưu")
    assert Score.objects.get(pk=others[1].pk).survey_value == Decimal("0.25")


def test_survey_grid_row_save_without_javascript(browser, live_server, make_user, assessment):
    """Without JavaScript "Lưu dòng" is a plain post of the page form: back to the grid with the saved value
    and, next to the refused cell, its message and the stored value."""
    make_user("coordinator", "SNV", username="dieuphoi")
    a, b = [
        Score.objects.get(assessment=assessment, criterion=c)
        for c in Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id,
            children__isnull=True,
            source=Source.SURVEY,
            max_points__gte=Decimal("0.75"),
        ).order_by("order")[:2]
    ]
    context = browser.new_context(base_url=live_server.url, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/accounts/login/")
    page.fill("#id_username", "dieuphoi")
    page.fill("#id_password", "pw-test-12345")
    page.click("button:has-text('Đăng nhập')")
    page.goto(f"/surveys/{assessment.round_id}/SO/")
    page.fill(f"input[name=value-{a.pk}]", "0,75")
    page.fill(f"input[name=value-{b.pk}]", "9")
    page.locator(f"#unit-{assessment.pk} button:has-text('Lưu dòng')").click()
    expect(page.locator(f"#unit-{assessment.pk} .row-message")).to_contain_text(
        "Đã lưu 1 ô; 1 ô chưa lưu được"
    )
    expect(page.locator(f"#cell-{b.pk} .cell-message")).to_contain_text("vượt điểm tối đa")
    assert page.locator(f"input[name=value-{b.pk}]").input_value() == ""
    assert page.locator(f"input[name=value-{a.pk}]").input_value() == "0,75"
    assert Score.objects.get(pk=a.pk).survey_value == Decimal("0.75")
    assert Score.objects.get(pk=b.pk).survey_value is None
    context.close()
