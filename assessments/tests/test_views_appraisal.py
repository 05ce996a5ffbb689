"""Appraisal pages (issue 4): who may open and act on each (allowed, 403, outsider 404, anonymous, 405),
and what the appraiser, the unit and the coordinator see and get back."""

import pytest
from django.urls import reverse

from assessments.models import Assessment, AssessmentState, FieldAppraisal, PartState, Score
from assessments.selectors.appraisal import part_leaf_ids
from assessments.services import appraisal as svc
from assessments.services.submission import assessment_submit
from criteria.models import Kind

from .helpers import score_all


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stp_part(submitted):
    return FieldAppraisal.objects.select_related("field").get(assessment=submitted, owner__code="STP")


def leaf_of(part, kind=None):
    qs = (
        Score.objects.filter(assessment_id=part.assessment_id, criterion_id__in=part_leaf_ids(part))
        .select_related("criterion")
        .order_by("criterion__order")
    )
    return qs.filter(criterion__kind=kind).first() if kind else qs.first()


def as_user(client, user):
    client.force_login(user)
    return client


def valid_post(score, **extra):
    c = score.criterion
    data = {"version": score.version, "comment": "Đúng"}
    if c.kind == Kind.OPTIONS:
        data["option"] = c.scale[0]["label"]
    elif c.kind == Kind.RATIO:
        data.update(numerator="9", denominator="10")
    else:
        data["value"] = "0"
    data.update(extra)
    return data


# ---------------------------------------------------------------------------------------------- access


