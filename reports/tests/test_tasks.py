"""Recomputing later (after commit, through Celery, debounced) and the compute_results command."""

from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from assessments.models import Score
from reports.models import ComponentResult, PendingRecompute, Result
from reports.results.services import QUEUED_KEY, results_recompute_later
from reports.tasks import results_pending_sweep, results_recompute

from .conftest import add_assessment, make_round, put, unit

D = Decimal


@pytest.fixture
def rnd(mini_set):
    rnd = make_round([mini_set])
    for code in ("SCT", "STP"):
        put(add_assessment(rnd, unit(code), mini_set), "3.3", survey_value=D(2))  # 2 of 20 → 10.00 %
    # No recompute of the round marked as queued (in CI the flags live in Redis, shared between tests).
    keys = [QUEUED_KEY.format(rnd.pk, "all")] + [
        QUEUED_KEY.format(rnd.pk, pk) for pk in rnd.assessments.values_list("pk", flat=True)
    ]
    cache.delete_many(keys)
    yield rnd
    cache.delete_many(keys)


def test_it_recomputes_once_the_transaction_commits(rnd, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results_recompute_later(rnd.pk)
        assert not Result.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    assert sorted(Result.objects.values_list("unit__code", "par_index")) == [
        ("SCT", D("10.00")),
        ("STP", D("10.00")),
    ]


def test_a_burst_of_changes_queues_one_recompute(rnd, django_capture_on_commit_callbacks):
    with mock.patch.object(results_recompute, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
            results_recompute_later(rnd.pk)
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
    delay.assert_called_once_with(rnd.pk, None)


def test_a_change_after_the_task_started_queues_another(rnd, django_capture_on_commit_callbacks):
    with mock.patch.object(results_recompute, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
        results_recompute(rnd.pk)  # the worker runs it: the flag is cleared
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
    assert delay.call_count == 2


def test_nothing_is_queued_when_the_transaction_rolls_back(rnd, django_capture_on_commit_callbacks):
    with mock.patch.object(results_recompute, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            results_recompute_later(rnd.pk)
        # the callbacks are dropped, as on a rollback: the flag must not be left behind
        assert len(callbacks) == 1
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
    delay.assert_called_once_with(rnd.pk, None)


def test_the_task_follows_the_scores(rnd):
    assert results_recompute(rnd.pk) == 2
    Score.objects.filter(assessment__unit__code="SCT", criterion__code="3.3").update(survey_value=D(4))
    assert results_recompute(rnd.pk) == 2
    assert Result.objects.get(unit__code="SCT").par_index == D("20.00")


def test_the_task_of_a_deleted_round_does_nothing(rnd):
    pk = rnd.pk
    rnd.delete()
    assert results_recompute(pk) == 0


def test_the_command_computes_a_round_by_year(rnd):
    out = StringIO()
    call_command("compute_results", "2026", stdout=out)
    assert "2 đơn vị" in out.getvalue()
    assert Result.objects.filter(round=rnd).count() == 2


def test_the_command_refuses_a_year_without_round(rnd):
    with pytest.raises(CommandError, match="2019"):
        call_command("compute_results", "2019")


def test_a_change_to_one_unit_recomputes_that_unit_and_the_ranks(rnd, django_capture_on_commit_callbacks):
    results_recompute(rnd.pk)
    sct, stp = (Result.objects.get(round=rnd, unit__code=code) for code in ("SCT", "STP"))
    assert sct.rank == stp.rank == 1  # tied
    score = Score.objects.get(assessment=sct.assessment, criterion__code="3.3")
    Score.objects.filter(pk=score.pk).update(survey_value=D(4))  # 4 of 20 → 20.00 %
    with django_capture_on_commit_callbacks(execute=True):
        results_recompute_later(rnd.pk, sct.assessment_id)
    sct.refresh_from_db()
    stp_after = Result.objects.get(pk=stp.pk)
    assert (sct.par_index, sct.rank) == (D("20.00"), 1)
    assert (stp_after.par_index, stp_after.rank) == (D("10.00"), 2)  # its rank follows, its figures untouched
    assert stp_after.achieved == stp.achieved


def test_changes_to_two_units_queue_one_recompute_each(rnd, django_capture_on_commit_callbacks):
    a, b = rnd.assessments.order_by("pk")
    with mock.patch.object(results_recompute, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk, a.pk)
            results_recompute_later(rnd.pk, a.pk)
            results_recompute_later(rnd.pk, b.pk)
    assert sorted(call.args for call in delay.call_args_list) == [(rnd.pk, a.pk), (rnd.pk, b.pk)]


def test_the_partial_recompute_gives_what_the_whole_one_gives(rnd):
    """The same rules restricted to one assessment: its snapshot equals the one of a full recompute."""
    results_recompute(rnd.pk)
    a = rnd.assessments.get(unit__code="STP")
    Score.objects.filter(assessment=a, criterion__code="3.3").update(survey_value=D("7.5"))
    results_recompute(rnd.pk, a.pk)
    partial = sorted(
        Result.objects.filter(round=rnd).values_list("unit__code", "total", "par_index", "grade", "rank")
    )
    partial_components = sorted(
        ComponentResult.objects.filter(result__round=rnd).values_list(
            "result__unit__code", "field__code", "achieved", "applicable_max", "index_percent"
        )
    )
    Result.objects.filter(round=rnd).delete()
    results_recompute(rnd.pk)
    assert (
        sorted(
            Result.objects.filter(round=rnd).values_list("unit__code", "total", "par_index", "grade", "rank")
        )
        == partial
    )
    assert (
        sorted(
            ComponentResult.objects.filter(result__round=rnd).values_list(
                "result__unit__code", "field__code", "achieved", "applicable_max", "index_percent"
            )
        )
        == partial_components
    )
    assert partial[1][0] == "STP" and partial[1][4] == 1  # 7.5 of 20 → 37.50 %: first


def test_the_task_of_a_deleted_assessment_does_nothing(rnd):
    assert results_recompute(rnd.pk, 999_999) == 0


# ------------------------------------------------------------------ what is owed is recorded (issue 14 item 1)


def test_a_burst_of_changes_records_one_pending_recompute_per_scope(rnd, django_capture_on_commit_callbacks):
    a = rnd.assessments.order_by("pk").first()
    with mock.patch.object(results_recompute, "delay"):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                results_recompute_later(rnd.pk, a.pk)
            results_recompute_later(rnd.pk)
    assert set(PendingRecompute.objects.values_list("assessment_id", "scope")) == {(None, 0), (a.pk, a.pk)}


def test_a_broker_down_at_commit_is_logged_and_the_sweep_recomputes(
    rnd, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    with mock.patch.object(results_recompute, "delay", side_effect=OperationalError("Connection refused")):
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)  # no exception reaches the caller
    assert "lượt quét định kỳ sẽ tính lại" in caplog.text
    assert PendingRecompute.objects.filter(round=rnd, assessment=None).exists()
    assert not Result.objects.exists()
    assert cache.get(QUEUED_KEY.format(rnd.pk, "all")) is None  # the next change tries the broker again
    assert results_pending_sweep() == 1
    assert Result.objects.filter(round=rnd).count() == 2 and not PendingRecompute.objects.exists()
    assert results_pending_sweep() == 0


def test_a_change_made_while_the_recompute_runs_stays_owed(rnd):
    """The recompute clears what it read before it started, never a later change (recorded with a new token)."""
    from reports.results import services

    results_recompute_later(rnd.pk)
    real = services.results_compute

    def with_a_change_meanwhile(**kwargs):
        written = real(**kwargs)
        Score.objects.filter(assessment__unit__code="SCT", criterion__code="3.3").update(survey_value=D(4))
        results_recompute_later(rnd.pk)  # committed with its score in real life; here in the same test
        return written

    with mock.patch.object(services, "results_compute", with_a_change_meanwhile):
        assert results_pending_sweep() == 1
    assert PendingRecompute.objects.filter(round=rnd, assessment=None).count() == 1
    assert Result.objects.get(unit__code="SCT").par_index == D("10.00")
    assert results_pending_sweep() == 1
    assert (
        Result.objects.get(unit__code="SCT").par_index == D("20.00") and not PendingRecompute.objects.exists()
    )


def test_the_sweep_recomputes_the_assessments_owed_or_the_whole_round(rnd):
    results_recompute(rnd.pk)
    a, b = rnd.assessments.order_by("pk")
    Score.objects.filter(criterion__code="3.3").update(survey_value=D(4))
    results_recompute_later(rnd.pk, a.pk)
    assert results_pending_sweep() == 1
    assert dict(Result.objects.values_list("assessment_id", "par_index")) == {
        a.pk: D("20.00"),
        b.pk: D("10.00"),
    }
    results_recompute_later(rnd.pk, a.pk)
    results_recompute_later(rnd.pk)
    assert results_pending_sweep() == 2
    assert set(Result.objects.values_list("par_index", flat=True)) == {D("20.00")}
    assert not PendingRecompute.objects.exists()
