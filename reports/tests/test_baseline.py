"""Year-over-year through lineage (issue 13 item 2): the one rule of ``reports.results.baseline`` against
hand-computed baselines — a rename continues the series, a 3-into-1 merger is compared with the mean of its
predecessors' published indices, a new unit has none, a split, a chain rename → merger, a cycle — and the pages
and exports that use it: the rankings' Δ, the province's targets, a unit's trend, the workbook."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Assessment, RoundState
from reports.exports import builders as exports
from reports.models import Result
from reports.province import selectors as province
from reports.results import baseline
from reports.results.baseline import MERGED, MISSING, NEW, RENAMED, SAME, SPLIT
from units.models import Unit, UnitGroup

from .conftest import MINI_SET, build_set, make_round
from .test_results_pages import table

D = Decimal
#: Units formed by the reorganisation of 1 July 2025 (they did not exist in 2024).
FORMED = datetime.date(2025, 7, 1)


@pytest.fixture
def xa(db):
    group, _ = UnitGroup.objects.get_or_create(code="XA", defaults={"name": "UBND cấp xã", "order": 5})
    return group


@pytest.fixture
def sets(xa):
    return {2024: build_set("XA", MINI_SET, year=2024), 2025: build_set("XA", MINI_SET, year=2025)}


@pytest.fixture
def rounds(sets):
    """Round 2024 (published) and 2025 (published) of the commune group."""
    return {year: make_round([cset], year=year, state=RoundState.PUBLISHED) for year, cset in sets.items()}


def commune(code, name=None, *, predecessors=(), valid_from=None, group=None):
    u = Unit.objects.create(
        code=code,
        name=name or f"Xã {code}",
        group=group or UnitGroup.objects.get(code="XA"),
        valid_from=valid_from,
    )
    u.predecessors.add(*predecessors)
    return u


def result(rnd, u, index, *, rank=None, grade="B") -> Result:
    """A hand-made result of ``u`` in ``rnd``: PAR Index ``index`` (%)."""
    cset = rnd.round_sets.get().criteria_set
    return Result.objects.create(
        round=rnd,
        assessment=Assessment.objects.create(round=rnd, unit=u, criteria_set=cset),
        unit=u,
        group=cset.group,
        achieved=D(index),
        bonus=0,
        penalty=0,
        total=D(index),
        applicable_max=100,
        par_index=D(index),
        grade=grade,
        rank=rank,
        provisional=False,
        computed_at=timezone.now(),
    )


def of(rounds, *units):
    return baseline.baselines(previous=rounds[2024], units=[u.pk for u in units])


# ---------------------------------------------------------------- the rule


def test_a_unit_with_its_own_previous_result_is_compared_with_it(rounds):
    a = commune("A")
    result(rounds[2024], a, "80.00", rank=3)
    b = of(rounds, a)[a.pk]
    assert (b.kind, b.index, b.previous_rank, b.predecessors) == (SAME, D("80.00"), 3, ())
    assert b.change(D("82.50")) == D("2.50") and b.rank_change(1) == 2 and b.note == ""


def test_a_renamed_unit_continues_its_predecessors_series(rounds):
    old = commune("OLD", "Xã Cũ")
    result(rounds[2024], old, "78.50", rank=4, grade="C")
    new = commune("NEW", "Xã Mới", predecessors=[old], valid_from=FORMED)
    b = of(rounds, new)[new.pk]
    assert (b.kind, b.index, b.previous_rank) == (RENAMED, D("78.50"), 4)
    assert [(p.name, p.index, p.grade, p.rank) for p in b.predecessors] == [("Xã Cũ", D("78.50"), "C", 4)]
    assert b.note == "trước sắp xếp: Xã Cũ (78,50)"


def test_a_three_into_one_merger_is_compared_with_the_mean_of_its_predecessors(rounds):
    parts = [commune(code, f"Xã {code}") for code in ("P1", "P2", "P3")]
    for p, index, rank in zip(parts, ("80.00", "85.00", "90.00"), (3, 2, 1), strict=True):
        result(rounds[2024], p, index, rank=rank)
    merged = commune("M", predecessors=parts, valid_from=FORMED)
    b = of(rounds, merged)[merged.pk]
    assert (b.kind, b.index, b.previous_rank, b.published) == (MERGED, D("85.00"), None, 3)
    assert [(p.name, p.index, p.rank) for p in b.predecessors] == [
        ("Xã P1", D("80.00"), 3),
        ("Xã P2", D("85.00"), 2),
        ("Xã P3", D("90.00"), 1),
    ]
    assert b.note == "so với bình quân của: Xã P1 (80,00), Xã P2 (85,00), Xã P3 (90,00)"


def test_a_merger_with_an_unpublished_predecessor_averages_those_that_have_an_index(rounds):
    p1, p2, p3 = (commune(code, f"Xã {code}") for code in ("P1", "P2", "P3"))
    result(rounds[2024], p1, "78.50")
    result(rounds[2024], p2, "81.25")  # P3 was not assessed in 2024
    merged = commune("M", predecessors=[p1, p2, p3], valid_from=FORMED)
    b = of(rounds, merged)[merged.pk]
    # (78.50 + 81.25) / 2 = 79.875 → 79.88 (half up)
    assert (b.kind, b.index, b.published, len(b.predecessors)) == (MERGED, D("79.88"), 2, 3)
    assert b.note == ("so với bình quân của: Xã P1 (78,50), Xã P2 (81,25), Xã P3 (—) — 2/3 đơn vị có kết quả")


def test_a_new_unit_has_no_baseline_and_an_unassessed_old_one_says_so(rounds):
    new = commune("N", valid_from=FORMED)
    old = commune("U")  # existed in 2024 (no start date) but was not assessed
    orphan = commune("O", predecessors=[commune("Q")], valid_from=FORMED)  # its predecessor has no result
    got = of(rounds, new, old, orphan)
    assert (got[new.pk].kind, got[new.pk].index, got[new.pk].note) == (NEW, None, "đơn vị mới")
    assert (got[old.pk].kind, got[old.pk].index) == (MISSING, None)
    assert (got[orphan.pk].kind, got[orphan.pk].index) == (NEW, None)
    assert not any(b.compared for b in got.values()) and got[new.pk].change(D("90")) is None


def test_each_part_of_a_split_is_compared_with_the_whole_predecessor(rounds):
    whole = commune("W", "Xã Lớn")
    result(rounds[2024], whole, "70.00", rank=5)
    east = commune("E", predecessors=[whole], valid_from=FORMED)
    west = commune("WW", predecessors=[whole], valid_from=FORMED)
    got = of(rounds, east, west)
    for part in (east, west):
        b = got[part.pk]
        assert (b.kind, b.index, b.previous_rank) == (SPLIT, D("70.00"), None)
        assert b.note == "tách từ: Xã Lớn (70,00)"


def test_a_rename_then_a_merger_in_the_same_year_reaches_the_published_units(rounds):
    a, b = commune("A", "Xã A"), commune("B", "Xã B")
    result(rounds[2024], a, "60.00")
    result(rounds[2024], b, "71.00")
    a2 = commune("A2", "Xã A mới", predecessors=[a], valid_from=datetime.date(2025, 3, 1))
    c = commune("C", predecessors=[a2, b], valid_from=FORMED)
    got = of(rounds, c)[c.pk]
    assert (got.kind, got.index) == (MERGED, D("65.50"))
    assert [p.name for p in got.predecessors] == ["Xã A", "Xã B"]


def test_a_cycle_in_lineage_ends_the_walk(rounds, django_assert_num_queries):
    a = commune("A", "Xã A")
    b = commune("B", "Xã B", predecessors=[a])
    a.predecessors.add(b)  # a bad cycle: A ← B ← A
    c = commune("C", predecessors=[b], valid_from=FORMED)
    with django_assert_num_queries(1):
        got = of(rounds, c, a)
    assert got[c.pk].kind == NEW and [p.name for p in got[c.pk].predecessors] == ["Xã B"]
    result(rounds[2024], a, "50.00")
    # B has two successors (A, through the cycle, and C): C is a part of B, compared with A's index behind it
    assert (of(rounds, c)[c.pk].kind, of(rounds, c)[c.pk].index) == (SPLIT, D("50.00"))


def test_the_rule_costs_one_query_whatever_the_number_of_units(rounds, django_assert_num_queries):
    previous = rounds[2024]
    olds = [commune(f"O{n}") for n in range(30)]
    for n, u in enumerate(olds):
        result(previous, u, str(50 + n))
    news = [commune(f"N{n}", predecessors=olds[n * 3 : n * 3 + 3], valid_from=FORMED) for n in range(10)]
    current = rounds[2025]
    for u in news:
        result(current, u, "90")
    with django_assert_num_queries(1):
        got = baseline.baselines(
            previous=previous, units=Result.objects.filter(round=current).values("unit_id")
        )
    assert [got[u.pk].index for u in news[:2]] == [D("51.00"), D("54.00")]


def test_nobody_is_compared_with_an_unpublished_round(rounds, django_assert_num_queries):
    a = commune("A")
    result(rounds[2024], a, "80")
    rounds[2024].state = RoundState.OPEN
    with django_assert_num_queries(0):
        assert baseline.baselines(previous=rounds[2024], units=[a.pk]) == {}


# ---------------------------------------------------------------- the pages and exports that use it


@pytest.fixture
def reorganised(units, rounds):
    """2024: P1 80, P2 85, P3 90, "Xã Cũ" 78.50, "Xã Giữ" 70 (ranks 3, 2, 1, 4, 5). On 1 July 2025 P1–P3 merged
    into "Xã Hợp", "Xã Cũ" was renamed "Xã Mới" and "Xã Lập" was founded. 2025: Hợp 86 (rank 1), Mới 80 (2), Lập
    75 (3), Giữ 69 (4)."""
    old, new = rounds[2024], rounds[2025]
    parts = [commune(f"P{n}", f"Xã P{n}") for n in (1, 2, 3)]
    cu, giu = commune("CU", "Xã Cũ"), commune("GIU", "Xã Giữ")
    for u, index, rank in zip(
        [*parts, cu, giu], ("80", "85", "90", "78.50", "70"), (3, 2, 1, 4, 5), strict=True
    ):
        result(old, u, index, rank=rank)
    hop = commune("HOP", "Xã Hợp", predecessors=parts, valid_from=FORMED)
    moi = commune("MOI", "Xã Mới", predecessors=[cu], valid_from=FORMED)
    lap = commune("LAP", "Xã Lập", valid_from=FORMED)
    made = {}
    for u, index, rank in zip([hop, moi, lap, giu], ("86", "80", "75", "69"), (1, 2, 3, 4), strict=True):
        made[u.code] = result(new, u, index, rank=rank)
    return made


def test_the_ranking_compares_merged_renamed_and_new_units(client, reorganised, rounds, coordinator):
    client.force_login(coordinator)
    url = reverse("reports:rankings", args=[rounds[2025].pk])
    response = client.get(url, {"group": "XA"})
    rows = {r[1]: (r[-2], r[-1]) for r in table(response, "rankings")}
    assert rows == {
        "Xã Hợp so với bình quân của: Xã P1 (80,00), Xã P2 (85,00), Xã P3 (90,00)": ("+1,00", ""),
        "Xã Mới trước sắp xếp: Xã Cũ (78,50)": ("+1,50", "+2"),  # rank 4 → 2
        "Xã Lập": ("đơn vị mới", ""),
        "Xã Giữ": ("−1,00", "+1"),  # rank 5 → 4
    }
    by_change = client.get(url, {"group": "XA", "sort": "-d_index"})
    assert [r.unit.code for r in by_change.context["page"]] == ["MOI", "HOP", "GIU", "LAP"]


def test_the_province_target_counts_lineage_and_leaves_new_units_out(reorganised, rounds, make_user, client):
    leader = make_user("leader", "UBNDT")
    t = {t.year: t for t in province.unit_targets(user=leader)}[2025]
    # Hợp 86 > 85 (mean), Mới 80 > 78.50, Giữ 69 < 70; Lập is new: in neither count
    assert (t.units, t.compared, t.improved, t.new_units, t.improvement_status) == (
        4,
        3,
        2,
        1,
        province.NOT_MET,
    )
    assert [(u.unit_name, u.previous_index, u.change) for u in t.not_improved] == [
        ("Xã Giữ", D("70.00"), D("-1.00"))
    ]
    Result.objects.filter(pk=reorganised["GIU"].pk).update(par_index=D("71"))
    t = {t.year: t for t in province.unit_targets(user=leader)}[2025]
    assert (t.compared, t.improved, t.improvement_status) == (
        3,
        3,
        province.MET,
    )  # every unit above its baseline
    client.force_login(leader)
    html = client.get(reverse("reports:province")).content.decode()
    assert '<span class="improved-count">3/3</span>' in html and '<span class="new-units">1</span>' in html


def test_a_merged_unit_below_its_baseline_is_listed_with_its_predecessors(reorganised, make_user):
    Result.objects.filter(pk=reorganised["HOP"].pk).update(par_index=D("84.50"))
    t = {t.year: t for t in province.unit_targets(user=make_user("leader", "UBNDT"))}[2025]
    hop = next(u for u in t.not_improved if u.unit_name == "Xã Hợp")
    assert (hop.previous_index, hop.change) == (D("85.00"), D("-0.50"))
    assert hop.compared_with.startswith("so với bình quân của: Xã P1 (80,00)")


def test_a_units_trend_shows_its_predecessors_years(client, reorganised, coordinator):
    client.force_login(coordinator)
    moi = client.get(reverse("reports:unit_result", args=[reorganised["MOI"].pk]))
    assert [(r[0], r[1], r[3]) for r in table(moi, "trend")] == [
        ("2024 trước sắp xếp: Xã Cũ (78,50)", "78,50", "4"),
        ("2025", "80,00", "2"),
    ]
    assert moi.context["chart"]["trend"] == [78.5, 80.0]
    hop = client.get(reverse("reports:unit_result", args=[reorganised["HOP"].pk]))
    assert [r[1] for r in table(hop, "trend")] == ["85,00", "86,00"]
    assert "so với bình quân của: Xã P1 (80,00), Xã P2 (85,00), Xã P3 (90,00)" in table(hop, "trend")[0][0]
    lap = client.get(reverse("reports:unit_result", args=[reorganised["LAP"].pk]))
    assert [r[0] for r in table(lap, "trend")] == ["2025"]


def test_the_workbook_compares_with_the_predecessors(reorganised, rounds, coordinator):
    xa = UnitGroup.objects.get(code="XA")
    [t] = exports.ranking_tables(user=coordinator, round=rounds[2025], groups=[xa])
    assert exports.headers(t)[-3:] == ["Chỉ số năm 2024 (%)", "Δ Chỉ số (điểm %)", "So sánh với"]
    wb = load_workbook(io.BytesIO(exports.rankings_workbook([t], round=rounds[2025])))
    rows = [r for r in wb.active.iter_rows(min_row=7, values_only=True) if r[0] is not None]
    assert [(r[1], r[-3], r[-2], r[-1]) for r in rows] == [
        ("Xã Hợp", 85.0, 1.0, "so với bình quân của: Xã P1 (80,00), Xã P2 (85,00), Xã P3 (90,00)"),
        ("Xã Mới", 78.5, 1.5, "trước sắp xếp: Xã Cũ (78,50)"),
        ("Xã Lập", None, None, "đơn vị mới"),
        ("Xã Giữ", 70.0, -1.0, None),
    ]
    html = exports.rankings_html([t], round=rounds[2025])
    assert "So sánh với" in html and "+1,50" in html and "đơn vị mới" in html


def test_lineage_adds_no_query_per_unit(reorganised, rounds, make_user, django_assert_num_queries):
    leader = make_user("leader", "UBNDT")
    province.unit_targets(user=leader)  # reads (and keeps on the user) the leader's roles
    with django_assert_num_queries(6):  # as without lineage (test_province_unit_targets)
        province.unit_targets(user=leader)
    more = [commune(f"Q{n}", predecessors=[commune(f"QQ{n}")], valid_from=FORMED) for n in range(5)]
    for u in more:
        result(rounds[2025], u, "60")
    with django_assert_num_queries(6):
        t = {t.year: t for t in province.unit_targets(user=leader)}[2025]
    assert (t.units, t.new_units) == (9, 6)