def test_queue_lists_only_the_agencys_parts_and_is_closed_to_unit_users(client, stp_part, people, officer):
    r = as_user(client, people["stp"]).get(reverse("assessments:appraisal_queue"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "Sở Công Thương" in body and f"{stp_part.field.code}. " in body
    assert body.count('class="queue-row') == 1
    assert as_user(client, officer).get(reverse("assessments:appraisal_queue")).status_code == 403
    assert as_user(client, people["leader"]).get(reverse("assessments:appraisal_queue")).status_code == 403
    client.logout()
    r = client.get(reverse("assessments:appraisal_queue"))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert as_user(client, people["stp"]).post(reverse("assessments:appraisal_queue")).status_code == 405


def test_queue_filters_by_status(client, submitted, people):
    snv = as_user(client, people["snv"])
    assert (
        snv.get(reverse("assessments:appraisal_queue") + "?status=not_started")
        .content.decode()
        .count('class="queue-row')
        == 4
    )  # fields 1, 4, 5, 8
    assert (
        snv.get(reverse("assessments:appraisal_queue") + "?status=done")
        .content.decode()
        .count('class="queue-row')
        == 0
    )


@pytest.mark.parametrize(
    "who, status",
    [("stp", 200), ("coordinator", 200), ("admin", 200), ("snv", 404), ("leader", 404), ("officer", 404)],
)
def test_part_page_access(client, stp_part, people, officer, who, status):
    user = officer if who == "officer" else people[who]
    r = as_user(client, user).get(reverse("assessments:appraisal_part", args=[stp_part.pk]))
    assert r.status_code == status
    if status == 200:
        assert stp_part.field.title[:30] in r.content.decode()


def test_a_part_of_a_draft_is_nobodys(client, assessment, officer, head, people):
    score_all(assessment, officer, explanation="x")
    assessment_submit(assessment=assessment, by=head)
    p = FieldAppraisal.objects.get(assessment=assessment, owner__code="STP")
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.DRAFT)  # withdrawn
    assert (
        as_user(client, people["stp"]).get(reverse("assessments:appraisal_part", args=[p.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("who, status", [("coordinator", 403), ("snv", 404), ("officer", 404)])
def test_only_the_agencys_appraiser_saves_a_leaf(client, stp_part, people, officer, who, status):
    s = leaf_of(stp_part)
    user = officer if who == "officer" else people[who]
    r = as_user(client, user).post(
        reverse("assessments:appraisal_leaf", args=[stp_part.pk, s.pk]), valid_post(s)
    )
    assert r.status_code == status
    assert Score.objects.get(pk=s.pk).appraised_value is None


def test_forged_leaf_of_another_part_is_404(client, submitted, stp_part, people):
    other = FieldAppraisal.objects.get(assessment=submitted, owner__code="STC")
    s = leaf_of(other)
    r = as_user(client, people["stp"]).post(
        reverse("assessments:appraisal_leaf", args=[stp_part.pk, s.pk]), valid_post(s)
    )
    assert r.status_code == 404
    r = as_user(client, people["stp"]).get(reverse("assessments:appraisal_leaf", args=[stp_part.pk, s.pk]))
    assert r.status_code == 405


# ---------------------------------------------------------------------------------------------- appraiser


def test_htmx_save_returns_the_card_and_totals(client, stp_part, people):
    s = leaf_of(stp_part)
    r = as_user(client, people["stp"]).post(
        reverse("assessments:appraisal_leaf", args=[stp_part.pk, s.pk]), valid_post(s), HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert f'id="leaf-{s.criterion.code}"' in body and 'hx-swap-oob="true"' in body and "Đã lưu" in body
    assert Score.objects.get(pk=s.pk).appraised_value is not None
    assert FieldAppraisal.objects.get(pk=stp_part.pk).state == PartState.IN_PROGRESS


def test_a_bad_value_gets_a_vietnamese_message_and_400(client, submitted, people):
    part = FieldAppraisal.objects.get(assessment=submitted, owner__code="SNV", field__code="4")
    s = leaf_of(part, Kind.RANGE)
    r = as_user(client, people["snv"]).post(
        reverse("assessments:appraisal_leaf", args=[part.pk, s.pk]),
        valid_post(s, value="99"),
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 400 and "vượt điểm tối đa" in r.content.decode()
    r = as_user(client, people["snv"]).post(
        reverse("assessments:appraisal_leaf", args=[part.pk, s.pk]), valid_post(s, value="abc")
    )
    assert r.status_code == 400 and "leaf-error" in r.content.decode()
    assert Score.objects.get(pk=s.pk).appraised_value is None


def test_a_stale_save_answers_409_and_keeps_the_other_value(client, stp_part, people):
    s = leaf_of(stp_part)
    c = as_user(client, people["stp"])
    url = reverse("assessments:appraisal_leaf", args=[stp_part.pk, s.pk])
    assert c.post(url, valid_post(s, comment="Lần 1")).status_code == 302
    r = c.post(url, valid_post(s, comment="Lần 2"))  # the same old version
    assert r.status_code == 409 and "vừa được" in r.content.decode()
    assert Score.objects.get(pk=s.pk).appraisal_comment == "Lần 1"


def test_accept_all_then_close_round_1_finishes_the_part(client, stp_part, people):
    c = as_user(client, people["stp"])
    r = c.post(reverse("assessments:appraisal_accept_all", args=[stp_part.pk]), follow=True)
    assert "Đã chấp nhận điểm tự chấm của" in r.content.decode()
    r = c.post(reverse("assessments:part_close_round_1", args=[stp_part.pk]), follow=True)
    assert "phần thẩm định đã hoàn thành" in r.content.decode()
    assert FieldAppraisal.objects.get(pk=stp_part.pk).state == PartState.FINAL
    r = c.post(
        reverse("assessments:part_close_round_1", args=[stp_part.pk]), follow=True
    )  # twice: a clear message
    assert r.redirect_chain and "đã được kết thúc trước đó" in r.content.decode()
    assert "lần bấm này không thay đổi gì" in r.content.decode()


def test_closing_with_undecided_leaves_lists_them(client, stp_part, people):
    r = as_user(client, people["stp"]).post(reverse("assessments:part_close_round_1", args=[stp_part.pk]))
    assert r.status_code == 400
    assert "chưa có điểm thẩm định" in r.content.decode()


def test_coordinator_cannot_appraise_but_can_reopen(client, stp_part, people):
    c = as_user(client, people["coordinator"])
    assert c.post(reverse("assessments:appraisal_accept_all", args=[stp_part.pk])).status_code == 403
    svc.appraisal_accept_all(part=stp_part, by=people["stp"])
    svc.part_close_round_1(part=stp_part, by=people["stp"])
    r = c.post(reverse("assessments:part_reopen", args=[stp_part.pk]), {"reason": ""})
    assert r.status_code == 400 and "lý do" in r.content.decode()
    r = c.post(
        reverse("assessments:part_reopen", args=[stp_part.pk]), {"reason": "Kiểm tra lại 2.1"}, follow=True
    )
    assert "Đã mở lại" in r.content.decode()
    assert (
        as_user(client, people["stp"])
        .post(reverse("assessments:part_reopen", args=[stp_part.pk]), {"reason": "x"})
        .status_code
        == 403
    )


# ---------------------------------------------------------------------------------------------- the unit


def to_explanation(submitted, people, question="Bổ sung quyết định?"):
    owners = {
        "STP": people["stp"],
        "SNV": people["snv"],
        "STC": people["stc"],
        "VPUBND": people["vp"],
        "STTTT": people["tt"],
        "SKHCN": people["kh"],
    }
    asked = None
    for p in FieldAppraisal.objects.filter(assessment=submitted).select_related("owner"):
        svc.appraisal_accept_all(part=p, by=owners[p.owner.code])
        if p.owner.code == "STP":
            asked = leaf_of(p)
            svc.appraisal_leaf_save(
                score=asked,
                by=people["stp"],
                expected_version=asked.version,
                value=asked.appraised_value,
                option=asked.appraised_option,
                numerator=asked.appraised_numerator,
                denominator=asked.appraised_denominator,
                flag=True,
                question=question,
            )
        svc.part_close_round_1(part=p, by=owners[p.owner.code])
    return Score.objects.select_related("criterion").get(pk=asked.pk)


def test_the_unit_sees_questions_only_when_round_1_is_over(client, submitted, people, officer, head):
    url = reverse("assessments:explanation", args=[submitted.pk])
    stp = FieldAppraisal.objects.get(assessment=submitted, owner__code="STP")
    s = leaf_of(stp)
    svc.appraisal_leaf_save(
        score=s,
        by=people["stp"],
        expected_version=s.version,
        value=s.self_value,
        option=s.self_option,
        numerator=s.numerator,
        denominator=s.denominator,
        flag=True,
        question="Câu hỏi bí mật",
    )
    assert "Câu hỏi bí mật" not in as_user(client, officer).get(url).content.decode()


def test_the_unit_answers_uploads_and_the_head_sends(client, submitted, people, officer, head):
    asked = to_explanation(submitted, people)
    url = reverse("assessments:explanation", args=[submitted.pk])
    r = as_user(client, officer).get(url)
    assert "Bổ sung quyết định?" in r.content.decode()
    r = client.post(
        reverse("assessments:explanation_answer", args=[submitted.pk, asked.pk]),
        {"version": asked.version, "answer": "Đã bổ sung QĐ 12"},
        follow=True,
    )
    assert "Đã lưu giải trình" in r.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PDF

    r = client.post(
        reverse("assessments:explanation_evidence", args=[submitted.pk, asked.pk]),
        {"file": SimpleUploadedFile("qd12.pdf", PDF + b"%12"), "doc_number": "12/QĐ-SCT"},
        follow=True,
    )
    assert "Đã tải lên" in r.content.decode() and "12/QĐ-SCT" in r.content.decode()
    r = client.post(
        reverse("assessments:explanation_evidence", args=[submitted.pk, asked.pk]),
        {"file": SimpleUploadedFile("a.exe", b"MZ\x90\x00" + b"\x00" * 100)},
    )
    assert r.status_code == 400 and "Chỉ nhận tài liệu" in r.content.decode()
    assert client.post(reverse("assessments:explanation_send", args=[submitted.pk])).status_code == 403
    r = as_user(client, head).post(reverse("assessments:explanation_send", args=[submitted.pk]), follow=True)
    assert "Đã gửi giải trình" in r.content.decode()
    assert Assessment.objects.get(pk=submitted.pk).state == AssessmentState.APPRAISAL_2
    r = client.post(reverse("assessments:explanation_send", args=[submitted.pk]), follow=True)  # twice
    assert r.redirect_chain and "Giải trình đã được gửi trước đó" in r.content.decode()


@pytest.mark.parametrize("who, status", [("other_officer", 404), ("stc", 404), ("leader", 404)])
def test_explanation_page_outsiders(client, submitted, people, other_officer, who, status):
    user = other_officer if who == "other_officer" else people[who]
    assert (
        as_user(client, user).get(reverse("assessments:explanation", args=[submitted.pk])).status_code
        == status
    )


# ---------------------------------------------------------------------------------------------- coordinator


@pytest.mark.parametrize(
    "who, status", [("coordinator", 200), ("admin", 200), ("stp", 403), ("leader", 403), ("officer", 403)]
)
def test_overview_access(client, submitted, people, officer, who, status):
    user = officer if who == "officer" else people[who]
    r = as_user(client, user).get(reverse("assessments:overview", args=[submitted.round_id]))
    assert r.status_code == status


def test_overview_shows_parts_and_blocks_publication(client, submitted, people):
    c = as_user(client, people["coordinator"])
    r = c.get(reverse("assessments:overview", args=[submitted.round_id]))
    body = r.content.decode()
    assert "Sở Công Thương" in body and "part-pending" in body and "Chưa thể công bố" in body
    r = c.post(reverse("assessments:publish", args=[submitted.round_id]))
    assert r.status_code == 400 and "chưa thẩm định xong" in r.content.decode()
    assert (
        as_user(client, people["stp"])
        .post(reverse("assessments:publish", args=[submitted.round_id]))
        .status_code
        == 403
    )
    c = as_user(client, people["coordinator"])
    assert c.get(reverse("assessments:publish", args=[submitted.round_id])).status_code == 405
    assert c.get(reverse("assessments:overview", args=[99999])).status_code == 404


def test_owners_page_changes_a_fields_agency(client, so_set, people, units):
    c = as_user(client, people["coordinator"])
    url = reverse("assessments:field_owners", args=[so_set.pk])
    r = c.get(url)
    assert r.status_code == 200 and 'value="STP" selected' in r.content.decode()
    field8 = so_set.nodes.get(code="8")
    r = c.post(url, {"node": field8.pk, "owner": "SKHDT", "reason": "Phân công"}, follow=True)
    assert "Đã đổi cơ quan thẩm định" in r.content.decode()
    field8.refresh_from_db()
    assert field8.owner.code == "SKHDT"
    r = c.post(url, {"node": field8.pk, "owner": ""})
    assert r.status_code == 400 and "Lĩnh vực phải có cơ quan thẩm định" in r.content.decode()
    assert c.post(url, {"node": 999999, "owner": "SNV"}).status_code == 404
    assert as_user(client, people["stp"]).get(url).status_code == 403


def test_appraised_sheet_after_publication_holds_the_appraised_scores_and_the_index(
    client, submitted, people, officer, other_officer, django_capture_on_commit_callbacks
):
    import io
    from decimal import Decimal

    from openpyxl import load_workbook

    url = reverse("assessments:appraised_sheet", args=[submitted.pk])
    assert as_user(client, officer).get(url).status_code == 403  # before publication: not the unit's yet
    asked = to_explanation(submitted, people)
    as_user(client, people["coordinator"])
    assert client.get(url).status_code == 200  # the coordinator reads it at any time
    s = asked
    svc.explanation_answer_save(score=s, by=officer, expected_version=s.version, answer="Đã bổ sung")
    svc.explanation_send(
        assessment=submitted,
        by=Assessment.objects.get(pk=submitted.pk).unit.memberships.get(role="head").user,
    )
    s = Score.objects.select_related("criterion", "assessment").get(pk=asked.pk)
    kwargs = (
        {"value": "0"}
        if s.criterion.kind not in (Kind.OPTIONS, Kind.RATIO)
        else (
            {"option": min(s.criterion.scale, key=lambda o: Decimal(o["points"]))["label"]}
            if s.criterion.kind == Kind.OPTIONS
            else {"numerator": "0", "denominator": "10"}
        )
    )
    svc.appraisal_leaf_save(
        score=s,
        by=people["stp"],
        expected_version=s.version,
        flag=True,
        question=s.question,
        comment="Không đạt",
        **kwargs,
    )
    svc.part_finalise(
        part=FieldAppraisal.objects.get(assessment=submitted, owner__code="STP"), by=people["stp"]
    )
    Assessment.objects.filter(round=submitted.round).exclude(pk=submitted.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_publish(round=submitted.round, by=people["coordinator"])
    for who, status in ((officer, 200), (people["leader"], 200), (other_officer, 404)):
        assert as_user(client, who).get(url).status_code == status
    r = as_user(client, officer).get(url)
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[6]]
    assert header == [
        "STT/Mã",
        "Nội dung",
        "Điểm tối đa",
        "Điều tra XHH",
        "Tự chấm",
        "Thẩm định",
        "Điểm đạt",
        "Chỉ số (%)",
        "Ghi chú",
    ]
    rows = {row[0]: row for row in ws.iter_rows(min_row=7, values_only=True) if row[0]}
    leaf = rows[s.criterion.code]
    assert leaf[5] == 0 and leaf[6] == 0 and "Không đạt" in leaf[8] and "Đã bổ sung" in leaf[8]
    # What the inputs imply: every other appraisal leaf took the unit's (top) self score; the asked leaf 0;
    # no survey results yet, so the index is the appraised sum over the set's 100 points.
    appraised = sum(x.appraised_value or 0 for x in Score.objects.filter(assessment=submitted))
    total = [
        row for row in ws.iter_rows(min_row=7, values_only=True) if row[1] and row[1].startswith("Tổng")
    ][0]
    assert Decimal(str(total[6])) == appraised
    assert Decimal(str(total[7])) == (appraised / Decimal(100) * 100).quantize(Decimal("0.01"))
    assert rows["2"][7] is not None  # the component index of the field
