"""The self-assessment scoring page (issue 3 §2–7): who may see and do what on every route, saving a leaf
(HTMX and plain POST), refused input, stale edits, evidence upload / attach / detach / download, history,
submission and withdrawal, the deadline, and a constant number of queries."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentState, Evidence, EvidenceLink, Score
from assessments.services import evidence as evidence_writes
from assessments.services import scoring as scoring_writes
from criteria.models import EXTRA_KINDS, CriteriaSet, Criterion, Kind, Source
from criteria.services import criteria_set_import
from units.models import UnitGroup
from units.services import system_user

from .conftest import PDF, PNG

HX = {"HTTP_HX_REQUEST": "true"}
EXPLANATION = "Đơn vị đã thực hiện; văn bản lưu tại văn thư cơ quan."


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Evidence files of these tests go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def url(name, assessment, *ids):
    return reverse(f"assessments:{name}", args=[assessment.pk, *ids])


def score_of(assessment, criterion) -> Score:
    return Score.objects.get(assessment=assessment, criterion=criterion)


def top_input(criterion) -> tuple[dict, Decimal]:
    """POST fields giving ``criterion`` its maximum points by its kind, and those points."""
    if criterion.kind == Kind.OPTIONS:
        best = max(criterion.scale, key=lambda o: Decimal(o["points"]))
        return {"option": best["label"]}, Decimal(best["points"])
    if criterion.kind == Kind.RATIO:
        return {"numerator": "20", "denominator": "20"}, Decimal(criterion.scale[0]["points"])
    return {"value": str(criterion.max_points)}, criterion.max_points


def appraisal_leaves(assessment) -> list[Criterion]:
    return list(
        Criterion.objects.filter(
            criteria_set_id=assessment.criteria_set_id, children__isnull=True, source=Source.APPRAISAL
        )
        .exclude(kind__in=EXTRA_KINDS)
        .order_by("order")
    )


def score_everything(assessment, by) -> Decimal:
    """Score every appraisal leaf at its maximum through the service, with an explanation (no evidence);
    returns the self total (points)."""
    total = Decimal(0)
    for criterion in appraisal_leaves(assessment):
        data, points = top_input(criterion)
        scoring_writes.score_save_self(
            assessment=assessment,
            criterion=criterion,
            by=by,
            explanation=EXPLANATION,
            expected_version=score_of(assessment, criterion).version,
            **data,
        )
        total += points
    return total


def upload(assessment, criterion, by, content=PDF, name="ke-hoach.pdf", **meta) -> Evidence:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return evidence_writes.evidence_upload(
        assessment=assessment,
        criterion=criterion,
        by=by,
        name=name,
        file=SimpleUploadedFile(name, content),
        **meta,
    )


def card_of(html: str, code: str) -> str:
    """The HTML of the leaf card ``#leaf-<code>``."""
    start = html.index(f'id="leaf-{code}"')
    end = html.find("</article>", start)
    return html[start:end]


@pytest.fixture
def other_assessment(open_round) -> Assessment:
    """Sở Tư pháp's assessment in the same round."""
    return Assessment.objects.get(round=open_round, unit__code="STP")


@pytest.fixture
def outsiders(make_user, units):
    """People who must not learn that a draft of SCT exists: an officer of another unit, an appraiser and a
    leader (appraisers see assessments only after submission, leaders only published ones)."""
    return {
        "officer of STP": make_user("officer", "STP"),
        "appraiser": make_user("appraiser", "STP"),
        "leader": make_user("leader", "UBNDT"),
    }


# ---------------------------------------------------------------- who may do what


def all_routes(assessment, leaf_id, evidence_id):
    """(method, url) of every route of the page."""
    return [
        ("get", url("scoring", assessment)),
        ("post", url("score_save", assessment, leaf_id)),
        ("get", url("leaf_history", assessment, leaf_id)),
        ("post", url("evidence_upload", assessment, leaf_id)),
        ("post", url("evidence_attach", assessment, leaf_id)),
        ("post", url("evidence_detach", assessment, leaf_id, evidence_id)),
        ("get", url("evidence_download", assessment, evidence_id)),
        ("get", url("submit", assessment)),
        ("post", url("submit", assessment)),
        ("post", url("withdraw", assessment)),
    ]


