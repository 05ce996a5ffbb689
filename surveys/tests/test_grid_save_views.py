"""The survey grid's "Lưu dòng" and "Lưu cả trang" (issue 12 §8): HTMX swaps the row or every row with the
messages in place; without JavaScript a plain form post comes back to the grid with the messages."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.models import AssessmentRound, Score

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def save_url(open_round):
    return reverse("surveys:grid_save", args=[open_round.pk, "SO"])


@pytest.fixture
def grid_url(open_round):
    return reverse("surveys:grid", args=[open_round.pk, "SO"])


@pytest.fixture
def rows(so_assessments, survey_leaves):
    """Score rows of the first two units for the first three survey leaves: ``[[score, ...], [score, ...]]``."""
    return [
        [Score.objects.get(assessment=a, criterion=leaf) for leaf in survey_leaves[:3]]
        for a in so_assessments[:2]
    ]


def _page(*cells_and_values) -> dict:
    """The page form as the browser posts it: value-<id> and version-<id> of every cell given."""
    data = {}
    for score, value in cells_and_values:
        data[f"value-{score.pk}"] = value
        data[f"version-{score.pk}"] = score.version
    return data


def _cell_html(html, score) -> str:
    match = re.search(rf'<td id="cell-{score.pk}".*?</td>', html, re.S)
    assert match, f"cell {score.pk} not in the reply"
    return match.group(0)


def _value(pk) -> Decimal | None:
    return Score.objects.get(pk=pk).survey_value


def test_the_grid_offers_a_row_save_per_unit_and_a_page_save(
    client, coordinator, grid_url, save_url, so_assessments
):
    client.force_login(coordinator)
    html = client.get(grid_url).content.decode()
    assert html.count('name="row" value=') == len(so_assessments) and "Lưu cả trang" in html
    start = html.index(
        f'<form id="survey-grid-form" class="survey-grid-form" method="post" action="{save_url}"'
    )
    inside = html[start + 5 : html.index("</form>", start)]
    assert 'id="survey-grid"' in inside and "<form" not in inside  # one form around the table, none nested
    for a in so_assessments:
        assert f'name="row" value="{a.pk}"' in html


def test_htmx_row_save_swaps_the_row_with_saved_and_refused_cells(client, coordinator, save_url, rows):
    (a, b, c), (other, *_) = rows
    client.force_login(coordinator)
    Score.objects.filter(pk=c.pk).update(survey_value=Decimal("0.5"))
    data = _page((a, "0,75"), (b, "abc"), (c, "0,5"), (other, "1"))
    data["row"] = a.assessment_id
    response = client.post(save_url, data, **HX)
    assert response.status_code == 400  # one cell refused; the valid one is saved
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="unit-{a.assessment_id}">') and "<tbody" not in html
    assert "Đã lưu 1 ô; 1 ô chưa lưu được" in html
    saved, refused = _cell_html(html, a), _cell_html(html, b)
    assert 'value="0,75"' in saved and "Đã lưu" in saved and "is-invalid" not in saved
    assert "không phải là số hợp lệ" in refused and "Giá trị bạn vừa nhập “abc” chưa được lưu." in refused
    assert (
        "is-invalid" in refused
        and f'name="value-{b.pk}" size="5"' in refused
        and 'value="abc"' not in refused
    )
    assert "cell-message" not in _cell_html(html, c)  # unchanged: no message
    assert f'name="version-{a.pk}" value="1"' in html  # the next save of the row is not stale
    assert f'id="total-{a.assessment_id}" class="num unit-total fw-semibold">1,25<' in html
    assert _value(a.pk) == Decimal("0.75") and _value(b.pk) is None
    assert _value(other.pk) is None  # another unit's row is not saved by this row's button


def test_htmx_page_save_swaps_every_row_and_the_summary(client, coordinator, save_url, rows):
    (a, b, _), (other, *_) = rows
    client.force_login(coordinator)
    response = client.post(save_url, _page((a, "0,75"), (b, "0.5"), (other, "1")), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<tbody id="survey-grid-body">')
    assert '<div id="grid-summary" class="survey-grid-summary" hx-swap-oob="true"' in html
    assert "Đã lưu 3 ô." in html and "chưa lưu được" not in html
    assert [_value(a.pk), _value(b.pk), _value(other.pk)] == [Decimal("0.75"), Decimal("0.5"), Decimal("1")]


def test_plain_page_save_with_a_refusal_comes_back_to_the_grid_with_the_messages_in_place(
    client, coordinator, save_url, rows
):
    (a, b, _), (other, *_) = rows
    client.force_login(coordinator)
    response = client.post(save_url, _page((a, "0,75"), (b, "1,5"), (other, "1")))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="survey-grid"' in html and "Lưu cả trang" in html  # the whole grid page again
    assert "Đã lưu 2 ô; 1 ô chưa lưu được" in html
    refused = _cell_html(html, b)
    assert "vượt điểm tối đa" in refused and "“1,5”" in refused and 'value="1,5"' not in refused
    assert "Đã lưu" in _cell_html(html, a) and 'value="0,75"' in _cell_html(html, a)
    assert [_value(a.pk), _value(b.pk), _value(other.pk)] == [Decimal("0.75"), None, Decimal("1")]


def test_plain_save_without_refusal_redirects_to_the_grid_with_the_summary(
    client, coordinator, save_url, grid_url, rows
):
    (a, b, _), (other, *_) = rows
    client.force_login(coordinator)
    data = _page((a, "0,75"), (b, "0,25"), (other, "1"))
    data["row"] = a.assessment_id
    response = client.post(save_url, data, follow=True)
    assert response.redirect_chain == [(grid_url, 302)]
    assert "Đã lưu 2 ô." in response.content.decode()
    assert [_value(a.pk), _value(b.pk), _value(other.pk)] == [Decimal("0.75"), Decimal("0.25"), None]


def test_the_cell_button_inside_the_page_form_saves_its_cell_alone(client, coordinator, open_round, rows):
    (a, b, _), _ = rows
    client.force_login(coordinator)
    response = client.post(
        reverse("surveys:cell", args=[open_round.pk, a.pk]), _page((a, "0,75"), (b, "1")), **HX
    )
    assert response.status_code == 200 and "Đã lưu" in response.content.decode()
    assert _value(a.pk) == Decimal("0.75") and _value(b.pk) is None


@pytest.mark.parametrize(
    "role, unit",
    [("officer", "SCT"), ("head", "SCT"), ("leader", "SNV"), ("appraiser", "STP"), (None, "SNV")],
)
def test_other_roles_get_403_and_change_nothing(client, make_user, save_url, rows, role, unit):
    (a, *_), _ = rows
    client.force_login(make_user(role, unit))
    assert client.post(save_url, _page((a, "1")), **HX).status_code == 403
    assert client.post(save_url, _page((a, "1"))).status_code == 403
    assert _value(a.pk) is None


def test_anonymous_is_sent_to_login(client, save_url, rows):
    (a, *_), _ = rows
    assert reverse("login") in client.post(save_url, _page((a, "1")))["Location"]
    assert _value(a.pk) is None


def test_unknown_ids_are_404_and_change_nothing(client, coordinator, open_round, save_url, rows):
    (a, *_), _ = rows
    client.force_login(coordinator)
    assert client.post(reverse("surveys:grid_save", args=[999999, "SO"]), _page((a, "1"))).status_code == 404
    assert (
        client.post(reverse("surveys:grid_save", args=[open_round.pk, "NOPE"]), _page((a, "1"))).status_code
        == 404
    )
    assert (
        client.post(save_url, {**_page((a, "1")), "value-999999": "1", "version-999999": 0}).status_code
        == 404
    )
    assert client.post(save_url, {**_page((a, "1")), "row": 999999}, **HX).status_code == 404
    assert client.get(save_url).status_code == 405
    assert _value(a.pk) is None


def test_published_round_is_refused_with_the_message(client, coordinator, open_round, save_url, rows):
    (a, *_), _ = rows
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    client.force_login(coordinator)
    response = client.post(save_url, _page((a, "1")), **HX)
    assert response.status_code == 400 and "đã công bố" in response.content.decode()
    assert _value(a.pk) is None


def test_a_tampered_version_is_refused_without_saving(client, coordinator, save_url, rows):
    (a, b, _), _ = rows
    client.force_login(coordinator)
    data = {**_page((a, "1"), (b, "1")), f"version-{b.pk}": "x", "row": a.assessment_id}
    response = client.post(save_url, data, **HX)
    assert response.status_code == 400 and "Dữ liệu gửi lên không hợp lệ" in response.content.decode()
    assert response.content.decode().lstrip().startswith(f'<tr id="unit-{a.assessment_id}">')
    assert _value(a.pk) is None and _value(b.pk) is None
