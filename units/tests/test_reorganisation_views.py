"""The "Sắp xếp đơn vị" page and a unit's lineage page (issue 13 §1): allowed, forbidden, outsider."""

import datetime

import pytest
from django.urls import reverse

from units.models import Reorganisation, Role, Unit
from units.reorganisation.services import reorganisation_rename


def u(code):
    return Unit.objects.get(code=code)


@pytest.fixture
def renamed(coordinator):
    reorganisation_rename(
        unit=u("BDT"),
        new_code="SDTTG",
        new_name="Sở Dân tộc và Tôn giáo",
        effective=datetime.date(2025, 3, 1),
        by=coordinator,
        basis="Nghị quyết HĐND tỉnh",
    )
    return u("SDTTG")


def test_the_coordinator_merges_on_the_page(client, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("reorganisation:perform", args=["merge"]))
    assert page.status_code == 200 and "Sắp xếp đơn vị" in page.content.decode()
    # the date is typed day first, as everywhere (no browser date picker, which shows mm/dd/yyyy in English)
    assert 'type="date"' not in page.content.decode() and 'placeholder="dd/mm/yyyy"' in page.content.decode()
    response = client.post(
        reverse("reorganisation:perform", args=["merge"]),
        {
            "sources": [u("STNMT").pk, u("SNNPTNT").pk],
            "code": "SNNMT",
            "name": "Sở Nông nghiệp và Môi trường",
            "effective": "01/03/2025",
            "basis": "Nghị quyết HĐND tỉnh",
        },
        follow=True,
    )
    assert "Đã ghi Sáp nhập — 01/03/2025: Sở Nông nghiệp và Môi trường" in response.content.decode()
    assert set(u("SNNMT").predecessors.values_list("code", flat=True)) == {"STNMT", "SNNPTNT"}


def test_a_refusal_is_shown_next_to_its_field_and_nothing_is_stored(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("reorganisation:perform", args=["split"]),
        {
            "source": u("BQLKCN").pk,
            "code_1": "A1",
            "name_1": "Ban A",
            "share_1": "70",
            "code_2": "A2",
            "name_2": "Ban B",
            "share_2": "20",
            "effective": "2025-03-01",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="share_1">Tổng tỷ lệ các đơn vị sau chia tách phải bằng 100% (đang là 90%).' in html
    assert not Reorganisation.objects.exists() and u("BQLKCN").valid_to is None


def test_a_leader_may_not_reorganise(client, units, make_user):
    client.force_login(make_user(Role.LEADER, "UBNDT"))
    assert client.get(reverse("reorganisation:perform", args=["merge"])).status_code == 403
    response = client.post(
        reverse("reorganisation:perform", args=["dissolve"]), {"unit": 1, "effective": "2025-3-1"}
    )
    assert response.status_code == 403 and not Reorganisation.objects.exists()


def test_anonymous_users_are_sent_to_sign_in(client, units):
    response = client.get(reverse("reorganisation:perform", args=["merge"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lineage_shows_predecessors_with_the_event(client, renamed, make_user):
    client.force_login(make_user(Role.LEADER, "UBNDT"))
    html = client.get(reverse("reorganisation:lineage", args=[renamed.pk])).content.decode()
    assert (
        "Ban Dân tộc" in html
        and "Đổi tên, đổi mã từ ngày 01/03/2025" in html
        and "Nghị quyết HĐND tỉnh" in html
    )
    back = client.get(reverse("reorganisation:lineage", args=[u("BDT").pk])).content.decode()
    assert "Sở Dân tộc và Tôn giáo" in back


def test_a_units_own_officer_sees_its_lineage_an_outsider_gets_404(client, renamed, make_user):
    client.force_login(make_user(Role.OFFICER, "SDTTG"))
    assert client.get(reverse("reorganisation:lineage", args=[renamed.pk])).status_code == 200
    client.force_login(make_user(Role.OFFICER, "SCT"))
    assert client.get(reverse("reorganisation:lineage", args=[renamed.pk])).status_code == 404


def test_lineage_is_get_only(client, renamed, coordinator):
    client.force_login(coordinator)
    assert client.post(reverse("reorganisation:lineage", args=[renamed.pk])).status_code == 405


def test_the_admin_lists_events_read_only_and_links_the_lineage(client, renamed, admin_user):
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    listing = client.get(reverse("admin:units_reorganisation_changelist")).content.decode()
    assert "Nghị quyết HĐND tỉnh" in listing
    event = Reorganisation.objects.get()
    assert client.get(reverse("admin:units_reorganisation_history", args=[event.pk])).status_code == 200
    assert client.get(reverse("admin:units_reorganisation_add")).status_code == 403
    unit_page = client.get(reverse("admin:units_unit_change", args=[renamed.pk])).content.decode()
    assert reverse("reorganisation:lineage", args=[renamed.pk]) in unit_page
