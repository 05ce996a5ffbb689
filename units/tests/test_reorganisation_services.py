"""Reorganisations as operations (issue 13 §1): validity, lineage, memberships, rounds, and the bad input refused
with nothing changed."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessments.models import Assessment, AssessmentRound, RoundState
from assessments.services.rounds import units_in_year
from criteria.models import CriteriaSet
from units.models import Membership, Reorganisation, Role, Unit, UnitGroup
from units.reorganisation import selectors
from units.reorganisation.services import (
    reorganisation_dissolve,
    reorganisation_merge,
    reorganisation_move,
    reorganisation_rename,
    reorganisation_split,
)

D = datetime.date
MARCH = D(2025, 3, 1)


def u(code):
    return Unit.objects.get(code=code)


def state():
    """What a refused operation must leave untouched: every unit's dates, activity, parent and lineage, the events,
    the memberships."""
    return (
        sorted(Unit.objects.values_list("code", "valid_from", "valid_to", "is_active", "parent_id")),
        sorted(Unit.predecessors.through.objects.values_list("from_unit_id", "to_unit_id")),
        Reorganisation.objects.count(),
        Membership.objects.count(),
    )


def so_codes(year):
    return set(units_in_year(UnitGroup.objects.get(code="SO").pk, year).values_list("code", flat=True))


def round_with(year, codes, state=RoundState.OPEN):
    day = D(year + 1, 1, 10)
    rnd = AssessmentRound.objects.create(
        year=year,
        name=f"Đợt {year}",
        state=state,
        opens_on=day,
        self_assessment_deadline=day,
        appraisal_1_deadline=day,
        explanation_deadline=day,
        appraisal_2_deadline=day,
        publication_date=day,
    )
    cset = CriteriaSet.objects.create(group=UnitGroup.objects.get(code="SO"), year=year, name=f"Bộ {year}")
    for code in codes:
        Assessment.objects.create(round=rnd, unit=u(code), criteria_set=cset)
    return rnd


def test_merge_into_a_new_unit_closes_the_sources_and_links_the_lineage(coordinator, make_user):
    officer = make_user(Role.OFFICER, "STNMT")
    event = reorganisation_merge(
        sources=[u("STNMT"), u("SNNPTNT")],
        into={"code": "SNNMT", "name": "Sở Nông nghiệp và Môi trường"},
        effective=MARCH,
        by=coordinator,
        basis="Nghị quyết HĐND tỉnh ngày 17/02/2025",
    )
    new = u("SNNMT")
    assert (new.valid_from, new.valid_to, new.is_active, new.group.code) == (MARCH, None, True, "SO")
    assert set(new.predecessors.values_list("code", flat=True)) == {"STNMT", "SNNPTNT"}
    for code in ("STNMT", "SNNPTNT"):
        old = u(code)
        assert (old.valid_to, old.is_active) == (D(2025, 2, 28), False)
        assert list(old.successors.all()) == [new]
    assert event.kind == "merge" and {x.code for x in event.sources} == {"STNMT", "SNNPTNT"}
    assert event.results == [new] and event.created_by == coordinator
    # the users of a source work in the result and keep their old role (for the old unit's past assessments)
    assert set(Membership.objects.filter(user=officer).values_list("unit__code", flat=True)) == {
        "STNMT",
        "SNNMT",
    }
    # audited: the event and the units carry who and why
    assert event.history.first().history_user == coordinator
    assert u("STNMT").history.first().history_change_reason.startswith("Sáp nhập từ ngày 01/03/2025")
    # rounds: 2024 on the old map, 2025 on the new one
    assert {"STNMT", "SNNPTNT"} <= so_codes(2024) and "SNNMT" not in so_codes(2024)
    assert "SNNMT" in so_codes(2025) and not {"STNMT", "SNNPTNT"} & so_codes(2025)


def test_merge_into_an_existing_unit_keeps_it_and_nothing_assessed_moves(coordinator):
    rnd = round_with(2024, ["SKHDT", "STC"], state=RoundState.PUBLISHED)
    reorganisation_merge(sources=[u("SKHDT")], into=u("STC"), effective=MARCH, by=coordinator)
    stc = u("STC")
    assert (stc.valid_from, stc.valid_to, stc.is_active) == (None, None, True)
    assert list(stc.predecessors.values_list("code", flat=True)) == ["SKHDT"]
    # the 2024 assessment stays with the unit that was assessed, under its name
    assert rnd.assessments.get(unit__code="SKHDT").unit.name == "Sở Kế hoạch và Đầu tư"
    assert "SKHDT" in so_codes(2024) and "SKHDT" not in so_codes(2025) and "STC" in so_codes(2025)


def test_split_with_shares_gives_each_part_its_share(coordinator, make_user):
    make_user(Role.HEAD, "BQLKCN")
    event = reorganisation_split(
        source=u("BQLKCN"),
        into=[({"code": "BQL-A", "name": "Ban A"}, "60"), ({"code": "BQL-B", "name": "Ban B"}, 40)],
        effective=D(2026, 1, 1),
        by=coordinator,
    )
    assert [x.code for x in event.results] == ["BQL-A", "BQL-B"]
    assert [link.share for link in event.links.filter(role="result")] == [60, 40]
    assert selectors.shares_of(u("BQL-A")) == {u("BQLKCN").pk: 60}
    assert u("BQLKCN").valid_to == D(2025, 12, 31)
    assert not Membership.objects.filter(unit__code__in=["BQL-A", "BQL-B"]).exists()  # the admin assigns them
    assert "BQLKCN" in so_codes(2025) and {"BQL-A", "BQL-B"} <= so_codes(2026)


def test_rename_makes_a_successor_so_past_rounds_keep_the_old_name(coordinator):
    rnd = round_with(2024, ["BDT"], state=RoundState.PUBLISHED)
    reorganisation_rename(
        unit=u("BDT"), new_code="SDTTG", new_name="Sở Dân tộc và Tôn giáo", effective=MARCH, by=coordinator
    )
    new = u("SDTTG")
    assert (new.name, new.group.code, new.order) == ("Sở Dân tộc và Tôn giáo", "SO", u("BDT").order)
    assert list(new.predecessors.all()) == [u("BDT")]
    assert rnd.assessments.get().unit.name == "Ban Dân tộc"
    assert "BDT" in so_codes(2024) and "SDTTG" in so_codes(2025) and "BDT" not in so_codes(2025)


def test_a_future_rename_leaves_the_unit_active_until_then(coordinator):
    future = D(2027, 1, 1)
    reorganisation_rename(
        unit=u("SYT"), new_code="SYT2", new_name="Sở Y tế mới", effective=future, by=coordinator
    )
    old = u("SYT")
    assert (old.valid_to, old.is_active) == (D(2026, 12, 31), True)
    assert "SYT" in so_codes(2026) and "SYT2" in so_codes(2027) and "SYT2" not in so_codes(2026)


def test_the_nightly_sync_switches_off_a_unit_once_its_future_end_has_come(coordinator, settings):
    from units.reorganisation.services import units_activity_sync
    from units.tasks import units_activity_sync as task

    reorganisation_rename(
        unit=u("SYT"), new_code="SYT2", new_name="Sở Y tế mới", effective=D(2027, 1, 1), by=coordinator
    )
    assert units_activity_sync(by=coordinator, today=D(2026, 12, 31)) == 0 and u("SYT").is_active
    assert units_activity_sync(by=coordinator, today=D(2027, 1, 1)) == 1
    assert not u("SYT").is_active and u("SYT2").is_active
    assert u("SYT").history.first().history_change_reason == "Hết hiệu lực theo sắp xếp đơn vị"
    assert units_activity_sync(by=coordinator, today=D(2027, 1, 2)) == 0  # once
    assert task() == 0  # the task as beat runs it (today: nothing more has ended)
    assert settings.CELERY_BEAT_SCHEDULE["units-activity-sync"]["task"] == task.name


def test_move_makes_a_record_under_the_new_parent_and_dissolving_an_emptied_district(coordinator):
    commune = Unit.objects.filter(group__code="XA", parent__code="HTD").order_by("code").first()
    siblings = list(Unit.objects.filter(parent__code="HTD").exclude(pk=commune.pk))
    reorganisation_move(
        unit=commune, new_parent=u("HMX"), new_code="X-MOVED", effective=MARCH, by=coordinator
    )
    moved = u("X-MOVED")
    assert (moved.parent.code, moved.name, list(moved.predecessors.all())) == ("HMX", commune.name, [commune])
    assert u(commune.code).parent.code == "HTD"  # the 2024 record keeps its district
    for s in siblings:
        reorganisation_move(unit=s, new_parent=None, new_code=f"{s.code}-N", effective=MARCH, by=coordinator)
    event = reorganisation_dissolve(unit=u("HTD"), effective=MARCH, by=coordinator)
    assert event.sources == [u("HTD")] and event.results == []
    assert (u("HTD").valid_to, u("HTD").is_active) == (D(2025, 2, 28), False)
    assert u(f"{siblings[0].code}-N").parent is None


def test_merging_units_with_children_attaches_the_children_to_the_result(coordinator):
    reorganisation_merge(
        sources=[u("HTD"), u("HMX")],
        into={"code": "H-NEW", "name": "Huyện mới", "group": "HUYEN"},
        effective=MARCH,
        by=coordinator,
    )
    assert (
        Unit.objects.filter(parent__code="H-NEW").count()
        == Unit.objects.filter(group__code="XA").filter(parent__code="H-NEW").count()
        > 0
    )
    assert not Unit.objects.filter(parent__code="HTD").exists()


def test_lineage_lists_predecessors_and_successors_with_their_events(coordinator):
    reorganisation_rename(
        unit=u("BDT"), new_code="BDT2", new_name="Ban Dân tộc (2)", effective=MARCH, by=coordinator
    )
    reorganisation_merge(
        sources=[u("BDT2"), u("TTT")],
        into={"code": "X3", "name": "Đơn vị gộp"},
        effective=D(2026, 1, 1),
        by=coordinator,
        basis="Quyết định số 1/QĐ",
    )
    lineage = selectors.lineage_of(u("X3"))
    assert [(s.unit.code, s.depth, s.event.kind) for s in lineage.before] == [
        ("BDT2", -1, "merge"),
        ("TTT", -1, "merge"),
        ("BDT", -2, "rename"),
    ]
    after = selectors.lineage_of(u("BDT")).after
    assert [(s.unit.code, s.depth, s.event.basis) for s in after] == [
        ("BDT2", 1, ""),
        ("X3", 2, "Quyết định số 1/QĐ"),
    ]


# ------------------------------------------------------------------------------------------- bad input


def refused(call, field, text):
    before = state()
    with pytest.raises(ValidationError) as exc:
        call()
    assert field in exc.value.message_dict, exc.value.message_dict
    assert any(text in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert state() == before


def test_a_unit_merged_into_itself_is_refused(coordinator):
    refused(
        lambda: reorganisation_merge(
            sources=[u("STC"), u("SKHDT")], into=u("STC"), effective=MARCH, by=coordinator
        ),
        "into",
        "vào chính nó",
    )


def test_a_cycle_in_the_lineage_is_refused(coordinator):
    # STC was (by hand) recorded as a predecessor of SKHDT: merging SKHDT into STC would loop
    u("SKHDT").predecessors.add(u("STC"))
    refused(
        lambda: reorganisation_merge(sources=[u("SKHDT")], into=u("STC"), effective=MARCH, by=coordinator),
        "into",
        "vòng lặp",
    )


@pytest.mark.parametrize(
    ("shares", "text"),
    [((60, 30), "phải bằng 100% (đang là 90%)"), ((60, None), "phải là số"), ((100, 0), "lớn hơn 0%")],
)
def test_a_split_whose_shares_do_not_add_up_is_refused(coordinator, shares, text):
    refused(
        lambda: reorganisation_split(
            source=u("BQLKCN"),
            into=[({"code": "A1", "name": "A"}, shares[0]), ({"code": "A2", "name": "B"}, shares[1])],
            effective=MARCH,
            by=coordinator,
        ),
        "shares",
        text,
    )


def test_a_source_closed_before_the_date_is_refused(coordinator):
    reorganisation_merge(sources=[u("SKHDT")], into=u("STC"), effective=MARCH, by=coordinator)
    refused(
        lambda: reorganisation_rename(
            unit=u("SKHDT"), new_code="K2", effective=D(2025, 6, 1), by=coordinator
        ),
        "unit",
        "đã hết hiệu lực từ sau ngày 28/02/2025",
    )
    refused(
        lambda: reorganisation_merge(
            sources=[u("SKHDT"), u("SYT")], into={"code": "K3", "name": "K"}, effective=MARCH, by=coordinator
        ),
        "sources",
        "đã hết hiệu lực",
    )


def test_a_move_under_a_closed_parent_is_refused(coordinator):
    commune = Unit.objects.filter(parent__code="HTD").first()
    mx_children = list(Unit.objects.filter(parent__code="HMX"))
    for c in mx_children:
        reorganisation_move(
            unit=c, new_parent=u("HTD"), new_code=f"{c.code}-M", effective=MARCH, by=coordinator
        )
    reorganisation_dissolve(unit=u("HMX"), effective=MARCH, by=coordinator)
    refused(
        lambda: reorganisation_move(
            unit=commune, new_parent=u("HMX"), new_code="Z1", effective=D(2025, 6, 1), by=coordinator
        ),
        "new_parent",
        "không còn hiệu lực vào ngày 01/06/2025",
    )


def test_a_district_with_communes_left_cannot_be_dissolved_or_split(coordinator):
    refused(
        lambda: reorganisation_dissolve(unit=u("HTD"), effective=MARCH, by=coordinator), "unit", "trực thuộc"
    )
    refused(
        lambda: reorganisation_split(
            source=u("HTD"),
            into=[({"code": "A1", "name": "A"}, None), ({"code": "A2", "name": "B"}, None)],
            effective=MARCH,
            by=coordinator,
        ),
        "source",
        "trực thuộc",
    )


def test_an_effective_date_inside_an_open_rounds_year_of_an_assessed_unit_is_refused(coordinator):
    round_with(2026, ["SYT"])
    refused(
        lambda: reorganisation_rename(
            unit=u("SYT"), new_code="SYT2", effective=D(2026, 7, 1), by=coordinator
        ),
        "effective",
        "đang được đánh giá trong đợt năm 2026",
    )
    # from 1 January of the next year the round's map (31/12/2026) is untouched: allowed
    reorganisation_rename(unit=u("SYT"), new_code="SYT2", effective=D(2027, 1, 1), by=coordinator)
    assert "SYT" in so_codes(2026)


def test_a_used_code_and_a_missing_name_are_refused(coordinator):
    refused(
        lambda: reorganisation_merge(
            sources=[u("SYT"), u("TTT")], into={"code": "STC", "name": ""}, effective=MARCH, by=coordinator
        ),
        "into",
        "«STC» đã được dùng",
    )
    refused(
        lambda: reorganisation_rename(unit=u("SYT"), new_code="", effective=MARCH, by=coordinator),
        "new_code",
        "mã",
    )


def test_only_admins_and_the_coordinator_may_reorganise(units, make_user):
    leader = make_user(Role.LEADER, "UBNDT")
    before = state()
    with pytest.raises(PermissionDenied):
        reorganisation_dissolve(unit=u("TTT"), effective=MARCH, by=leader)
    assert state() == before
    reorganisation_dissolve(unit=u("TTT"), effective=MARCH, by=make_user(Role.ADMIN, "SNV"))
    assert u("TTT").valid_to == D(2025, 2, 28)


def test_an_import_of_communes_under_a_closed_district_is_refused_and_nothing_is_stored(tmp_path, units):
    import json

    from units.reorganisation.loader import FixtureProblem, units_fixture_load

    Unit.objects.filter(code="HTD").update(valid_to=datetime.date(2025, 6, 30))
    rows = [
        {
            "model": "units.unit",
            "fields": {
                "code": code,
                "name": f"Ủy ban nhân dân xã {name}",
                "group": ["XA"],
                "parent": ["HTD"],
            },
        }
        for code, name in (("ST-NEW-1", "Mới Một"), ("ST-NEW-2", "Mới Hai"))
    ]
    rows[0]["fields"]["valid_to"] = "2025-06-30"  # ends with its district: accepted on its own
    path = tmp_path / "communes.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FixtureProblem) as refused:
        units_fixture_load(path)
    assert "«ST-NEW-2»" in str(refused.value) and "hết hiệu lực sau ngày 30/06/2025" in str(refused.value)
    assert not Unit.objects.filter(code__startswith="ST-NEW").exists()  # the first one is not kept either
    rows.pop()
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    assert units_fixture_load(path) == (1, 0)
