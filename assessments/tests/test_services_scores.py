"""Self scores (``score_save_self``) on real leaves of the departments' set: what each kind accepts and
refuses, who may save, when, concurrent edits and the audit trail."""

import datetime
import threading
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from assessments.models import Assessment, AssessmentState, Score
from assessments.selectors import scoring as scoring_reads
from assessments.services.scoring import score_save_self
from criteria.models import CriteriaSet, Source
from criteria.scales import format_decimal
from criteria.services import criteria_set_clone
from parindex.exceptions import InvalidTransition, StaleEdit

from .helpers import band_points, save, snapshot

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _score(assessment, criterion) -> Score:
    return Score.objects.get(assessment=assessment, criterion=criterion)


def _refused(assessment, criterion, by, error, words=None, **kwargs):
    """Save and expect ``error`` (with ``words`` in its message) and nothing stored."""
    before = snapshot(assessment)
    version = _score(assessment, criterion).version
    with pytest.raises(error) as exc:
        score_save_self(assessment=assessment, criterion=criterion, by=by, expected_version=version, **kwargs)
    if words:
        assert words in " ".join(getattr(exc.value, "messages", None) or [str(exc.value)])
    assert snapshot(assessment) == before
    return exc.value


# ---------------------------------------------------------------------------------------------- options


def test_an_option_label_gets_its_points(assessment, officer, leaf):
    criterion = leaf("options")
    for option in criterion.scale:
        score = save(assessment, criterion, officer, option=option["label"])
        stored = _score(assessment, criterion)
        assert (stored.self_value, stored.self_option) == (Decimal(option["points"]), option["label"])
        assert score.version == stored.version
    assert stored.version == len(criterion.scale)
    assert stored.updated_by == officer


def test_it_rejects_an_unknown_option(assessment, officer, leaf):
    _refused(
        assessment,
        leaf("options"),
        officer,
        ValidationError,
        "không phải là một lựa chọn",
        option="Ban hành rất kịp thời",
    )


def test_it_accepts_an_option_typed_in_decomposed_unicode(assessment, officer, leaf):
    criterion = leaf("options")
    option = criterion.scale[1]
    decomposed = unicodedata.normalize("NFD", option["label"])
    assert decomposed != option["label"]  # the label has Vietnamese diacritics
    save(assessment, criterion, officer, option=f"  {decomposed} ")
    stored = _score(assessment, criterion)
    assert (stored.self_value, stored.self_option) == (Decimal(option["points"]), option["label"])


# ---------------------------------------------------------------------------------------------- range


def test_a_range_value_on_the_step_is_stored(assessment, officer, leaf):
    criterion = leaf("range")
    step = criterion.step
    for value in (criterion.max_points, criterion.max_points - step, Decimal(0), step):
        save(assessment, criterion, officer, value=value)
        assert _score(assessment, criterion).self_value == value


def test_it_accepts_a_decimal_comma_in_text(assessment, officer, leaf):
    criterion = leaf("range")
    text = str(criterion.step * 2).replace(".", ",")
    save(assessment, criterion, officer, value=text)
    assert _score(assessment, criterion).self_value == criterion.step * 2
    assert "," in text


def test_it_rejects_a_value_off_the_step(assessment, officer, leaf):
    criterion = leaf("range")
    off = criterion.step + Decimal("0.05")
    _refused(assessment, criterion, officer, ValidationError, "bước", value=off)
    _refused(assessment, criterion, officer, ValidationError, "bước", value=str(off).replace(".", ","))


def test_it_rejects_score_above_max(assessment, officer, leaf):
    criterion = leaf("range")
    _refused(
        assessment,
        criterion,
        officer,
        ValidationError,
        "vượt điểm tối đa",
        value=criterion.max_points + criterion.step,
    )


def test_it_rejects_a_negative_score(assessment, officer, leaf):
    criterion = leaf("range")
    _refused(assessment, criterion, officer, ValidationError, "không được âm", value=-criterion.step)


@pytest.mark.parametrize("text", ["abc", "1,2,3", "0,5đ"])
def test_it_rejects_text_that_is_not_a_number(assessment, officer, leaf, text):
    _refused(assessment, leaf("range"), officer, ValidationError, "không phải là số", value=text)


# ---------------------------------------------------------------------------------------------- ratio


