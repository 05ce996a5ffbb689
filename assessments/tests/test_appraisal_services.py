"""The appraisal services (issue 4): parts per field and agency, appraised scores, questions, the unit's
explanations, the two rounds, reopening, publication, corrections, deadlines — on the real departments' set
and Sở Công Thương's assessment."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import (
    Assessment,
    AssessmentRound,
    AssessmentState,
    DeadlineEvent,
    FieldAppraisal,
    PartState,
    RoundState,
    Score,
)
from assessments.permissions import assessments_visible_to
from assessments.selectors.appraisal import appraisal_queue, part_leaf_ids, part_sheet, queue_rows
from assessments.services import appraisal as svc
from assessments.services import deadlines
from assessments.services.evidence import evidence_upload
from assessments.services.submission import assessment_submit, assessment_withdraw
from criteria.models import Criterion, Kind, Source
from parindex.exceptions import Incomplete, InvalidTransition, StaleEdit
from units.models import Notification

from .conftest import PDF
from .helpers import save, score_all

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day):
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=VN), tick=False)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def appraisers(make_user, units):
    """One appraiser per owner agency of the departments' set."""
    return {
        code: make_user("appraiser", code, username=f"td-{code.lower()}", email=f"td-{code.lower()}@x.vn")
        for code in ("SNV", "STP", "VPUBND", "STC", "STTTT", "SKHCN")
    }


