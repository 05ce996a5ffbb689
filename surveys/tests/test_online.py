"""The online survey (issue 15): one-time codes, the public answer page, closing a campaign into points."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments import signals
from assessments.models import Score
from surveys.models import Campaign, Invitation, OnlineAnswer, OnlineResponse, Question, Questionnaire
from surveys.online import codes, services
from units.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaf_2_6(survey_leaves):
    """Survey leaf 2.6 of the departments' set (max 1,5 points)."""
    return next(c for c in survey_leaves if c.code == "2.6")


@pytest.fixture
def questionnaire(open_round, leaf_2_6):
    q = Questionnaire.objects.create(
        round=open_round, respondent_group="Người dân, doanh nghiệp", title="Phiếu"
    )
    Question.objects.create(questionnaire=q, order=1, code="C1", text="Bạn hài lòng?", leaf_code="2.6")
    Question.objects.create(
        questionnaire=q,
        order=2,
        code="C2",
        text="Có được hướng dẫn?",
        kind="yes_no",
        leaf_code="2.6",
        weight=0,
    )
    return q


@pytest.fixture
def campaign(open_round, questionnaire, assessment):
    now = timezone.now()
    c = Campaign.objects.create(
        round=open_round,
        title="Khảo sát 2026",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=5),
    )
    c.units.add(assessment.unit)
    c.questionnaires.add(questionnaire)
    return c


@pytest.fixture
def make_codes(campaign, questionnaire, assessment, coordinator):
    def make(n=1):
        return [
            i.code
            for i in services.invitations_create(
                campaign=campaign, unit=assessment.unit, questionnaire=questionnaire, count=n, by=coordinator
            )
        ]

    return make


def post(client, questionnaire, code, c1="5", c2="yes", **extra):
    c1_q, c2_q = questionnaire.questions.order_by("order")
    data = {f"q{c1_q.pk}": c1, f"q{c2_q.pk}": c2, services.HONEYPOT: "", **extra}
    return client.post(reverse("survey_online:answer", args=[code]), data)


def test_codes_are_short_unambiguous_and_unique(make_codes):
    made = make_codes(20)
    assert len(set(made)) == 20
    assert all(len(c) == 8 and not set(c) & set("0O1I") for c in made)
    assert codes.normalise(" " + made[0][:4].lower() + "-" + made[0][4:]) == made[0]


