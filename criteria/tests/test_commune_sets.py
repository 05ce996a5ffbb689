"""Commune criteria sets (issue 13 item 4): a district's set for its communes before July 2025, the province's
after; who may issue and appraise them; the shipped samples."""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.services.appraisal import field_owner_set
from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_import
from criteria.shipped import commune_sets_load, with_owner
from criteria.tree import summarize
from criteria.workbook import SHEET_TREE
from parindex.exceptions import WorkbookInvalid
from units.models import Unit, UnitGroup
from units.services import system_user

from .workbooks import mutate

FIXTURES = Path("fixtures/criteria")
DISTRICT_SET = (FIXTURES / "XA-2024.xlsx").read_bytes()
PROVINCE_SET = (FIXTURES / "XA.xlsx").read_bytes()


@pytest.fixture
def xa(units):
    return UnitGroup.objects.get(code="XA")


def unit(code):
    return Unit.objects.select_related("group").get(code=code)


def tree_row(data, code) -> int:
    """The "Tiêu chí" row of node ``code`` in workbook ``data``."""
    found = {}

    def find(wb):
        for row in wb[SHEET_TREE].iter_rows(min_row=2):
            found.setdefault(row[0].value, row[0].row)

    mutate(data, find)
    return found[code]


def set_owner(data, code, owner) -> bytes:
    """``data`` with the owner (column J) of node ``code`` changed to ``owner``."""
    row = tree_row(data, code)
    return mutate(data, lambda wb: wb[SHEET_TREE].cell(row=row, column=10, value=owner))


def counts():
    return CriteriaSet.objects.count(), Criterion.objects.count()


@pytest.mark.parametrize(
    "data, year, parent, owners",
    [
        (DISTRICT_SET, 2024, "HTD", {"HTD"}),
        (PROVINCE_SET, 2026, None, {"SNV", "STP", "VPUBND", "STC", "SKHCN"}),
    ],
    ids=["district-2024", "province-2025"],
)
def test_the_shipped_commune_sets_import_as_labelled_samples_of_8_fields_and_100_points(
    xa, data, year, parent, owners
):
    cs = criteria_set_import(
        group=xa, year=year, data=data, by=system_user(), parent_unit=unit(parent) if parent else None
    )
    s = summarize(cs.nodes.all())
    assert (s["fields"], s["total_max"]) == (8, Decimal(100))
    assert s["survey_max"] > 0 and s["appraisal_max"] + s["survey_max"] == 100
    assert cs.name.startswith("Bộ chỉ số mẫu — thay bằng quyết định")
    fields = cs.nodes.filter(level=1)
    assert all(f.owner_id for f in fields)
    assert set(cs.nodes.exclude(owner=None).values_list("owner__code", flat=True)) == owners
    assert cs.parent_unit == (unit(parent) if parent else None)


def test_a_district_set_naming_a_department_as_owner_is_refused_on_that_row_and_nothing_is_imported(xa):
    before = counts()
    data = set_owner(DISTRICT_SET, "2", "STP")
    with pytest.raises(WorkbookInvalid) as exc:
        criteria_set_import(group=xa, year=2024, data=data, by=system_user(), parent_unit=unit("HTD"))
    [problem] = exc.value.problems
    assert (problem.sheet, problem.row, problem.column) == (SHEET_TREE, tree_row(data, "2"), "J")
    assert "'STP'" in problem.message and "UBND huyện, thị xã, thành phố" in problem.message
    assert f"dòng {tree_row(data, '2')}" in str(problem)
    assert counts() == before
    # the same owner is fine on a province-wide set
    assert (
        criteria_set_import(group=xa, year=2024, data=data, by=system_user()).nodes.get(code="2").owner.code
        == "STP"
    )


def test_another_district_may_appraise_a_districts_set(xa):
    data = set_owner(DISTRICT_SET, "3", "HKS")
    cs = criteria_set_import(group=xa, year=2024, data=data, by=system_user(), parent_unit=unit("HTD"))
    assert cs.nodes.get(code="3").owner.code == "HKS"


def test_a_set_whose_parent_district_closes_in_the_sets_year_is_refused(xa):
    Unit.objects.filter(code="HTD").update(valid_to=datetime.date(2025, 6, 30))
    before = counts()
    with pytest.raises(ValidationError) as exc:
        criteria_set_import(group=xa, year=2025, data=DISTRICT_SET, by=system_user(), parent_unit=unit("HTD"))
    assert "Trần Đề" in exc.value.messages[0] and "30/06/2025" in exc.value.messages[0]
    assert "năm 2025" in exc.value.messages[0]
    assert counts() == before
    # its 2024 set is its to issue
    criteria_set_import(group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=unit("HTD"))