@pytest.mark.parametrize("who", ["officer", "head"])
def test_unit_officer_and_head_get_the_page_with_inputs(client, assessment, request, who, leaf):
    client.force_login(request.getfixturevalue(who))
    response = client.get(url("scoring", assessment))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Sở Công Thương" in html and "Đánh giá Chỉ số CCHC năm 2026" in html
    assert html.count('class="score-form') == len(appraisal_leaves(assessment))
    options = leaf("options")
    assert f'value="{options.scale[0]["label"]}"' in card_of(html, options.code)
    assert ("Nộp bản tự đánh giá" in html) is (who == "head")


@pytest.mark.parametrize("who", ["coordinator", "admin_user"])
def test_coordinator_and_admin_read_the_page_but_may_not_self_score(client, assessment, request, who, leaf):
    client.force_login(request.getfixturevalue(who))
    html = client.get(url("scoring", assessment)).content.decode()
    assert 'class="score-form' not in html and 'name="file"' not in html
    assert "chỉ cán bộ CCHC và thủ trưởng của đơn vị được tự chấm" in html
    criterion = leaf("range")
    response = client.post(url("score_save", assessment, criterion.pk), {"version": 0, "value": "0.5"}, **HX)
    assert response.status_code == 403
    response = client.post(url("evidence_upload", assessment, criterion.pk), {"file": io.BytesIO(PDF)}, **HX)
    assert response.status_code == 403
    assert score_of(assessment, criterion).self_value is None and not Evidence.objects.exists()


def test_an_officer_may_not_submit_nor_withdraw(client, assessment, officer):
    client.force_login(officer)
    assert client.post(url("submit", assessment)).status_code == 403
    assert client.post(url("withdraw", assessment)).status_code == 403
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT


@pytest.mark.parametrize("who", ["officer of STP", "appraiser", "leader"])
def test_outsiders_get_404_on_every_route(client, assessment, officer, outsiders, who, leaf):
    criterion = leaf("options")
    evidence = upload(assessment, criterion, officer)
    client.force_login(outsiders[who])
    for method, target in all_routes(assessment, criterion.pk, evidence.pk):
        assert getattr(client, method)(target).status_code == 404, (method, target)
    assert score_of(assessment, criterion).version == 0 and EvidenceLink.objects.count() == 1


def test_anonymous_users_are_sent_to_login(client, assessment, leaf):
    for method, target in all_routes(assessment, leaf("options").pk, 1):
        response = getattr(client, method)(target)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), target


def test_wrong_methods_get_405(client, assessment, officer, leaf):
    client.force_login(officer)
    criterion = leaf("options")
    evidence = upload(assessment, criterion, officer)
    for method, target in all_routes(assessment, criterion.pk, evidence.pk):
        wrong = {"get": "post", "post": "get"}[method]
        if target == url("submit", assessment):
            wrong = "put"
        assert getattr(client, wrong)(target).status_code == 405, (wrong, target)


def test_a_leaf_of_another_set_or_a_parent_node_is_404(client, assessment, officer, so_set):
    other_set = criteria_set_import(
        group=UnitGroup.objects.get(code="DVSN"),
        year=2026,
        by=system_user(),
        data=open("fixtures/criteria/DVSN.xlsx", "rb").read(),
    )
    foreign = (
        other_set.nodes.filter(children__isnull=True, kind=Kind.RANGE).first()
        or other_set.nodes.filter(children__isnull=True, source=Source.APPRAISAL).first()
    )
    parent = CriteriaSet.objects.get(pk=so_set.pk).nodes.filter(level=1).first()
    client.force_login(officer)
    for criterion_id in (foreign.pk, parent.pk, 999999, 10**20):
        for target in (
            url("score_save", assessment, criterion_id),
            url("evidence_upload", assessment, criterion_id),
            url("evidence_attach", assessment, criterion_id),
        ):
            response = client.post(
                target, {"version": 0, "value": "1", "evidence": 1, "file": io.BytesIO(PDF)}, **HX
            )
            assert response.status_code == 404, target
        assert client.get(url("leaf_history", assessment, criterion_id)).status_code == 404
    assert not Score.objects.filter(assessment=assessment, version__gt=0).exists()
    assert not Evidence.objects.exists()


