"""Inputs read back what they show (issue 12 §1–3): the values rendered into the scoring and appraisal forms
are posted back unchanged when only a note/comment changes; a refusal answers 400 with the re-rendered card,
its message and the stored value; dates are written and read dd/mm/yyyy, day first, with Vietnamese errors."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.forms.scoring import EvidenceUploadForm
from assessments.models import Assessment, AssessmentRound, FieldAppraisal, Score
from assessments.selectors.appraisal import part_leaf_ids
from assessments.services import appraisal as svc
from assessments.services.scoring import score_save_self
from assessments.services.submission import assessment_submit
from assessments.tests.helpers import score_all
from criteria.models import Kind

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def inputs_of(html: str, code: str) -> dict[str, str]:
    """name → value of the text inputs and checked radios of the card of leaf ``code``, as a browser posts them."""
    start = html.index(f'id="leaf-{code}"')
    card = html[start : html.find("</article>", start)]
    values = {}
    for tag in re.findall(r"<input [^>]*>", card):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or ('type="radio"' in tag and " checked" not in tag) or 'type="checkbox"' in tag:
            continue
        values[name.group(1)] = value.group(1) if value else ""
    return values


@pytest.fixture
def part(assessment, officer, head, make_user):
    """The Sở Tư pháp part of the submitted assessment with its appraiser."""
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    appraiser = make_user("appraiser", "STP", username="td-stp")
    return FieldAppraisal.objects.get(assessment=assessment, owner__code="STP"), appraiser


def score_of_kind(part, kind):
    return (
        Score.objects.filter(
            assessment_id=part.assessment_id, criterion_id__in=part_leaf_ids(part), criterion__kind=kind
        )
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )


@pytest.mark.parametrize("kind", [Kind.RATIO, Kind.OPTIONS, Kind.YES_NO])
def test_appraisal_comment_only_save_keeps_the_appraised_score(client, part, kind):
    part, appraiser = part
    score = score_of_kind(part, kind)
    assert score is not None, f"the shipped SO set has no {kind} leaf in Sở Tư pháp's fields"
    c = score.criterion
    given = (
        {"numerator": "6,5", "denominator": "10"}
        if kind == Kind.RATIO
        else {"option": c.scale[-1]["label"]}
        if kind == Kind.OPTIONS
        else {"value": "0"}
    )
    svc.appraisal_leaf_save(score=score, by=appraiser, expected_version=score.version, **given)
    before = Score.objects.get(pk=score.pk)
    client.force_login(appraiser)
    html = client.get(reverse("assessments:appraisal_part", args=[part.pk])).content.decode()
    posted = inputs_of(html, c.code)
    if kind == Kind.RATIO:
        assert posted["numerator"] == "6,5" and posted["denominator"] == "10"
    posted.update(comment="Chỉ sửa nhận xét", csrfmiddlewaretoken="")
    response = client.post(reverse("assessments:appraisal_leaf", args=[part.pk, score.pk]), posted, **HX)
    assert response.status_code == 200, response.content.decode()[:300]
    after = Score.objects.get(pk=score.pk)
    assert after.appraised_value == before.appraised_value is not None
    assert after.appraised_option == before.appraised_option and after.appraisal_comment == "Chỉ sửa nhận xét"


def test_appraisal_refusal_answers_the_card_with_the_message_and_the_stored_value(client, part):
    part, appraiser = part
    score = score_of_kind(part, Kind.RATIO)
    svc.appraisal_leaf_save(
        score=score, by=appraiser, expected_version=score.version, numerator="7", denominator="10"
    )
    score.refresh_from_db()
    client.force_login(appraiser)
    url = reverse("assessments:appraisal_leaf", args=[part.pk, score.pk])
    response = client.post(url, {"version": score.version, "numerator": "abc", "denominator": "10"}, **HX)
    html = response.content.decode()
    assert response.status_code == 400 and f'id="leaf-{score.criterion.code}"' in html
    assert "không phải là số hợp lệ" in html and "abc / 10" in html
    assert inputs_of(html, score.criterion.code)["numerator"] == "7"
    response = client.post(
        url, {"version": score.version, "numerator": "7", "denominator": "10", "flag": "1"}, **HX
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Ghi nội dung đề nghị đơn vị giải trình" in html
    assert (
        'class="form-check-input flag-box" type="checkbox" name="flag" value="1">' in html
    )  # stored: not flagged
    assert not Score.objects.get(pk=score.pk).needs_explanation


def test_appraisal_page_prints_option_points_with_a_comma_and_field_names(client, part):
    part, appraiser = part
    client.force_login(appraiser)
    html = client.get(reverse("assessments:appraisal_part", args=[part.pk])).content.decode()
    assert not re.search(r"\(\d+\.\d+\)", html)  # no "(0.75)"
    assert 'type="number"' not in html
    field = part.field
    assert f"<title>Thẩm định · Lĩnh vực {field.code}. {field.title}" in html
    assert f'aria-current="page">Lĩnh vực {field.code}. {field.title}</li>' in html


def test_scoring_refusal_shows_the_stored_value_and_keeps_the_typed_note(client, assessment, officer, leaf):
    c = leaf("range")
    score_save_self(assessment=assessment, criterion=c, by=officer, expected_version=0, value="0,75")
    client.force_login(officer)
    url = reverse("assessments:score_save", args=[assessment.pk, c.pk])
    response = client.post(url, {"version": 1, "value": "abc", "note": "ghi chú mới"}, **HX)
    html = response.content.decode()
    assert response.status_code == 400 and "không phải là số hợp lệ" in html
    assert "Giá trị bạn vừa nhập: <strong>abc</strong>" in html
    assert inputs_of(html, c.code)["value"] == "0,75" and "ghi chú mới</textarea>" in html
    # posting back what the page shows (decimal comma) keeps the value
    html = client.get(reverse("assessments:scoring", args=[assessment.pk])).content.decode()
    posted = inputs_of(html, c.code) | {"note": "chỉ sửa ghi chú"}
    assert client.post(url, posted, **HX).status_code == 200
    assert Score.objects.get(assessment=assessment, criterion=c).self_value == Decimal("0.75")


def test_evidence_issue_date_is_read_day_first_with_a_vietnamese_error(pdf_file):
    form = EvidenceUploadForm({"issued_on": "05/01/2040"}, {"file": pdf_file()})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["issued_on"] == datetime.date(2040, 1, 5)
    form = EvidenceUploadForm({"issued_on": "31/02/2040"}, {"file": pdf_file()})
    assert not form.is_valid()
    assert form.errors["issued_on"] == [
        "Ngày ban hành không hợp lệ; ghi ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/03/2026."
    ]


def test_round_form_reads_dates_day_first_and_shows_them_dd_mm_yyyy(client, coordinator, so_set, dates):
    client.force_login(coordinator)
    data = {key: day.strftime("%d/%m/%Y") for key, day in dates.items()}
    data.update(
        year=2040,
        name="",
        set_SO=so_set.pk,
        opens_on="05/01/2040",
        self_assessment_deadline="06/02/2040",
        appraisal_1_deadline="07/03/2040",
        explanation_deadline="08/04/2040",
        appraisal_2_deadline="09/05/2040",
        publication_date="10/06/2040",
    )
    response = client.post(reverse("assessments:round_create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rnd = AssessmentRound.objects.get(year=2040)
    assert rnd.opens_on == datetime.date(2040, 1, 5) and rnd.publication_date == datetime.date(2040, 6, 10)
    html = client.get(reverse("assessments:round_edit", args=[rnd.pk])).content.decode()
    assert 'value="05/01/2040"' in html and 'value="10/06/2040"' in html


def test_round_form_date_errors_are_vietnamese(client, coordinator, so_set, dates):
    client.force_login(coordinator)
    data = {key: day.strftime("%d/%m/%Y") for key, day in dates.items()}
    data.update(year=2026, set_SO=so_set.pk, opens_on="2026/13/45", publication_date="")
    response = client.post(reverse("assessments:round_create"), data)
    html = response.content.decode()
    assert response.status_code == 400 and not Assessment.objects.exists()
    assert "Ngày mở không hợp lệ; ghi ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/03/2026." in html
    assert "Nhập ngày công bố (dd/mm/yyyy)." in html
    assert "Enter a valid date" not in html
