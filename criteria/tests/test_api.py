"""API of criteria sets: read-only, same permission as the pages."""

import pytest
from django.urls import reverse

from criteria.services import criteria_set_import
from units.models import UnitGroup
from units.services import system_user

from .workbooks import valid_bytes


@pytest.fixture
def a_set(units):
    return criteria_set_import(
        group=UnitGroup.objects.get(code="SO"), year=2026, data=valid_bytes(), by=system_user()
    )


def test_coordinator_reads_sets_and_tree(client, coordinator, a_set):
    client.force_login(coordinator)
    listing = client.get(reverse("api-criteria-set-list")).json()
    assert [s["id"] for s in listing["results"]] == [a_set.pk]
    detail = client.get(reverse("api-criteria-set-detail", args=[a_set.pk])).json()
    assert [n["code"] for n in detail["nodes"]] == list(
        a_set.nodes.order_by("order").values_list("code", flat=True)
    )
    assert [b["code"] for b in detail["bands"]] == ["A", "B", "C", "D"]


@pytest.mark.parametrize("role,unit", [("officer", "SCT"), ("leader", "UBNDT"), ("appraiser", "STP")])
def test_other_roles_are_forbidden(client, make_user, a_set, role, unit):
    client.force_login(make_user(role, unit))
    assert client.get(reverse("api-criteria-set-list")).status_code == 403
    assert client.get(reverse("api-criteria-set-detail", args=[a_set.pk])).status_code == 403


def test_anonymous_and_forged_ids(client, coordinator, a_set):
    assert client.get(reverse("api-criteria-set-list")).status_code in (401, 403)
    client.force_login(coordinator)
    assert client.get(reverse("api-criteria-set-detail", args=[a_set.pk + 100])).status_code == 404


def test_writes_are_not_allowed(client, coordinator, a_set):
    client.force_login(coordinator)
    assert client.delete(reverse("api-criteria-set-detail", args=[a_set.pk])).status_code == 405


def test_schema_is_served_without_outside_assets(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("api-schema")).status_code == 200
    html = client.get(reverse("api-docs")).content.decode()
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html
