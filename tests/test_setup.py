"""The province's real structure as the run command loads it, and the admin commands (issue 2)."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from criteria.models import CriteriaSet
from units.models import Membership, Unit, UnitGroup

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


def test_units_of_the_province_are_loaded(portal):
    by_group = {g.code: set(g.units.values_list("name", flat=True)) for g in UnitGroup.objects.all()}
    assert len(by_group["SO"]) == 19
    assert {
        "Sở Nội vụ",
        "Sở Tư pháp",
        "Văn phòng Ủy ban nhân dân tỉnh",
        "Ban Quản lý các Khu công nghiệp",
        "Sở Lao động - Thương binh và Xã hội",
        "Thanh tra tỉnh",
        "Ban Dân tộc",
    } <= by_group["SO"]
    assert len(by_group["HUYEN"]) == 11 and "Ủy ban nhân dân huyện Trần Đề" in by_group["HUYEN"]
    assert len(by_group["TW"]) == 7 and "Cục Quản lý thị trường tỉnh Sóc Trăng" in by_group["TW"]
    assert "Đài Phát thanh và Truyền hình Sóc Trăng" in by_group["DVSN"]
    communes = Unit.objects.filter(group__code="XA")
    assert communes.exists() and all(c.parent.code == "HTD" for c in communes)


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
    for s in CriteriaSet.objects.all():
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
        "thamdinh_tttt",
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