def test_a_document_of_another_assessment_is_404(
    client, assessment, other_assessment, officer, other_officer, leaf
):
    criterion = leaf("options")
    theirs = upload(other_assessment, criterion, other_officer, doc_number="15/KH-STP")
    mine = upload(assessment, criterion, officer, content=PNG, name="anh.png")
    client.force_login(officer)
    assert (
        client.post(
            url("evidence_attach", assessment, leaf("ratio").pk), {"evidence": theirs.pk}, **HX
        ).status_code
        == 404
    )
    assert client.post(url("evidence_detach", assessment, criterion.pk, theirs.pk), **HX).status_code == 404
    assert client.get(url("evidence_download", assessment, theirs.pk)).status_code == 404
    # the other unit's id under its own assessment's URL is still an outsider's
    assert client.get(url("evidence_download", other_assessment, theirs.pk)).status_code == 404
    assert client.get(url("evidence_download", assessment, mine.pk)).status_code == 200
    assert EvidenceLink.objects.filter(evidence=theirs).count() == 1


# ---------------------------------------------------------------- the page


def test_the_header_shows_deadline_totals_progress_and_filters(client, assessment, officer, leaf):
    criterion = leaf("range")
    scoring_writes.score_save_self(
        assessment=assessment, criterion=criterion, by=officer, expected_version=0, value="0.75"
    )
    client.force_login(officer)
    html = client.get(url("scoring", assessment)).content.decode()
    totals = html[
        html.index('id="scoring-totals"') : html.index("</section>", html.index('id="scoring-totals"'))
    ]
    assert '<strong id="self-total">0,75</strong> / <span id="appraisal-max">63</span>' in totals
    assert "1/76" in totals and 'aria-valuenow="1"' in totals
    assert '<span id="without-evidence">76</span>' in totals
    assert "Chưa chấm (75)" in totals and "Đã chấm, chưa có tài liệu (1)" in totals
    field = criterion.code.split(".")[0]  # the leaf's field row: highlighted, with its self total / max
    field_row = html[
        html.index(f'scoring-field" id="node-{field}"') : html.index(f'id="leaf-{criterion.code}"')
    ]
    assert re.search(r'">0,75 / [\d,]+</span> <span class="small-muted">· 1/\d+</span>', field_row)
    deadline = assessment.round.self_assessment_deadline
    assert f"Hạn tự đánh giá: {deadline:%d/%m/%Y}" in html and "còn 30 ngày" in html
    assert "Đang tự đánh giá" in html


def test_survey_leaves_are_read_only_with_the_note(client, assessment, officer, so_set):
    survey = (
        CriteriaSet.objects.get(pk=so_set.pk)
        .nodes.filter(source=Source.SURVEY, children__isnull=True)
        .first()
    )
    client.force_login(officer)
    card = card_of(client.get(url("scoring", assessment)).content.decode(), survey.code)
    assert "Điểm do điều tra xã hội học, đơn vị không tự chấm" in card
    assert "<form" not in card and "<input" not in card


def test_each_kind_gets_its_input(client, assessment, officer, leaf):
    client.force_login(officer)
    html = client.get(url("scoring", assessment)).content.decode()
    options, ratio, range_, yes_no = leaf("options"), leaf("ratio"), leaf("range"), leaf("yes_no")
    card = card_of(html, options.code)
    assert card.count('type="radio" name="option"') == len(options.scale)
    assert f'{options.scale[1]["label"]} <span class="badge text-bg-light border">0,25 điểm</span>' in card
    card = card_of(html, ratio.code)
    assert 'name="numerator"' in card and 'name="denominator"' in card
    assert f'data-bands="{";".join(b["min"] + ":" + b["points"] for b in ratio.scale)}"' in card
    card = card_of(html, range_.code)
    # a text input the server parses ("0,75"), no browser min/max/step with its English bubbles
    assert re.search(r'<input type="text" inputmode="decimal"[^>]* name="value"', card)
    assert not re.search(r'name="value"[^>]* (min|max|step)=', card) and "/ 1 · bước 0,25" in card
    assert 'type="number"' not in html
    card = card_of(html, yes_no.code)
    assert (
        f'name="value" value="{yes_no.max_points.normalize():f}"' in card and 'name="value" value="0"' in card
    )
    assert "Có (" in card and "Không (0 điểm)" in card


