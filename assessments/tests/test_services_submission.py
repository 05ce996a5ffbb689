"""Submitting and withdrawing a self-assessment: only the unit's head, only when complete (every appraisal
leaf scored; a positive score has evidence or an explanation), and nothing editable while submitted."""

import datetime
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from assessments.models import Assessment, AssessmentState, Score
from assessments.services import submission as services
from assessments.services.evidence import evidence_upload
from assessments.services.scoring import score_save_self
from assessments.services.submission import assessment_submit, assessment_withdraw
from parindex.exceptions import Incomplete, InvalidTransition

from .conftest import PDF
from .helpers import appraisal_leaves, leaf_input, save, score_all, snapshot

VN = ZoneInfo("Asia/Ho_Chi_Minh")
EXPLANATION = "Văn bản lưu tại Văn phòng Sở, không số hóa"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def complete(assessment, officer):
    """SCT's assessment with every appraisal leaf at its highest points, each with an explanation."""
    score_all(assessment, officer, explanation=EXPLANATION)
    return assessment


@pytest.fixture
def submitted(complete, head):
    return assessment_submit(assessment=complete, by=head)


def _codes(items):
    return [score.criterion.code for score, _ in items]


def _after_deadline(dates):
    day = dates["self_assessment_deadline"] + datetime.timedelta(days=1)
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=VN), tick=False)


# ---------------------------------------------------------------------------------------------- submit


def test_the_head_submits_a_complete_assessment(complete, head):
    result = assessment_submit(assessment=complete, by=head)
    stored = Assessment.objects.get(pk=complete.pk)
    assert result.state == stored.state == AssessmentState.SUBMITTED
    assert stored.submitted_by == head and stored.submitted_at is not None
    record = stored.history.latest()
    assert (record.history_user, record.history_change_reason) == (head, "Nộp bản tự đánh giá")


@pytest.mark.parametrize("who", ["officer", "other_head", "coordinator", "admin_user"])
def test_only_the_units_head_submits(complete, who, request, make_user):
    by = make_user("head", "STP") if who == "other_head" else request.getfixturevalue(who)
    before = snapshot(complete)
    with pytest.raises(PermissionDenied, match="Chỉ thủ trưởng đơn vị"):
        assessment_submit(assessment=complete, by=by)
    assert snapshot(complete) == before


def test_an_unscored_assessment_lists_every_appraisal_leaf(assessment, head, so_set):
    before = snapshot(assessment)
    with pytest.raises(Incomplete) as exc:
        assessment_submit(assessment=assessment, by=head)
    leaves = appraisal_leaves(so_set)
    assert _codes(exc.value.items) == [c.code for c in leaves]  # in print order, survey leaves left out
    assert all("chưa được chấm điểm" in message for _, message in exc.value.items)
    assert f"còn {len(leaves)} tiêu chí" in exc.value.messages[0]
    assert snapshot(assessment) == before


def test_each_problem_leaves_the_list_once_fixed(assessment, officer, head, so_set):
    leaves = appraisal_leaves(so_set)
    score_all(assessment, officer)  # every leaf at its highest points, no evidence, no explanation
    positive = [c for c in leaves if Score.objects.get(assessment=assessment, criterion=c).self_value > 0]
    assert positive == leaves  # the highest points of every leaf are above 0

    with pytest.raises(Incomplete) as exc:
        assessment_submit(assessment=assessment, by=head)
    assert _codes(exc.value.items) == [c.code for c in leaves]
    assert all("chưa có tài liệu kiểm chứng" in message for _, message in exc.value.items)

    by_evidence, by_explanation, by_zero, cleared = leaves[0], leaves[1], leaves[2], leaves[3]
    evidence_upload(
        assessment=assessment,
        criterion=by_evidence,
        by=officer,
        name="qd.pdf",
        file=SimpleUploadedFile("qd.pdf", PDF),
    )
    kwargs, _ = leaf_input(by_explanation)
    save(assessment, by_explanation, officer, explanation=EXPLANATION, **kwargs)
    kwargs, points = leaf_input(by_zero, top=False)
    assert points == 0
    save(assessment, by_zero, officer, **kwargs)  # 0 points need no evidence
    save(assessment, cleared, officer)  # cleared: now unscored

    with pytest.raises(Incomplete) as exc:
        assessment_submit(assessment=assessment, by=head)
    items = dict((s.criterion.code, m) for s, m in exc.value.items)
    assert list(items) == [cleared.code] + [c.code for c in leaves[4:]]
    assert "chưa được chấm điểm" in items[cleared.code]
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.DRAFT


def test_an_explanation_of_blanks_does_not_count(assessment, officer, head, so_set):
    score_all(assessment, officer, explanation="   ")
    with pytest.raises(Incomplete) as exc:
        assessment_submit(assessment=assessment, by=head)
    assert len(exc.value.items) == len(appraisal_leaves(so_set))


def test_nothing_is_editable_after_submission(submitted, officer, head, leaf):
    before = snapshot(submitted)
    criterion = leaf("yes_no")
    for by in (officer, head):
        with pytest.raises(InvalidTransition, match="Đã nộp"):
            score_save_self(assessment=submitted, criterion=criterion, by=by, expected_version=1, value=0)
        with pytest.raises(InvalidTransition, match="Đã nộp"):
            evidence_upload(
                assessment=submitted,
                criterion=criterion,
                by=by,
                name="qd.pdf",
                file=SimpleUploadedFile("qd.pdf", PDF),
            )
    assert snapshot(submitted) == before


