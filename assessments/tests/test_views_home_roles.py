"""The start page per role (issue 12 item 6): what is waiting for each role, with deadlines and days left, one
section per role held, nothing of another unit's, and a query count that does not grow with the units."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, AssessmentState, FieldAppraisal, RoundState, Score
from assessments.selectors.scoring import submission_problems
from assessments.services import appraisal as appraisal_services
from assessments.services import scoring as scoring_writes
from assessments.services.rounds import blank_scores
from assessments.services.submission import assessment_submit
from units.models import Unit, UnitGroup

from .helpers import score_all


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def _section(html: str, section_id: str) -> str:
    """The HTML of the card ``section_id`` (up to the next role section), or "" when absent."""
    start = html.find(f'id="{section_id}"')
    if start < 0:
        return ""
    end = html.find('class="card role-section"', start + 1)
    return html[start : end if end > 0 else len(html)]


def _countdown(html: str) -> list[str]:
    return re.findall(r'<span class="[^"]*countdown[^"]*">([^<]*)</span>', html)


@pytest.fixture
def two_scored(assessment, officer, leaf):
    """SCT with two leaves scored at max, neither with evidence nor explanation."""
    rng, yes_no = leaf("range"), leaf("yes_no")
    for c in (rng, yes_no):
        scoring_writes.score_save_self(
            assessment=assessment, criterion=c, by=officer, expected_version=0, value=c.max_points
        )
    return rng, yes_no


@pytest.fixture
def appraiser(make_user, units):
    return make_user("appraiser", "STP", username="td-stp")


# ---------------------------------------------------------------- officer


def test_officer_sees_leaves_left_without_evidence_and_the_missing_items(
    client, officer, assessment, two_scored
):
    rng, yes_no = two_scored
    section = _section(_home(client, officer), "officer-section")
    problems = submission_problems(assessment)
    n_leaves = (
        Score.objects.filter(assessment=assessment, criterion__source="appraisal")
        .exclude(criterion__kind__in=["bonus", "penalty"])
        .count()
    )
    assert "Sở Công Thương" in section
    assert f"Còn {n_leaves - 2} tiêu chí chưa chấm" in section
    assert "2 tiêu chí có điểm nhưng chưa có tài liệu kiểm chứng hoặc giải trình" in section
    assert f"({len(problems)})" in section  # the head's list, as long as the submission check's
    # the first ten items of that list, each linking to its leaf (unscored / without evidence filter)
    for score, message in problems[:10]:
        which = "unscored" if score.self_value is None else "noevidence"
        assert f'?filter={which}#leaf-{score.criterion.code}">{message}</a>' in section
    assert problems[10][1] not in section
    assert f'href="{reverse("assessments:scoring", args=[assessment.pk])}"' in section
    assert (
        f'href="{reverse("assessments:submit", args=[assessment.pk])}"' in section
    )  # the full list (>10 items)
    assert _countdown(section) == ["còn 30 ngày"]
    assert "Hạn tự đánh giá " + assessment.round.self_assessment_deadline.strftime("%d/%m/%Y") in section


def test_officer_sees_an_explanation_to_answer(client, officer, assessment, leaf):
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.EXPLANATION)
    a, b = leaf("range"), leaf("options")
    Score.objects.filter(assessment=assessment, criterion=a).update(
        needs_explanation=True, question="?", answer="Đã bổ sung"
    )
    Score.objects.filter(assessment=assessment, criterion=b).update(needs_explanation=True, question="?")
    html = _home(client, officer)
    section = _section(html, "officer-section")
    assert "1/2 nội dung cần giải trình đã có câu trả lời" in section
    assert f'href="{reverse("assessments:explanation", args=[assessment.pk])}"' in section
    assert _countdown(section) == ["còn 60 ngày"]  # the explanation deadline
    assert _section(html, "head-section") == ""  # an officer is not a head


# ---------------------------------------------------------------- head


def test_head_is_told_what_is_missing_then_that_the_unit_is_ready(
    client, head, officer, assessment, two_scored
):
    section = _section(_home(client, head), "head-section")
    n = len(submission_problems(assessment))
    assert (
        f"Chưa sẵn sàng nộp: còn {n} tiêu chí cần hoàn thiện ({n - 2} chưa chấm, 2 chưa có tài liệu"
        in section
    )
    assert f'href="{reverse("assessments:submit", args=[assessment.pk])}"' in section
    assert _countdown(section) == ["còn 30 ngày"]
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    section = _section(_home(client, head), "head-section")
    assert "Sẵn sàng nộp" in section and "Chưa sẵn sàng" not in section
    assert "Nộp bản tự đánh giá" in section


def test_head_past_the_deadline_is_told_it_cannot_submit(client, head, assessment, time_machine):
    day = assessment.round.self_assessment_deadline + datetime.timedelta(days=2)
    time_machine.move_to(timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))))
    section = _section(_home(client, head), "head-section")
    assert "Đã hết hạn tự đánh giá; không thể nộp." in section and _countdown(section) == ["Đã hết hạn"]


def test_head_sees_explanations_to_send(client, head, assessment, leaf):
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.EXPLANATION)
    Score.objects.filter(assessment=assessment, criterion=leaf("range")).update(
        needs_explanation=True, question="Vì sao?"
    )
    section = _section(_home(client, head), "head-section")
    assert "Giải trình cần gửi: 0/1 nội dung đã có câu trả lời" in section
    assert "Hạn giải trình " + assessment.round.explanation_deadline.strftime("%d/%m/%Y") in section
    assert f'href="{reverse("assessments:explanation", args=[assessment.pk])}"' in section
    assert _countdown(section) == ["còn 60 ngày"]


# ---------------------------------------------------------------- appraiser


def test_appraiser_sees_the_agencys_parts_by_state_with_their_deadline(
    client, appraiser, assessment, officer, head
):
    html = _home(client, appraiser)
    section = _section(html, "appraiser-section")
    assert 'id="parts-not_started"' in section and "Không có phần thẩm định nào đang chờ" in section
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    part = FieldAppraisal.objects.get(assessment=assessment, owner__code="STP")
    section = _section(_home(client, appraiser), "appraiser-section")
    counts = dict(re.findall(r'id="parts-(\w+)".*?part-count">(\d+)<', section, re.S))
    assert counts == {"not_started": "1", "in_progress": "0", "waiting": "0", "done": "0"}
    assert f'href="{reverse("assessments:appraisal_part", args=[part.pk])}"' in section
    assert (
        "Sở Công Thương" in section
        and "hạn " + assessment.round.appraisal_1_deadline.strftime("%d/%m/%Y") in section
    )
    assert "còn 50 ngày" in _countdown(section)
    assert f"{reverse('assessments:appraisal_queue')}?round={assessment.round_id}&amp;status=done" in section
    appraisal_services.appraisal_accept_all(part=part, by=appraiser)
    appraisal_services.part_close_round_1(part=part, by=appraiser)
    section = _section(_home(client, appraiser), "appraiser-section")
    counts = dict(re.findall(r'id="parts-(\w+)".*?part-count">(\d+)<', section, re.S))
    assert counts == {"not_started": "0", "in_progress": "0", "waiting": "0", "done": "1"}
    assert "Không có phần thẩm định nào đang chờ" in section


# ---------------------------------------------------------------- coordinator and admin


@pytest.mark.parametrize("who", ["coordinator", "admin_user"])
def test_coordinator_sees_units_by_state_overdue_units_and_the_rounds_pages(
    client, request, assessment, who, time_machine
):
    user = request.getfixturevalue(who)
    rnd = assessment.round
    n = Assessment.objects.filter(round=rnd).count()
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.SUBMITTED)
    section = _section(_home(client, user), "coordinator-section")
    states = dict(re.findall(r'data-state="(\w+)">[^<]*<strong class="state-count">(\d+)<', section))
    assert states["draft"] == str(n - 1) and states["submitted"] == "1" and states["published"] == "0"
    assert "Không có đơn vị nào quá hạn" in section
    for url in (
        reverse("assessments:overview", args=[rnd.pk]),
        reverse("surveys:grid", args=[rnd.pk, "SO"]),
        reverse("reports:index"),
        reverse("reports:export", args=[rnd.pk]),
    ):
        assert f'href="{url}"' in section, url
    day = rnd.self_assessment_deadline + datetime.timedelta(days=3)
    time_machine.move_to(timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))))
    section = _section(_home(client, user), "coordinator-section")
    assert f"{n - 1} đơn vị quá hạn" in section
    overdue = section[section.index('class="small mb-1 ps-3 overdue-units"') :]
    assert "Quá hạn tự đánh giá, chưa nộp" in overdue and "trễ 3 ngày" in overdue
    assert "Sở Công Thương" not in overdue.split("</ul>")[0]  # submitted in time: not overdue


def test_coordinator_without_an_open_round(client, coordinator, units):
    section = _section(_home(client, coordinator), "coordinator-section")
    assert "Chưa có đợt đánh giá nào đang mở" in section


# ---------------------------------------------------------------- leader


def test_leader_sees_the_latest_published_results_and_the_province_page(client, make_user, assessment):
    leader = make_user("leader", "UBNDT")
    section = _section(_home(client, leader), "leader-section")
    assert "Chưa có kết quả nào được công bố" in section and reverse("reports:province") in section
    from reports.results.services import results_compute

    rnd = assessment.round
    results_compute(round=rnd)
    n = Assessment.objects.filter(round=rnd).count()
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=RoundState.PUBLISHED)
    Assessment.objects.filter(round=rnd).update(state=AssessmentState.PUBLISHED)
    section = _section(_home(client, leader), "leader-section")
    name = UnitGroup.objects.get(code="SO").name
    assert f"Xếp hạng {name} năm 2026" in section and f"({n} đơn vị)" in section
    assert f'href="{reverse("reports:rankings", args=[rnd.pk])}?group=SO"' in section
    assert f'href="{reverse("reports:province")}"' in section


def test_provisional_results_are_not_shown_to_a_leader(client, make_user, assessment):
    from reports.results.services import results_compute

    results_compute(round=assessment.round)
    section = _section(_home(client, make_user("leader", "UBNDT")), "leader-section")
    assert "Chưa có kết quả nào được công bố" in section and "Xếp hạng" not in section


# ---------------------------------------------------------------- several roles, outsiders


def test_a_user_with_two_roles_sees_both_sections(client, officer, assessment, two_scored):
    from units.models import Membership

    Membership.objects.create(user=officer, unit=Unit.objects.get(code="STP"), role="appraiser")
    html = _home(client, officer)
    assert "Sở Công Thương" in _section(html, "officer-section")
    assert 'id="parts-not_started"' in _section(html, "appraiser-section")
    assert _section(html, "head-section") == "" and _section(html, "coordinator-section") == ""


@pytest.mark.parametrize(
    "role,unit,sections",
    [
        ("officer", "SCT", {"officer-section"}),
        ("head", "SCT", {"head-section"}),
        ("appraiser", "STP", {"appraiser-section"}),
        ("coordinator", "SNV", {"coordinator-section"}),
        ("leader", "UBNDT", {"leader-section"}),
        (None, "SNV", set()),
    ],
)
def test_one_section_per_role(client, make_user, assessment, role, unit, sections):
    html = _home(client, make_user(role, unit))
    shown = {
        s
        for s in (
            "officer-section",
            "head-section",
            "appraiser-section",
            "coordinator-section",
            "leader-section",
        )
        if _section(html, s)
    }
    assert shown == sections


def test_outsiders_see_nothing_of_another_unit(
    client, other_officer, make_user, assessment, two_scored, officer, head
):
    html = _home(client, other_officer)
    assert "Sở Tư pháp" in _section(html, "officer-section")
    assert "Sở Công Thương" not in html
    # an appraiser of an agency that appraises no field of SCT's draft sees none of it either
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    html = _home(client, make_user("appraiser", "SCT"))
    assert "Không có phần thẩm định nào đang chờ" in _section(html, "appraiser-section")


# ---------------------------------------------------------------- query count


def _more_units(rnd, n: int, *, submit: bool = False) -> None:
    """``n`` more departments assessed in ``rnd`` (with their score rows; submitted with their parts if asked)."""
    group = UnitGroup.objects.get(code="SO")
    cset = rnd.round_sets.get(group=group).criteria_set
    for i in range(n):
        unit = Unit.objects.create(code=f"XTRA{i}", name=f"Sở thêm {i}", group=group, order=900 + i)
        a = Assessment.objects.create(round=rnd, unit=unit, criteria_set=cset)
        Score.objects.bulk_create(blank_scores([a], cset.pk))
        if submit:
            Assessment.objects.filter(pk=a.pk).update(state=AssessmentState.SUBMITTED)
            appraisal_services.parts_ensure(Assessment.objects.get(pk=a.pk))


def _queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_the_units(
    client, coordinator, officer, head, make_user, assessment, django_assert_max_num_queries
):
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    users = {
        "coordinator": coordinator,
        "officer": officer,
        "appraiser": make_user("appraiser", "STP"),
        "leader": make_user("leader", "UBNDT"),
    }
    before = {k: _queries(client, u) for k, u in users.items()}
    _more_units(assessment.round, 8, submit=True)
    for key, user in users.items():
        client.force_login(user)
        with django_assert_max_num_queries(before[key]):
            html = client.get(reverse("home")).content.decode()
        if key == "appraiser":  # the new units are on the page
            assert "Sở thêm 7" in _section(html, "appraiser-section")
        if key == "coordinator":
            assert '<strong class="state-count">9<' in _section(html, "coordinator-section")