def test_a_ratio_gets_the_points_of_its_band(assessment, officer, leaf):
    criterion = leaf("ratio")
    assert len(criterion.scale) >= 2
    save(assessment, criterion, officer, numerator=9, denominator=10)
    stored = _score(assessment, criterion)
    assert stored.self_value == band_points(criterion, Decimal(90))
    assert (stored.numerator, stored.denominator) == (9, 10)
    # each band's lower bound is inclusive; just below it falls in the band beneath
    for above, band in zip(criterion.scale, criterion.scale[1:], strict=False):
        low = Decimal(above["min"])
        save(assessment, criterion, officer, numerator=low, denominator=100)
        assert _score(assessment, criterion).self_value == Decimal(above["points"])
        save(
            assessment,
            criterion,
            officer,
            numerator=str(low - Decimal("0.01")).replace(".", ","),
            denominator=100,
        )
        assert _score(assessment, criterion).self_value == Decimal(band["points"])


@pytest.mark.parametrize(
    "numerator, denominator, words",
    [
        (0, 0, "Mẫu số phải lớn hơn 0"),
        (1, -5, "Mẫu số phải lớn hơn 0"),
        (-1, 5, "Tử số không được âm"),
        (11, 10, "Tử số không được lớn hơn mẫu số"),
        (5, None, "Nhập cả tử số và mẫu số"),
        ("", 10, "Nhập cả tử số và mẫu số"),
        ("năm", 10, "không phải là số"),
    ],
)
def test_it_rejects_a_ratio_that_does_not_make_sense(
    assessment, officer, leaf, numerator, denominator, words
):
    _refused(
        assessment,
        leaf("ratio"),
        officer,
        ValidationError,
        words,
        numerator=numerator,
        denominator=denominator,
    )


# ---------------------------------------------------------------------------------------------- yes/no


def test_yes_no_takes_zero_or_max_only(assessment, officer, leaf):
    criterion = leaf("yes_no")
    save(assessment, criterion, officer, value=criterion.max_points)
    assert _score(assessment, criterion).self_value == criterion.max_points
    save(assessment, criterion, officer, value="0")
    assert _score(assessment, criterion).self_value == 0
    _refused(assessment, criterion, officer, ValidationError, "chỉ nhận", value=criterion.max_points / 2)


# ---------------------------------------------------------------------------------------------- clearing


@pytest.mark.parametrize(
    "kind, filled, empty",
    [
        ("options", lambda c: {"option": c.scale[0]["label"]}, {"option": ""}),
        ("range", lambda c: {"value": c.max_points}, {"value": "  "}),
        ("ratio", lambda c: {"numerator": 1, "denominator": 2}, {"numerator": None, "denominator": ""}),
        ("yes_no", lambda c: {"value": c.max_points}, {"value": None}),
    ],
)
def test_empty_input_clears_the_score(assessment, officer, leaf, kind, filled, empty):
    criterion = leaf(kind)
    save(assessment, criterion, officer, **filled(criterion))
    assert _score(assessment, criterion).self_value is not None
    save(assessment, criterion, officer, **empty)
    stored = _score(assessment, criterion)
    assert (stored.self_value, stored.self_option, stored.numerator, stored.denominator) == (
        None,
        "",
        None,
        None,
    )
    assert stored.version == 2
    assert not stored.is_scored


def test_note_and_explanation_are_stored_trimmed(assessment, officer, leaf):
    criterion = leaf("yes_no")
    save(
        assessment,
        criterion,
        officer,
        value=criterion.max_points,
        note="  Đã ban hành  ",
        explanation=unicodedata.normalize("NFD", " Văn bản lưu tại đơn vị "),
    )
    stored = _score(assessment, criterion)
    assert (stored.note, stored.explanation) == ("Đã ban hành", "Văn bản lưu tại đơn vị")


# ---------------------------------------------------------------------------------------------- what may be scored


def test_a_survey_leaf_cannot_be_self_scored(assessment, officer, so_set):
    criterion = CriteriaSet.objects.get(pk=so_set.pk).nodes.filter(source=Source.SURVEY).first()
    _refused(
        assessment, criterion, officer, ValidationError, "điều tra xã hội học", value=criterion.max_points
    )


def test_a_criterion_of_another_set_is_not_found(assessment, officer, so_set, coordinator):
    other = criteria_set_clone(source=so_set, year=2027, by=coordinator)
    twin = other.nodes.get(code=so_set.nodes.filter(kind="yes_no").first().code)
    before = snapshot(assessment)
    with pytest.raises(Score.DoesNotExist):
        score_save_self(
            assessment=assessment, criterion=twin, by=officer, expected_version=0, value=twin.max_points
        )
    assert snapshot(assessment) == before


def test_a_parent_node_is_not_found(assessment, officer, so_set):
    field = so_set.nodes.get(code="1")
    with pytest.raises(Score.DoesNotExist):
        score_save_self(assessment=assessment, criterion=field, by=officer, expected_version=0, value=1)


# ---------------------------------------------------------------------------------------------- who


