"""Irreversible steps (issue 12 items 5–6): each asks for confirmation on its page (data-confirm saying what will
happen and who is told), a second send (double click, stale tab) does nothing and says so in Vietnamese, and the
unit's officers are told when their head submits or withdraws."""

import pytest
from django.core import mail
from django.urls import reverse

from assessments.models import (
    Assessment,
    AssessmentRound,
    AssessmentState,
    FieldAppraisal,
    PartState,
    RoundState,
)
from assessments.services import appraisal as svc
from assessments.services.submission import assessment_submit, assessment_withdraw
from parindex.exceptions import Incomplete
from units.models import Notification

from .helpers import score_all
from .test_views_appraisal import leaf_of, to_explanation


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def officers(make_user, officer):
    """SCT's two officers (with e-mail addresses), the other unit's officer."""
    officer.email = "canbo-sct@x.vn"
    officer.save(update_fields=["email"])
    return {
        "a": officer,
        "b": make_user("officer", "SCT", username="canbo2-sct", email="canbo2-sct@x.vn"),
        "other": make_user("officer", "STP", username="canbo-stp2", email="canbo-stp@x.vn"),
    }


@pytest.fixture
def ready(assessment, officer):
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    return assessment


def _said(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- the officers are told


def test_officers_are_told_when_their_head_submits(ready, head, officers, django_capture_on_commit_callbacks):
    head.email = "thutruong@x.vn"
    head.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        assessment_submit(assessment=ready, by=head)
    told = Notification.objects.filter(
        subject__contains="Thủ trưởng đã nộp bản tự đánh giá của Sở Công Thương"
    )
    assert sorted(n.user.username for n in told) == ["canbo-sct", "canbo2-sct"]  # not the head, not STP's
    n = told.first()
    assert n.url == reverse("assessments:scoring", args=[ready.pk]) and "không sửa được nữa" in n.body
    to = sorted(m.to[0] for m in mail.outbox if "Thủ trưởng đã nộp" in m.subject)
    assert to == ["canbo-sct@x.vn", "canbo2-sct@x.vn"]


def test_officers_are_told_when_their_head_withdraws(
    ready, head, officers, django_capture_on_commit_callbacks
):
    assessment_submit(assessment=ready, by=head)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assessment_withdraw(assessment=ready, by=head)
    told = Notification.objects.filter(subject__contains="Thủ trưởng đã rút lại bản tự đánh giá")
    assert sorted(n.user.username for n in told) == ["canbo-sct", "canbo2-sct"]
    assert ready.round.self_assessment_deadline.strftime("%d/%m/%Y") in told.first().body
    assert sorted(m.to[0] for m in mail.outbox) == ["canbo-sct@x.vn", "canbo2-sct@x.vn"]


def test_a_refused_submission_tells_nobody(assessment, head, officers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Incomplete):
        assessment_submit(assessment=assessment, by=head)
    assert not Notification.objects.exists() and mail.outbox == []


# ---------------------------------------------------------------- confirmation on each page


def test_the_irreversible_forms_ask_first(client, ready, head, people):
    client.force_login(head)
    html = _said(client.get(reverse("assessments:submit", args=[ready.pk])))
    assert 'data-confirm="Sau khi nộp, đơn vị không sửa được điểm tự chấm' in html
    assert "cán bộ CCHC của đơn vị được thông báo" in html
    assert 'src="/static/js/confirm.js"' in html
    assessment_submit(assessment=ready, by=head)
    part = FieldAppraisal.objects.get(assessment=ready, owner__code="STP")
    client.force_login(people["stp"])
    html = _said(client.get(reverse("assessments:appraisal_part", args=[part.pk])))
    assert 'data-confirm="Sau khi kết thúc vòng 1' in html
    client.force_login(people["coordinator"])
    html = _said(client.get(reverse("assessments:overview", args=[ready.round_id])))
    assert 'data-confirm="Sau khi công bố' in html and "Tất cả đơn vị và lãnh đạo được thông báo" in html


# ---------------------------------------------------------------- sent twice


def test_submit_twice_says_it_was_already_submitted(client, ready, head, officers):
    client.force_login(head)
    url = reverse("assessments:submit", args=[ready.pk])
    assert client.post(url).status_code == 302
    r = client.post(url, follow=True)
    assert r.status_code == 200 and "Bản tự đánh giá đã được nộp trước đó lúc" in _said(r)
    assert "lần nộp này không thay đổi gì" in _said(r)
    assert Assessment.objects.get(pk=ready.pk).state == AssessmentState.SUBMITTED
    assert Notification.objects.filter(user=officers["a"]).count() == 1  # told once


def test_withdraw_twice_says_it_was_already_withdrawn(client, ready, head):
    assessment_submit(assessment=ready, by=head)
    client.force_login(head)
    url = reverse("assessments:withdraw", args=[ready.pk])
    assert client.post(url).status_code == 302
    r = client.post(url, follow=True)
    assert r.status_code == 200 and "đã được rút lại trước đó" in _said(r)


def test_explanation_sent_twice(client, ready, head, officer, people):
    assessment_submit(assessment=ready, by=head)
    asked = to_explanation(ready, people)
    svc.explanation_answer_save(score=asked, by=officer, expected_version=asked.version, answer="Đã bổ sung")
    client.force_login(head)
    url = reverse("assessments:explanation_send", args=[ready.pk])
    assert client.post(url).status_code == 302
    n = Notification.objects.count()
    r = client.post(url, follow=True)
    assert "Giải trình đã được gửi trước đó" in _said(r) and "lần gửi này không thay đổi gì" in _said(r)
    assert Notification.objects.count() == n


def test_finalise_twice(client, ready, head, officer, people):
    assessment_submit(assessment=ready, by=head)
    asked = to_explanation(ready, people)
    svc.explanation_answer_save(score=asked, by=officer, expected_version=asked.version, answer="Đã bổ sung")
    svc.explanation_send(assessment=Assessment.objects.get(pk=ready.pk), by=head)
    part = FieldAppraisal.objects.get(assessment=ready, owner__code="STP")
    assert part.state == PartState.APPRAISAL_2
    client.force_login(people["stp"])
    url = reverse("assessments:part_finalise", args=[part.pk])
    assert "Đã hoàn thành phần thẩm định" in _said(client.post(url, follow=True))
    r = client.post(url, follow=True)
    assert (
        r.status_code == 200
        and f"Phần thẩm định lĩnh vực {part.field.code} đã được hoàn thành trước đó" in _said(r)
    )


def test_reopen_twice(client, ready, head, people):
    assessment_submit(assessment=ready, by=head)
    part = FieldAppraisal.objects.select_related("field").get(assessment=ready, owner__code="STP")
    svc.appraisal_accept_all(part=part, by=people["stp"])
    svc.part_close_round_1(part=part, by=people["stp"])
    client.force_login(people["coordinator"])
    url = reverse("assessments:part_reopen", args=[part.pk])
    assert "Đã mở lại" in _said(client.post(url, {"reason": "Kiểm tra lại"}, follow=True))
    n = Notification.objects.count()
    r = client.post(url, {"reason": "Kiểm tra lại"}, follow=True)
    assert "đã được mở lại trước đó (lý do: Kiểm tra lại)" in _said(r)
    assert Notification.objects.count() == n  # the appraisers are not told twice


@pytest.fixture
def appraised_round(ready, head, people, django_capture_on_commit_callbacks):
    """Every assessment of the round appraised (SCT's STP part by its appraiser, the rest set directly)."""
    assessment_submit(assessment=ready, by=head)
    part = FieldAppraisal.objects.get(assessment=ready, owner__code="STP")
    svc.appraisal_accept_all(part=part, by=people["stp"])
    Assessment.objects.filter(round=ready.round).update(state=AssessmentState.APPRAISED)
    return ready.round


def test_publish_twice(client, appraised_round, people, django_capture_on_commit_callbacks):
    client.force_login(people["coordinator"])
    url = reverse("assessments:publish", args=[appraised_round.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert "Đã công bố kết quả" in _said(client.post(url, follow=True))
    n = Notification.objects.count()
    r = client.post(url, follow=True)
    assert r.status_code == 200 and f"{appraised_round.name} đã được công bố trước đó" in _said(r)
    assert AssessmentRound.objects.get(pk=appraised_round.pk).state == RoundState.PUBLISHED
    assert Notification.objects.count() == n


def test_correction_twice(client, appraised_round, ready, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_publish(round=appraised_round, by=people["coordinator"])
    part = FieldAppraisal.objects.get(assessment=ready, owner__code="STP")
    s = leaf_of(part, "range") or leaf_of(part, "yes_no")
    assert s.appraised_value
    client.force_login(people["admin"])
    url = reverse("assessments:score_correct", args=[part.pk, s.pk])
    data = {"version": s.version, "value": "0", "reason": "Sai sót khi nhập"}
    with django_capture_on_commit_callbacks(execute=True):
        assert "Đã điều chỉnh điểm" in _said(client.post(url, data, follow=True))
    n = Notification.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url, data, follow=True)
    assert r.status_code == 200
    assert f"Điểm tiêu chí {s.criterion.code} đã được điều chỉnh trước đó (hiện là 0 điểm)" in _said(r)
    assert Notification.objects.count() == n
    html = _said(client.get(reverse("assessments:appraisal_part", args=[part.pk])))
    assert 'class="mt-1 correct-form" novalidate data-confirm="' in html
