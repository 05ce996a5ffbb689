"""Recomputing later (after commit, through Celery, debounced) and the compute_results command."""

from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from assessments.models import Score
from reports.models import Result
from reports.services import QUEUED_KEY, results_recompute_later
from reports.tasks import results_recompute

from .conftest import add_assessment, make_round, put, unit

D = Decimal


@pytest.fixture
def rnd(mini_set):
    rnd = make_round([mini_set])
    for code in ("SCT", "STP"):
        put(add_assessment(rnd, unit(code), mini_set), "3.3", survey_value=D(2))  # 2 of 20 → 10.00 %
    cache.delete(QUEUED_KEY.format(rnd.pk))
    yield rnd
    cache.delete(QUEUED_KEY.format(rnd.pk))


def test_it_recomputes_once_the_transaction_commits(rnd, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        results_recompute_later(rnd.pk)
        assert not Result.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    assert sorted(Result.objects.values_list("unit__code", "par_index")) == [("SCT", D("10.00")),
                                                                              ("STP", D("10.00"))]


def test_a_burst_of_changes_queues_one_recompute(rnd, django_capture_on_commit_callbacks):
    with mock.patch.object(results_recompute, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
            results_recompute_later(rnd.pk)
        with django_capture_on_commit_callbacks(execute=True):
            results_recompute_later(rnd.pk)
    delay.assert_called_once_with(rnd.pk)


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
    delay.assert_called_once_with(rnd.pk)


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