def test_officer_and_head_of_the_unit_may_score(assessment, officer, head, leaf):
    criterion = leaf("yes_no")
    save(assessment, criterion, officer, value=criterion.max_points)
    save(assessment, criterion, head, value=0)
    stored = _score(assessment, criterion)
    assert (stored.self_value, stored.updated_by, stored.version) == (0, head, 2)


@pytest.mark.parametrize(
    "role, unit",
    [
        ("officer", "STP"),
        ("head", "STP"),
        ("coordinator", "SNV"),
        ("admin", "SNV"),
        ("appraiser", "SNV"),
        ("leader", "UBNDT"),
        (None, "SNV"),
    ],
)
def test_others_may_not_score(assessment, leaf, make_user, role, unit):
    criterion = leaf("yes_no")
    _refused(assessment, criterion, make_user(role, unit), PermissionDenied, value=criterion.max_points)


# ---------------------------------------------------------------------------------------------- when


def test_it_refuses_scores_after_submission(assessment, officer, leaf):
    Assessment.objects.filter(pk=assessment.pk).update(state=AssessmentState.SUBMITTED)
    criterion = leaf("yes_no")
    _refused(assessment, criterion, officer, InvalidTransition, "Đã nộp", value=criterion.max_points)


def test_it_refuses_scores_after_the_self_assessment_deadline(assessment, officer, leaf, dates):
    criterion = leaf("yes_no")
    deadline = dates["self_assessment_deadline"]
    with time_machine.travel(
        datetime.datetime.combine(deadline + datetime.timedelta(days=1), datetime.time(0, 0), tzinfo=VN),
        tick=False,
    ):
        _refused(
            assessment,
            criterion,
            officer,
            InvalidTransition,
            f"Đã hết hạn tự đánh giá (ngày {deadline:%d/%m/%Y})",
            value=criterion.max_points,
        )


def test_the_last_minute_of_the_deadline_day_still_counts(assessment, officer, leaf, dates):
    criterion = leaf("yes_no")
    last_minute = datetime.datetime.combine(
        dates["self_assessment_deadline"], datetime.time(23, 59, 59), tzinfo=VN
    )
    with time_machine.travel(last_minute, tick=False):
        save(assessment, criterion, officer, value=criterion.max_points)
    assert _score(assessment, criterion).self_value == criterion.max_points


# ---------------------------------------------------------------------------------------------- concurrent edits


def test_a_save_based_on_an_old_version_is_refused_without_losing_the_first(
    assessment, officer, make_user, leaf
):
    colleague = make_user("officer", "SCT", username="canbo2-sct", first_name="Lan", last_name="Trần")
    criterion = leaf("range")
    first, second = criterion.max_points, criterion.step
    # both opened the page at version 0; the colleague saves first
    score_save_self(assessment=assessment, criterion=criterion, by=colleague, expected_version=0, value=first)
    with pytest.raises(StaleEdit) as exc:
        score_save_self(
            assessment=assessment, criterion=criterion, by=officer, expected_version=0, value=second
        )
    message = exc.value.messages[0]
    assert colleague.get_full_name() in message and "chưa được lưu" in message
    assert exc.value.current.self_value == first and exc.value.current.version == 1
    stored = _score(assessment, criterion)
    assert (stored.self_value, stored.version, stored.updated_by) == (first, 1, colleague)
    # after looking at the current value the officer saves on version 1
    score_save_self(assessment=assessment, criterion=criterion, by=officer, expected_version=1, value=second)
    assert _score(assessment, criterion).self_value == second


def test_a_stale_save_is_refused_when_the_last_editor_is_gone(assessment, officer, make_user, leaf):
    colleague = make_user("officer", "SCT", username="canbo2-sct")
    criterion = leaf("range")
    score_save_self(
        assessment=assessment,
        criterion=criterion,
        by=colleague,
        expected_version=0,
        value=criterion.max_points,
    )
    colleague.delete()  # the account was removed; the score keeps its value, updated_by becomes empty
    before = snapshot(assessment)
    with pytest.raises(StaleEdit) as exc:
        score_save_self(assessment=assessment, criterion=criterion, by=officer, expected_version=0, value=0)
    assert "người khác" in exc.value.messages[0]
    assert snapshot(assessment) == before


def test_a_save_on_a_version_from_the_future_is_refused(assessment, officer, leaf):
    criterion = leaf("range")
    before = snapshot(assessment)
    with pytest.raises(StaleEdit) as exc:
        score_save_self(assessment=assessment, criterion=criterion, by=officer, expected_version=7, value=0)
    assert "chưa chấm" in exc.value.messages[0] and exc.value.current.version == 0
    assert snapshot(assessment) == before


