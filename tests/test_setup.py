"""The province's real structure as the run command loads it, and the admin commands (issue 2)."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from criteria.models import CriteriaSet
from units.models import Membership, Unit

EXPECTED = {
    "SO": {"fields": 8, "criteria": 63, "sub_criteria": 64, "appraisal_max": 63, "survey_max": 37},
    "DVSN": {"fields": 7, "criteria": 45, "sub_criteria": 14, "appraisal_max": 61.5, "survey_max": 38.5},
    "TW": {"fields": 7, "criteria": 37, "sub_criteria": 18, "appraisal_max": 54, "survey_max": 46},
    "HUYEN": {"fields": 8, "criteria": 65, "sub_criteria": 60, "appraisal_max": 62, "survey_max": 38},
    # the communes' sample set, the province's from 2025 (criteria.shipped)
    "XA": {"fields": 8, "criteria": 35, "sub_criteria": 38, "appraisal_max": 73, "survey_max": 27},
}


@pytest.fixture
def portal(setup_portal):
    return setup_portal(year=2026, demo=True)


def _on(day, group):
    from units.reorganisation.selectors import units_valid_on

    return units_valid_on(day).filter(group__code=group)


def test_units_of_the_province_are_loaded(portal):
    end_2024 = datetime.date(2024, 12, 31)
    so_2024 = set(_on(end_2024, "SO").values_list("name", flat=True))
    assert len(so_2024) == 19
    assert {
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Ban Quản lý các Khu công nghiệp",
        "Sở Lao động - Thương binh và Xã hội",
        "Thanh tra tỉnh",
        "Ban Dân tộc",
    } <= so_2024
    districts = _on(end_2024, "HUYEN")
    assert districts.count() == 11 and districts.filter(name="Ủy ban nhân dân huyện Trần Đề").exists()
    assert set(_on(end_2024, "TW").values_list("name", flat=True)) >= {
        "Cục Quản lý thị trường tỉnh Sóc Trăng"
    }
    assert _on(end_2024, "DVSN").filter(name="Đài Phát thanh và Truyền hình Sóc Trăng").exists()
    communes = _on(end_2024, "XA").select_related("parent")
    assert communes.count() == 108 and {c.parent.code for c in communes} == set(
        districts.values_list("code", flat=True)
    )
    # official codes: Xã Hòa Tú II of Mỹ Xuyên is 31729
    assert communes.get(code="ST-31729").short_name == "Xã Hòa Tú II"


def test_the_2025_reorganisations_are_loaded_as_events(portal):
    from units.models import Reorganisation

    # the departments after 1 March 2025: five mergers and Ban Dân tộc renamed; the old ones valid to 28/02
    so_2025 = set(_on(datetime.date(2025, 3, 1), "SO").values_list("code", flat=True))
    assert len(so_2025) == 14 and {"SNNMT", "SDTTG", "STC", "SNV"} <= so_2025
    assert not {"SKHDT", "SGTVT", "STNMT", "SNNPTNT", "STTTT", "SLDTBXH", "BDT"} & so_2025
    assert Unit.objects.get(code="SKHDT").valid_to == datetime.date(2025, 2, 28)
    assert set(Unit.objects.get(code="SNNMT").predecessors.values_list("code", flat=True)) == {
        "STNMT",
        "SNNPTNT",
    }
    # from 1 July 2025: the 43 communes of the former Sóc Trăng, directly under the province; no district
    july = datetime.date(2025, 7, 1)
    communes = _on(july, "XA")
    assert communes.count() == 43 and not communes.filter(parent__isnull=False).exists()
    assert not _on(july, "HUYEN").exists() and Unit.objects.get(code="HTD").valid_to == datetime.date(
        2025, 6, 30
    )
    assert _on(datetime.date(2026, 12, 31), "XA").count() == 43
    hoa_tu = Unit.objects.get(code="CT-31717")
    assert set(hoa_tu.predecessors.values_list("short_name", flat=True)) == {"Xã Hòa Tú 1", "Xã Hòa Tú II"}
    # every 2024 commune has exactly one successor; a commune kept as it was ("giữ nguyên") has one predecessor
    assert all(c.successors.count() == 1 for c in _on(datetime.date(2024, 12, 31), "XA"))
    assert [p.code for p in Unit.objects.get(code="CT-31537").predecessors.all()] == ["ST-31537"]
    assert Reorganisation.objects.filter(effective=july).count() == 43 + 11
    assert "Sắp xếp đơn vị năm 2025: 60 đã thực hiện" in portal


def test_shipped_sets_have_the_structure_of_the_province(portal):
    out = io.StringIO()
    call_command("criteria_summary", "--json", "--year", "2026", stdout=out)
    rows = {r["group"]: r for r in json.loads(out.getvalue())}
    assert set(rows) == set(EXPECTED)
    for code, expected in EXPECTED.items():
        got = {k: rows[code][k] for k in expected}
        assert got == expected, code
        assert rows[code]["year"] == 2026


def test_every_field_has_an_appraising_agency_as_the_province_assigns(portal):
    districts_sets = CriteriaSet.objects.filter(
        parent_unit__isnull=False
    )  # a district appraised all of its set
    for s in districts_sets:
        assert set(s.nodes.filter(level=1).values_list("owner__code", flat=True)) == {s.parent_unit.code}
    for s in CriteriaSet.objects.filter(parent_unit__isnull=True):
        fields = {f.title: f.owner.code for f in s.nodes.filter(level=1).select_related("owner")}
        assert all(fields.values())
        legal = [owner for title, owner in fields.items() if "quy phạm pháp luật" in title]
        assert legal in ([], ["STP"])
        assert [o for t, o in fields.items() if "thủ tục hành chính" in t.lower()] == ["VPUBND"]
        assert [o for t, o in fields.items() if "tài chính công" in t.lower()] == ["STC"]
        assert s.nodes.filter(title__icontains="ISO", owner__code="SKHCN").exists()


def test_setup_is_idempotent_and_prints_one_demo_account_per_role(portal):
    from units.management.commands.setup_portal import DEMO_ACCOUNTS

    for username in (
        "quantri",
        "dieuphoi",
        "lanhdao",
        "thamdinh",
        "canbo",
        "thutruong",
        "thamdinh_snv",
        "thamdinh_vp",
        "thamdinh_stc",
        "thamdinh_khcn",
    ):
        assert f"| {username} " in portal
    assert "| Tên đăng nhập | Vai trò" in portal and "| Mật khẩu" in portal and "parindex-demo" in portal
    assert set(Membership.objects.values_list("role", flat=True)) == {
        "admin",
        "coordinator",
        "leader",
        "appraiser",
        "officer",
        "head",
    }
    again = io.StringIO()
    call_command("setup_portal", "--year", "2026", "--demo", stdout=again)
    assert "đã có, giữ nguyên" in again.getvalue()
    # One account per role, and one appraiser per owner agency of the shipped sets (issue 12 item 11).
    assert CriteriaSet.objects.filter(year=2026).count() == 5 and Membership.objects.count() == len(
        DEMO_ACCOUNTS
    )
    assert "Đợt đánh giá 2026: đã có" in again.getvalue()
    assert "Sắp xếp đơn vị năm 2025: 0 đã thực hiện, 60 đã có" in again.getvalue()


def test_demo_opens_the_round_for_every_assessed_unit(portal):
    from assessments.models import Assessment, AssessmentRound

    rnd = AssessmentRound.objects.get(year=2026)
    assert rnd.state == "open"
    assert Assessment.objects.filter(round=rnd, unit__code="SCT", state="draft").exists()
    assert (
        Assessment.objects.filter(round=rnd).count()
        == Unit.objects.filter(group__code__in=["SO", "DVSN", "TW", "HUYEN", "XA"], is_active=True).count()
    )
    assert all(s.is_frozen for s in CriteriaSet.objects.filter(year=2026))


def test_demo_accounts_can_sign_in(client, portal):
    # through the login page: the lockout's backend (django-axes) needs the request that client.login() lacks
    response = client.post("/accounts/login/", {"username": "dieuphoi", "password": "parindex-demo"})
    assert response.status_code == 302 and client.session["_auth_user_id"]


def test_import_criteria_command_dry_run_and_import(units, tmp_path):
    path = Path("fixtures/criteria/TW.xlsx")
    out = io.StringIO()
    call_command("import_criteria", str(path), "--group", "TW", "--year", "2030", "--dry-run", stdout=out)
    assert "Hợp lệ" in out.getvalue() and "7 lĩnh vực, 37 tiêu chí, 18 tiêu chí thành phần" in out.getvalue()
    assert not CriteriaSet.objects.exists()
    call_command("import_criteria", str(path), "--group", "TW", "--year", "2030", stdout=io.StringIO())
    assert CriteriaSet.objects.get(group__code="TW", year=2030).nodes.count() == 7 + 37 + 18


def test_import_criteria_command_lists_problems_and_fails(units, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a workbook")
    err = io.StringIO()
    with pytest.raises(CommandError, match="không nhập gì"):
        call_command("import_criteria", str(bad), "--group", "SO", "--year", "2030", stderr=err)
    assert "không phải là bảng tính" in err.getvalue()
    with pytest.raises(CommandError, match="Không có nhóm"):
        call_command("import_criteria", str(bad), "--group", "NOPE", "--year", "2030")
    assert not CriteriaSet.objects.exists()