def test_filters_show_unscored_leaves_or_scored_ones_without_evidence(client, assessment, officer, leaf):
    scored, documented = leaf("range"), leaf("options")
    scoring_writes.score_save_self(
        assessment=assessment, criterion=scored, by=officer, expected_version=0, value="1"
    )
    scoring_writes.score_save_self(
        assessment=assessment,
        criterion=documented,
        by=officer,
        expected_version=0,
        option=documented.scale[0]["label"],
    )
    upload(assessment, documented, officer)
    client.force_login(officer)
    html = client.get(url("scoring", assessment) + "?filter=unscored").content.decode()
    assert html.count('class="card leaf-card') == 74
    assert f'id="leaf-{scored.code}"' not in html and f'id="leaf-{documented.code}"' not in html
    html = client.get(url("scoring", assessment) + "?filter=noevidence").content.decode()
    assert html.count('class="card leaf-card') == 1 and f'id="leaf-{scored.code}"' in html
    field = scored.code.split(".")[0]
    assert f'id="node-{field}"' in html  # its field stays above it


def test_the_filters_show_what_blocks_submission(client, assessment, officer, leaf):
    """The filters and their counts follow the submission check (``submission_problems``): a leaf scored 0, or
    explained without evidence, needs nothing more; a not-applicable claim is not unscored."""
    from assessments.selectors.scoring import submission_problems

    zero, explained, positive, claimed = leaf("range"), leaf("options"), leaf("yes_no"), leaf("ratio")
    save = scoring_writes.score_save_self
    save(assessment=assessment, criterion=zero, by=officer, expected_version=0, value="0")
    save(
        assessment=assessment,
        criterion=explained,
        by=officer,
        expected_version=0,
        option=explained.scale[0]["label"],
        explanation=EXPLANATION,
    )
    save(
        assessment=assessment,
        criterion=positive,
        by=officer,
        expected_version=0,
        value=str(positive.max_points),
    )
    save(
        assessment=assessment,
        criterion=claimed,
        by=officer,
        expected_version=0,
        not_applicable=True,
        note="Đơn vị không có nhiệm vụ này",
    )
    problems = submission_problems(assessment)
    client.force_login(officer)
    shown = {}
    for which in ("unscored", "noevidence"):
        html = client.get(url("scoring", assessment) + f"?filter={which}").content.decode()
        shown[which] = set(re.findall(r'class="card leaf-card[^"]*" id="leaf-([^"]+)"', html))
        assert re.search(rf'\?filter={which}">[^<]*\({len(shown[which])}\)</a>', html)
    assert shown["noevidence"] == {positive.code}
    assert shown["noevidence"] == {s.criterion.code for s, _ in problems if s.self_value is not None}
    assert shown["unscored"] == {s.criterion.code for s, _ in problems if s.self_value is None}
    assert claimed.code not in shown["unscored"] and zero.code not in shown["unscored"]
    assert len(shown["unscored"]) == 76 - 4  # 76 appraisal leaves (see above), 4 answered


# ---------------------------------------------------------------- saving a leaf


