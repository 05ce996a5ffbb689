"""Round pages of the coordinator (issue 3 §1): who may open them, creating a round through the page,
opening it, editing it before and after opening, and the detail page's query count."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import Assessment, AssessmentRound, RoundState
from assessments.services.rounds import round_create
from criteria.models import CriteriaSet
from units.models import Unit, UnitGroup

FORBIDDEN_ROLES = [
    ("officer", "SCT"),
    ("head", "SCT"),
    ("appraiser", "STP"),
    ("leader", "UBNDT"),
    (None, "SNV"),
]


@pytest.fixture
def draft_round(so_set, coordinator, dates):
    return round_create(year=2026, name="Đợt 2026", sets={so_set.group: so_set}, by=coordinator, **dates)


def _form_data(dates, **extra):
    data = {key: day.isoformat() for key, day in dates.items()}
    data.update(extra)
    return data


def _views(rnd):
    """(method, url) of every round page."""
    return [
        ("get", reverse("assessments:round_list")),
        ("get", reverse("assessments:round_create")),
        ("post", reverse("assessments:round_create")),
        ("get", reverse("assessments:round_detail", args=[rnd.pk])),
        ("get", reverse("assessments:round_edit", args=[rnd.pk])),
        ("post", reverse("assessments:round_edit", args=[rnd.pk])),
        ("post", reverse("assessments:round_open", args=[rnd.pk])),
    ]


def _html(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_managers_can_open_every_round_page(client, make_user, draft_round, role):
    client.force_login(make_user(role, "SNV"))
    for method, url in _views(draft_round):
        response = getattr(client, method)(url)
        assert response.status_code in (200, 302, 400), (method, url, response.status_code)
    draft_round.refresh_from_db()
    assert draft_round.state == RoundState.OPEN  # the last POST opened it


@pytest.mark.parametrize("role,unit", FORBIDDEN_ROLES)
def test_other_roles_get_403_and_change_nothing(client, make_user, draft_round, dates, role, unit):
    client.force_login(make_user(role, unit))
    for method, url in _views(draft_round):
        data = _form_data(dates, year=2027, name="x", reason="x") if method == "post" else None
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (role, method, url, response.status_code)
    assert list(AssessmentRound.objects.values_list("year", "name", "state")) == [(2026, "Đợt 2026", "draft")]
    assert not Assessment.objects.exists()


def test_anonymous_is_sent_to_login(client, draft_round):
    for method, url in _views(draft_round):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (
            method,
            url,
        )


def test_unknown_round_is_404(client, coordinator, draft_round):
    client.force_login(coordinator)
    missing = draft_round.pk + 999
    assert client.get(reverse("assessments:round_detail", args=[missing])).status_code == 404
    assert client.get(reverse("assessments:round_edit", args=[missing])).status_code == 404
    assert client.post(reverse("assessments:round_open", args=[missing])).status_code == 404


def test_wrong_method_is_405(client, coordinator, draft_round):
    client.force_login(coordinator)
    assert client.post(reverse("assessments:round_list")).status_code == 405
    assert client.post(reverse("assessments:round_detail", args=[draft_round.pk])).status_code == 405
    assert client.get(reverse("assessments:round_open", args=[draft_round.pk])).status_code == 405
    assert client.delete(reverse("assessments:round_edit", args=[draft_round.pk])).status_code == 405
    draft_round.refresh_from_db()
    assert draft_round.state == RoundState.DRAFT


# ---------------------------------------------------------------- create


def test_create_page_proposes_the_name_and_the_set_of_the_year(client, coordinator, so_set, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0))
    client.force_login(coordinator)
    response = client.get(reverse("assessments:round_create"))
    html = _html(response)
    assert 'value="Đánh giá Chỉ số cải cách hành chính năm 2026"' in html
    # dd/mm/yyyy text inputs, not the browser's date picker (which shows 11/26/2026 in an English browser)
    assert 'type="date"' not in html and html.count('placeholder="dd/mm/yyyy"') == 6
    assert f'<option value="{so_set.pk}" selected>' in html
    # one select per assessed group, none for the province leaders' group
    assert {name for name in response.context["form"].fields if name.startswith("set_")} == {
        f"set_{code}" for code in UnitGroup.objects.filter(is_assessed=True).values_list("code", flat=True)
    }


def test_coordinator_creates_a_round_through_the_page(client, coordinator, so_set, dates):
    client.force_login(coordinator)
    response = client.post(
        reverse("assessments:round_create"), _form_data(dates, year=2026, name="", set_SO=so_set.pk)
    )
    rnd = AssessmentRound.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:round_detail", args=[rnd.pk]
    )
    assert rnd.name == "Đánh giá Chỉ số cải cách hành chính năm 2026"
    assert rnd.state == RoundState.DRAFT and rnd.self_assessment_deadline == dates["self_assessment_deadline"]
    assert {rs.group.code: rs.criteria_set for rs in rnd.round_sets.all()} == {"SO": so_set}
    html = _html(client.get(response["Location"]))
    assert "Đã tạo đợt đánh giá năm 2026" in html and so_set.name in html and "Mở đợt đánh giá" in html


def test_dates_out_of_order_are_refused_with_the_message(client, coordinator, so_set, dates):
    client.force_login(coordinator)
    bad = dict(dates, self_assessment_deadline=dates["opens_on"] - datetime.timedelta(days=1))
    response = client.post(reverse("assessments:round_create"), _form_data(bad, year=2026, set_SO=so_set.pk))
    assert response.status_code == 400
    assert "Hạn tự đánh giá phải cùng ngày hoặc sau ngày mở." in _html(response)
    assert not AssessmentRound.objects.exists()


def test_next_year_is_proposed_once_this_year_has_a_round(client, coordinator, draft_round, time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 2, 9, 0))
    client.force_login(coordinator)
    html = _html(client.get(reverse("assessments:round_create")))
    assert (
        'value="Đánh giá Chỉ số cải cách hành chính năm 2027"' in html and 'name="year" value="2027"' in html
    )


def test_same_year_twice_is_refused(client, coordinator, draft_round, so_set, dates):
    client.force_login(coordinator)
    response = client.post(
        reverse("assessments:round_create"), _form_data(dates, year=2026, set_SO=so_set.pk)
    )
    assert response.status_code == 400
    assert "Năm 2026 đã có đợt đánh giá." in _html(response)
    assert AssessmentRound.objects.count() == 1


def test_missing_dates_are_400_not_500(client, coordinator, units):
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_create"), {"year": 2026})
    assert response.status_code == 400
    html = _html(response)
    assert html.count(" (dd/mm/yyyy).") == 6 and "Nhập hạn tự đánh giá (dd/mm/yyyy)." in html  # the six dates
    assert not AssessmentRound.objects.exists()


# ---------------------------------------------------------------- open


def test_opening_creates_an_assessment_for_every_active_unit_and_freezes_the_set(
    client, coordinator, draft_round, so_set
):
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_open", args=[draft_round.pk]))
    assert response.status_code == 302
    assert "đã tạo 19 bản tự đánh giá" in " ".join(_messages(response))
    active_so = set(Unit.objects.filter(group__code="SO", is_active=True).values_list("code", flat=True))
    assert len(active_so) == 19
    assert set(Assessment.objects.filter(round=draft_round).values_list("unit__code", flat=True)) == active_so
    so_set.refresh_from_db()
    assert so_set.is_frozen
    html = _html(client.get(response["Location"]))
    assert "Đang đánh giá" in html and "Sở Công Thương" in html and "Mở đợt đánh giá" not in html
    sct = Assessment.objects.get(round=draft_round, unit__code="SCT")
    assert f'href="{reverse("assessments:scoring", args=[sct.pk])}"' in html


def test_opening_twice_shows_the_message(client, coordinator, open_round):
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_open", args=[open_round.pk]))
    assert response.status_code == 400
    assert "Đợt đánh giá đã được mở." in _html(response)
    assert Assessment.objects.filter(round=open_round).count() == 19


def test_a_round_without_sets_cannot_be_opened(client, coordinator, units, dates):
    rnd = round_create(year=2027, name="Đợt 2027", sets={}, by=coordinator, **dates)
    client.force_login(coordinator)
    response = client.post(reverse("assessments:round_open", args=[rnd.pk]))
    assert response.status_code == 400
    assert "chưa có bộ chỉ số nào" in _html(response)
    rnd.refresh_from_db()
    assert rnd.state == RoundState.DRAFT and not rnd.assessments.exists()


# ---------------------------------------------------------------- edit


def test_sets_can_change_while_the_round_is_in_preparation(client, coordinator, draft_round, dates):
    client.force_login(coordinator)
    response = client.post(
        reverse("assessments:round_edit", args=[draft_round.pk]),
        _form_data(dates, name="Đợt 2026 (sửa)", set_SO=""),
    )
    assert response.status_code == 302
    draft_round.refresh_from_db()
    assert draft_round.name == "Đợt 2026 (sửa)" and not draft_round.round_sets.exists()


def test_after_opening_sets_are_locked(client, coordinator, open_round, so_set, dates):
    client.force_login(coordinator)
    url = reverse("assessments:round_edit", args=[open_round.pk])
    page = client.get(url)
    assert page.context["form"]["set_SO"].field.disabled and "Đã khóa: đợt đánh giá đã mở." in _html(page)
    response = client.post(url, _form_data(dates, name=open_round.name, reason="đổi bộ", set_SO=""))
    assert response.status_code == 400
    assert "Đợt đánh giá đã mở; không thể đổi bộ chỉ số." in _html(response)
    assert [rs.criteria_set for rs in open_round.round_sets.all()] == [so_set]


def test_after_opening_dates_change_only_with_a_reason(client, coordinator, open_round, dates):
    client.force_login(coordinator)
    url = reverse("assessments:round_edit", args=[open_round.pk])
    later = dict(
        dates, self_assessment_deadline=dates["self_assessment_deadline"] + datetime.timedelta(days=5)
    )
    response = client.post(url, _form_data(later, name=open_round.name))
    assert response.status_code == 400 and "Nhập lý do thay đổi" in _html(response)
    open_round.refresh_from_db()
    assert open_round.self_assessment_deadline == dates["self_assessment_deadline"]

    response = client.post(
        url, _form_data(later, name=open_round.name, reason="Gia hạn theo Công văn 123/SNV")
    )
    assert response.status_code == 302
    open_round.refresh_from_db()
    assert open_round.self_assessment_deadline == later["self_assessment_deadline"]
    record = open_round.history.order_by("-history_date", "-history_id").first()
    assert record.history_change_reason == "Gia hạn theo Công văn 123/SNV"
    assert record.history_user == coordinator
    assert open_round.state == RoundState.OPEN and open_round.assessments.count() == 19


def test_edit_with_dates_out_of_order_shows_the_message(client, coordinator, open_round, dates):
    client.force_login(coordinator)
    bad = dict(dates, publication_date=dates["appraisal_2_deadline"] - datetime.timedelta(days=1))
    response = client.post(
        reverse("assessments:round_edit", args=[open_round.pk]),
        _form_data(bad, name=open_round.name, reason="sửa"),
    )
    assert response.status_code == 400
    assert "Ngày công bố phải cùng ngày hoặc sau hạn thẩm định vòng 2." in _html(response)


def test_published_round_cannot_be_edited(client, coordinator, open_round, dates):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state=RoundState.PUBLISHED)
    client.force_login(coordinator)
    response = client.post(
        reverse("assessments:round_edit", args=[open_round.pk]),
        _form_data(dates, name="Tên mới", reason="sửa"),
    )
    assert response.status_code == 400 and "Đợt đánh giá đã công bố; không thể sửa." in _html(response)
    open_round.refresh_from_db()
    assert open_round.name != "Tên mới"


# ---------------------------------------------------------------- list and detail


def test_round_list_shows_counts(client, coordinator, open_round, assessment):
    Assessment.objects.filter(pk=assessment.pk).update(state="submitted")
    client.force_login(coordinator)
    response = client.get(reverse("assessments:round_list"))
    row = list(response.context["rounds"])[0]
    assert (row.n_assessments, row.n_submitted) == (19, 1)
    html = _html(response)
    assert open_round.name in html and "Đang đánh giá" in html


def test_detail_shows_dates_with_countdown(client, coordinator, open_round):
    client.force_login(coordinator)
    html = _html(client.get(reverse("assessments:round_detail", args=[open_round.pk])))
    assert "còn 30 ngày" in html  # self-assessment deadline (fixture: today + 30)
    assert "đã qua" in html  # opened 10 days ago
    assert open_round.self_assessment_deadline.strftime("%d/%m/%Y") in html


def _detail_queries(client, rnd) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("assessments:round_detail", args=[rnd.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_detail_query_count_does_not_grow_with_units(
    client, coordinator, open_round, so_set, django_assert_max_num_queries
):
    client.force_login(coordinator)
    before = _detail_queries(client, open_round)
    assert before <= 8  # session, user, roles, round, its sets, its assessments (one annotated query)
    group = UnitGroup.objects.get(code="SO")
    for i in range(10):
        unit = Unit.objects.create(code=f"NEW{i}", name=f"Đơn vị mới {i}", group=group, order=100 + i)
        Assessment.objects.create(round=open_round, unit=unit, criteria_set=so_set)
    with django_assert_max_num_queries(before):
        response = client.get(reverse("assessments:round_detail", args=[open_round.pk]))
    assert len(response.context["assessments"]) == 29 and "Đơn vị mới 9" in _html(response)


def test_admin_pages_of_rounds_and_assessments(client, make_user, open_round, assessment):
    client.force_login(make_user("admin", "SNV", is_staff=True, is_superuser=True))
    assert (
        client.get(reverse("admin:assessments_assessmentround_change", args=[open_round.pk])).status_code
        == 200
    )
    assert client.get(reverse("admin:assessments_assessment_changelist")).status_code == 200
    page = client.get(reverse("admin:assessments_assessment_change", args=[assessment.pk]))
    assert page.status_code == 200 and 'name="_save"' not in _html(page)  # read-only
    assert client.get(reverse("admin:assessments_assessmentround_add")).status_code == 403


def test_other_group_sets_are_not_offered(client, coordinator, so_set, units):
    client.force_login(coordinator)
    form = client.get(reverse("assessments:round_create")).context["form"]
    assert list(form.fields["set_SO"].queryset) == [so_set]
    assert not form.fields["set_DVSN"].queryset.exists()
    assert CriteriaSet.objects.count() == 1
