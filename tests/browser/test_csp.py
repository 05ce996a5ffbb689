"""The pages run under the Content-Security-Policy (issue 14 item 5; README "Deployment"): scripts only from the
portal's own files, no inline script or handler. A user signs in, opens the home page, the scoring page (and saves
a leaf through HTMX), the rankings, a unit's result and the province page (charts drawn), a print page, the Django
admin (the lockout's access attempts too) and the API docs (Swagger UI); the browser reports no violation of the
policy and no script error, and what the scripts do still happens."""

import pytest

from assessments.models import Assessment, AssessmentRound, AssessmentState
from criteria.models import EXTRA_KINDS, Criterion, Source
from reports.models import Result

from .test_self_assessment import fill_top

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2026
PASSWORD = "parindex-demo"


@pytest.fixture
def demo(monkeypatch, setup_portal):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    setup_portal(year=YEAR, demo=True)


@pytest.fixture
def violations(page):
    """Console messages about the policy, and script errors, of every page the test opens."""
    seen: list[str] = []
    page.on(
        "console",
        lambda m: (
            seen.append(f"{m.type}: {m.text}")
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: seen.append(f"page error: {e}"))
    return seen


def visit(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    policy = response.headers.get("content-security-policy", "")
    assert (
        "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    page.wait_for_timeout(100)  # scripts run on load (charts, Swagger UI) report violations meanwhile


def chart_drawn(page, canvas_id: str) -> bool:
    return page.evaluate(f"() => !!(window.Chart && Chart.getChart(document.getElementById('{canvas_id}')))")


def test_an_officer_scores_a_leaf_under_the_policy(demo, page, login, violations):
    assessment = Assessment.objects.get(round__year=YEAR, unit__code="SCT", state=AssessmentState.DRAFT)
    leaf = (
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id, children__isnull=True, source=Source.APPRAISAL
        )
        .exclude(kind__in=EXTRA_KINDS)
        .order_by("order")
        .first()
    )
    login("canbo", PASSWORD)
    visit(page, "/")
    visit(page, f"/assessments/{assessment.pk}/")
    card = page.locator(f'[id="leaf-{leaf.code}"]')
    fill_top(card, leaf)
    card.locator("textarea[name=explanation]").fill("Đã thực hiện; văn bản lưu tại văn thư.")
    with page.expect_response(lambda r: r.request.method == "POST" and "/leaf/" in r.url) as response:
        card.locator("button.save-leaf").click()
    assert response.value.status == 200
    card.locator(".saved-flag").wait_for()  # swapped in by HTMX
    visit(page, f"/assessments/{assessment.pk}/in/")
    assert page.locator("[data-print]").is_visible()
    assert violations == []


def test_the_admin_reads_results_admin_and_api_docs_under_the_policy(demo, page, login, violations):
    published = AssessmentRound.objects.get(year=YEAR - 1)
    login("quantri", PASSWORD)
    visit(page, "/")
    visit(page, f"/ket-qua/{published.pk}/xep-hang/?group=SO")
    assert chart_drawn(page, "ranking-chart")
    # the group selector sends its form when changed (data-autosubmit, static/js/page.js)
    other = page.locator("#group-select option").nth(1).get_attribute("value")
    with page.expect_navigation():
        page.select_option("#group-select", other)
    assert f"group={other}" in page.url
    result = Result.objects.filter(round=published, group__code="SO").order_by("rank").first()
    visit(page, f"/ket-qua/don-vi/{result.pk}/")
    assert chart_drawn(page, "components-chart") and chart_drawn(page, "trend-chart")
    visit(page, "/ket-qua/tinh/")
    assert chart_drawn(page, "province-trend-chart")
    visit(page, "/admin/")
    visit(page, "/admin/assessments/assessment/")
    visit(page, "/admin/axes/accessattempt/")
    visit(page, "/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()  # Swagger UI started from its own script URL
    assert violations == []