def test_an_owner_closed_before_the_end_of_the_year_is_refused_on_its_rows(xa):
    Unit.objects.filter(code="STTTT").update(valid_to=datetime.date(2025, 2, 28))  # merged into SKHCN
    data = set_owner(set_owner(PROVINCE_SET, "7", "STTTT"), "7.1", "STTTT")
    before = counts()
    with pytest.raises(WorkbookInvalid) as exc:
        criteria_set_import(group=xa, year=2025, data=data, by=system_user())
    assert [(p.row, p.column) for p in exc.value.problems] == [
        (tree_row(data, "7"), "J"),
        (tree_row(data, "7.1"), "J"),
    ]
    assert all("'STTTT'" in p.message and "28/02/2025" in p.message for p in exc.value.problems)
    assert counts() == before
    assert (
        criteria_set_import(group=xa, year=2024, data=data, by=system_user()).nodes.get(code="7").owner.code
        == "STTTT"
    )


def test_a_unit_of_the_group_cannot_issue_the_groups_set(xa):
    with pytest.raises(ValidationError, match="thuộc chính nhóm"):
        criteria_set_import(
            group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=unit("ST-31681")
        )


def test_each_district_with_communes_gets_its_own_copy_owned_by_itself_and_loading_again_keeps_them(xa):
    # the 108 communes of 2024 lie under the 11 districts; a district without communes issues no set
    districts = set(
        Unit.objects.filter(group__code="XA", parent__isnull=False).values_list("parent__code", flat=True)
    )
    assert len(districts) == 11
    Unit.objects.filter(parent__code="HKS").update(parent=unit("HTD"))  # Kế Sách's communes moved away
    lines = commune_sets_load(2024, by=system_user())
    sets = {cs.parent_unit.code: cs for cs in CriteriaSet.objects.filter(group=xa, year=2024)}
    assert set(sets) == districts - {"HKS"} and len(lines) == 10
    for code, cs in sets.items():
        assert set(cs.nodes.exclude(owner=None).values_list("owner__code", flat=True)) == {code}
        assert cs.name.endswith(unit(code).name)
    assert all("đã có" in line for line in commune_sets_load(2024, by=system_user()))
    assert CriteriaSet.objects.filter(group=xa).count() == 10
    commune_sets_load(2026, by=system_user())
    assert CriteriaSet.objects.get(group=xa, year=2026).parent_unit is None


def test_with_owner_rewrites_every_owner_and_the_name():
    data = with_owner(DISTRICT_SET, owner_code="HMT", name="Bộ của Mỹ Tú")
    from criteria.workbook import read_workbook

    spec = read_workbook(data).spec
    assert spec.name == "Bộ của Mỹ Tú" and {n.owner_code for n in spec.nodes if n.owner_code} == {"HMT"}


def test_the_field_owners_page_offers_districts_for_a_districts_set_and_the_service_refuses_a_department(
    xa, client, coordinator
):
    cs = criteria_set_import(
        group=xa, year=2024, data=DISTRICT_SET, by=system_user(), parent_unit=unit("HTD")
    )
    client.force_login(coordinator)
    body = client.get(reverse("assessments:field_owners", args=[cs.pk])).content.decode()
    assert 'value="HKS"' in body and 'value="HTD"' in body and 'value="SNV"' not in body
    field = cs.nodes.get(code="1")
    with pytest.raises(ValidationError, match="'SNV'"):
        field_owner_set(criteria_set=cs, node=field, owner=unit("SNV"), by=coordinator)
    r = client.post(reverse("assessments:field_owners", args=[cs.pk]), {"node": field.pk, "owner": "SNV"})
    assert r.status_code == 400 and "không thuộc nhóm" in r.content.decode()
    field.refresh_from_db()
    assert field.owner.code == "HTD"
    field_owner_set(criteria_set=cs, node=field, owner=unit("HKS"), by=coordinator)
    field.refresh_from_db()
    assert field.owner.code == "HKS"


def test_the_import_page_refuses_a_closed_parent_before_reading_the_file(xa, client, coordinator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    Unit.objects.filter(code="HTD").update(valid_to=datetime.date(2025, 6, 30))
    client.force_login(coordinator)
    r = client.post(
        reverse("criteria:set_import"),
        {
            "group": xa.pk,
            "year": 2026,
            "parent_unit": unit("HTD").pk,
            "file": SimpleUploadedFile("XA-2024.xlsx", DISTRICT_SET),
        },
    )
    assert r.status_code == 400 and "30/06/2025" in r.content.decode()
    assert not CriteriaSet.objects.exists()
