"""The demo leader reads the results in the browser (issue 6, "done when"): after `setup_portal --demo` (what
`make run` does) the leader opens the rankings from the navigation, sees the published rounds only, the ranking
of the departments with its charts drawn and the change from the previous year, opens a unit's result and the
weak criteria, and the province page with the published national figures. Every figure on the pages is checked
against the snapshot the one computation stored (reports.Result)."""

import pytest

from assessments.models import AssessmentRound, RoundState
from reports.models import ProvinceResult, Result

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YEAR = 2026


def percent(value) -> str:
    """A percentage as the Vietnamese pages print it: 2 decimals, decimal comma."""
    return f"{value:.2f}".replace(".", ",")


def chart_drawn(page, canvas_id: str) -> bool:
    return page.evaluate(f"() => !!(window.Chart && Chart.getChart(document.getElementById('{canvas_id}')))")


@pytest.fixture
def demo(monkeypatch, setup_portal):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    setup_portal(year=YEAR, demo=True)


def test_the_demo_leader_reads_rankings_unit_results_weak_criteria_and_the_province(demo, page, login):
    published = AssessmentRound.objects.get(year=YEAR - 1)
    in_progress = AssessmentRound.objects.get(year=YEAR)
    assert published.state == RoundState.PUBLISHED and in_progress.state != RoundState.PUBLISHED

    login("lanhdao", "parindex-demo")
    page.click("#nav-rankings")
    page.wait_for_url("**/ket-qua/")
    # Published rounds only: the leader never sees the provisional results of the round in progress.
    assert page.locator(f"#round-{published.pk}").is_visible()
    assert page.locator(f"#round-{AssessmentRound.objects.get(year=YEAR - 2).pk}").is_visible()
    assert page.locator(f"#round-{in_progress.pk}").count() == 0

    page.locator(f"#round-{published.pk} tr", has_text="Sở").get_by_role("link", name="Xếp hạng").click()
    page.wait_for_selector("#rankings")
    expected = list(
        Result.objects.filter(round=published, group__code="SO")
        .order_by("rank", "unit__name")
        .select_related("unit")
    )
    rows = page.locator("#rankings tbody tr")
    assert rows.count() == len(expected) > 5
    first = expected[0]
    top = page.locator(f"#result-{first.pk}")
    assert top.locator(".rank").inner_text() == "1" == str(first.rank)
    assert top.locator(".index").inner_text() == percent(first.par_index)
    # The change from 2024: index difference in percentage points, as the snapshot of both years implies — for a
    # department that kept its record (the mergers of 1 March 2025 made new ones, compared through lineage).
    mine = {r.unit_id: r for r in Result.objects.filter(round__year=YEAR - 2, group__code="SO")}
    kept = next(r for r in expected if r.unit_id in mine)
    change = kept.par_index - mine[kept.unit_id].par_index
    shown = page.locator(f"#result-{kept.pk} .index-change").inner_text()
    assert shown.replace("−", "-").lstrip("+") == percent(change)
    # The heatmap: every component index of the table coloured by its band.
    assert page.locator("#rankings td.heat").count() == len(expected) * len(first.components.all())
    assert (
        page.locator(
            "#rankings td.heat.text-bg-success, #rankings td.heat.text-bg-danger, "
            "#rankings td.heat.text-bg-primary, #rankings td.heat.text-bg-warning"
        ).count()
        > 0
    )
    page.wait_for_function("() => window.Chart !== undefined")
    assert chart_drawn(page, "ranking-chart")
    grades = {
        grade: n for grade, n in ((r.grade, sum(1 for x in expected if x.grade == r.grade)) for r in expected)
    }
    for grade, n in grades.items():
        assert page.locator("#grade-distribution tr", has_text=grade).first.inner_text().split()[-1] == str(n)

    # A unit's result: index, grade, rank x / n, the leaves where it lost most, its trend over the two years.
    top.get_by_role("link", name=first.unit.name).click()
    page.wait_for_selector("#summary-index")
    assert page.locator("#summary-index").inner_text() == f"{percent(first.par_index)} %"
    assert page.locator("#summary-rank").inner_text() == f"{first.rank} / {len(expected)}"
    assert page.locator("#lost-leaves tbody tr").count() >= 1
    trend = page.locator("#trend").inner_text()
    assert str(YEAR - 2) in trend and str(YEAR - 1) in trend and str(YEAR) not in trend
    assert chart_drawn(page, "components-chart") and chart_drawn(page, "trend-chart")

    # Weak criteria of the group: ordered by points lost, the worst first.
    page.goto(f"/ket-qua/{published.pk}/tieu-chi-yeu/?group=SO")
    lost = [
        float(t.replace(",", "."))
        for t in page.locator("#weak-criteria tbody td.lost, tbody td.lost").all_inner_texts()
    ]
    assert lost and lost == sorted(lost, reverse=True) and lost[0] > 0

    # The round in progress is not there for the leader, even by its address.
    assert page.goto(f"/ket-qua/{in_progress.pk}/xep-hang/?group=SO").status == 404

    # The province page: the national results of the fixture (2016 rank 49/63).
    page.goto("/ket-qua/tinh/")
    row_2016 = page.locator("#year-2016").inner_text()
    result_2016 = ProvinceResult.objects.get(year=2016)
    assert str(result_2016.rank) in row_2016 and str(result_2016.provinces_ranked) in row_2016
    assert page.locator("#year-2021").is_visible()