@pytest.mark.parametrize("kind", ["options", "ratio", "range", "yes_no"])
def test_htmx_save_returns_the_card_with_the_value_and_oob_totals(client, assessment, officer, leaf, kind):
    criterion = leaf(kind)
    data, points = top_input(criterion)
    client.force_login(officer)
    response = client.post(
        url("score_save", assessment, criterion.pk),
        {"version": 0, "note": "Theo báo cáo quý IV", **data},
        **HX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    score = score_of(assessment, criterion)
    assert score.self_value == points and score.version == 1 and score.note == "Theo báo cáo quý IV"
    card = card_of(html, criterion.code)
    assert "Đã lưu" in card and f"<strong>{scoring_writes.scales.format_decimal(points)}</strong>" in card
    assert 'name="version" value="1"' in card and "Theo báo cáo quý IV</textarea>" in card
    assert f'<strong id="self-total">{scoring_writes.scales.format_decimal(points)}</strong>' in html
    assert 'id="scoring-totals" hx-swap-oob="true"' in html
    field = Criterion.objects.get(
        criteria_set_id=criterion.criteria_set_id, code=criterion.code.split(".")[0]
    )
    assert f'id="node-total-{field.pk}" hx-swap-oob="true"' in html
    if kind == "options":
        assert re.search(r'value="' + re.escape(data["option"]) + '" checked', card)


def test_a_positive_score_without_evidence_asks_for_an_explanation(client, assessment, officer, leaf):
    criterion = leaf("options")
    client.force_login(officer)
    response = client.post(
        url("score_save", assessment, criterion.pk),
        {"version": 0, "option": criterion.scale[0]["label"]},
        **HX,
    )
    card = card_of(response.content.decode(), criterion.code)
    assert "explanation-needed" in card and "ghi giải trình hoặc tải tài liệu lên" in card
    response = client.post(
        url("score_save", assessment, criterion.pk),
        {"version": 1, "option": criterion.scale[0]["label"], "explanation": EXPLANATION},
        **HX,
    )
    card = card_of(response.content.decode(), criterion.code)
    assert "explanation-needed" not in card and score_of(assessment, criterion).explanation == EXPLANATION


def test_plain_post_redirects_to_the_leaf_with_a_message(client, assessment, officer, leaf):
    criterion = leaf("range")
    client.force_login(officer)
    response = client.post(url("score_save", assessment, criterion.pk), {"version": 0, "value": "0,5"})
    assert response.status_code == 302
    assert response["Location"] == url("scoring", assessment) + f"#leaf-{criterion.code}"
    html = client.get(response["Location"]).content.decode()
    assert f"Đã lưu điểm tự chấm tiêu chí {criterion.code}." in html
    assert score_of(assessment, criterion).self_value == Decimal("0.5")


BAD_INPUT = [
    ("range", {"value": "1.25"}, "vượt điểm tối đa 1 của tiêu chí"),
    ("range", {"value": "-0.25"}, "Điểm không được âm."),
    ("range", {"value": "0.3"}, "Điểm phải theo bước 0,25"),
    ("range", {"value": "abc"}, "không phải là số hợp lệ"),
    ("options", {"option": "Hoàn thành vượt mức"}, "không phải là một lựa chọn của tiêu chí này"),
    ("ratio", {"numerator": "5", "denominator": "0"}, "Mẫu số phải lớn hơn 0."),
    ("ratio", {"numerator": "12", "denominator": "10"}, "Tử số không được lớn hơn mẫu số."),
    ("ratio", {"numerator": "abc", "denominator": "10"}, "không phải là số hợp lệ"),
    ("ratio", {"numerator": "5", "denominator": ""}, "Nhập cả tử số và mẫu số."),
    ("yes_no", {"value": "0.25"}, "chỉ nhận"),
    ("range", {"value": "0.5", "version": "abc"}, "Phiên bản của điểm không hợp lệ"),
]


@pytest.mark.parametrize("kind,data,message", BAD_INPUT)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_input_is_refused_with_the_message_and_nothing_is_stored(
    client, assessment, officer, leaf, kind, data, message, htmx
):
    criterion = leaf(kind)
    client.force_login(officer)
    response = client.post(
        url("score_save", assessment, criterion.pk),
        {"version": "0", "note": "ghi chú mới", **data},
        **(HX if htmx else {}),
    )
    assert response.status_code == 400
    card = card_of(response.content.decode(), criterion.code)
    assert message in card and "score-error" in card
    assert "ghi chú mới</textarea>" in card  # what the user typed is still there
    score = score_of(assessment, criterion)
    assert (score.self_value, score.note, score.version) == (None, "", 0)


def test_a_stale_version_gets_409_with_the_current_value(client, assessment, officer, head, leaf):
    criterion = leaf("range")
    scoring_writes.score_save_self(
        assessment=assessment, criterion=criterion, by=head, expected_version=0, value="1"
    )
    client.force_login(officer)
    response = client.post(url("score_save", assessment, criterion.pk), {"version": 0, "value": "0.25"}, **HX)
    assert response.status_code == 409
    card = card_of(response.content.decode(), criterion.code)
    assert "vừa được thutruong-sct cập nhật" in card and "hiện là 1 điểm" in card
    assert 'name="version" value="1"' in card  # re-apply on the current version
    assert re.search(r'name="value" id="v\d+" value="1"', card)
    assert "Giá trị bạn vừa nhập: <strong>0.25</strong>" in card
    assert score_of(assessment, criterion).self_value == 1
    response = client.post(url("score_save", assessment, criterion.pk), {"version": 1, "value": "0.25"}, **HX)
    assert response.status_code == 200 and score_of(assessment, criterion).self_value == Decimal("0.25")


def test_history_lists_who_changed_what(client, assessment, officer, head, leaf):
    criterion = leaf("range")
    scoring_writes.score_save_self(
        assessment=assessment, criterion=criterion, by=officer, expected_version=0, value="1"
    )
    scoring_writes.score_save_self(
        assessment=assessment, criterion=criterion, by=head, expected_version=1, value="0.5"
    )
    client.force_login(officer)
    response = client.get(url("leaf_history", assessment, criterion.pk), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "thutruong-sct" in html and "canbo-sct" in html and "1 → 0,5" in html and "Tự chấm điểm" in html
    page = client.get(url("leaf_history", assessment, criterion.pk)).content.decode()
    assert "<html" in page and "1 → 0,5" in page  # readable without JavaScript


# ---------------------------------------------------------------- evidence


def test_upload_with_metadata_attaches_the_document_to_the_leaf(
    client, assessment, officer, leaf, private_storage
):
    criterion = leaf("options")
    client.force_login(officer)
    response = client.post(
        url("evidence_upload", assessment, criterion.pk),
        {
            "file": io.BytesIO(PDF),
            "doc_number": "125/KH-SCT",
            "issued_on": "2026-01-15",
            "issuer": "Sở Công Thương",
            "cited_section": "Mục II, trang 3",
            "description": "Kế hoạch CCHC năm 2026",
        },
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    evidence = Evidence.objects.get()
    assert (evidence.doc_number, evidence.issued_on, evidence.issuer, evidence.cited_section) == (
        "125/KH-SCT",
        datetime.date(2026, 1, 15),
        "Sở Công Thương",
        "Mục II, trang 3",
    )
    card = card_of(html, criterion.code)
    assert "125/KH-SCT · ngày 15/01/2026 · Sở Công Thương · Mục II, trang 3" in card
    assert url("evidence_download", assessment, evidence.pk) in card
    assert 'id="assessment-documents" hidden hx-swap-oob="true"' in html  # the attach lists learn about it
    assert '<span id="without-evidence">75</span>' in html
    assert list(private_storage.rglob("*.pdf"))


@pytest.mark.parametrize(
    "content,name,message",
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
            "bao-cao.pdf",
            "Chỉ nhận tài liệu PDF",
        ),
        (b"", "rong.pdf", "Tệp rỗng"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client, assessment, officer, leaf, private_storage, content, name, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    criterion = leaf("options")
    client.force_login(officer)
    response = client.post(
        url("evidence_upload", assessment, criterion.pk),
        {"file": SimpleUploadedFile(name, content), "doc_number": "01/BC"},
        **HX,
    )
    assert response.status_code == 400
    card = card_of(response.content.decode(), criterion.code)
    assert message in card and "evidence-error" in card and '<details class="evidence-forms" open>' in card
    assert not Evidence.objects.exists() and not list(private_storage.rglob("*.*"))


def test_an_oversize_file_is_refused(client, assessment, officer, leaf, settings, private_storage):
    settings.EVIDENCE_MAX_BYTES = 50
    criterion = leaf("options")
    client.force_login(officer)
    response = client.post(url("evidence_upload", assessment, criterion.pk), {"file": io.BytesIO(PDF)}, **HX)
    assert response.status_code == 400 and "vượt giới hạn" in response.content.decode()
    assert not Evidence.objects.exists() and not list(private_storage.rglob("*.*"))


def test_an_upload_without_file_or_with_a_bad_date_is_refused(client, assessment, officer, leaf):
    criterion = leaf("options")
    client.force_login(officer)
    response = client.post(url("evidence_upload", assessment, criterion.pk), {"doc_number": "1/QĐ"})
    assert response.status_code == 400 and "Hãy chọn tệp tài liệu kiểm chứng." in response.content.decode()
    response = client.post(
        url("evidence_upload", assessment, criterion.pk),
        {"file": io.BytesIO(PDF), "issued_on": "31/02/2026"},
        **HX,
    )
    assert response.status_code == 400 and "Ngày ban hành không hợp lệ" in response.content.decode()
    assert not Evidence.objects.exists()


def test_one_document_attached_to_two_leaves_then_detached(client, assessment, officer, leaf):
    first, second = leaf("options"), leaf("ratio")
    evidence = upload(assessment, first, officer, doc_number="125/KH-SCT")
    client.force_login(officer)
    html = client.get(url("scoring", assessment)).content.decode()
    assert f'<option value="{evidence.pk}">125/KH-SCT — ke-hoach.pdf</option>' in html  # the attach choices
    assert f'data-linked="{evidence.pk}"' in card_of(html, first.code)
    response = client.post(url("evidence_attach", assessment, second.pk), {"evidence": evidence.pk}, **HX)
    assert response.status_code == 200 and "Đã gắn “125/KH-SCT”" in response.content.decode()
    assert Evidence.objects.count() == 1
    assert set(EvidenceLink.objects.values_list("score__criterion", flat=True)) == {first.pk, second.pk}
    html = client.get(url("scoring", assessment)).content.decode()
    assert "125/KH-SCT" in card_of(html, first.code) and "125/KH-SCT" in card_of(html, second.code)

    response = client.post(url("evidence_detach", assessment, second.pk, evidence.pk))
    assert response.status_code == 302 and Evidence.objects.filter(pk=evidence.pk).exists()
    response = client.post(url("evidence_detach", assessment, first.pk, evidence.pk), **HX)
    assert "đã được xóa" in response.content.decode() and not Evidence.objects.exists()
    assert client.post(url("evidence_detach", assessment, first.pk, evidence.pk), **HX).status_code == 404


def test_attach_without_choosing_a_document_says_so(client, assessment, officer, leaf):
    client.force_login(officer)
    response = client.post(url("evidence_attach", assessment, leaf("options").pk), {"evidence": ""}, **HX)
    assert response.status_code == 400 and "Hãy chọn một tài liệu đã tải lên." in response.content.decode()


def test_the_unit_and_the_coordinator_download_the_file_under_its_name(
    client, assessment, officer, coordinator, leaf
):
    pdf = upload(assessment, leaf("options"), officer, name="Kế hoạch CCHC 2026.pdf")
    book = io.BytesIO()
    openpyxl.Workbook().save(book)
    xlsx = upload(assessment, leaf("ratio"), officer, content=book.getvalue(), name="so-lieu.xlsx")
    for user in (officer, coordinator):
        client.force_login(user)
        response = client.get(url("evidence_download", assessment, pdf.pk))
        assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert (
            "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20CCHC%202026.pdf" in response["Content-Disposition"]
        )
    response = client.get(url("evidence_download", assessment, xlsx.pk))
    assert response["Content-Disposition"] == 'attachment; filename="so-lieu.xlsx"'
    assert b"".join(response.streaming_content) == book.getvalue()


def test_a_pdf_named_html_is_served_as_the_pdf_it_is_in_a_sandbox(client, assessment, officer, leaf):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(officer)
    response = client.post(
        url("evidence_upload", assessment, leaf("options").pk),
        {"file": SimpleUploadedFile("ok.html", PDF, content_type="text/html")},
        **HX,
    )
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    download = client.get(url("evidence_download", assessment, evidence.pk))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'inline; filename="ok.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox"


@pytest.mark.parametrize(
    "name, served",
    [
        ("ok.html", "ok.pdf"),
        ("ke-hoach.PDF", "ke-hoach.pdf"),
        ("bao-cao", "bao-cao.pdf"),
        ("Quyết định 12.2026", "Quyết định 12.2026.pdf"),
        (".htaccess", ".htaccess.pdf"),
    ],
)
def test_the_download_name_takes_the_detected_type_s_extension(assessment, officer, leaf, name, served):
    assert upload(assessment, leaf("options"), officer, name=name).download_name == served


def test_a_file_missing_from_storage_is_404_not_500(client, assessment, officer, leaf):
    evidence = upload(assessment, leaf("options"), officer)
    evidence.file.storage.delete(evidence.file.name)
    client.force_login(officer)
    assert client.get(url("evidence_download", assessment, evidence.pk)).status_code == 404


# ---------------------------------------------------------------- submission, withdrawal, deadline


def test_submitting_an_incomplete_assessment_lists_what_is_missing(client, assessment, head, leaf):
    criterion = leaf("range")
    scoring_writes.score_save_self(
        assessment=assessment, criterion=criterion, by=head, expected_version=0, value="1"
    )
    client.force_login(head)
    page = client.get(url("submit", assessment)).content.decode()
    assert (
        "Còn 76 tiêu chí cần hoàn thiện trước khi nộp" in page and 'id="submit-assessment" disabled' in page
    )
    response = client.post(url("submit", assessment))
    html = response.content.decode()
    assert response.status_code == 400 and "Chưa thể nộp: còn 76 tiêu chí cần hoàn thiện." in html
    first = appraisal_leaves(assessment)[0]
    assert f'href="{url("scoring", assessment)}?filter=unscored#leaf-{first.code}"' in html
    assert f"Tiêu chí {first.code} chưa được chấm điểm." in html
    assert f'?filter=noevidence#leaf-{criterion.code}"' in html and "chưa có tài liệu kiểm chứng" in html
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT


def test_head_submits_a_complete_assessment_then_withdraws_it(client, assessment, officer, head, leaf):
    total = score_everything(assessment, officer)
    client.force_login(head)
    assert "Đã chấm đủ các tiêu chí" in client.get(url("submit", assessment)).content.decode()
    response = client.post(url("submit", assessment))
    assert response.status_code == 302 and response["Location"] == url("scoring", assessment)
    saved = Assessment.objects.get(pk=assessment.pk)
    assert saved.state == AssessmentState.SUBMITTED and saved.submitted_by == head
    html = client.get(url("scoring", assessment)).content.decode()
    assert "Đã nộp bản tự đánh giá" in html and "Đã nộp" in html
    assert 'class="score-form' not in html and 'name="file"' not in html and 'id="withdraw"' in html
    assert f'<strong id="self-total">{scoring_writes.scales.format_decimal(total)}</strong>' in html
    assert "trạng thái &#x27;Đã nộp&#x27;; không thể sửa." in html

    criterion = leaf("range")  # the service refuses, whatever the page shows
    response = client.post(url("score_save", assessment, criterion.pk), {"version": 1, "value": "0"}, **HX)
    assert response.status_code == 400 and "không thể sửa" in response.content.decode()
    response = client.post(url("evidence_upload", assessment, criterion.pk), {"file": io.BytesIO(PDF)}, **HX)
    assert response.status_code == 400 and not Evidence.objects.exists()
    assert score_of(assessment, criterion).self_value == criterion.max_points

    response = client.post(url("withdraw", assessment))
    assert response.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT
    html = client.get(url("scoring", assessment)).content.decode()
    assert "Đã rút bản tự đánh giá" in html and 'class="score-form' in html


def test_withdrawing_a_draft_is_refused_with_the_reason(client, assessment, head):
    client.force_login(head)
    response = client.post(url("withdraw", assessment))
    assert response.status_code == 400
    assert "Chỉ rút lại được bản đã nộp" in response.content.decode()


def test_after_the_deadline_the_page_is_read_only_and_saves_are_refused(
    client, assessment, officer, head, leaf
):
    criterion = leaf("range")
    deadline = assessment.round.self_assessment_deadline
    with time_machine.travel(
        timezone.make_aware(
            datetime.datetime.combine(deadline + datetime.timedelta(days=1), datetime.time(8))
        )
    ):
        client.force_login(officer)
        html = client.get(url("scoring", assessment)).content.decode()
        assert f"Đã hết hạn tự đánh giá (ngày {deadline:%d/%m/%Y}); không thể sửa." in html
        assert "đã quá hạn" in html and 'class="score-form' not in html
        response = client.post(
            url("score_save", assessment, criterion.pk), {"version": 0, "value": "1"}, **HX
        )
        assert response.status_code == 400 and "Đã hết hạn tự đánh giá" in response.content.decode()
        response = client.post(url("score_save", assessment, criterion.pk), {"version": 0, "value": "1"})
        assert response.status_code == 400 and "Đã hết hạn tự đánh giá" in response.content.decode()
        client.force_login(head)
        assert client.post(url("submit", assessment)).status_code == 400
    assert score_of(assessment, criterion).version == 0
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT


# ---------------------------------------------------------------- queries


def test_the_page_runs_a_constant_number_of_queries(
    client, assessment, officer, django_assert_max_num_queries
):
    """The real departments' set (135 nodes) with every appraisal leaf scored and two documents on each."""
    score_everything(assessment, officer)
    scores = list(Score.objects.filter(assessment=assessment, criterion__source=Source.APPRAISAL))
    documents = Evidence.objects.bulk_create(
        [
            Evidence(
                assessment=assessment,
                file=f"evidence/2026/SCT/{i}.pdf",
                original_name=f"tai-lieu-{i}.pdf",
                size=len(PDF),
                sha256=f"{i:064x}",
                content_type="application/pdf",
                doc_number=f"{i}/QĐ-SCT",
                issued_on=datetime.date(2026, 1, 1),
                issuer="Sở Công Thương",
                uploaded_by=officer,
            )
            for i in range(2 * len(scores))
        ]
    )
    EvidenceLink.objects.bulk_create(
        [
            EvidenceLink(evidence=documents[2 * i + k], score=s, created_by=officer)
            for i, s in enumerate(scores)
            for k in (0, 1)
        ]
    )
    client.force_login(officer)
    with django_assert_max_num_queries(15):
        response = client.get(url("scoring", assessment))
    html = response.content.decode()
    assert html.count('class="card leaf-card') == 98 and html.count("evidence-item") == 2 * len(scores)
    assert '<span id="without-evidence">0</span>' in html