@pytest.fixture
def submitted(assessment, officer, head, appraisers, django_capture_on_commit_callbacks):
    score_all(assessment, officer, explanation="Có văn bản lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    return Assessment.objects.select_related("round", "unit", "criteria_set").get(pk=assessment.pk)


def part(assessment, field_code, owner_code) -> FieldAppraisal:
    return FieldAppraisal.objects.select_related("assessment", "assessment__round", "field", "owner").get(
        assessment=assessment, field__code=field_code, owner__code=owner_code
    )


def score_of(assessment, code) -> Score:
    return Score.objects.select_related("criterion", "assessment", "assessment__criteria_set").get(
        assessment=assessment, criterion__code=code
    )


def appraise(assessment, code, by, **kwargs) -> Score:
    s = score_of(assessment, code)
    return svc.appraisal_leaf_save(score=s, by=by, expected_version=s.version, **kwargs)


def first_leaf(p: FieldAppraisal, kind=None) -> Score:
    qs = (
        Score.objects.filter(assessment=p.assessment, criterion_id__in=part_leaf_ids(p))
        .select_related("criterion", "assessment", "assessment__criteria_set")
        .order_by("criterion__order")
    )
    if kind:
        qs = qs.filter(criterion__kind=kind)
    return qs.first()


def close_all_round_1(assessment, appraisers, *, flag_in=None):
    """Every part accepts the self scores and ends round 1; ``flag_in`` = (part, score, question) flags one."""
    for p in FieldAppraisal.objects.filter(assessment=assessment).select_related("owner", "field"):
        who = appraisers[p.owner.code]
        svc.appraisal_accept_all(part=p, by=who)
        if flag_in and flag_in[0].pk == p.pk:
            s = Score.objects.get(pk=flag_in[1].pk)
            svc.appraisal_leaf_save(
                score=s,
                by=who,
                expected_version=s.version,
                value=s.appraised_value,
                option=s.appraised_option,
                numerator=s.appraised_numerator,
                denominator=s.appraised_denominator,
                flag=True,
                question=flag_in[2],
            )
        svc.part_close_round_1(part=p, by=who)


# ---------------------------------------------------------------------------------------------- parts


def test_submission_creates_one_part_per_field_and_agency(submitted):
    parts = {
        (p.field.code, p.owner.code)
        for p in FieldAppraisal.objects.filter(assessment=submitted).select_related("field", "owner")
    }
    # 8 fields; the ISO criterion 7.5 of the modernisation field is appraised by Sở KH&CN (issue 4 §1).
    assert parts == {
        ("1", "SNV"),
        ("2", "STP"),
        ("3", "VPUBND"),
        ("4", "SNV"),
        ("5", "SNV"),
        ("6", "STC"),
        ("7", "STTTT"),
        ("7", "SKHCN"),
        ("8", "SNV"),
    }
    iso = part(submitted, "7", "SKHCN")
    codes = set(Criterion.objects.filter(pk__in=part_leaf_ids(iso)).values_list("code", flat=True))
    assert codes and all(c.startswith("7.5") for c in codes)
    survey = Criterion.objects.filter(pk__in=part_leaf_ids(part(submitted, "8", "SNV")), source=Source.SURVEY)
    assert not survey.exists()


def test_submission_tells_the_appraisers(
    assessment, officer, head, appraisers, django_capture_on_commit_callbacks
):
    score_all(assessment, officer, explanation="x")
    with django_capture_on_commit_callbacks(execute=True):
        assessment_submit(assessment=assessment, by=head)
    assert Notification.objects.filter(user=appraisers["STP"], subject__contains="Sở Công Thương").exists()
    assert any("td-stp@x.vn" in m.to for m in mail.outbox)


def test_appraisers_see_only_submitted_assessments_of_their_fields(
    assessment, officer, head, appraisers, make_user
):
    stp = appraisers["STP"]
    assert not assessments_visible_to(stp).filter(pk=assessment.pk).exists()  # a draft: nobody outside
    score_all(assessment, officer, explanation="x")
    assessment_submit(assessment=assessment, by=head)
    assert assessments_visible_to(stp).filter(pk=assessment.pk).exists()
    nobody = make_user("appraiser", "SCT")  # an appraiser of an agency that owns no field
    assert not assessments_visible_to(nobody).filter(pk=assessment.pk).exists()
    assert [r.part.field.code for r in queue_rows(appraisal_queue(user=stp))] == ["2"]


# ---------------------------------------------------------------------------------------------- round 1


def test_first_appraisal_starts_round_1_and_ends_withdrawal(submitted, appraisers, head):
    p = part(submitted, "2", "STP")
    s = first_leaf(p)
    saved = svc.appraisal_leaf_save(
        score=s,
        by=appraisers["STP"],
        expected_version=s.version,
        value=s.self_value,
        option=s.self_option,
        numerator=s.numerator,
        denominator=s.denominator,
        comment="Đúng hồ sơ",
    )
    assert saved.appraised_value == s.self_value and saved.appraisal_comment == "Đúng hồ sơ"
    assert FieldAppraisal.objects.get(pk=p.pk).state == PartState.IN_PROGRESS
    assert Assessment.objects.get(pk=submitted.pk).state == AssessmentState.APPRAISAL_1
    with pytest.raises(InvalidTransition):
        assessment_withdraw(assessment=submitted, by=head)
    record = saved.history.first()
    assert record.history_user == appraisers["STP"] and record.history_change_reason == "Thẩm định vòng 1"


def test_an_appraiser_of_another_field_or_a_unit_user_cannot_appraise(submitted, appraisers, officer):
    s = first_leaf(part(submitted, "2", "STP"))
    for who in (appraisers["SNV"], officer):
        with pytest.raises(PermissionDenied):
            svc.appraisal_leaf_save(score=s, by=who, expected_version=s.version, value=0)
    assert Score.objects.get(pk=s.pk).appraised_value is None


def test_no_appraisal_before_submission(assessment, appraisers, officer):
    score_all(assessment, officer, explanation="x")
    s = Score.objects.filter(assessment=assessment, criterion__source=Source.APPRAISAL).first()
    with pytest.raises(FieldAppraisal.DoesNotExist):  # no parts before submission → the views answer 404
        svc.appraisal_leaf_save(score=s, by=appraisers["STP"], expected_version=s.version, value=0)


def test_out_of_range_and_off_step_values_are_refused_and_nothing_changes(submitted, appraisers):
    p = part(submitted, "4", "SNV")
    s = first_leaf(p, Kind.RANGE)
    with pytest.raises(ValidationError, match="vượt điểm tối đa"):
        svc.appraisal_leaf_save(
            score=s, by=appraisers["SNV"], expected_version=s.version, value=s.criterion.max_points + 1
        )
    with pytest.raises(ValidationError, match="không được âm"):
        svc.appraisal_leaf_save(score=s, by=appraisers["SNV"], expected_version=s.version, value="-1")
    fresh = Score.objects.get(pk=s.pk)
    assert fresh.appraised_value is None and fresh.version == s.version
    assert FieldAppraisal.objects.get(pk=p.pk).state == PartState.PENDING


def test_a_stale_edit_is_refused_with_the_current_value(submitted, appraisers):
    p = part(submitted, "2", "STP")
    s = first_leaf(p)
    svc.appraisal_leaf_save(
        score=s,
        by=appraisers["STP"],
        expected_version=s.version,
        value=s.self_value,
        option=s.self_option,
        numerator=s.numerator,
        denominator=s.denominator,
    )
    with pytest.raises(StaleEdit) as exc:
        svc.appraisal_leaf_save(
            score=s,
            by=appraisers["STP"],
            expected_version=s.version,
            value=0,
            option=s.criterion.scale[-1]["label"] if s.criterion.kind == Kind.OPTIONS else None,
            numerator=0 if s.criterion.kind == Kind.RATIO else None,
            denominator=1 if s.criterion.kind == Kind.RATIO else None,
        )
    assert exc.value.current.appraised_value == s.self_value


def test_a_flag_needs_a_question(submitted, appraisers):
    s = first_leaf(part(submitted, "2", "STP"))
    with pytest.raises(ValidationError, match="nội dung đề nghị"):
        svc.appraisal_leaf_save(score=s, by=appraisers["STP"], expected_version=s.version, flag=True)


def test_accept_all_fills_undecided_leaves_and_keeps_the_appraisers_own(submitted, appraisers):
    p = part(submitted, "5", "SNV")
    mine = first_leaf(p, Kind.YES_NO)
    svc.appraisal_leaf_save(
        score=mine, by=appraisers["SNV"], expected_version=mine.version, value=0, comment="Chưa đạt"
    )
    n = svc.appraisal_accept_all(part=p, by=appraisers["SNV"])
    leaves = Score.objects.filter(assessment=submitted, criterion_id__in=part_leaf_ids(p))
    assert n == leaves.count() - 1
    assert Score.objects.get(pk=mine.pk).appraised_value == 0  # not overwritten by the unit's max
    assert all(s.appraised_value == s.self_value for s in leaves.exclude(pk=mine.pk))
    sheet = part_sheet(part(submitted, "5", "SNV"))
    assert sheet.decided == len(sheet.leaves) and sheet.appraised_total == sheet.self_total - mine.self_value


def test_round_1_cannot_end_with_undecided_leaves_nor_twice(submitted, appraisers):
    p = part(submitted, "2", "STP")
    with pytest.raises(Incomplete) as exc:
        svc.part_close_round_1(part=p, by=appraisers["STP"])
    n = Score.objects.filter(assessment=submitted, criterion_id__in=part_leaf_ids(p)).count()
    assert len(exc.value.items) == n
    svc.appraisal_accept_all(part=p, by=appraisers["STP"])
    svc.part_close_round_1(part=p, by=appraisers["STP"])
    assert FieldAppraisal.objects.get(pk=p.pk).state == PartState.FINAL
    with pytest.raises(InvalidTransition, match="đã kết thúc vòng 1"):
        svc.part_close_round_1(part=p, by=appraisers["STP"])


def test_round_1_locks_after_its_deadline(submitted, appraisers):
    s = first_leaf(part(submitted, "2", "STP"))
    with at(submitted.round.appraisal_1_deadline + datetime.timedelta(days=1)):
        with pytest.raises(InvalidTransition, match="hết hạn thẩm định vòng 1"):
            svc.appraisal_leaf_save(score=s, by=appraisers["STP"], expected_version=s.version, value=0)


# ---------------------------------------------------------------------------------------------- the cycle


def test_the_whole_cycle_with_one_question(
    submitted, appraisers, officer, head, coordinator, make_user, django_capture_on_commit_callbacks
):
    leader = make_user("leader", "UBNDT", email="ld@x.vn")
    stp = part(submitted, "2", "STP")
    asked = first_leaf(stp)
    with django_capture_on_commit_callbacks(execute=True):
        close_all_round_1(submitted, appraisers, flag_in=(stp, asked, "Đề nghị bổ sung quyết định ban hành."))
    a = Assessment.objects.get(pk=submitted.pk)
    assert a.state == AssessmentState.EXPLANATION
    assert FieldAppraisal.objects.get(pk=stp.pk).state == PartState.EXPLANATION
    assert FieldAppraisal.objects.filter(assessment=a, state=PartState.FINAL).count() == 8
    assert Notification.objects.filter(user=officer, subject__contains="cần giải trình").exists()

    # The unit answers with text and a new document; only the head sends.
    s = Score.objects.get(pk=asked.pk)
    with pytest.raises(Incomplete):
        svc.explanation_send(assessment=a, by=head)
    s = svc.explanation_answer_save(
        score=s, by=officer, expected_version=s.version, answer="Đã bổ sung Quyết định số 12/QĐ-SCT."
    )
    evidence_upload(
        assessment=a,
        criterion=s.criterion,
        by=officer,
        name="qd12.pdf",
        file=SimpleUploadedFile("qd12.pdf", PDF + b"%new"),
    )
    other = Score.objects.filter(
        assessment=a, needs_explanation=False, criterion__source=Source.APPRAISAL
    ).first()
    with pytest.raises(InvalidTransition):  # documents only on the leaves asked about
        evidence_upload(
            assessment=a,
            criterion=other.criterion,
            by=officer,
            name="x.pdf",
            file=SimpleUploadedFile("x.pdf", PDF + b"%other"),
        )
    with pytest.raises(PermissionDenied):
        svc.explanation_send(assessment=a, by=officer)
    with django_capture_on_commit_callbacks(execute=True):
        svc.explanation_send(assessment=a, by=head)
    a.refresh_from_db()
    assert a.state == AssessmentState.APPRAISAL_2
    with pytest.raises(InvalidTransition):  # sent twice
        svc.explanation_send(assessment=a, by=head)
    assert Notification.objects.filter(user=appraisers["STP"], subject__contains="giải trình").exists()

    # Round 2: only the flagged leaf, then finalise.
    with pytest.raises(InvalidTransition, match="Vòng 2 chỉ"):
        unflagged = Score.objects.filter(
            assessment=a, criterion_id__in=part_leaf_ids(stp), needs_explanation=False
        ).first()
        svc.appraisal_leaf_save(
            score=unflagged, by=appraisers["STP"], expected_version=unflagged.version, value=0
        )
    s = Score.objects.select_related("criterion").get(pk=asked.pk)
    svc.appraisal_leaf_save(
        score=s,
        by=appraisers["STP"],
        expected_version=s.version,
        value=s.self_value,
        option=s.self_option,
        numerator=s.numerator,
        denominator=s.denominator,
        flag=True,
        question=s.question,
        comment="Đã đủ hồ sơ",
    )
    with pytest.raises(Incomplete):
        svc.round_publish(round=a.round, by=coordinator)
    svc.part_finalise(part=stp, by=appraisers["STP"])
    a.refresh_from_db()
    assert a.state == AssessmentState.APPRAISED

    with django_capture_on_commit_callbacks(execute=True):
        # the other units of the round never submitted: the coordinator cannot publish until they are done
        with pytest.raises(Incomplete):
            svc.round_publish(round=a.round, by=coordinator)
        Assessment.objects.filter(round=a.round).exclude(pk=a.pk).delete()
        svc.round_publish(round=a.round, by=coordinator)
    a.refresh_from_db()
    assert a.state == AssessmentState.PUBLISHED and a.round.state == RoundState.PUBLISHED
    assert Notification.objects.filter(user=leader, subject__contains="công bố").exists()
    assert Notification.objects.filter(user=head, subject__contains="công bố").exists()
    with pytest.raises(InvalidTransition):
        svc.round_publish(round=a.round, by=coordinator)
    with pytest.raises(InvalidTransition, match="công bố"):
        svc.appraisal_leaf_save(
            score=Score.objects.get(pk=asked.pk),
            by=appraisers["STP"],
            expected_version=Score.objects.get(pk=asked.pk).version,
            value=0,
        )


def test_answers_are_locked_after_the_explanation_deadline_and_the_window_closes_itself(
    submitted, appraisers, officer
):
    stp = part(submitted, "2", "STP")
    asked = first_leaf(stp)
    close_all_round_1(submitted, appraisers, flag_in=(stp, asked, "Vì sao?"))
    s = Score.objects.get(pk=asked.pk)
    s = svc.explanation_answer_save(score=s, by=officer, expected_version=s.version, answer="Bản nháp")
    late = submitted.round.explanation_deadline + datetime.timedelta(days=1)
    with at(late):
        with pytest.raises(InvalidTransition, match="hết hạn giải trình"):
            svc.explanation_answer_save(score=s, by=officer, expected_version=s.version, answer="Muộn")
        assert deadlines.deadlines_run()["explanations_closed"] == 1
    a = Assessment.objects.get(pk=submitted.pk)
    assert a.state == AssessmentState.APPRAISAL_2
    assert Score.objects.get(pk=asked.pk).answer == "Bản nháp"  # what the unit wrote is kept


def test_coordinator_reopens_a_final_part_with_a_reason(submitted, appraisers, coordinator, officer):
    close_all_round_1(submitted, appraisers)
    a = Assessment.objects.get(pk=submitted.pk)
    assert a.state == AssessmentState.APPRAISED
    p = part(a, "6", "STC")
    with pytest.raises(ValidationError):
        svc.part_reopen(part=p, by=coordinator, reason=" ")
    with pytest.raises(PermissionDenied):
        svc.part_reopen(part=p, by=officer, reason="x")
    svc.part_reopen(part=p, by=coordinator, reason="Sai số liệu dự toán")
    a.refresh_from_db()
    assert a.state == AssessmentState.APPRAISAL_2
    s = first_leaf(p)
    with at(a.round.appraisal_2_deadline + datetime.timedelta(days=2)):  # a reopened part ignores deadlines
        svc.appraisal_leaf_save(
            score=s,
            by=appraisers["STC"],
            expected_version=s.version,
            value=s.self_value,
            option=s.self_option,
            numerator=s.numerator,
            denominator=s.denominator,
            comment="Đã kiểm tra lại",
        )
        svc.part_finalise(part=p, by=appraisers["STC"])
    a.refresh_from_db()
    assert a.state == AssessmentState.APPRAISED
    assert (
        "Sai số liệu dự toán"
        in p.history.filter(history_change_reason__startswith="Mở lại").first().history_change_reason
    )


def test_admin_corrects_a_published_score_with_a_reason(submitted, appraisers, coordinator, admin_user):
    close_all_round_1(submitted, appraisers)
    Assessment.objects.filter(round=submitted.round).exclude(pk=submitted.pk).delete()
    svc.round_publish(round=submitted.round, by=coordinator)
    s = first_leaf(part(submitted, "6", "STC"), Kind.RANGE) or first_leaf(part(submitted, "6", "STC"))
    kwargs = {"value": 0} if s.criterion.kind != Kind.OPTIONS else {"option": s.criterion.scale[-1]["label"]}
    if s.criterion.kind == Kind.RATIO:
        kwargs = {"numerator": 0, "denominator": 1}
    with pytest.raises(PermissionDenied):
        svc.score_correct(score=s, by=coordinator, reason="x", expected_version=s.version, **kwargs)
    with pytest.raises(ValidationError):
        svc.score_correct(score=s, by=admin_user, reason="", expected_version=s.version, **kwargs)
    fixed = svc.score_correct(
        score=s, by=admin_user, reason="Quyết định 55/QĐ-UBND", expected_version=s.version, **kwargs
    )
    assert fixed.history.first().history_change_reason == "Điều chỉnh sau công bố: Quyết định 55/QĐ-UBND"
    assert fixed.history.first().history_user == admin_user


# ---------------------------------------------------------------------------------------------- N/A, bonus


def test_not_applicable_claim_is_accepted_or_refused_by_the_appraiser(assessment, officer, head, appraisers):
    score_all(assessment, officer, explanation="x")
    s = (
        Score.objects.filter(
            assessment=assessment, criterion__source=Source.APPRAISAL, criterion__parent__code__startswith="6"
        )
        .select_related("criterion")
        .first()
    )
    with pytest.raises(ValidationError, match="lý do"):
        save(assessment, s.criterion, officer, not_applicable=True)
    claimed = save(
        assessment, s.criterion, officer, not_applicable=True, note="Đơn vị không có nguồn thu sự nghiệp"
    )
    assert claimed.self_value is None and claimed.is_scored
    assessment_submit(assessment=assessment, by=head)
    p = part(assessment, "6", "STC")
    other = (
        Score.objects.filter(assessment=assessment, criterion_id__in=part_leaf_ids(p))
        .exclude(pk=s.pk)
        .select_related("criterion", "assessment")
        .first()
    )
    with pytest.raises(ValidationError, match="không đề nghị"):
        svc.appraisal_leaf_save(
            score=other, by=appraisers["STC"], expected_version=other.version, na_accept=True
        )
    claimed = Score.objects.select_related("criterion", "assessment").get(pk=s.pk)
    svc.appraisal_leaf_save(
        score=claimed, by=appraisers["STC"], expected_version=claimed.version, na_accept=False
    )
    svc.appraisal_accept_all(part=p, by=appraisers["STC"])
    with pytest.raises(Incomplete, match="chưa thẩm định"):  # refused without a score: not decided
        svc.part_close_round_1(part=p, by=appraisers["STC"])
    claimed = Score.objects.select_related("criterion", "assessment").get(pk=s.pk)
    done = svc.appraisal_leaf_save(
        score=claimed,
        by=appraisers["STC"],
        expected_version=claimed.version,
        na_accept=True,
        comment="Đúng, không phát sinh",
    )
    assert done.is_not_applicable and done.appraised_value is None
    svc.part_close_round_1(part=p, by=appraisers["STC"])
    assert part_sheet(part(assessment, "6", "STC")).max_total == sum(
        c.max_points for c in Criterion.objects.filter(pk__in=part_leaf_ids(p)).exclude(pk=s.criterion_id)
    )


@pytest.fixture
def bonus_assessment(so_set, request, officer, head, appraisers):
    so_set.bonus_cap = Decimal("1.5")
    so_set.penalty_cap = Decimal("1")
    so_set.save()
    field = so_set.nodes.get(code="8")
    n = field.children.count()
    last = so_set.nodes.order_by("-order").first().order
    common = {
        "criteria_set": so_set,
        "parent": field,
        "level": 2,
        "max_points": Decimal(1),
        "source": Source.APPRAISAL,
        "step": Decimal("0.25"),
    }
    Criterion.objects.create(
        code=f"8.{n + 1}", order=last + 1, title="Thưởng sáng kiến", kind=Kind.BONUS, **common
    )
    Criterion.objects.create(
        code=f"8.{n + 2}", order=last + 2, title="Thưởng giải thưởng", kind=Kind.BONUS, **common
    )
    a = request.getfixturevalue("assessment")
    score_all(a, officer, explanation="x")
    assessment_submit(assessment=a, by=head)
    return a, [f"8.{n + 1}", f"8.{n + 2}"]


def test_bonus_needs_a_reason_and_stays_within_the_sets_cap(bonus_assessment, appraisers):
    a, (b1, b2) = bonus_assessment
    snv = appraisers["SNV"]
    with pytest.raises(ValidationError, match="lý do điểm thưởng"):
        appraise(a, b1, snv, value=1)
    appraise(a, b1, snv, value=1, comment="Sáng kiến cấp tỉnh")
    with pytest.raises(ValidationError, match="vượt mức tối đa 1,5"):
        appraise(a, b2, snv, value=1, comment="Giải thưởng")
    assert appraise(a, b2, snv, value="0,5", comment="Giải thưởng").appraised_value == Decimal("0.5")


# ---------------------------------------------------------------------------------------------- deadlines


def test_drafts_are_locked_and_sent_to_appraisal_after_the_deadline(
    assessment, officer, appraisers, django_capture_on_commit_callbacks
):
    rnd = AssessmentRound.objects.get(pk=assessment.round_id)
    n_units = Assessment.objects.filter(round=rnd).count()
    with at(rnd.self_assessment_deadline + datetime.timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            result = deadlines.deadlines_run()
        assert result["auto_submitted"] == n_units
        assert deadlines.deadlines_run()["auto_submitted"] == 0  # idempotent
    a = Assessment.objects.get(pk=assessment.pk)
    assert a.state == AssessmentState.SUBMITTED and a.submitted_by is None
    assert a.history.first().history_change_reason.startswith("Hết hạn tự đánh giá")
    assert FieldAppraisal.objects.filter(assessment=a).count() == 9
    assert Notification.objects.filter(user=officer, subject__contains="Đã hết hạn tự đánh giá").exists()


def test_reminders_go_once_the_configured_days_before(assessment, officer, settings):
    settings.REMINDER_DAYS_BEFORE = [3, 1]
    rnd = assessment.round
    with at(rnd.self_assessment_deadline - datetime.timedelta(days=3)):
        first = deadlines.deadlines_run()["reminders"]
        again = deadlines.deadlines_run()["reminders"]
    assert first == 1 and again == 0  # only the SCT officer holds a role in a draft unit
    assert DeadlineEvent.objects.filter(round=rnd, key="reminder:self_assessment_deadline:3").exists()
    note = Notification.objects.get(user=officer)
    assert "còn 3 ngày" in note.subject
    with at(rnd.self_assessment_deadline - datetime.timedelta(days=2)):
        assert deadlines.deadlines_run()["reminders"] == 0


# ---------------------------------------------------------------------------------------------- owners


def test_coordinator_changes_a_fields_agency_before_appraisal_starts(
    submitted, appraisers, coordinator, units
):
    from units.models import Unit

    cs = submitted.criteria_set
    field8 = cs.nodes.get(code="8")
    with pytest.raises(PermissionDenied):
        svc.field_owner_set(
            criteria_set=cs, node=field8, owner=Unit.objects.get(code="STP"), by=appraisers["SNV"]
        )
    svc.field_owner_set(
        criteria_set=cs,
        node=field8,
        owner=Unit.objects.get(code="SKHDT"),
        by=coordinator,
        reason="Phân công lại",
    )
    owners = set(
        FieldAppraisal.objects.filter(assessment=submitted, field=field8).values_list(
            "owner__code", flat=True
        )
    )
    assert owners == {"SKHDT"}
    p = part(submitted, "2", "STP")
    svc.appraisal_accept_all(part=p, by=appraisers["STP"])
    with pytest.raises(InvalidTransition, match="bắt đầu"):
        svc.field_owner_set(
            criteria_set=cs, node=cs.nodes.get(code="2"), owner=Unit.objects.get(code="SNV"), by=coordinator
        )