def test_the_public_page_needs_no_login_and_a_code_answers_once(client, questionnaire, make_codes):
    (code,) = make_codes()
    page = client.get(reverse("survey_online:answer", args=[code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bạn hài lòng?" in html and "Rất hài lòng" in html and "<script>" not in html
    assert 'for="q' in html  # every radio has its label
    done = post(client, questionnaire, code)
    assert done.status_code == 302 and done.url == reverse("survey_online:thanks")
    assert list(OnlineAnswer.objects.values_list("question__code", "value").order_by("question__code")) == [
        ("C1", 5),
        ("C2", services.YES),
    ]
    again = post(client, questionnaire, code, c1="1")
    assert again.status_code == 400
    assert "đã được dùng" in again.content.decode()
    assert OnlineResponse.objects.count() == 1
    assert not OnlineAnswer.objects.filter(value=1).exists()


def test_the_code_form(client, make_codes):
    (code,) = make_codes()
    found = client.post(reverse("survey_online:code"), {"code": code.lower()[:4] + " " + code[4:]})
    assert found.status_code == 302 and found.url == reverse("survey_online:answer", args=[code])
    unknown = client.post(reverse("survey_online:code"), {"code": "ZZZZ2222"})
    assert unknown.status_code == 400 and "Mã khảo sát không đúng" in unknown.content.decode()
    # a NUL byte or a huge string is simply unknown (PostgreSQL refuses NUL in a query: it is never asked)
    for typed in ("AB\x00CDEFG", "A" * 5000, "ABCD²EFG"):
        refused = client.get(reverse("survey_online:code"), {"code": typed})
        assert refused.status_code == 400 and "Mã khảo sát không đúng" in refused.content.decode()


def test_expired_and_closed(client, questionnaire, campaign, make_codes, coordinator):
    a, b = make_codes(2)
    campaign.ends_at = timezone.now() - timedelta(minutes=1)
    campaign.starts_at = campaign.ends_at - timedelta(days=3)
    campaign.save()
    expired = post(client, questionnaire, a)
    assert expired.status_code == 400 and "đã hết hạn" in expired.content.decode()
    campaign.ends_at = timezone.now() + timedelta(days=1)
    campaign.save()
    services.campaign_close(campaign, coordinator)
    closed = post(client, questionnaire, b)
    assert closed.status_code == 400 and "Đợt khảo sát đã kết thúc" in closed.content.decode()
    assert not OnlineResponse.objects.exists()
    assert not Invitation.objects.filter(used_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("c1", "c2", "message", "field"),
    [
        ("6", "yes", "Câu trả lời nằm ngoài thang 1–5.", "C1"),
        ("0", "yes", "Câu trả lời nằm ngoài thang 1–5.", "C1"),
        ("", "yes", "Vui lòng chọn một câu trả lời.", "C1"),
        ("3", "", "Vui lòng chọn một câu trả lời.", "C2"),
        ("3", "maybe", "Câu trả lời không hợp lệ: chọn Có hoặc Không.", "C2"),
    ],
)
def test_a_bad_answer_is_refused_next_to_its_question_and_nothing_stored(
    client, questionnaire, make_codes, c1, c2, message, field
):
    (code,) = make_codes()
    page = post(client, questionnaire, code, c1=c1, c2=c2)
    html = page.content.decode()
    assert page.status_code == 400
    assert "Phiếu chưa được ghi nhận: 1 câu cần sửa" in html
    # the message is inside the refused question's fieldset
    block = html.split(f'id="cau-{field}"', 1)[1].split("</fieldset>", 1)[0]
    assert message in block
    assert not OnlineResponse.objects.exists()
    assert Invitation.objects.get(code=code).used_at is None


def test_a_filled_honeypot_is_not_stored_and_says_so(client, questionnaire, make_codes):
    (code,) = make_codes()
    page = post(client, questionnaire, code, **{services.HONEYPOT: "http://spam.example"})
    assert page.status_code == 400
    assert "Phiếu không được ghi nhận" in page.content.decode()
    assert not OnlineResponse.objects.exists()
    assert Invitation.objects.get(code=code).used_at is None


def test_closing_writes_the_points_with_history_and_recomputes(
    client, questionnaire, campaign, make_codes, coordinator, assessment, leaf_2_6
):
    sent = []
    signals.scores_changed.connect(receiver := lambda **kw: sent.append(kw["round_id"]), weak=False)
    try:
        for code, answer in zip(make_codes(3), ("5", "4", "3"), strict=True):
            assert post(client, questionnaire, code, c1=answer, c2="no").status_code == 302
        result = services.campaign_close(campaign, coordinator)
    finally:
        signals.scores_changed.disconnect(receiver)
    # C1 (weight 1) answered 5, 4, 3 → (a − 1)/4 = 1; 0,75; 0,5 → Σ = 2,25 over Σ w = 3 → 0,75 of the max;
    # C2 (yes/no, weight 0) does not count. Leaf 2.6 max 1,5 → 0,75 × 1,5 = 1,125 → half up → 1,13.
    score = Score.objects.get(assessment=assessment, criterion=leaf_2_6)
    assert score.survey_value == Decimal("1.13")
    assert score.history.first().history_change_reason == "Tính điểm điều tra XHH trực tuyến"
    assert result.changed == 1 and sent == [campaign.round_id]
    campaign.refresh_from_db()
    assert campaign.closed_at is not None and campaign.closed_by == coordinator
    with pytest.raises(ValidationError, match="Đợt khảo sát đã đóng"):
        services.campaign_close(campaign, coordinator)


def test_only_the_coordinator_manages(
    client, make_user, officer, head, leader, campaign, questionnaire, assessment, coordinator
):
    outsider = make_user(None, username="ngoai")
    for user in (officer, head, leader, outsider):
        with pytest.raises(PermissionDenied):
            services.campaign_close(campaign, user)
        with pytest.raises(PermissionDenied):
            services.invitations_create(
                campaign=campaign, unit=assessment.unit, questionnaire=questionnaire, count=1, by=user
            )
        client.force_login(user)
        assert client.get(reverse("admin:surveys_campaign_changelist")).status_code in (302, 403)
    campaign.refresh_from_db()
    assert campaign.closed_at is None and not Invitation.objects.exists()


def test_a_unit_outside_the_campaign_gets_no_code(campaign, questionnaire, coordinator):
    other = Unit.objects.exclude(pk__in=campaign.units.all()).first()
    with pytest.raises(ValidationError, match="không thuộc đợt khảo sát"):
        services.invitations_create(
            campaign=campaign, unit=other, questionnaire=questionnaire, count=1, by=coordinator
        )


def test_a_questionnaire_is_frozen_once_answered(client, questionnaire, make_codes, coordinator):
    question = questionnaire.questions.get(code="C1")
    question.text = "Sửa trước khi có trả lời"
    question.full_clean()  # editable while unanswered
    (code,) = make_codes()
    post(client, questionnaire, code)
    question.text = "Sửa sau khi có trả lời"
    with pytest.raises(ValidationError, match="Phiếu đã có câu trả lời"):
        question.full_clean()
    with pytest.raises(ValidationError, match="Phiếu đã có câu trả lời"):
        services.question_delete(question, by=coordinator)
    assert Question.objects.filter(pk=question.pk).exists()


@pytest.mark.parametrize(
    ("leaf_code", "message"),
    [
        ("9.9.9", "không có trong bộ chỉ số nào"),
        ("1.8", "có tiêu chí con"),
        ("1.1", "là tiêu chí thẩm định"),
    ],
)
def test_a_question_maps_to_a_survey_leaf_only(questionnaire, appraisal_leaf, leaf_code, message):
    if leaf_code == "1.1":
        leaf_code = appraisal_leaf.code
    question = Question(questionnaire=questionnaire, code="C9", text="?", leaf_code=leaf_code)
    with pytest.raises(ValidationError, match=message):
        question.full_clean()


def test_progress_counts_answers_against_the_sample_size(
    client, questionnaire, campaign, make_codes, admin_user, assessment, coordinator
):
    from surveys.online.selectors import campaign_progress
    from surveys.services import survey_population_set

    survey_population_set(assessment=assessment, size=100, by=coordinator)  # n = 100 / 1,25 = 80
    first, _ = make_codes(2)
    post(client, questionnaire, first)
    (row,) = campaign_progress(campaign)
    assert (row.unit_code, row.answered, row.required, row.enough) == ("SCT", 1, 80, False)
    assert row.groups == {"Người dân, doanh nghiệp": (1, 2)}
    client.force_login(admin_user)
    page = client.get(reverse("admin:surveys_campaign_change", args=[campaign.pk]))
    assert page.status_code == 200
    assert "Người dân, doanh nghiệp: 1/2" in page.content.decode()


def _submit_in_thread(code, data, barrier, results):
    from django.db import connection

    try:
        barrier.wait(timeout=10)
        services.response_submit(code=code, data=data)
        results.append("stored")
    except services.SurveyRefused as exc:
        results.append(exc.message)
    except Exception as exc:  # reported below, so a crash in a thread fails the test
        results.append(repr(exc))
    finally:
        connection.close()  # this thread's own connection


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_stores_one_questionnaire(questionnaire, make_codes):
    """Two submissions of one code at once: on PostgreSQL the invitation's row lock (select_for_update)
    makes the second wait and then see the code used. SQLite has no row locks, so there the two run one
    after the other; the outcome must be the same."""
    import threading

    from django.db import connection

    (code,) = make_codes()
    c1, c2 = questionnaire.questions.order_by("order")
    data = {f"q{c1.pk}": "4", f"q{c2.pk}": "no"}
    results: list[str] = []
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(2 if concurrent else 1)
    threads = [threading.Thread(target=_submit_in_thread, args=(code, data, barrier, results)) for _ in "ab"]
    for t in threads:
        t.start()
        if not concurrent:
            t.join(timeout=30)
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == sorted(
        ["stored", "Mã khảo sát này đã được dùng để trả lời; mỗi mã chỉ trả lời được một lần."]
    ), results
    assert OnlineResponse.objects.count() == 1 and OnlineAnswer.objects.count() == 2


def test_the_answer_page_loads_nothing_from_outside(client, make_codes):
    import re

    (code,) = make_codes()
    html = client.get(reverse("survey_online:answer", args=[code])).content.decode()
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', html)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script (CSP script-src 'self')


def test_an_admin_closes_a_campaign_from_the_admin(client, questionnaire, campaign, make_codes, admin_user):
    (code,) = make_codes()
    post(client, questionnaire, code, c1="3")
    client.force_login(admin_user)
    page = client.post(
        reverse("admin:surveys_campaign_changelist"),
        {"action": "close", "_selected_action": [campaign.pk]},
        follow=True,
    )
    assert "đã đóng, 1 điểm thay đổi" in page.content.decode()
    campaign.refresh_from_db()
    assert campaign.closed_by == admin_user
    assert client.get(reverse("admin:surveys_invitation_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_answers_and_the_close_are_saved_while_the_broker_is_down_and_the_recompute_follows(
    own_broker, client, questionnaire, campaign, make_codes, coordinator, assessment, leaf_2_6
):
    """Issue 14's rule for the online survey: a respondent's answers and the coordinator's close are committed and
    answered as such with Redis stopped; the recompute they owe is recorded and done by the sweep once it is back."""
    from parindex.celery import app
    from reports.models import PendingRecompute, Result
    from reports.tasks import results_pending_sweep

    codes_ = make_codes(3)
    Result.objects.filter(assessment=assessment).delete()
    own_broker.stop()
    for code, answer in zip(codes_, ("5", "4", "3"), strict=True):
        assert post(client, questionnaire, code, c1=answer, c2="no").status_code == 302
    assert OnlineResponse.objects.count() == 3
    assert services.campaign_close(campaign, coordinator).changed == 1
    assert Score.objects.get(assessment=assessment, criterion=leaf_2_6).survey_value == Decimal("1.13")
    assert PendingRecompute.objects.filter(round=campaign.round).exists()
    assert not Result.objects.filter(assessment=assessment).exists()

    own_broker.start()
    app.conf.task_always_eager = True  # the worker runs what is published (here: in this process)
    assert results_pending_sweep.delay().get() >= 1
    assert Result.objects.filter(assessment=assessment).exists()
    assert not PendingRecompute.objects.exists()
