"""Export jobs always end (issue 14 items 1 and 8): a lost connection to the database during the build, a worker
that died with the job running, a job whose task never reached a worker — each ends "done" or "failed" with a
Vietnamese reason the requester reads on the job page, never a progress bar for ever."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from reports.exports import builders
from reports.exports.services import exports_sweep
from reports.models import ExportJob
from reports.tasks import export_run
from units.models import UnitGroup

from .conftest import add_assessment, make_round, put, unit


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rnd(mini_set):
    rnd = make_round([mini_set])
    put(add_assessment(rnd, unit("SCT"), mini_set), "3.3", survey_value=2)
    return rnd


def _job(rnd, user, **fields) -> ExportJob:
    return ExportJob.objects.create(
        requested_by=user, round=rnd, group=UnitGroup.objects.get(code="SO"), format="xlsx", **fields
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="cắt kết nối bằng pg_terminate_backend: chỉ có trên PostgreSQL"
)
@pytest.mark.django_db(transaction=True)
def test_a_database_connection_killed_during_the_export_fails_the_job_with_a_reason(
    rnd, coordinator, client, monkeypatch
):
    job = _job(rnd, coordinator)
    real = builders.rankings_workbook

    def killed(tables, *, round, progress=None):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        other = connection.Database.connect(**connection.get_connection_params())  # a second connection
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            other.commit()
        finally:
            other.close()
        return real(tables, round=round, progress=progress)  # its progress UPDATE meets the dead connection

    monkeypatch.setattr(builders, "rankings_workbook", killed)
    assert export_run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and job.finished_at is not None
    assert "kết nối cơ sở dữ liệu" in job.error and "xuất lại" in job.error
    client.force_login(coordinator)
    progress = client.get(reverse("reports:export_job_progress", args=[job.pk])).content.decode()
    assert "Lỗi" in progress and "kết nối cơ sở dữ liệu" in progress and "hx-trigger" not in progress


@pytest.mark.django_db
def test_a_job_left_running_is_retried_once_then_failed_by_the_sweep(rnd, coordinator, settings):
    settings.EXPORT_STALE_MINUTES = 10
    now = timezone.now()
    old = now - datetime.timedelta(minutes=11)
    # A worker died with the job at 5 %: the sweep runs it again (here eagerly: to done).
    stuck = _job(rnd, coordinator, state="running", progress=5, heartbeat_at=old, attempts=1)
    # The same job died twice: failed, with the reason.
    twice = _job(rnd, coordinator, state="running", progress=5, heartbeat_at=old, attempts=2)
    # Still moving: left alone.
    alive = _job(rnd, coordinator, state="running", progress=40, heartbeat_at=now, attempts=1)
    exports_sweep(now=now)
    stuck.refresh_from_db()
    twice.refresh_from_db()
    alive.refresh_from_db()
    assert (stuck.state, stuck.progress, stuck.attempts) == ("done", 100, 2)
    assert twice.state == "failed" and twice.finished_at is not None
    assert "10 phút" in twice.error and "xuất lại" in twice.error
    assert (alive.state, alive.progress) == ("running", 40)


@pytest.mark.django_db
def test_a_recent_queued_job_is_left_to_the_queue_an_old_one_is_enqueued_again(rnd, coordinator):
    now = timezone.now()
    fresh = _job(rnd, coordinator, heartbeat_at=now)
    lost = _job(rnd, coordinator, heartbeat_at=now - datetime.timedelta(minutes=2))
    assert exports_sweep(now=now) == 1
    assert ExportJob.objects.get(pk=fresh.pk).state == "queued"
    assert ExportJob.objects.get(pk=lost.pk).state == "done"
