"""Provisional rankings that cannot mislead (issue 12 item 7) and the weak criteria filters: while a round is not
published only appraised units are ranked (among themselves, with Δ), the others are listed apart under "Chưa
thẩm định xong" without rank or Δ; "Tạm tính" is said once for the page; weak criteria by field and top N."""

from decimal import Decimal

import pytest

from assessments.models import AssessmentState, RoundState

from .conftest import MINI_SET, add_assessment, build_set, make_round, put, unit
from .test_results_pages import WEAK_SET, get, publish, result_of, table

D = Decimal


@pytest.fixture
def half_appraised(mini_set):
    """2025 published (SCT 20 %, rank 1; STC 10 %, 2; STP 2.5 %, 3); 2026 open: SCT 10 % and STP 5 % appraised,
    STC 15 % (the best index) still in round-1 appraisal, SNV 2.5 % still a draft."""
    from reports.results.services import results_compute

    old_set = build_set("SO", MINI_SET, year=2025, bonus_cap=1, penalty_cap=2)
    old = make_round([old_set], year=2025, state=RoundState.PUBLISHED)
    for code, leaf, points in (("SCT", "3.1", 4), ("STC", "1.1", 2), ("STP", "1.2", D("0.5"))):
        put(add_assessment(old, unit(code), old_set), leaf, appraised_value=D(points))
    results_compute(round=old)
    new = make_round([mini_set], year=2026)
    states = {
        "SCT": AssessmentState.APPRAISED,
        "STP": AssessmentState.APPRAISED,
        "STC": AssessmentState.APPRAISAL_1,
        "SNV": AssessmentState.DRAFT,
    }
    for code, points in (("SCT", 2), ("STP", 1), ("STC", 3), ("SNV", D("0.5"))):
        a = add_assessment(new, unit(code), mini_set)
        put(a, "1.1", appraised_value=D(points))
        a.__class__.objects.filter(pk=a.pk).update(state=states[code])
    results_compute(round=new)
    return old, new


def test_units_not_yet_appraised_are_listed_apart_unranked_and_without_change(
    client, half_appraised, coordinator
):
    old, new = half_appraised
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO")
    body = response.content.decode()
    ranked = table(response, "rankings")
    # STC has the best index (15 %) but is not appraised: not ranked; SCT and STP are 1 and 2 among the appraised.
    assert [(r[0], r[1], r[2]) for r in ranked] == [
        ("1", "Sở Công Thương", "10,00"),
        ("2", "Sở Tư pháp", "5,00"),
    ]
    assert [(r[-2], r[-1]) for r in ranked] == [("−10,00", "0"), ("+2,50", "+1")]
    pending = table(response, "pending")
    assert pending == [["Sở Nội vụ", "Đang tự đánh giá"], ["Sở Tài chính", "Thẩm định vòng 1"]]
    assert "Chưa thẩm định xong" in body
    # No rank and no Δ for them: their table has only the unit and its state; no chart bar, no grade counted.
    assert response.context["chart"]["values"] == [10.0, 5.0]
    assert sum(n for _, _, n in response.context["grades"]) == 2
    # "Tạm tính" once for the page, not on every row.
    assert body.count("Tạm tính") == 1


def test_the_search_filters_both_lists(client, half_appraised, coordinator):
    old, new = half_appraised
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO", q="Tài chính")
    assert table(response, "rankings") == [["Không có đơn vị nào phù hợp."]]
    assert [r[0] for r in table(response, "pending")] == ["Sở Tài chính"]


def test_a_published_round_ranks_every_unit_and_has_no_pending_list(client, half_appraised, coordinator):
    old, new = half_appraised
    new.assessments.update(state=AssessmentState.PUBLISHED)
    publish(new)
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO")
    assert [(r[0], r[1]) for r in table(response, "rankings")] == [
        ("1", "Sở Tài chính"),
        ("2", "Sở Công Thương"),
        ("3", "Sở Tư pháp"),
        ("4", "Sở Nội vụ"),
    ]
    assert 'id="pending"' not in response.content.decode() and "Tạm tính" not in response.content.decode()


def test_a_unit_result_not_yet_appraised_shows_no_rank(client, half_appraised, coordinator):
    old, new = half_appraised
    body = get(client, coordinator, "reports:unit_result", result_of(new, "STC").pk).content.decode()
    assert 'id="not-ranked"' in body and "Chưa thẩm định xong" in body
    response = get(client, coordinator, "reports:unit_result", result_of(new, "STP").pk)
    assert (response.context["rank"], response.context["group_size"]) == (2, 2)


def test_field_headers_have_a_legend_with_full_names(client, half_appraised, coordinator):
    old, new = half_appraised
    body = get(client, coordinator, "reports:rankings", new.pk, group="SO").content.decode()
    assert 'id="field-legend"' in body and "<dt" in body


# ---------------------------------------------------------------- weak criteria: field and top N


@pytest.fixture
def weak(units):
    from reports.results.services import results_compute

    cset = build_set("SO", WEAK_SET)
    rnd = make_round([cset])
    for code in ("SCT", "STP"):
        a = add_assessment(rnd, unit(code), cset)
        put(a, "1.1", appraised_value=D(1))  # lost 1 each
        put(a, "1.2", appraised_value=D(0))  # lost 2 each
        put(a, "2.1", appraised_value=D("0.5"))  # lost 1.5 each; survey leaf 1.3 without score: lost 2 each
    results_compute(round=rnd)
    return rnd


def codes(response):
    return [r[1] for r in table(response, "weak-criteria")]


def test_weak_criteria_filter_by_field(client, weak, coordinator):
    assert codes(get(client, coordinator, "reports:weak_criteria", weak.pk, group="SO")) == [
        "1.2",
        "1.3",
        "2.1",
        "1.1",
    ]
    assert codes(get(client, coordinator, "reports:weak_criteria", weak.pk, group="SO", field="1")) == [
        "1.2",
        "1.3",
        "1.1",
    ]
    assert codes(get(client, coordinator, "reports:weak_criteria", weak.pk, group="SO", field="2")) == ["2.1"]
    # An unknown field: every field.
    assert len(codes(get(client, coordinator, "reports:weak_criteria", weak.pk, group="SO", field="9"))) == 4


@pytest.mark.parametrize("top, expected", [("10", 4), ("all", 4), ("bogus", 4)])
def test_weak_criteria_top_n_choices(top, expected, client, weak, coordinator):
    response = get(client, coordinator, "reports:weak_criteria", weak.pk, group="SO", top=top)
    assert len(codes(response)) == expected
    assert 'id="weak-top"' in response.content.decode()


def test_weak_criteria_top_n_cuts_the_list(weak, coordinator):
    from reports.results.selectors import weak_criteria

    so = unit("SCT").group
    assert [r["code"] for r in weak_criteria(user=coordinator, round=weak, group=so, limit=2)] == [
        "1.2",
        "1.3",
    ]
    from criteria.models import Criterion

    field2 = Criterion.objects.get(criteria_set__round_sets__round=weak, parent=None, code="2")
    assert [r["code"] for r in weak_criteria(user=coordinator, round=weak, group=so, field=field2)] == ["2.1"]
