"""Which set a commune uses in a round (issue 13 item 4): its district's before July 2025, the province's after —
one rule, ``assessments.selectors.rounds.round_set_for_unit``."""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.models import Assessment, RoundSet
from assessments.selectors.appraisal import appraisal_queue
from assessments.selectors.rounds import round_group_set, round_set_for_unit, round_sets_index
from assessments.services.rounds import round_create, round_open
from assessments.services.submission import assessment_submit
from criteria.models import CriteriaSet
from criteria.services import criteria_set_import
from units.models import Unit, UnitGroup
from units.services import system_user

from .helpers import score_all

DISTRICT_SET = Path("fixtures/criteria/XA-2024.xlsx").read_bytes()
PROVINCE_SET = Path("fixtures/criteria/XA.xlsx").read_bytes()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def xa(units):
    return UnitGroup.objects.get(code="XA")


def _dates(year):
    d = datetime.date
    return {
        "opens_on": d(year + 1, 1, 2),
        "self_assessment_deadline": d(year + 1, 1, 20),
        "appraisal_1_deadline": d(year + 1, 2, 10),
        "explanation_deadline": d(year + 1, 2, 20),
        "appraisal_2_deadline": d(year + 1, 3, 1),
        "publication_date": d(year + 1, 3, 20),
    }


def _open(year, sets, coordinator, **kwargs):
    rnd = round_create(year=year, name=f"Đợt {year}", sets=sets, by=coordinator, **_dates(year), **kwargs)
    return round_open(round=rnd, by=coordinator)


def _set_of(rnd, code):
    return Assessment.objects.get(round=rnd, unit__code=code).criteria_set


def test_round_set_for_unit_prefers_the_parents_set_then_the_groups():
    group_wide = RoundSet(group_id=5, parent_unit_id=None)
    of_d = RoundSet(group_id=5, parent_unit_id=7)
    index = round_sets_index([group_wide, of_d])
    assert round_set_for_unit(index, Unit(group_id=5, parent_id=7)) is of_d
    assert round_set_for_unit(index, Unit(group_id=5, parent_id=8)) is group_wide
    assert round_set_for_unit(index, Unit(group_id=5, parent_id=None)) is group_wide
    assert round_set_for_unit(round_sets_index([of_d]), Unit(group_id=5, parent_id=8)) is None
    assert round_set_for_unit(index, Unit(group_id=6, parent_id=7)) is None


def test_a_commune_uses_its_districts_set_in_2024_and_the_provinces_in_2025_and_2026(xa, coordinator):
    by = system_user()
    htd, hks = Unit.objects.get(code="HTD"), Unit.objects.get(code="HKS")
    Unit.objects.filter(code="ST-31681").update(parent=hks)  # a commune of a district without its own set
    of_htd = criteria_set_import(group=xa, year=2024, data=DISTRICT_SET, by=by, parent_unit=htd)
    province_2024 = criteria_set_import(group=xa, year=2024, data=PROVINCE_SET, by=by)
    # the district's set joins the round by itself: only the group-wide set is chosen
    rnd = _open(2024, {xa: province_2024}, coordinator)
    assert {(rs.parent_unit_id, rs.criteria_set_id) for rs in rnd.round_sets.all()} == {
        (None, province_2024.pk),
        (htd.pk, of_htd.pk),
    }
    assert _set_of(rnd, "ST-31672") == of_htd and _set_of(rnd, "ST-31675") == of_htd
    assert _set_of(rnd, "ST-31681") == province_2024
    assert Assessment.objects.filter(round=rnd).count() == Unit.objects.filter(group=xa).count()
    assert round_group_set(rnd, group=xa).criteria_set == province_2024
    # each assessment got a blank score row per leaf of its own set
    a = Assessment.objects.get(round=rnd, unit__code="ST-31672")
    assert set(a.scores.values_list("criterion__criteria_set", flat=True)) == {of_htd.pk}

    Unit.objects.filter(code="HTD").update(valid_to=datetime.date(2025, 6, 30))
    for year in (2025, 2026):
        province = criteria_set_import(group=xa, year=year, data=PROVINCE_SET, by=by)
        later = _open(year, {xa: province}, coordinator)
        assert {_set_of(later, c) for c in ("ST-31672", "ST-31675", "ST-31681")} == {province}
        assert later.round_sets.count() == 1


def test_a_round_of_2024_with_only_district_sets_assesses_the_districts_communes_only(xa, coordinator):
    htd = Unit.objects.get(code="HTD")
    Unit.objects.filter(code="ST-31681").update(parent=Unit.objects.get(code="HKS"))
    of_htd = criteria_set_import(group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=htd)
    rnd = _open(2024, {}, coordinator)
    assert round_group_set(rnd, group_code="XA").criteria_set == of_htd
    units = set(Assessment.objects.filter(round=rnd).values_list("unit__code", flat=True))
    assert units == set(Unit.objects.filter(parent=htd, group=xa).values_list("code", flat=True))
    assert "ST-31681" not in units


def test_a_district_set_of_another_year_is_refused(xa, coordinator):
    htd = Unit.objects.get(code="HTD")
    of_2024 = criteria_set_import(group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=htd)
    with pytest.raises(ValidationError, match="năm 2024"):
        round_create(year=2025, name="Đợt 2025", sets={}, unit_sets=[of_2024], by=coordinator, **_dates(2025))
    assert not CriteriaSet.objects.filter(round_sets__isnull=False).exists()


def test_a_field_owned_by_a_district_is_in_that_districts_appraiser_queue(xa, coordinator, make_user):
    htd = Unit.objects.get(code="HTD")
    criteria_set_import(group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=htd)
    rnd = _open(2024, {}, coordinator)
    officer, head = make_user("officer", "ST-31672"), make_user("head", "ST-31672")
    assessment = Assessment.objects.get(round=rnd, unit__code="ST-31672")
    with time_machine.travel(
        datetime.datetime(2025, 1, 6, 9, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), tick=False
    ):
        score_all(assessment, officer, explanation="Hồ sơ lưu tại UBND xã")
        assessment_submit(assessment=assessment, by=head)
    district_appraiser = make_user("appraiser", "HTD")
    queue = list(appraisal_queue(user=district_appraiser))
    assert queue and {p.assessment.unit.code for p in queue} == {"ST-31672"}
    assert {p.owner.code for p in queue} == {"HTD"} and len({p.field_id for p in queue}) == 8
    assert not list(appraisal_queue(user=make_user("appraiser", "SNV")))
    assert not list(appraisal_queue(user=make_user("appraiser", "HKS")))