def test_submitting_twice_is_refused(submitted, head):
    before = snapshot(submitted)
    with pytest.raises(InvalidTransition, match="Đã nộp"):
        assessment_submit(assessment=submitted, by=head)
    assert snapshot(submitted) == before


def test_submitting_after_the_deadline_is_refused(complete, head, dates):
    before = snapshot(complete)
    with _after_deadline(dates), pytest.raises(InvalidTransition, match="Đã hết hạn tự đánh giá"):
        assessment_submit(assessment=complete, by=head)
    assert snapshot(complete) == before


# ---------------------------------------------------------------------------------------------- withdraw


def test_the_head_withdraws_and_the_unit_can_edit_again(submitted, officer, head, leaf):
    result = assessment_withdraw(assessment=submitted, by=head)
    stored = Assessment.objects.get(pk=submitted.pk)
    assert result.state == stored.state == AssessmentState.DRAFT
    assert (stored.submitted_by, stored.submitted_at) == (None, None)
    assert stored.history.latest().history_change_reason == "Rút lại bản tự đánh giá"
    criterion = leaf("yes_no")
    save(assessment=submitted, criterion=criterion, by=officer, value=0)
    assert Score.objects.get(assessment=submitted, criterion=criterion).self_value == Decimal(0)


def test_an_officer_cannot_withdraw(submitted, officer):
    before = snapshot(submitted)
    with pytest.raises(PermissionDenied, match="Chỉ thủ trưởng đơn vị"):
        assessment_withdraw(assessment=submitted, by=officer)
    assert snapshot(submitted) == before


def test_the_head_of_another_unit_cannot_withdraw(submitted, make_user):
    before = snapshot(submitted)
    with pytest.raises(PermissionDenied):
        assessment_withdraw(assessment=submitted, by=make_user("head", "STP"))
    assert snapshot(submitted) == before


def test_withdrawing_after_the_deadline_is_refused(submitted, head, dates):
    before = snapshot(submitted)
    with _after_deadline(dates), pytest.raises(InvalidTransition) as exc:
        assessment_withdraw(assessment=submitted, by=head)
    assert f"{dates['self_assessment_deadline']:%d/%m/%Y}" in exc.value.messages[0]
    assert snapshot(submitted) == before


def test_withdrawing_a_draft_is_refused(assessment, head):
    before = snapshot(assessment)
    with pytest.raises(InvalidTransition, match="Chỉ rút lại được bản đã nộp"):
        assessment_withdraw(assessment=assessment, by=head)
    assert snapshot(assessment) == before


def test_withdrawing_once_appraisal_started_is_refused(submitted, head):
    Assessment.objects.filter(pk=submitted.pk).update(state=AssessmentState.APPRAISAL_1)
    before = snapshot(submitted)
    with pytest.raises(InvalidTransition, match="chưa bắt đầu thẩm định"):
        assessment_withdraw(assessment=submitted, by=head)
    assert snapshot(submitted) == before


# ---------------------------------------------------------------------------------------------- racing a save


def _in_thread(name, call, results, before=None, after=None):
    try:
        if before:
            before.wait(timeout=10)
        call()
        results[name] = "done"
    except (InvalidTransition, Incomplete, PermissionDenied) as exc:
        results[name] = type(exc).__name__
    except Exception as exc:  # reported by the assertion below
        results[name] = repr(exc)
    finally:
        if after:
            after.set()
        connection.close()  # this thread's own connection


@pytest.mark.django_db(transaction=True)
def test_a_save_racing_the_submission_cannot_change_the_submitted_assessment(
    assessment, officer, head, monkeypatch
):
    """The head submits while an officer clears a leaf. On PostgreSQL (CI) the officer's save is made to
    arrive after the submission has checked the leaves and before it commits: the save must wait for the
    submission and then be refused, or the unit would have submitted an assessment with an unscored leaf.
    SQLite has no row locks and its in-memory test database cannot hold two writers, so there the two run
    one after the other (submission first): the outcome must be the same."""
    score_all(assessment, officer, explanation=EXPLANATION)
    criterion = appraisal_leaves(assessment.criteria_set_id)[0]
    version = Score.objects.get(assessment=assessment, criterion=criterion).version
    checked, save_finished = threading.Event(), threading.Event()
    concurrent = connection.vendor != "sqlite"
    if concurrent:
        real = services.submission_problems

        def check_then_pause(a):
            problems = real(a)
            checked.set()
            save_finished.wait(timeout=3)  # time for the officer's save to slip in, if nothing stops it
            return problems

        monkeypatch.setattr(services, "submission_problems", check_then_pause)
    else:
        checked.set()

    results = {}
    submit = threading.Thread(
        target=_in_thread, args=("submit", lambda: assessment_submit(assessment=assessment, by=head), results)
    )
    clear = threading.Thread(
        target=_in_thread,
        args=(
            "save",
            lambda: score_save_self(
                assessment=assessment, criterion=criterion, by=officer, expected_version=version
            ),
            results,
            checked,
            save_finished,
        ),
    )
    for t in (submit, clear):
        t.start()
        if not concurrent:
            t.join(timeout=30)
    for t in (submit, clear):
        t.join(timeout=30)
    assert not submit.is_alive() and not clear.is_alive()

    assert results == {"submit": "done", "save": "InvalidTransition"}
    assert Assessment.objects.get(pk=assessment.pk).state == AssessmentState.SUBMITTED
    stored = Score.objects.get(assessment=assessment, criterion=criterion)
    assert (stored.self_value, stored.version) == (leaf_input(criterion)[1], version)
