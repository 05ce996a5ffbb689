"""The units' results pages (issue 6 items 2–4): results index, rankings, a unit's result, weak criteria — who sees
what (provisional only for the coordinator and admins, 404 otherwise) and what the user reads on them."""

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from assessments.models import AssessmentState, RoundState
from reports.models import Result
from reports.results.selectors import top_lost_leaves
from reports.results.services import results_compute
from units.permissions import roles_of

from .conftest import MINI_SET, add_assessment, build_set, make_round, put, unit

D = Decimal

#: A small set for the weak-criteria checks: 3 counted appraisal/survey leaves in field 1, one in field 2, a bonus.
WEAK_SET = (
    ("1", 6, "", ""),
    ("1.1", 2, "appraisal", "range"),
    ("1.2", 2, "appraisal", "range"),
    ("1.3", 2, "survey", ""),
    ("2", 2, "", ""),
    ("2.1", 2, "appraisal", "range"),
    ("2.2", 1, "appraisal", "bonus"),
)


class _Table(HTMLParser):
    """The text of each cell of the table with id ``table_id``, by body row (header rows left out)."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.in_body, self.rows, self.cell = table_id, False, False, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if self.in_body and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(response, table_id) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(response.content.decode())
    return parser.rows


def publish(rnd):
    rnd.state = RoundState.PUBLISHED
    rnd.save(update_fields=["state"])
    results_compute(round=rnd)


@pytest.fixture
def rounds(mini_set):
    """Round 2025 (published) and round 2026 (open, provisional) of the departments (SO), MINI_SET (20 points).

    2025: SCT 4 points (20.00 %, rank 1), STC 2 (10.00 %, 2), STP 0.5 (2.50 %, 3); SNV not assessed.
    2026: SCT 2 (10.00 %, 1), STP 1 and STC 1 (5.00 %, 2 and 2), SNV 0.5 (2.50 %, 4), all appraised.
    """
    old_set = build_set("SO", MINI_SET, year=2025, bonus_cap=1, penalty_cap=2)
    old = make_round([old_set], year=2025, state=RoundState.PUBLISHED)
    for code, leaf, points in (("SCT", "3.1", 4), ("STC", "1.1", 2), ("STP", "1.2", D("0.5"))):
        put(add_assessment(old, unit(code), old_set), leaf, appraised_value=D(points))
    results_compute(round=old)
    new = make_round([mini_set], year=2026)
    for code, leaf, points in (
        ("SCT", "1.1", 2),
        ("STP", "1.1", 1),
        ("STC", "1.1", 1),
        ("SNV", "1.2", D("0.5")),
    ):
        put(add_assessment(new, unit(code), mini_set), leaf, appraised_value=D(points))
    new.assessments.update(state=AssessmentState.APPRAISED)  # all appraised: all ranked while provisional
    results_compute(round=new)
    return old, new


def result_of(rnd, code) -> Result:
    return Result.objects.get(round=rnd, unit__code=code)


def get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


# ---------------------------------------------------------------- results index


def test_index_lists_provisional_rounds_to_the_coordinator(client, rounds, coordinator):
    old, new = rounds
    response = get(client, coordinator, "reports:index")
    assert response.status_code == 200
    assert [(r.round.year, r.provisional) for r in response.context["rounds"]] == [
        (2026, True),
        (2025, False),
    ]
    assert "Tạm tính" in response.content.decode()
    assert reverse("reports:rankings", args=[new.pk]) + "?group=SO" in response.content.decode()


def test_index_lists_only_published_rounds_to_a_leader(client, rounds, make_user):
    old, new = rounds
    response = get(client, make_user("leader", "UBNDT"), "reports:index")
    assert [r.round.year for r in response.context["rounds"]] == [2025]
    assert reverse("reports:rankings", args=[new.pk]) not in response.content.decode()
    assert 'id="nav-rankings"' in response.content.decode()


def test_index_shows_nothing_and_no_menu_link_to_a_user_without_role(client, rounds, make_user):
    response = get(client, make_user(), "reports:index")
    assert response.context["rounds"] == []
    assert 'id="no-results"' in response.content.decode()
    assert 'id="nav-rankings"' not in response.content.decode()


def test_index_needs_login(client, rounds):
    assert client.get(reverse("reports:index")).status_code == 302


# ---------------------------------------------------------------- rankings


def test_coordinator_sees_the_provisional_ranking_with_shared_ranks(client, rounds, coordinator):
    old, new = rounds
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO")
    assert response.status_code == 200
    rows = table(response, "rankings")
    # "Tạm tính" is said once for the page (header badge), not on every row.
    assert [(r[0], r[1]) for r in rows] == [
        ("1", "Sở Công Thương"),
        ("2", "Sở Tài chính"),
        ("2", "Sở Tư pháp"),
        ("4", "Sở Nội vụ"),
    ]
    assert 'id="provisional-note"' in response.content.decode()
    # Components per field (header code + short name): SCT's field 1 is 2 of 6 points.
    assert rows[0][2:7] == ["10,00", "D", "33,33", "0,00", "0,00"]
    headers = [c["label"] for c in response.context["columns"]]
    assert headers[4:7] == ["1. Tiêu chí 1", "2. Tiêu chí 2", "3. Tiêu chí 3"]
    assert reverse("reports:unit_result", args=[result_of(new, "SCT").pk]) in response.content.decode()


def test_the_ranking_shows_the_change_from_the_previous_published_year(client, rounds, coordinator):
    old, new = rounds
    rows = {
        r[1]: (r[-2], r[-1])
        for r in table(get(client, coordinator, "reports:rankings", new.pk, group="SO"), "rankings")
    }
    # SCT 20 → 10 %, rank 1 → 1; STC 10 → 5 %, 2 → 2; STP 2.5 → 5 %, 3 → 2 (one place up); SNV had no result.
    assert rows == {
        "Sở Công Thương": ("−10,00", "0"),
        "Sở Tài chính": ("−5,00", "0"),
        "Sở Tư pháp": ("+2,50", "+1"),
        "Sở Nội vụ": ("", ""),
    }


def test_no_change_is_shown_when_the_previous_round_is_not_published(client, rounds, coordinator):
    old, new = rounds
    old.state = RoundState.OPEN
    old.save(update_fields=["state"])
    rows = table(get(client, coordinator, "reports:rankings", new.pk, group="SO"), "rankings")
    assert {(r[-2], r[-1]) for r in rows} == {("", "")}


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("-d_index", ["STP", "STC", "SCT", "SNV"]),  # +2.5, −5, −10, none last
        ("d_rank", ["SCT", "STC", "STP", "SNV"]),  # 0, 0 (by rank, name), +1, none last
        ("unit", ["SCT", "SNV", "STC", "STP"]),  # by name: Công Thương, Nội vụ, Tài chính, Tư pháp
        ("-index", ["SCT", "STC", "STP", "SNV"]),
        ("bogus", ["SCT", "STC", "STP", "SNV"]),  # unknown → by rank
    ],
)
def test_the_ranking_sorts_by_any_column(sort, expected, client, rounds, coordinator):
    old, new = rounds
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO", sort=sort)
    assert [r.unit.code for r in response.context["page"]] == expected


def test_the_ranking_sorts_by_a_component(client, rounds, coordinator):
    old, new = rounds
    put(new.assessments.get(unit__code="SNV"), "3.1", appraised_value=D(4))  # field 3: 4 of 10 → 40 %
    results_compute(round=new)
    field3 = next(
        f
        for f in get(client, coordinator, "reports:rankings", new.pk).context["ranking"].fields
        if f.code == "3"
    )
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO", sort=f"-f{field3.pk}")
    assert [r.unit.code for r in response.context["page"]][0] == "SNV"


def test_the_ranking_filters_by_unit_name_and_keeps_the_group_rank(client, rounds, coordinator):
    old, new = rounds
    rows = table(get(client, coordinator, "reports:rankings", new.pk, group="SO", q="Tư pháp"), "rankings")
    assert [(r[0], r[1]) for r in rows] == [("2", "Sở Tư pháp")]


def test_an_htmx_request_gets_the_table_only(client, rounds, coordinator):
    old, new = rounds
    client.force_login(coordinator)
    response = client.get(
        reverse("reports:rankings", args=[new.pk]),
        {"group": "SO", "q": "Nội"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ranking-table"') and "<html" not in body
    assert [r[1] for r in table(response, "rankings")] == ["Sở Nội vụ"]


def test_the_ranking_has_heatmap_chart_and_grade_distribution(client, rounds, coordinator):
    old, new = rounds
    response = get(client, coordinator, "reports:rankings", new.pk, group="SO")
    # The heatmap: the component indices of the table coloured by band.
    first = table(response, "rankings")[0]
    assert first[:3] == ["1", "Sở Công Thương", "10,00"] and first[4:7] == ["33,33", "0,00", "0,00"]
    assert 'class="num heat text-bg-danger" title="1. ' in response.content.decode()  # 33 % is band D
    assert response.context["chart"]["values"] == [10.0, 5.0, 5.0, 2.5]
    assert table(response, "grade-distribution") == [["A", "0"], ["B", "0"], ["C", "0"], ["D", "4"]]


def test_an_admin_sees_the_provisional_ranking(client, rounds, admin_user):
    old, new = rounds
    response = get(client, admin_user, "reports:rankings", new.pk, group="SO")
    assert len(table(response, "rankings")) == 4 and 'id="provisional-note"' in response.content.decode()


def test_a_leader_sees_the_published_ranking_without_provisional_marks(client, rounds, make_user):
    old, new = rounds
    response = get(client, make_user("leader", "UBNDT"), "reports:rankings", old.pk, group="SO")
    assert response.status_code == 200
    assert [(r[0], r[1]) for r in table(response, "rankings")] == [
        ("1", "Sở Công Thương"),
        ("2", "Sở Tài chính"),
        ("3", "Sở Tư pháp"),
    ]
    assert "Tạm tính" not in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "officer", "no role"])
def test_a_provisional_ranking_is_404_for_anyone_but_managers(who, client, rounds, make_user):
    old, new = rounds
    user = make_user(None) if who == "no role" else make_user(who, "UBNDT" if who == "leader" else "SCT")
    assert get(client, user, "reports:rankings", new.pk, group="SO").status_code == 404
    publish(new)
    assert get(client, user, "reports:rankings", new.pk, group="SO").status_code == (
        404 if who == "no role" else 200
    )


def test_forged_round_or_group_is_404(client, rounds, coordinator):
    old, new = rounds
    assert get(client, coordinator, "reports:rankings", 999999, group="SO").status_code == 404
    assert get(client, coordinator, "reports:rankings", new.pk, group="DVSN").status_code == 404
    assert get(client, coordinator, "reports:rankings", new.pk, group="NOPE").status_code == 404
    # Without a group: the round's first group.
    assert get(client, coordinator, "reports:rankings", new.pk).context["group"].code == "SO"


def test_rankings_only_answer_get(client, rounds, coordinator):
    old, new = rounds
    client.force_login(coordinator)
    assert client.post(reverse("reports:rankings", args=[new.pk])).status_code == 405


def _add_units(rnd, cset, codes, state=AssessmentState.APPRAISED):
    for n, code in enumerate(codes):
        a = add_assessment(rnd, unit(code), cset)
        put(a, "1.1", appraised_value=D(n % 3))
        a.__class__.objects.filter(pk=a.pk).update(state=state)
    results_compute(round=rnd)


def test_the_rankings_page_costs_the_same_queries_whatever_the_number_of_units(
    client, rounds, mini_set, coordinator, django_assert_num_queries
):
    old, new = rounds
    client.force_login(coordinator)
    url = reverse("reports:rankings", args=[new.pk])
    # session, user, memberships (roles), round, groups, fields, previous round, count, page, its component
    # indices, the page's year-over-year baselines (one walk of lineage, reports.results.baseline), the units not
    # yet appraised (count; their page only when there are some), the chart's units, grade bands, grade counts,
    # unread notifications (menu)
    client.get(url, {"group": "SO"})
    with django_assert_num_queries(16):
        assert client.get(url, {"group": "SO"}).status_code == 200
    _add_units(new, mini_set, ["SKHDT", "SXD", "SYT", "SGTVT", "SNNPTNT", "STNMT", "SGDDT", "SLDTBXH"])
    with django_assert_num_queries(16):
        response = client.get(url, {"group": "SO"})
    assert len(response.context["page"]) == 12
    # sorted by the change: the rows' keys and the whole group's baselines instead of the page's, then the page
    with django_assert_num_queries(17):
        response = client.get(url, {"group": "SO", "sort": "-d_index"})
    assert len(response.context["page"]) == 12
    _add_units(new, mini_set, ["SVHTTDL", "TTT"], state=AssessmentState.SUBMITTED)
    with django_assert_num_queries(17):
        response = client.get(url, {"group": "SO"})
    assert len(response.context["page"]) == 12 and len(response.context["pending"]) == 2
    _add_units(new, mini_set, ["BDT", "BQLKCN"], state=AssessmentState.DRAFT)
    with django_assert_num_queries(17):
        response = client.get(url, {"group": "SO"})
    assert len(response.context["page"]) == 12 and len(response.context["pending"]) == 4


def test_the_rankings_are_paged_by_50(client, rounds, mini_set, coordinator, units):
    old, new = rounds
    from units.models import Unit

    extra = [
        Unit.objects.create(code=f"X{n}", name=f"Đơn vị thử {n:02}", group=unit("SCT").group)
        for n in range(50)
    ]
    _add_units(new, mini_set, [u.code for u in extra])
    page1 = get(client, coordinator, "reports:rankings", new.pk, group="SO")
    assert len(page1.context["page"]) == 50 and page1.context["page"].paginator.num_pages == 2
    page2 = get(client, coordinator, "reports:rankings", new.pk, group="SO", page=2)
    assert len(page2.context["page"]) == 4
    assert len(page2.context["chart"]["values"]) == 54  # the chart shows the whole group (≤ CHART_UNITS)


# ---------------------------------------------------------------- unit result


def test_a_unit_result_shows_index_grade_rank_and_components_against_the_group(client, rounds, coordinator):
    old, new = rounds
    response = get(client, coordinator, "reports:unit_result", result_of(new, "STP").pk)
    assert response.status_code == 200
    body = response.content.decode()
    assert "5,00 %" in body and 'id="provisional-note"' in body
    assert table(response, "components")[0] == [
        # STP: 1 of 6 → 16.67 %; group: SCT 33.33, STP 16.67, STC 16.67, SNV 8.33 → mean 18.75.
        "1. Tiêu chí 1",
        "1,00 / 6,00",
        "16,67",
        "18,75",
        "−2,08",
    ]
    assert response.context["group_size"] == 4
    assert "2 / 4" in body


def test_a_unit_result_lists_the_leaves_where_it_lost_most(client, rounds, coordinator):
    old, new = rounds
    sct = result_of(new, "SCT")
    put(
        sct.assessment, "3.3", survey_value=D(3), appraised_value=D(0)
    )  # survey leaf: the survey score counts
    put(sct.assessment, "3.2", self_not_applicable=True, na_accepted=True)  # accepted N/A: out
    put(sct.assessment, "2.1.2", self_not_applicable=True, na_accepted=False)  # refused N/A: counts
    results_compute(round=new)
    rows = table(get(client, coordinator, "reports:unit_result", sct.pk), "lost-leaves")
    # Lost: 3.1 4, 1.2 2, 1.3 2 (XHH), 2.1.2 2, 2.1.1 1, 2.2 1 (XHH), 3.3 1 (XHH); 1.1 full; bonus/penalty never.
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("3.1", "4,00", "0,00", "4,00"),
        ("1.2", "2,00", "0,00", "2,00"),
        ("1.3", "2,00", "0,00", "2,00"),
        ("2.1.2", "2,00", "0,00", "2,00"),
        ("2.1.1", "1,00", "0,00", "1,00"),
        ("2.2", "1,00", "0,00", "1,00"),
        ("3.3", "4,00", "3,00", "1,00"),
    ]


def test_top_lost_leaves_stops_at_the_limit_in_one_query(rounds, django_assert_num_queries):
    old, new = rounds
    sct = result_of(new, "SCT")
    with django_assert_num_queries(1):
        codes = [s.criterion.code for s in top_lost_leaves(result=sct, limit=3)]
    assert codes == ["3.1", "3.3", "1.2"]


def test_a_unit_result_shows_its_trend_over_published_years(client, rounds, coordinator, make_user):
    old, new = rounds
    response = get(client, coordinator, "reports:unit_result", result_of(new, "SCT").pk)
    assert [(r[0], r[1], r[3]) for r in table(response, "trend")] == [
        ("2025", "20,00", "1"),
        ("2026 Tạm tính", "10,00", "1"),
    ]
    assert response.context["chart"]["trend"] == [20.0, 10.0]
    # A leader reads the published 2025 result; its trend has the published years only.
    leader_view = get(client, make_user("leader", "UBNDT"), "reports:unit_result", result_of(old, "SCT").pk)
    assert [r[0] for r in table(leader_view, "trend")] == ["2025"]


@pytest.mark.parametrize("who", ["leader", "head", "no role"])
def test_a_provisional_unit_result_is_404_for_anyone_but_managers(who, client, rounds, make_user):
    old, new = rounds
    user = make_user(None) if who == "no role" else make_user(who, "UBNDT" if who == "leader" else "SCT")
    own = result_of(new, "SCT")
    assert get(client, user, "reports:unit_result", own.pk).status_code == 404
    assert get(client, user, "reports:unit_result", result_of(old, "STP").pk).status_code == (
        404 if who == "no role" else 200
    )  # published: every unit's result is public to users with a role


def test_a_forged_result_id_is_404(client, rounds, coordinator):
    assert get(client, coordinator, "reports:unit_result", 999999).status_code == 404


# ---------------------------------------------------------------- weak criteria


@pytest.fixture
def weak_round(units):
    """Round 2026 of WEAK_SET with hand-made scores of SCT, STP, STC (see the test)."""
    cset = build_set("SO", WEAK_SET)
    rnd = make_round([cset])
    sct, stp, stc = (add_assessment(rnd, unit(code), cset) for code in ("SCT", "STP", "STC"))
    put(sct, "1.1", appraised_value=D(2))
    put(sct, "1.2", appraised_value=D(1))
    put(sct, "1.3", survey_value=D(2))
    # SCT 2.1 not appraised: 0
    put(stp, "1.1", appraised_value=D(1))
    put(stp, "1.2", appraised_value=D("1.5"), self_value=D(2))  # the self score never counts
    put(stp, "1.3", survey_value=D(1), appraised_value=D(2))  # survey leaf: the survey score counts
    put(stp, "2.1", appraised_value=D(2))
    put(stp, "2.2", appraised_value=D(1))  # bonus: never a loss
    for code in ("1.1", "1.2", "1.3"):
        put(stc, code, appraised_value=D(2), survey_value=D(2))
    put(stc, "2.1", self_not_applicable=True, na_accepted=True)  # accepted N/A: out for STC
    results_compute(round=rnd)
    return rnd


def test_weak_criteria_are_ordered_by_points_lost_with_counts(client, weak_round, coordinator):
    response = get(client, coordinator, "reports:weak_criteria", weak_round.pk, group="SO")
    assert response.status_code == 200
    rows = [(r[1], r[4], r[5], r[6]) for r in table(response, "weak-criteria")]
    assert rows == [
        ("2.1", "1 / 2", "2,00", "50,00"),  # SCT lost 2; STC not applicable
        ("1.2", "2 / 3", "1,50", "75,00"),  # SCT 1, STP 0.5
        ("1.1", "1 / 3", "1,00", "83,33"),  # STP 1
        ("1.3", "1 / 3", "1,00", "83,33"),  # STP 1 (survey score 1, not the appraised 2)
    ]
    assert "Tạm tính" in response.content.decode()


def test_weak_criteria_is_one_aggregate_query(weak_round, coordinator, django_assert_num_queries):
    from reports.results.selectors import weak_criteria

    roles_of(coordinator)  # read once per request, not what is measured
    so = unit("SCT").group
    with django_assert_num_queries(1):
        rows = weak_criteria(user=coordinator, round=weak_round, group=so)
    assert rows[0]["code"] == "2.1" and rows[0]["units_lost"] == 1 and rows[0]["lost"] == D(2)


@pytest.mark.parametrize("who", ["leader", "appraiser", "no role"])
def test_provisional_weak_criteria_are_404_for_anyone_but_managers(who, client, weak_round, make_user):
    user = make_user(None) if who == "no role" else make_user(who, "UBNDT" if who == "leader" else "SNV")
    assert get(client, user, "reports:weak_criteria", weak_round.pk, group="SO").status_code == 404
    publish(weak_round)
    response = get(client, user, "reports:weak_criteria", weak_round.pk, group="SO")
    assert response.status_code == (404 if who == "no role" else 200)


def test_weak_criteria_of_a_forged_round_or_group_is_404(client, weak_round, coordinator):
    assert get(client, coordinator, "reports:weak_criteria", 999999, group="SO").status_code == 404
    assert get(client, coordinator, "reports:weak_criteria", weak_round.pk, group="TW").status_code == 404


def test_the_grade_distribution_follows_the_sets_own_bands(client, units, coordinator):
    cset = build_set(
        "DVSN", (("1", 4, "", ""), ("1.1", 4, "appraisal", "range")), bands=[("Tốt", 50), ("Khá", 20)]
    )
    rnd = make_round([cset])
    for code, points in (("CDYT", 3), ("CDCD", 1), ("DPTTH", D("0.5"))):  # 75 %, 25 %, 12.5 %
        put(add_assessment(rnd, unit(code), cset), "1.1", appraised_value=D(points))
    rnd.assessments.update(state=AssessmentState.APPRAISED)  # provisional: only appraised units are counted
    results_compute(round=rnd)
    response = get(client, coordinator, "reports:rankings", rnd.pk, group="DVSN")
    assert table(response, "grade-distribution") == [
        ["Tốt", "1"],
        ["Khá", "1"],
        ["Dưới mọi mức xếp loại", "1"],
    ]


def test_the_rankings_page_speaks_english_when_asked(client, rounds, coordinator):
    old, new = rounds
    client.cookies["django_language"] = "en"
    body = get(client, coordinator, "reports:rankings", new.pk, group="SO").content.decode()
    assert "Provisional" in body and "Grade distribution" in body and "Δ Index (pp)" in body
