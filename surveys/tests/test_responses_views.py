"""Pages of the raw questionnaire responses (issue 5 item 4): permission matrix, import preview → confirm,
template download, the sample-size page and the in-place save of N (HTMX and plain)."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Assessment, AssessmentRound, Score
from surveys.models import ResponseImport, SurveyPopulation
from surveys.services import survey_population_set, survey_responses_import

from .conftest import responses_xlsx
from .test_responses import ANSWERS, GROUPS, MAPPING

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def sct(open_round) -> Assessment:
    return Assessment.objects.select_related("unit").get(round=open_round, unit__code="SCT")


@pytest.fixture
def urls(open_round, sct):
    r = open_round.pk
    return {
        "responses": reverse("surveys:responses", args=[r]),
        "import": reverse("surveys:responses_import", args=[r]),
        "template": reverse("surveys:responses_template", args=[r]),
        "population": reverse("surveys:population", args=[r, sct.pk]),
    }


def _upload(client, url, data, name="phieu-xhh.xlsx"):
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def _data():
    return responses_xlsx(ANSWERS, MAPPING, groups=GROUPS)


@pytest.mark.parametrize(
    "role, unit",
    [("officer", "SCT"), ("head", "SCT"), ("leader", "SNV"), ("appraiser", "STP"), (None, "SNV")],
)
def test_other_roles_get_403_everywhere_and_change_nothing(client, make_user, urls, open_round, role, unit):
    client.force_login(make_user(role, unit))
    for name in ("responses", "import", "template"):
        assert client.get(urls[name]).status_code == 403, name
    assert _upload(client, urls["import"], _data()).status_code == 403
    assert client.post(urls["population"], {"size": "500"}).status_code == 403
    assert not SurveyPopulation.objects.exists() and not ResponseImport.objects.exists()


def test_anonymous_is_sent_to_login(client, urls):
    for name in ("responses", "import", "template"):
        response = client.get(urls[name])
        assert response.status_code == 302 and reverse("login") in response["Location"], name
    assert reverse("login") in client.post(urls["population"], {"size": "500"})["Location"]
    assert not SurveyPopulation.objects.exists()


def test_coordinator_and_admin_see_the_pages(client, coordinator, admin_user, urls):
    for user in (coordinator, admin_user):
        client.force_login(user)
        for name in ("responses", "import", "template"):
            assert client.get(urls[name]).status_code == 200, name


def test_unknown_or_forged_ids_are_404(client, coordinator, open_round, sct, dates):
    client.force_login(coordinator)
    for name in ("responses", "responses_import", "responses_template"):
        assert client.get(reverse(f"surveys:{name}", args=[999999])).status_code == 404, name
    assert (
        client.post(reverse("surveys:population", args=[open_round.pk, 999999]), {"size": "500"}).status_code
        == 404
    )
    other = AssessmentRound.objects.create(year=2030, name="Đợt khác", **dates)
    # SCT's assessment of the open round through another round's URL
    assert (
        client.post(reverse("surveys:population", args=[other.pk, sct.pk]), {"size": "500"}).status_code
        == 404
    )
    assert not SurveyPopulation.objects.exists()


def test_wrong_methods_are_405(client, coordinator, urls):
    client.force_login(coordinator)
    assert client.post(urls["responses"]).status_code == 405
    assert client.post(urls["template"]).status_code == 405
    assert client.get(urls["population"]).status_code == 405
    assert client.delete(urls["import"]).status_code == 405


def test_survey_pages_link_to_the_responses_pages(client, coordinator, open_round, urls):
    client.force_login(coordinator)
    grid = client.get(reverse("surveys:grid", args=[open_round.pk, "SO"])).content.decode()
    assert f'href="{urls["responses"]}"' in grid
    aggregated = client.get(reverse("surveys:import", args=[open_round.pk])).content.decode()
    assert f'href="{urls["import"]}"' in aggregated and f'href="{urls["responses"]}"' in aggregated
    page = client.get(urls["responses"]).content.decode()
    assert f'href="{urls["import"]}"' in page and f'href="{urls["template"]}"' in page
    detail = client.get(reverse("assessments:round_detail", args=[open_round.pk])).content.decode()
    assert f'href="{urls["responses"]}"' in detail


def test_import_flow_preview_then_confirm(client, coordinator, open_round, urls, sct):
    survey_population_set(assessment=sct, size=3, by=coordinator)  # n = 3 / 1,0075 = 2,98 → 3: enough
    client.force_login(coordinator)
    preview = _upload(client, urls["import"], _data())
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="import-preview"' in html and 'id="confirm-import"' in html
    assert "5 phiếu · 10 câu trả lời · 2 đơn vị · 4 câu hỏi · 3 điểm thay đổi" in html
    row = html[html.index('id="preview-SCT"') :]
    row = row[: row.index("</tr>")]
    assert "1.8.1: 0,8" in row and "3.10.1: 1,6" in row and "4.5: —" in row and ">2,4<" in row and "Đủ" in row
    assert not Score.objects.filter(assessment__round=open_round, survey_value__isnull=False).exists()
    token = preview.context["confirm_form"].initial["token"]
    done = client.post(urls["import"], {"token": token}, follow=True)
    assert done.redirect_chain == [(urls["responses"], 302)]
    page = done.content.decode()
    assert "Đã nhập 5 phiếu (10 câu trả lời) của 2 đơn vị; 3 điểm điều tra XHH thay đổi." in page
    assert "phieu-xhh.xlsx" in page  # the last import, on the sample-size page
    stored = {
        (unit, leaf): value
        for unit, leaf, value in Score.objects.filter(
            assessment__round=open_round, survey_value__isnull=False
        ).values_list("assessment__unit__code", "criterion__code", "survey_value")
    }
    assert stored == {
        ("SCT", "1.8.1"): Decimal("0.8"),
        ("SCT", "3.10.1"): Decimal("1.6"),
        ("STP", "4.5"): Decimal("0.31"),
    }
    # the token is spent
    again = client.post(urls["import"], {"token": token})
    assert again.status_code == 302 and again["Location"] == urls["import"]
    assert ResponseImport.objects.count() == 1


def test_import_with_problems_lists_them_and_offers_no_confirm(client, coordinator, open_round, urls):
    client.force_login(coordinator)
    bad = responses_xlsx([("XXX", "Lãnh đạo", 5), ("SCT", "Lãnh đạo", 9)], [("C1", "1.8.1")])
    response = _upload(client, urls["import"], bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="import-errors"' in html and "confirm-import" not in html
    assert "Không có đơn vị mã &#x27;XXX&#x27;" in html and "Câu trả lời 9 nằm ngoài thang 1–5" in html
    assert not Score.objects.filter(assessment__round=open_round, survey_value__isnull=False).exists()


def test_import_of_a_published_round_is_refused(client, coordinator, open_round, urls):
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    client.force_login(coordinator)
    response = _upload(client, urls["import"], _data())
    assert response.status_code == 400 and "đã công bố" in response.content.decode()
    assert not ResponseImport.objects.exists()


def test_template_download(client, coordinator, urls, so_assessments):
    client.force_login(coordinator)
    response = client.get(urls["template"])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="phieu-dieu-tra-xhh-2026.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["Phiếu", "Ánh xạ"]
    assert wb["Phiếu"].max_row - 1 == len(so_assessments) and wb["Ánh xạ"].max_row - 1 == 22


def test_sample_page_shows_n_respondents_and_status_in_constant_queries(
    client, coordinator, open_round, urls, sct, so_assessments, django_assert_max_num_queries
):
    stp = Assessment.objects.get(round=open_round, unit__code="STP")
    survey_population_set(assessment=sct, size=100, by=coordinator)  # n = 80, 3 questionnaires: not enough
    survey_population_set(assessment=stp, size=2, by=coordinator)  # n = 2 / 1,005 = 1,99 → 2; 2: enough
    survey_responses_import(round=open_round, data=_data(), filename="dot-1.xlsx", by=coordinator)
    client.force_login(coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(urls["responses"])
    html = response.content.decode()
    assert html.count('class="sample-row"') == len(so_assessments)
    row = html[html.index(f'id="sample-{sct.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'value="100"' in row and '<td class="num required-n">80</td>' in row and "Chưa đủ" in row
    assert "Lãnh đạo: 1" in row and ">3<" in row
    row = html[html.index(f'id="sample-{stp.pk}"') :]
    assert "Đủ" in row[: row.index("</tr>")]
    assert "dot-1.xlsx" in html and "n = N / (1 + N·e²), e = 5 %" in html


def test_population_save_with_htmx_swaps_the_row(client, coordinator, urls, sct):
    client.force_login(coordinator)
    response = client.post(urls["population"], {"size": "1.000"}, **HX)
    assert response.status_code == 200
    html = response.content.decode()
    # 1000 / (1 + 2,5) = 285,7 → 286
    assert f'id="sample-{sct.pk}"' in html and "Đã lưu" in html and 'value="1000"' in html
    assert '<td class="num required-n">286</td>' in html and "Chưa đủ" in html
    assert SurveyPopulation.objects.get(assessment=sct).size == 1000


def test_population_errors_are_shown_in_the_row(client, coordinator, urls, sct):
    client.force_login(coordinator)
    response = client.post(urls["population"], {"size": "0"}, **HX)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Tổng thể N phải lớn hơn 0. Giá trị bạn vừa nhập “0” chưa được lưu." in html and "is-invalid" in html
    )
    assert 'value="0"' not in html  # the input shows the stored N (none yet) again
    assert not SurveyPopulation.objects.exists()


def test_population_save_without_js_redirects_back_with_a_message(client, coordinator, urls, sct):
    client.force_login(coordinator)
    response = client.post(urls["population"], {"size": "500"}, follow=True)
    assert response.redirect_chain == [(urls["responses"], 302)]
    html = response.content.decode()
    assert "Sở Công Thương · tổng thể N: Đã lưu" in html and '<td class="num required-n">223</td>' in html
    bad = client.post(urls["population"], {"size": "năm trăm"}, follow=True)
    assert "phải là số nguyên dương" in bad.content.decode()
    assert SurveyPopulation.objects.get(assessment=sct).size == 500


def test_published_round_sample_page_is_read_only(client, coordinator, open_round, urls, sct):
    survey_population_set(assessment=sct, size=500, by=coordinator)
    AssessmentRound.objects.filter(pk=open_round.pk).update(state="published")
    client.force_login(coordinator)
    html = client.get(urls["responses"]).content.decode()
    assert "đã công bố" in html and 'name="size"' not in html and "responses-import-link" not in html
    response = client.post(urls["population"], {"size": "600"}, **HX)
    assert response.status_code == 400 and "không thể sửa tổng thể khảo sát" in response.content.decode()
    assert SurveyPopulation.objects.get(assessment=sct).size == 500


def test_import_problems_are_summarised_per_sheet_and_shown_in_row_order(
    client, coordinator, open_round, urls
):
    client.force_login(coordinator)
    bad = responses_xlsx(
        [("XXX", "Lãnh đạo", 5), ("SCT", "Lãnh đạo", 9)], [("C1", "1.8.1")], extra_sheets=("Ghi chú",)
    )
    response = _upload(client, urls["import"], bad)
    assert response.status_code == 400
    html = response.content.decode()
    summary, errors = html.index('id="import-summary"'), html.index('id="import-errors"')
    assert summary < errors
    block = html[summary:errors]
    assert (
        "có 3 lỗi; chưa nhập gì." in block
        and "Trang 'Ghi chú': 1 lỗi" in block
        and "Trang 'Phiếu': 2 lỗi" in block
    )
    table = html[errors:]
    # Row 2's unknown unit (found against the round) before row 3's answer (found by the reader).
    assert (
        table.index("không thuộc mẫu")
        < table.index("Không có đơn vị mã")
        < table.index("nằm ngoài thang 1–5")
    )
