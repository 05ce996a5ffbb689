"""Integration: a real Celery worker process against the machine's Redis and the test PostgreSQL database.

Everything else runs tasks eagerly (root conftest); these tests prove the wiring eager mode hides: task
discovery, JSON serialisation of the arguments, ``on_commit`` publishing, the worker's own database connection
and mail settings.

Use from another test in this module::

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_something(celery_worker):
        result = celery_worker.run_task("assessments.tasks.deadlines_run", timeout=60)
        ...

``celery_worker`` (function-scoped) starts the worker once per module and gives a ``CeleryWorker``: ``queue``,
``mail_dir``, ``run_task(name, *args, timeout=30, **kwargs)`` (publish by name to the worker's queue, wait for
and return the result, re-raising the task's exception), ``mails()`` (messages written by the worker's
file-based mail backend), ``wait_for(predicate, timeout)``. The test's own ``.delay()`` calls (e.g. from
``notify()``'s on-commit hook) are routed to the same queue while the test runs. The worker's log is printed
when a test fails. Skipped without ``REDIS_URL`` or when the test database is not PostgreSQL.
"""

import email
import email.policy
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

from parindex.celery import app
from units.services import system_user

READY_TIMEOUT = 60


def _database_url() -> str:
    """``DATABASE_URL`` of the running test's database (``test_…``: the name pytest-django created)."""
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    host, name = db.get("HOST") or "localhost", quote(db["NAME"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    # A socket directory goes in the path (django-environ: postgres://user@//var/run/postgresql/name).
    location = (
        f"{'@' if auth else ''}/{host}/{name}"
        if host.startswith("/")
        else f"{'@' if auth else ''}{host}{port}/{name}"
    )
    options = urlencode({k: v for k, v in (db.get("OPTIONS") or {}).items() if isinstance(v, str | int)})
    return f"postgres://{auth}{location}" + (f"?{options}" if options else "")


@dataclass
class CeleryWorker:
    """A running worker subprocess consuming ``queue``; see the module docstring."""

    process: subprocess.Popen
    queue: str
    nodename: str
    mail_dir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def run_task(self, name: str, *args, timeout: float = 30, **kwargs):
        """Send task ``name`` (registered in the worker) to the worker's queue and return its result; the task's
        exception is re-raised here. ``TimeoutError`` (celery.exceptions) after ``timeout`` seconds."""
        return app.send_task(name, args=args, kwargs=kwargs, queue=self.queue).get(timeout=timeout)

    def mails(self) -> list[email.message.EmailMessage]:
        """Messages the worker wrote (file-based backend: one file per connection, messages separated by a
        line of 79 dashes), headers decoded."""
        messages = []
        for path in sorted(self.mail_dir.glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    messages.append(email.message_from_bytes(chunk.lstrip(), policy=email.policy.default))
        return messages

    def wait_for(self, predicate, timeout: float = 30, interval: float = 0.2):
        """Poll ``predicate()`` until it returns something truthy (returned); fail with the worker's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.process.poll() is not None:
                break
            time.sleep(interval)
        pytest.fail(
            f"Hết {timeout} s mà điều kiện chưa thỏa (worker exit code {self.process.poll()}).\n"
            f"--- worker log ---\n{self.log()}"
        )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # warm shutdown: finishes the current task, closes its DB connection
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def _celery_worker_process(django_db_setup, tmp_path_factory):
    if not settings.REDIS_URL:
        pytest.skip("cần REDIS_URL (Redis thật) để chạy worker Celery thật")
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip(
            "cần PostgreSQL: worker là một tiến trình khác, không thấy cơ sở dữ liệu SQLite của phiên test"
        )

    tmp = tmp_path_factory.mktemp("celery-worker")
    mail_dir, log_path = tmp / "mail", tmp / "worker.log"
    mail_dir.mkdir()
    queue = f"parindex-test-{uuid.uuid4().hex[:12]}"
    nodename = f"{queue}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "parindex.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "parindex",
        "worker",
        "--pool=solo",
        "-Q",
        queue,
        "-n",
        nodename,
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    worker = CeleryWorker(
        process=process, queue=queue, nodename=nodename, mail_dir=mail_dir, log_path=log_path
    )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not app.control.ping(destination=[nodename], timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"Worker Celery không sẵn sàng sau {READY_TIMEOUT} s (exit code {process.poll()}).\n"
                    f"--- worker log ---\n{worker.log()}"
                )
        yield worker
    finally:
        _stop(process)
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_delete(queue)
        except Exception:  # best effort: a left-over empty queue in the test Redis db is harmless
            pass


@pytest.fixture
def celery_worker(_celery_worker_process, request):
    """The module's worker, with this test's published tasks routed to its queue; prints the worker's log of
    this test when the test fails (pytest shows a passing test's output only with -rP)."""
    worker = _celery_worker_process
    saved = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = worker.queue
    log_start = len(worker.log())
    try:
        yield worker
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = saved
        if worker.process.poll() is not None:
            print(f"worker exited with code {worker.process.returncode}")
        print(f"--- worker log during {request.node.name} ---\n{worker.log()[log_start:]}")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_mails_a_notification_and_records_it(celery_worker, make_user):
    from units.models import Notification
    from units.services import notify

    user = make_user(email="canbo@example.vn")
    subject = f"Thông báo thử qua worker {uuid.uuid4().hex[:6]}"
    (row,) = notify(users=[user], subject=subject, body="Hạn tự đánh giá là ngày mai.", url="/assessments/")

    emailed_at = celery_worker.wait_for(
        lambda: Notification.objects.filter(pk=row.pk).values_list("emailed_at", flat=True).first(),
        timeout=30,
    )
    assert emailed_at is not None
    (message,) = [m for m in celery_worker.mails() if m["Subject"] == subject]
    assert message["To"] == "canbo@example.vn"
    body = message.get_content()
    assert "Hạn tự đánh giá là ngày mai." in body and f"/thong-bao/{row.pk}/mo/" in body


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_task_returns_the_workers_result(celery_worker, make_user):
    from units.models import Notification
    from units.services import notify

    (row,) = notify(users=[make_user(email="")], subject="Không có thư", body="", email=False)
    # Nobody to mail: the worker loads the row, skips it, and reports 0 sent.
    assert celery_worker.run_task("units.tasks.send_notification_emails", [row.pk]) == 0
    assert Notification.objects.get(pk=row.pk).emailed_at is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_locks_drafts_after_the_deadline_and_tells_the_unit(celery_worker, make_user, units):
    """The hourly deadline task (issue 4 §7) run by a real worker: past the self-assessment deadline every
    draft is locked and sent to appraisal, the unit's officer is mailed, and a second run changes nothing."""
    import datetime

    from django.utils import timezone

    from assessments.models import Assessment, AssessmentState, FieldAppraisal
    from assessments.services.rounds import round_create, round_open
    from criteria.services import criteria_set_import
    from units.models import UnitGroup

    coordinator = make_user("coordinator", "SNV")
    officer = make_user("officer", "SCT", email="canbo@sct.vn")
    with open("fixtures/criteria/SO.xlsx", "rb") as fh:
        so_set = criteria_set_import(
            group=UnitGroup.objects.get(code="SO"), year=2026, data=fh.read(), by=system_user()
        )
    today, days = timezone.localdate(), datetime.timedelta
    rnd = round_create(
        year=2026,
        name="Đợt 2026",
        sets={so_set.group: so_set},
        by=coordinator,
        opens_on=today - days(40),
        self_assessment_deadline=today - days(1),
        appraisal_1_deadline=today + days(20),
        explanation_deadline=today + days(30),
        appraisal_2_deadline=today + days(40),
        publication_date=today + days(50),
    )
    round_open(round=rnd, by=coordinator)
    n = Assessment.objects.filter(round=rnd).count()

    result = celery_worker.run_task("assessments.tasks.deadlines_run", timeout=120)
    assert result["auto_submitted"] == n
    sct = Assessment.objects.get(round=rnd, unit__code="SCT")
    assert sct.state == AssessmentState.SUBMITTED and sct.submitted_by is None
    assert FieldAppraisal.objects.filter(assessment=sct).count() == 9
    mails = celery_worker.wait_for(
        lambda: [m for m in celery_worker.mails() if "canbo@sct.vn" in m["To"]], timeout=30
    )
    assert "hết hạn tự đánh giá" in mails[0]["Subject"]
    assert celery_worker.run_task("assessments.tasks.deadlines_run", timeout=60)["auto_submitted"] == 0
    assert officer.notifications.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_the_results_snapshot_following_successive_changes(celery_worker, units):
    """The recompute after a score change (issue 6 item 1) run by a real worker, twice in a row for the same unit:
    the "queued" flag lives in the cache shared with the worker (Redis), which clears it when it starts, so the
    second change is recomputed too and the snapshot ends on the last value."""
    from decimal import Decimal

    from django.core.cache import cache
    from django.db import transaction

    from assessments.models import Score
    from reports.models import Result
    from reports.results.services import QUEUED_KEY, results_recompute_later
    from reports.tests.conftest import MINI_SET, add_assessment, build_set, make_round, put, unit

    cset = build_set("SO", MINI_SET)
    rnd = make_round([cset])
    sct = add_assessment(rnd, unit("SCT"), cset)
    cache.delete(QUEUED_KEY.format(rnd.pk, sct.pk))
    for points, expected in ((Decimal(2), Decimal("10.00")), (Decimal(4), Decimal("20.00"))):
        with transaction.atomic():
            put(sct, "3.3", survey_value=points)  # of 20 points
            results_recompute_later(rnd.pk, sct.pk)
        celery_worker.wait_for(lambda e=expected: Result.objects.filter(assessment=sct, par_index=e).exists())
    assert Score.objects.get(assessment=sct, criterion__code="3.3").survey_value == Decimal(4)
    assert cache.get(QUEUED_KEY.format(rnd.pk, sct.pk)) is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_sweeps_at_its_start_and_does_what_a_broker_outage_left(celery_worker, units, make_user):
    """Issue 14: a recompute owed and a mail due, recorded while the broker was down (the on-commit kicks fail),
    are done by the sweeps run by a real worker; every worker published the sweeps once when it started."""
    from unittest import mock

    from parindex.celery import SWEEPS
    from reports.models import PendingRecompute, Result
    from reports.results import services as results_services
    from reports.tests.conftest import MINI_SET, add_assessment, build_set, make_round, put, unit
    from units import services as units_services
    from units.models import Notification

    startup = celery_worker.wait_for(
        lambda: all(f"Task {name}[" in celery_worker.log() for name in SWEEPS) and celery_worker.log(),
        timeout=30,
    )
    assert all(f"Task {name}[" in startup for name in SWEEPS)

    cset = build_set("SO", MINI_SET)
    rnd = make_round([cset])
    sct = add_assessment(rnd, unit("SCT"), cset)
    subject = f"Thư chờ gửi {uuid.uuid4().hex[:6]}"
    with (
        mock.patch.object(results_services, "results_recompute_enqueue", return_value=False),
        mock.patch.object(units_services, "notification_emails_enqueue", return_value=False),
    ):
        put(sct, "3.3", survey_value=2)
        results_services.results_recompute_later(rnd.pk, sct.pk)
        (row,) = units_services.notify(users=[make_user(email="cho@example.vn")], subject=subject, body="…")
    assert PendingRecompute.objects.filter(assessment=sct).exists() and not Result.objects.exists()

    assert celery_worker.run_task("reports.tasks.results_pending_sweep", timeout=60) == 1
    assert Result.objects.get(assessment=sct).par_index == 10
    assert not PendingRecompute.objects.exists()
    assert celery_worker.run_task("units.tasks.notification_emails_sweep", timeout=60) == 1
    assert [m["To"] for m in celery_worker.mails() if m["Subject"] == subject] == ["cho@example.vn"]
    assert Notification.objects.get(pk=row.pk).email_status == "sent"
    assert celery_worker.run_task("units.tasks.notification_emails_sweep", timeout=60) == 0
