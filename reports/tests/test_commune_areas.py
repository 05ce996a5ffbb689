"""The commune group's rankings by area (issue 13 item 5): the area rule (a commune's district; its former district
through lineage after 1 July 2025), the ranked table within an area with the rank in the area beside the rank in
the group, the per-area summary, the group's weak criteria, constant query counts and who sees what.

The hand-made case: districts D1, D2; communes C1, C2 (D1) and C3, C4 (D2) in 2024; on 1 July 2025 M1 is formed
from C1, C2, C3 (two of D1, one of D2: D1 holds most) and M2 from C4. MINI_SET (20 points), bands A ≥ 18 %,
B ≥ 14 %, C ≥ 11 %, D ≥ 0 %:

    2024  C1 3.1 = 4          → 20.00 % A, rank 1   (D1: 1)
          C2 3.1 = 3          → 15.00 % B, rank 2   (D1: 2)
          C3 1.1 = 2, 1.2 = 1 → 15.00 % B, rank 2   (D2: 1)
          C4 1.1 = 2, 1.2 = .5 → 12.50 % C, rank 4  (D2: 2)
    2025  M1 1.1 = 2          → 10.00 %, baseline mean(C1, C2, C3) = 16.67
          M2 3.1 = 4          → 20.00 %
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import AssessmentState, RoundState
from reports.results.services import results_compute
from units.models import Unit, UnitGroup
from units.reorganisation.selectors import area_of

from .conftest import MINI_SET, add_assessment, build_set, make_round, put, unit
from .test_results_pages import get, publish, table

D = Decimal
BANDS = (("A", 18), ("B", 14), ("C", 11), ("D", 0))
JULY = datetime.date(2025, 7, 1)
JUNE_END = datetime.date(2025, 6, 30)


def _unit(code, group, *, parent=None, order=0, valid_from=None, valid_to=None, predecessors=()):
    u = Unit.objects.create(
        code=code,
        name=f"Ủy ban nhân dân {code}",
        short_name=f"Đơn vị {code}",
        group=UnitGroup.objects.get(code=group),
        parent=parent,
        order=order,
        valid_from=valid_from,
        valid_to=valid_to,
        is_active=valid_to is None,
    )
    u.predecessors.set(predecessors)
    return u


@pytest.fixture
def communes(units):
    """The districts, the 2024 communes and the 2025 ones (module docstring)."""
    d1 = _unit("TD1", "HUYEN", order=1, valid_to=JUNE_END)
    d2 = _unit("TD2", "HUYEN", order=2, valid_to=JUNE_END)
    c = {
        code: _unit(code, "XA", parent=parent, valid_to=JUNE_END)
        for code, parent in (("TC1", d1), ("TC2", d1), ("TC3", d2), ("TC4", d2))
    }
    m1 = _unit("TM1", "XA", valid_from=JULY, predecessors=[c["TC1"], c["TC2"], c["TC3"]])
    m2 = _unit("TM2", "XA", valid_from=JULY, predecessors=[c["TC4"]])
    return {"TD1": d1, "TD2": d2, **c, "TM1": m1, "TM2": m2}


def _score(rnd, cset, unit, **leaves):
    a = add_assessment(rnd, unit, cset)
    for leaf, points in leaves.items():
        put(a, leaf.replace("_", "."), appraised_value=D(points))
    return a


@pytest.fixture
def commune_rounds(communes):
    """Round 2024 (published) and round 2025 (open, every assessment appraised) of the module docstring."""
    set24 = build_set("XA", MINI_SET, year=2024, bands=BANDS)
    r24 = make_round([set24], year=2024, state=RoundState.PUBLISHED)
    _score(r24, set24, communes["TC1"], **{"3_1": 4})
    _score(r24, set24, communes["TC2"], **{"3_1": 3})
    _score(r24, set24, communes["TC3"], **{"1_1": 2, "1_2": 1})
    _score(r24, set24, communes["TC4"], **{"1_1": 2, "1_2": "0.5"})
    results_compute(round=r24)
    set25 = build_set("XA", MINI_SET, year=2025, bands=BANDS)
    r25 = make_round([set25], year=2025)
    _score(r25, set25, communes["TM1"], **{"1_1": 2})
    _score(r25, set25, communes["TM2"], **{"3_1": 4})
    r25.assessments.update(state=AssessmentState.APPRAISED)
    results_compute(round=r25)
    return r24, r25


# ---------------------------------------------------------------- the area rule


def test_a_commune_belongs_to_its_district_and_a_merged_one_to_the_district_of_most_predecessors(
    communes, django_assert_num_queries
):
    ids = [communes[code].pk for code in ("TC1", "TC2", "TC3", "TC4", "TM1", "TM2")]
    with django_assert_num_queries(2):
        areas = area_of(ids)
    assert {Unit.objects.get(pk=pk).code: a.code for pk, a in areas.items()} == {
        "TC1": "TD1",
        "TC2": "TD1",
        "TC3": "TD2",
        "TC4": "TD2",
        "TM1": "TD1",  # 2 predecessors of D1, 1 of D2
        "TM2": "TD2",
    }


def test_a_tie_goes_to_the_district_first_in_order_and_chains_and_cycles_are_walked(communes):
    d1, d2 = communes["TD1"], communes["TD2"]
    Unit.objects.filter(pk=d2.pk).update(order=0)  # D2 now comes before D1
    tie = _unit("TTIE", "XA", valid_from=JULY, predecessors=[communes["TC1"], communes["TC4"]])
    renamed = _unit("TREN", "XA", valid_from=datetime.date(2026, 1, 1), predecessors=[communes["TM1"]])
    alone = _unit("TNEW", "XA", valid_from=JULY)
    x = _unit("TX", "XA")
    y = _unit("TY", "XA", predecessors=[x])
    x.predecessors.set([y])  # a cycle, no parent anywhere
    areas = area_of([tie.pk, renamed.pk, alone.pk, x.pk, y.pk])
    assert areas[tie.pk] == d2  # one predecessor each: the district first in the units' order
    assert areas[renamed.pk] == d1  # through TM1 to C1, C2 (D1) and C3 (D2)
    assert areas[alone.pk] is None and areas[x.pk] is None and areas[y.pk] is None
    assert area_of([]) == {}


def test_the_area_rule_reads_the_same_queries_for_3_and_30_communes(communes, django_assert_num_queries):
    d1, d2 = communes["TD1"], communes["TD2"]
    old = [_unit(f"TO{n}", "XA", parent=d1 if n % 3 else d2, valid_to=JUNE_END) for n in range(60)]
    new = [_unit(f"TN{n}", "XA", valid_from=JULY, predecessors=old[2 * n : 2 * n + 2]) for n in range(30)]
    for some in (new[:3], new):
        with django_assert_num_queries(2):
            areas = area_of([u.pk for u in some])
        assert len(areas) == len(some)
    # TN0 ← TO0 (D2), TO1 (D1): a tie, D1 first in order; TN1 ← TO2 (D1), TO3 (D2): D1
    assert areas[new[0].pk] == d1 and areas[new[1].pk] == d1


# ---------------------------------------------------------------- the rankings page


def _url(rnd):
    return reverse("reports:rankings", args=[rnd.pk])


def test_the_commune_rankings_filter_by_area_with_the_rank_in_the_area_beside_the_group_rank(
    client, commune_rounds, coordinator
):
    r24, _r25 = commune_rounds
    everything = get(client, coordinator, "reports:rankings", r24.pk, group="XA")
    assert [(r[0], r[1]) for r in table(everything, "rankings")] == [
        ("1", "Ủy ban nhân dân TC1"),
        ("2", "Ủy ban nhân dân TC2"),
        ("2", "Ủy ban nhân dân TC3"),
        ("4", "Ủy ban nhân dân TC4"),
    ]
    assert 'id="area-select"' in everything.content.decode()
    d2 = get(client, coordinator, "reports:rankings", r24.pk, group="XA", area="TD2")
    assert [(r[0], r[1]) for r in table(d2, "rankings")] == [
        ("1 (2)", "Ủy ban nhân dân TC3"),
        ("2 (4)", "Ủy ban nhân dân TC4"),
    ]
    assert d2.context["page"].paginator.count == 2
    assert [g[2] for g in d2.context["grades"]] == [0, 1, 1, 0]  # the area's grades: B (C3), C (C4)
    assert get(client, coordinator, "reports:rankings", r24.pk, group="XA", area="SNV").status_code == 404


def test_other_groups_have_no_area(client, commune_rounds, coordinator, mini_set):
    r24, _r25 = commune_rounds
    response = get(client, coordinator, "reports:rankings", r24.pk, group="XA")
    assert response.context["by_area"] is not None
    so_round = make_round([mini_set], year=2026)
    add_assessment(so_round, unit("SCT"), mini_set)
    results_compute(round=so_round)
    so = get(client, coordinator, "reports:rankings", so_round.pk, group="SO")
    assert so.context["by_area"] is None and 'id="area-summary"' not in so.content.decode()


def test_the_area_summary_counts_means_grades_best_and_worst(client, commune_rounds, coordinator):
    r24, _r25 = commune_rounds
    rows = table(get(client, coordinator, "reports:rankings", r24.pk, group="XA"), "area-summary")
    # area · units · mean · A B C D · best · worst
    assert rows == [
        [
            "Đơn vị TD1",
            "2",
            "17,50",
            "1",
            "1",
            "0",
            "0",
            "Ủy ban nhân dân TC1 (20,00)",
            "Ủy ban nhân dân TC2 (15,00)",
        ],
        [
            "Đơn vị TD2",
            "2",
            "13,75",
            "0",
            "1",
            "1",
            "0",
            "Ủy ban nhân dân TC3 (15,00)",
            "Ủy ban nhân dân TC4 (12,50)",
        ],
    ]


def test_merged_communes_are_in_their_former_district_and_compared_with_their_predecessors(
    client, commune_rounds, coordinator
):
    _r24, r25 = commune_rounds
    response = get(client, coordinator, "reports:rankings", r25.pk, group="XA")
    rows = table(response, "area-summary")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Đơn vị TD1 (cũ)", "1", "10,00"),  # TM1: 2 of its 3 predecessors were in D1
        ("Đơn vị TD2 (cũ)", "1", "20,00"),
    ]
    ranking = {r[1].split(" so với")[0]: r[1] for r in table(response, "rankings")}
    # TM1 against the mean of C1, C2, C3 (20.00, 15.00, 15.00 → 16.67)
    assert (
        "so với bình quân của: Ủy ban nhân dân TC1 (20,00), Ủy ban nhân dân TC2 (15,00), Ủy ban nhân dân TC3 (15,00)"
        in (ranking["Ủy ban nhân dân TM1"])
    )
    d1 = get(client, coordinator, "reports:rankings", r25.pk, group="XA", area="TD1")
    assert [r[0] for r in table(d1, "rankings")] == ["1 (2)"]


def test_the_commune_rankings_page_costs_the_same_queries_for_3_and_30_communes(
    client, communes, coordinator
):
    """2025 communes, each formed from two 2024 communes of alternating districts, all with results."""
    d1, d2 = communes["TD1"], communes["TD2"]
    set24 = build_set("XA", MINI_SET, year=2024, bands=BANDS)
    set25 = build_set("XA", MINI_SET, year=2025, bands=BANDS)
    r24 = make_round([set24], year=2024, state=RoundState.PUBLISHED)
    r25 = make_round([set25], year=2025, state=RoundState.PUBLISHED)

    def add(first, count):
        for n in range(first, first + count):
            old = [
                _unit(f"TO{2 * n + k}", "XA", parent=(d1, d2)[(n + k) % 2], valid_to=JUNE_END) for k in (0, 1)
            ]
            for k, u in enumerate(old):
                _score(r24, set24, u, **{"1_1": (n + k) % 3})
            _score(r25, set25, _unit(f"TN{n}", "XA", valid_from=JULY, predecessors=old), **{"3_1": n % 5})
        results_compute(round=r24)
        results_compute(round=r25)

    def count(**query):
        client.get(_url(r25), {"group": "XA", **query})
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(r25), {"group": "XA", **query}).status_code == 200
        return len(queries)

    client.force_login(coordinator)
    add(0, 3)
    small, small_area = count(), count(area="TD1")
    add(3, 27)
    assert (count(), count(area="TD1")) == (small, small_area)
    # the areas add a constant to the page: the areas (2), the ranked keys (1), the grade bands read once
    so_set = build_set("SO", MINI_SET, year=2026)
    so = make_round([so_set], year=2026)
    add_assessment(so, unit("SCT"), so_set)
    results_compute(round=so)
    client.get(_url(so), {"group": "SO"})
    with CaptureQueriesContext(connection) as queries:
        client.get(_url(so), {"group": "SO"})
    assert small - len(queries) <= 4


# ---------------------------------------------------------------- weak criteria of the commune group


def test_the_commune_groups_weak_criteria_are_linked_from_its_rankings(client, commune_rounds, coordinator):
    r24, _r25 = commune_rounds
    rankings = get(client, coordinator, "reports:rankings", r24.pk, group="XA").content.decode()
    weak_url = reverse("reports:weak_criteria", args=[r24.pk]) + "?group=XA"
    assert f'href="{weak_url}"' in rankings
    rows = [(r[1], r[4], r[5], r[6]) for r in table(client.get(weak_url), "weak-criteria")]
    # 3.3 (survey, 4 points): nobody has it, 4 × 4 lost; 3.1 (4 points): C2 lost 1, C3 and C4 4 each, 7/16 achieved
    assert rows[:2] == [("3.3", "4 / 4", "16,00", "0,00"), ("3.1", "3 / 4", "9,00", "43,75")]


# ---------------------------------------------------------------- who sees what


@pytest.mark.parametrize("who", ["leader", "commune officer", "no role"])
def test_commune_rankings_by_area_follow_the_results_rule(who, client, commune_rounds, make_user):
    _r24, r25 = commune_rounds
    user = {
        "leader": lambda: make_user("leader", "UBNDT"),
        "commune officer": lambda: make_user("officer", "TM1"),
        "no role": lambda: make_user(None),
    }[who]()
    assert get(client, user, "reports:rankings", r25.pk, group="XA", area="TD1").status_code == 404
    publish(r25)
    response = get(client, user, "reports:rankings", r25.pk, group="XA", area="TD1")
    assert response.status_code == (404 if who == "no role" else 200)
    if who != "no role":
        assert [r[0] for r in table(response, "area-summary")] == ["Đơn vị TD1 (cũ)", "Đơn vị TD2 (cũ)"]
