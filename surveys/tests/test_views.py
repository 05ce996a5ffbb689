"""Survey pages (issue 5 §4): permission matrix, import flow, template, grid, cell save (HTMX and plain)."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import AssessmentRound, Score

from .conftest import xlsx

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def urls(open_round, survey_score):
    r = open_round.pk
    return {
        "import": reverse("surveys:import", args=[r]),
        "template": reverse("surveys:template", args=[r]),
        "grid": reverse("surveys:grid", args=[r, "SO"]),
        "cell": reverse("surveys:cell", args=[r, survey_score.pk]),
    }


def _upload(client, url, data, name="ket-qua.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(url, {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(
    "role, unit",
    [("officer", "SCT"), ("head", "SCT"), ("leader", "SNV"), ("appraiser", "STP"), (None, "SNV")],
)
def test_other_roles_get_403_everywhere_and_change_nothing(client, make_user, urls, survey_score, role, unit):
    client.force_login(make_user(role, unit))
    for name in ("import", "template", "grid"):
        assert client.get(urls[name]).status_code == 403, name
    assert _upload(client, urls["import"], xlsx([("SCT", "1.8.1", 1, None)])).status_code == 403
    assert client.post(urls["cell"], {"value": "1", "version": 0}).status_code == 403
    assert Score.objects.get(pk=survey_score.pk).survey_value is None


def test_anonymous_is_sent_to_login(client, urls):
    for name in ("import", "template", "grid"):
        response = client.get(urls[name])
        assert response.status_code == 302 and reverse("login") in response["Location"]
    assert reverse("login") in client.post(urls["cell"], {"value": "1", "version": 0})["Location"]


def test_unknown_ids_are_404(client, coordinator, open_round, survey_score):
    client.force_login(coordinator)
    assert client.get(reverse("surveys:import", args=[999999])).status_code == 404
    assert client.get(reverse("surveys:template", args=[999999])).status_code == 404
    assert client.get(reverse("surveys:grid", args=[open_round.pk, "NOPE"])).status_code == 404
    assert client.get(reverse("surveys:grid", args=[999999, "SO"])).status_code == 404
    assert (
        client.post(
            reverse("surveys:cell", args=[open_round.pk, 999999]), {"value": "1", "version": 0}
        ).status_code
        == 404
    )
    other = AssessmentRound.objects.create(
        year=2030,
        name="x",
        opens_on=open_round.opens_on,
        self_assessment_deadline=open_round.self_assessment_deadline,
        appraisal_1_deadline=open_round.appraisal_1_deadline,
        explanation_deadline=open_round.explanation_deadline,
        appraisal_2_deadline=open_round.appraisal_2_deadline,
        publication_date=open_round.publication_date,
    )
    # a score of another round through this round's URL
    assert (
        client.post(
            reverse("surveys:cell", args=[other.pk, survey_score.pk]), {"value": "1", "version": 0}
        ).status_code
        == 404
    )


def test_wrong_methods_are_405(client, coordinator, urls):
    client.force_login(coordinator)
    assert client.post(urls["template"]).status_code == 405
    assert client.post(urls["grid"]).status_code == 405
    assert client.get(urls["cell"]).status_code == 405
    assert client.delete(urls["import"]).status_code == 405


def test_admin_sees_the_pages(client, admin_user, urls):
    client.force_login(admin_user)
    for name in ("import", "template", "grid"):
        assert client.get(urls[name]).status_code == 200, name


def test_round_page_links_to_the_survey_pages(client, coordinator, open_round, urls):
    client.force_login(coordinator)
    html = client.get(reverse("assessments:round_detail", args=[open_round.pk])).content.decode()
    assert f'href="{urls["grid"]}"' in html and f'href="{urls["import"]}"' in html


def test_import_flow_preview_then_confirm(client, coordinator, open_round, urls):
    client.force_login(coordinator)
    data = xlsx([("SCT", "1.8.1", "0,5", None), ("SCT", "3.10.1", None, 87.5)])
    preview = _upload(client, urls["import"], data)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="import-preview"' in html and 'id="confirm-import"' in html
    assert 'id="import-warnings"' in html  # the other units have no results yet
    assert not Score.objects.filter(assessment__round=open_round, survey_value__isnull=False).exists()
    token = preview.context["confirm_form"].initial["token"]
    done = client.post(urls["import"], {"token": token})
    assert done.status_code == 302 and done["Location"] == reverse(
        "assessments:round_detail", args=[open_round.pk]
    )
    stored = dict(
        Score.objects.filter(assessment__round=open_round, survey_value__isnull=False).values_list(
            "criterion__code", "survey_value"
        )
    )
    assert stored == {"1.8.1": Decimal("0.5"), "3.10.1": Decimal("1.75")}
    # the token is spent
    again = client.post(urls["import"], {"token": token})
    assert again.status_code == 302 and again["Location"] == urls["import"]


def test_import_with_problems_lists_them_and_offers_no_confirm(client, coordinator, open_round, urls):
    client.force_login(coordinator)
    response = _upload(client, urls["import"], xlsx([("XXX", "1.8.1", 1, None), ("SCT", "1.8.1", 5, None)]))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="import-errors"' in html and "confirm-import" not in html
    assert "Không có đơn vị mã &#x27;XXX&#x27;" in html and "vượt điểm tối đa" in html
    assert not Score.objects.filter(assessment__round=open_round, survey_value__isnull=False).exists()


def test_import_of_a_published_round_is_refused(client, coordinator, open_round, urls):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    client.force_login(coordinator)
    response = _upload(client, urls["import"], xlsx([("SCT", "1.8.1", 1, None)]))
    assert response.status_code == 400 and "đã công bố" in response.content.decode()


def test_template_download(client, coordinator, urls, so_assessments):
    client.force_login(coordinator)
    response = client.get(urls["template"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ket-qua-dieu-tra-xhh-2026.xlsx"'
    ws = load_workbook(io.BytesIO(response.content))["Kết quả"]
    assert ws.max_row - 1 == len(so_assessments) * 22


def test_grid_shows_values_and_totals_in_constant_queries(
    client, coordinator, open_round, urls, so_assessments, django_assert_max_num_queries
):
    client.force_login(coordinator)
    from surveys.services import survey_results_import

    survey_results_import(
        round=open_round,
        by=coordinator,
        data=xlsx([("SCT", "1.8.1", "0,5", None), ("SCT", "2.6", 1.25, None)]),
    )
    with django_assert_max_num_queries(12):
        response = client.get(urls["grid"])
    html = response.content.decode()
    sct = next(a for a in so_assessments if a.unit.code == "SCT")
    assert f'<td id="total-{sct.pk}" class="num unit-total fw-semibold">1,75</td>' in html
    assert html.count('class="survey-cell"') == len(so_assessments) * 22


def test_cell_save_with_htmx_swaps_the_cell_and_the_total(client, coordinator, urls, survey_score):
    client.force_login(coordinator)
    response = client.post(urls["cell"], {"value": "0,75", "version": 0}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="cell-{survey_score.pk}"' in html and "Đã lưu" in html and 'value="0,75"' in html
    assert f'id="total-{survey_score.assessment_id}" hx-swap-oob="true"' in html
    assert Score.objects.get(pk=survey_score.pk).survey_value == Decimal("0.75")


def test_cell_save_errors_are_shown_next_to_the_cell(client, coordinator, urls, survey_score):
    client.force_login(coordinator)
    response = client.post(urls["cell"], {"value": "3", "version": 0}, **HX)
    assert response.status_code == 400
    html = response.content.decode()
    # the message next to the cell quotes what was typed; the input is back to the stored value (none)
    assert (
        "vượt điểm tối đa" in html
        and "Giá trị bạn vừa nhập “3” chưa được lưu." in html
        and "is-invalid" in html
    )
    assert 'value=""' in html and 'value="3"' not in html
    assert Score.objects.get(pk=survey_score.pk).survey_value is None


def test_cell_save_stale_version_is_409_with_current_value(
    client, coordinator, admin_user, urls, survey_score
):
    from surveys.services import survey_score_set

    survey_score_set(
        assessment=survey_score.assessment,
        criterion=survey_score.criterion,
        value="0,25",
        by=admin_user,
        expected_version=0,
    )
    client.force_login(coordinator)
    response = client.post(urls["cell"], {"value": "1", "version": 0}, **HX)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'value="0,25"' in html and f'name="version-{survey_score.pk}" value="1"' in html
    assert Score.objects.get(pk=survey_score.pk).survey_value == Decimal("0.25")


def test_cell_save_without_js_redirects_to_the_grid_with_a_message(client, coordinator, urls, survey_score):
    client.force_login(coordinator)
    response = client.post(urls["cell"], {"value": "1", "version": 0}, follow=True)
    assert response.redirect_chain == [(urls["grid"], 302)]
    assert "tiêu chí 1.8.1: Đã lưu" in response.content.decode()
    bad = client.post(urls["cell"], {"value": "9", "version": 1}, follow=True)
    assert "vượt điểm tối đa" in bad.content.decode()
    assert Score.objects.get(pk=survey_score.pk).survey_value == Decimal("1")


def test_appraisal_leaf_cell_is_refused(client, coordinator, open_round, assessment, appraisal_leaf):
    score = Score.objects.get(assessment=assessment, criterion=appraisal_leaf)
    client.force_login(coordinator)
    response = client.post(
        reverse("surveys:cell", args=[open_round.pk, score.pk]), {"value": "0", "version": 0}, **HX
    )
    assert response.status_code == 400 and "tiêu chí thẩm định" in response.content.decode()
    assert Score.objects.get(pk=score.pk).survey_value is None


def test_published_round_grid_is_read_only(client, coordinator, open_round, urls):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    client.force_login(coordinator)
    html = client.get(urls["grid"]).content.decode()
    assert (
        "đã công bố" in html
        and 'name="value' not in html
        and "Lưu dòng" not in html
        and "Lưu cả trang" not in html
    )


def test_import_preview_shows_the_summary_first_and_collapses_the_units_without_results(
    client, coordinator, open_round, urls
):
    client.force_login(coordinator)
    preview = _upload(client, urls["import"], xlsx([("SCT", "1.8.1", "0,5", None)]))
    assert preview.status_code == 200
    warnings = preview.context["result"].warnings
    assert len(warnings) > 5  # the round's other units have no result in the file
    html = preview.content.decode()
    summary, block, card = (
        html.index(f'id="{i}"') for i in ("import-summary", "import-warnings", "import-preview")
    )
    assert summary < block < card
    assert "0 lỗi" in html[summary:block] and f"Trang 'Kết quả': {len(warnings)} lưu ý" in html[summary:block]
    details = html[block:card]
    assert "<details>" in details and details.count("<li>") == len(warnings)


def test_import_problems_of_the_reader_and_of_the_round_are_shown_in_row_order(
    client, coordinator, open_round, urls
):
    client.force_login(coordinator)
    response = _upload(client, urls["import"], xlsx([("XXX", "1.8.1", 1, None), ("SCT", None, 1, None)]))
    assert response.status_code == 400
    html = response.content.decode()
    assert html.index('id="import-summary"') < html.index('id="import-errors"')
    assert "có 2 lỗi; chưa nhập gì." in html and "Trang 'Kết quả': 2 lỗi" in html
    assert html.index("Không có đơn vị mã") < html.index(
        "Thiếu mã tiêu chí"
    )  # row 2 (the round's check) first