def test_an_unchanged_save_keeps_the_version_and_adds_no_history(assessment, officer, leaf):
    criterion = leaf("ratio")
    save(assessment, criterion, officer, numerator=9, denominator=10, note="Báo cáo số 12")
    before = snapshot(assessment)
    # the same figures, written differently
    score = score_save_self(
        assessment=assessment,
        criterion=criterion,
        by=officer,
        expected_version=1,
        numerator="9,00",
        denominator=Decimal("10"),
        note=" Báo cáo số 12 ",
    )
    assert score.version == 1
    assert snapshot(assessment) == before


def _save_in_thread(assessment_pk, criterion, by, value, barrier, results):
    try:
        barrier.wait(timeout=10)
        assessment = Assessment.objects.get(pk=assessment_pk)
        score_save_self(assessment=assessment, criterion=criterion, by=by, expected_version=0, value=value)
        results.append(("saved", value))
    except StaleEdit as exc:
        results.append(("stale", exc.current.self_value))
    except Exception as exc:  # reported below, so a crash in a thread fails the test
        results.append(("error", repr(exc)))
    finally:
        connection.close()  # this thread's own connection


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_a_leaf_keep_exactly_one(assessment, officer, make_user, leaf):
    """Each thread has its own database connection. On PostgreSQL (CI) both start together: the row lock
    of ``select_for_update`` makes the second wait for the first to commit and then see its version, so it
    gets StaleEdit. SQLite has no row locks (FOR UPDATE is ignored) and its in-memory test database
    answers a second concurrent writer with "database table is locked" instead of waiting, so there the
    same two saves run one thread after the other: the outcome must be the same."""
    colleague = make_user("officer", "SCT", username="canbo2-sct")
    criterion = leaf("range")
    values = {officer.pk: criterion.max_points, colleague.pk: criterion.step}
    results = []
    concurrent = connection.vendor != "sqlite"
    barrier = threading.Barrier(2 if concurrent else 1)
    threads = [
        threading.Thread(
            target=_save_in_thread, args=(assessment.pk, criterion, user, values[user.pk], barrier, results)
        )
        for user in (officer, colleague)
    ]
    if concurrent:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    else:
        for t in threads:
            t.start()
            t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert sorted(kind for kind, _ in results) == ["saved", "stale"], results
    saved = next(v for kind, v in results if kind == "saved")
    stale_saw = next(v for kind, v in results if kind == "stale")
    assert stale_saw == saved  # the loser is shown the winner's value
    stored = _score(assessment, criterion)
    assert (stored.self_value, stored.version) == (saved, 1)
    assert Score.history.filter(id=stored.pk).count() == 1


# ---------------------------------------------------------------------------------------------- audit


def test_every_change_is_in_the_leaf_history_with_user_reason_and_old_and_new(
    assessment, officer, head, leaf
):
    criterion = leaf("options")
    top, middle = criterion.scale[0], criterion.scale[1]
    save(assessment, criterion, officer, option=top["label"])
    save(assessment, criterion, head, option=middle["label"], explanation="Kế hoạch ban hành chậm 5 ngày")
    score = _score(assessment, criterion)
    records = list(score.history.order_by("history_date"))
    assert [(r.history_user, r.history_change_reason) for r in records] == [
        (officer, "Tự chấm điểm"),
        (head, "Tự chấm điểm"),
    ]

    newest, oldest = scoring_reads.leaf_history(score)
    fmt = format_decimal
    assert newest.who == head.username and newest.reason == "Tự chấm điểm"
    assert set(newest.changes) == {
        ("điểm tự chấm", fmt(top["points"]), fmt(middle["points"])),
        ("lựa chọn", top["label"], middle["label"]),
        ("giải trình (khi không có tài liệu kiểm chứng)", "—", "Kế hoạch ban hành chậm 5 ngày"),
    }
    assert oldest.who == officer.username
    assert set(oldest.changes) == {("điểm tự chấm", "—", fmt(top["points"])), ("lựa chọn", "—", top["label"])}
    assert newest.when >= oldest.when


def test_clearing_a_score_shows_in_history(assessment, officer, leaf):
    criterion = leaf("ratio")
    save(assessment, criterion, officer, numerator=9, denominator=10)
    save(assessment, criterion, officer, numerator="", denominator="")
    entries = scoring_reads.leaf_history(_score(assessment, criterion))
    assert len(entries) == 2
    assert set(entries[0].changes) == {
        ("điểm tự chấm", format_decimal(band_points(criterion, Decimal(90))), "—"),
        ("tử số", "9", "—"),
        ("mẫu số", "10", "—"),
    }
