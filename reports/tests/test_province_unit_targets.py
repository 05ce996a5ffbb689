"""Targets for the province's units (issue 6 item 5; 004 Phần II §I.1) on the province page: every unit above its
own previous year, and the mean index of the units above the province's index published for the previous year —
per published round, per unit group, from the database, for the users who may see the results."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, RoundState
from reports.models import ProvinceResult, Result
from reports.province import selectors
from reports.results.services import results_compute
from units.models import Unit, UnitGroup

from .conftest import MINI_SET, add_assessment, build_set, make_round, put, unit

D = Decimal
MET, NOT_MET, UNKNOWN = selectors.MET, selectors.NOT_MET, selectors.UNKNOWN

#: Hand-made PAR Index (%) of each unit: {year: {unit code: index}} — departments (SO) and districts (HUYEN).
#: 2026: SCT rose, STC held, STP fell, SNV is new; both districts rose. Means: 2025 70.00 (all), 2026 73.33 (all:
#: 440 / 6), SO 78.75, HUYEN 62.50.
INDICES = {
    2025: {"SCT": "80", "STC": "90", "STP": "70", "TPST": "60", "TXVC": "50"},
    2026: {"SCT": "85", "STC": "90", "STP": "65", "SNV": "75", "TPST": "70", "TXVC": "55"},
}


@pytest.fixture
def sets(units):
    """One small criteria set per group used (SO, HUYEN, XA); the results are hand-made, the sets only anchor them."""
    return {code: build_set(code, MINI_SET, year=2025) for code in ("SO", "HUYEN", "XA")}


def add_result(rnd, code, index, sets) -> Result:
    """A hand-made result of unit ``code`` in ``rnd`` with PAR Index ``index`` (%)."""
    u = unit(code)
    cset = sets[u.group.code]
    assessment = Assessment.objects.create(round=rnd, unit=u, criteria_set=cset)
    return Result.objects.create(
        round=rnd,
        assessment=assessment,
        unit=u,
        group=cset.group,
        achieved=D(index),
        bonus=0,
        penalty=0,
        total=D(index),
        applicable_max=100,
        par_index=D(index),
        provisional=rnd.state != RoundState.PUBLISHED,
        computed_at=timezone.now(),
    )


def make_year(year, indices, sets, state=RoundState.PUBLISHED):
    rnd = make_round(sets.values(), year=year, state=state)
    for code, index in indices.items():
        add_result(rnd, code, index, sets)
    return rnd


@pytest.fixture
def two_years(sets):
    """Rounds 2025 and 2026, both published, with ``INDICES``."""
    return [make_year(year, indices, sets) for year, indices in INDICES.items()]


@pytest.fixture
def leader(units, make_user):
    return make_user("leader", "UBNDT")


def by_year(targets):
    return {t.year: t for t in targets}


def groups_of(t):
    return {UnitGroup.objects.get(pk=g.group_id).code: g for g in t.groups}


# --- the selector ---------------------------------------------------------------------------------------


def test_improved_units_are_counted_and_those_that_did_not_are_listed(two_years, leader):
    ProvinceResult.objects.create(year=2025, overall_percent=D("74.00"))
    targets = selectors.unit_targets(user=leader)
    assert [t.year for t in targets] == [2026, 2025]  # newest first
    t = by_year(targets)[2026]
    assert (t.units, t.compared, t.improved, t.not_compared) == (6, 5, 3, 1)  # SNV has no 2025 result
    assert t.improvement_status == NOT_MET
    # worst change first: STP fell 5 points, STC held (equal is not higher)
    assert [(u.unit_name, u.index, u.previous_index, u.change) for u in t.not_improved] == [
        (unit("STP").name, D("65.00"), D("70.00"), D("-5.00")),
        (unit("STC").name, D("90.00"), D("90.00"), D("0.00")),
    ]
    assert t.not_improved_more == 0 and t.not_improved_count == 2
    groups = groups_of(t)
    assert list(groups) == ["SO", "HUYEN"]  # the groups' order
    so, huyen = groups["SO"], groups["HUYEN"]
    assert (so.units, so.compared, so.improved, so.improvement_status) == (4, 3, 1, NOT_MET)
    assert (huyen.units, huyen.compared, huyen.improved, huyen.improvement_status) == (2, 2, 2, MET)


def test_the_first_year_has_nothing_to_compare(two_years, leader):
    t = by_year(selectors.unit_targets(user=leader))[2025]
    assert (t.units, t.compared, t.improved, t.improvement_status, t.not_improved) == (5, 0, 0, UNKNOWN, [])
    assert t.mean == D("70.00") and t.province_year == 2024
    assert (t.province_percent, t.mean_status) == (None, UNKNOWN)  # no figure of 2024: never invented
    assert {g.improvement_status for g in t.groups} == {UNKNOWN} and {g.mean_status for g in t.groups} == {
        UNKNOWN
    }


def test_every_unit_improved_is_met(sets, leader):
    make_year(2025, {"SCT": "80", "TPST": "60"}, sets)
    make_year(2026, {"SCT": "80.01", "TPST": "61"}, sets)
    t = by_year(selectors.unit_targets(user=leader))[2026]
    assert (t.compared, t.improved, t.improvement_status, t.not_improved) == (2, 2, MET, [])


@pytest.mark.parametrize(
    "province,overall,so,huyen",
    [
        ("74.00", NOT_MET, MET, NOT_MET),  # mean 73.33; SO 78.75, HUYEN 62.50
        ("73.32", MET, MET, NOT_MET),
        ("73.33", NOT_MET, MET, NOT_MET),  # equal is not higher
        ("62.49", MET, MET, MET),
        (None, UNKNOWN, UNKNOWN, UNKNOWN),  # the year is recorded without its overall figure
    ],
)
def test_the_mean_is_compared_with_the_province_index_of_the_year_before(
    two_years, leader, province, overall, so, huyen
):
    ProvinceResult.objects.create(
        year=2025, overall_percent=None if province is None else D(province), rank=20
    )
    ProvinceResult.objects.create(
        year=2026, overall_percent=D("10")
    )  # the same year's figure is not the target
    t = by_year(selectors.unit_targets(user=leader))[2026]
    assert (t.mean, t.province_year, t.province_percent) == (
        D("73.33"),
        2025,
        None if province is None else D(province),
    )
    assert t.mean_status == overall
    groups = groups_of(t)
    assert (groups["SO"].mean, groups["HUYEN"].mean) == (D("78.75"), D("62.50"))
    assert (groups["SO"].mean_status, groups["HUYEN"].mean_status) == (so, huyen)


def test_the_mean_is_rounded_half_up(sets, leader):
    make_year(2026, {"SCT": "80.01", "STC": "80.00"}, sets)  # 80.005
    ProvinceResult.objects.create(year=2025, overall_percent=D("80.00"))
    t = selectors.unit_targets(user=leader)[0]
    assert (t.mean, t.mean_status) == (D("80.01"), MET)


def test_at_most_20_units_are_listed(sets, leader):
    codes = list(
        Unit.objects.filter(group__code__in=["SO", "XA"]).order_by("code").values_list("code", flat=True)
    )
    assert len(codes) > selectors.NOT_IMPROVED_LISTED
    make_year(2025, {code: "90" for code in codes}, sets)
    make_year(
        2026, {code: f"{60 + i * 0.2:.1f}" for i, code in enumerate(codes)}, sets
    )  # every one fell, the first most
    t = by_year(selectors.unit_targets(user=leader))[2026]
    assert (t.compared, t.improved, t.not_improved_count) == (len(codes), 0, len(codes))
    assert [u.unit_name for u in t.not_improved] == [
        unit(c).name for c in codes[: selectors.NOT_IMPROVED_LISTED]
    ]
    assert t.not_improved_more == len(codes) - selectors.NOT_IMPROVED_LISTED


def test_results_of_results_compute_are_used(mini_set, leader):
    """The snapshot written by the one computation feeds the checks (a real round, not hand-made rows)."""
    indices = {}
    for year, points in ((2025, "1"), (2026, "2")):
        rnd = make_round([mini_set], year=year, state=RoundState.PUBLISHED)
        put(add_assessment(rnd, unit("SCT"), mini_set), "3.1", appraised_value=D(points))
        results_compute(round=rnd)
        indices[year] = Result.objects.get(round=rnd).par_index
    assert indices == {2025: D("5.00"), 2026: D("10.00")}
    t = by_year(selectors.unit_targets(user=leader))[2026]
    assert (t.compared, t.improved, t.improvement_status, t.mean) == (1, 1, MET, D("10.00"))


# --- who sees what --------------------------------------------------------------------------------------


def test_an_unpublished_round_is_not_shown_even_to_the_coordinator(two_years, sets, coordinator, leader):
    make_year(2027, {"SCT": "99.99", "STC": "11.11"}, sets, state=RoundState.OPEN)
    for user in (coordinator, leader):
        assert [t.year for t in selectors.unit_targets(user=user)] == [2026, 2025]


def test_an_unpublished_previous_year_is_not_compared(sets, coordinator):
    make_year(2025, {"SCT": "95", "STC": "95"}, sets, state=RoundState.OPEN)
    make_year(2026, {"SCT": "80", "STC": "70"}, sets)
    [t] = selectors.unit_targets(user=coordinator)
    assert (t.year, t.units, t.compared, t.improvement_status, t.not_improved) == (2026, 2, 0, UNKNOWN, [])
    assert t.mean == D("75.00")


def test_a_user_without_a_role_sees_no_unit_figures(two_years, make_user, client, django_assert_num_queries):
    user = make_user(None)
    selectors.unit_targets(user=user)  # reads the (no) roles
    with django_assert_num_queries(0):
        assert selectors.unit_targets(user=user) == []
    client.force_login(user)
    response = client.get(reverse("reports:province"))
    html = response.content.decode()
    assert response.status_code == 200 and 'id="unit-targets-empty"' in html
    assert 'id="unit-targets-2026"' not in html and unit("SCT").name not in html


# --- the page -------------------------------------------------------------------------------------------


def test_the_page_shows_the_unit_targets(two_years, sets, leader, client):
    ProvinceResult.objects.create(year=2025, overall_percent=D("74.00"), rank=20)
    make_year(2027, {"SCT": "99.99", "STC": "11.11"}, sets, state=RoundState.OPEN)
    client.force_login(leader)
    response = client.get(reverse("reports:province"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mục tiêu đối với các đơn vị của tỉnh" in html
    assert 'id="unit-targets-2026"' in html and 'id="unit-targets-2025"' in html
    assert html.index('id="unit-targets-2026"') < html.index('id="unit-targets-2025"')
    assert 'id="unit-targets-2027"' not in html and "99,99" not in html and "11,11" not in html
    assert 'id="unit-targets-2026-improved" class="target-not_met"' in html
    assert '<span class="improved-count">3/5</span>' in html
    assert 'id="unit-targets-2026-mean" class="target-not_met"' in html
    assert (
        '<span class="unit-mean">73,33</span>' in html
        and '<span class="province-percent">74,00</span>' in html
    )
    assert 'id="unit-targets-2025-mean" class="target-unknown"' in html
    assert '<span class="province-percent">chưa có số liệu</span>' in html
    listing = html[
        html.index('id="unit-targets-2026-not-improved"') : html.index('id="unit-targets-2026-groups"')
    ]
    assert unit("STP").name in listing and unit("STC").name in listing and unit("SCT").name not in listing
    assert "-5,00" in listing
    groups = html[html.index('id="unit-targets-2026-groups"') : html.index('id="unit-targets-2025"')]
    huyen = UnitGroup.objects.get(code="HUYEN")
    row = groups[groups.index(f'id="unit-targets-2026-group-{huyen.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "2/2" in row and 'class="improved-met"' in row and "62,50" in row and 'class="mean-not_met"' in row


def test_the_coordinator_does_not_see_an_unpublished_round_there(two_years, sets, coordinator, client):
    make_year(2027, {"SCT": "99.99"}, sets, state=RoundState.OPEN)
    client.force_login(coordinator)
    html = client.get(reverse("reports:province")).content.decode()
    assert 'id="unit-targets-2026"' in html and 'id="unit-targets-2027"' not in html


def test_the_listing_ends_with_an_ellipsis(sets, leader, client):
    codes = list(
        Unit.objects.filter(group__code__in=["SO", "XA"]).order_by("code").values_list("code", flat=True)
    )
    make_year(2025, {code: "90" for code in codes}, sets)
    make_year(2026, {code: "80" for code in codes}, sets)
    client.force_login(leader)
    html = client.get(reverse("reports:province")).content.decode()
    more = len(codes) - selectors.NOT_IMPROVED_LISTED
    assert f"… ({more} đơn vị khác)" in html


def test_the_section_costs_a_constant_number_of_queries(sets, leader, client, django_assert_num_queries):
    make_year(2025, {"SCT": "80", "TPST": "60"}, sets)
    make_year(2026, {"SCT": "70", "TPST": "65"}, sets)
    make_year(2027, {"SCT": "75"}, sets, state=RoundState.OPEN)
    ProvinceResult.objects.create(year=2025, overall_percent=D("70"))
    selectors.unit_targets(user=leader)  # reads (and keeps on the user) the leader's roles
    # published rounds, aggregates, listed units, the units without their own previous result and their baselines
    # through lineage (reports.results.baseline: 2 more since issue 13), province figures
    with django_assert_num_queries(6):
        selectors.unit_targets(user=leader)
    client.force_login(leader)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:province"))
    make_round([], year=2023, state=RoundState.PUBLISHED)  # a published round without results changes nothing
    rounds = {r.year: r for r in AssessmentRound.objects.filter(year__in=[2025, 2026])}
    codes = Unit.objects.filter(group__code__in=["SO", "XA", "HUYEN"]).exclude(code__in=["SCT", "TPST"])
    for i, code in enumerate(codes.values_list("code", flat=True)):
        add_result(rounds[2025], code, "50", sets)
        add_result(rounds[2026], code, str(40 + i % 20), sets)
    with django_assert_num_queries(6):
        targets = selectors.unit_targets(user=leader)
    assert targets[0].units > 40 and len(targets[0].not_improved) == selectors.NOT_IMPROVED_LISTED
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("reports:province"))
    assert response.status_code == 200
