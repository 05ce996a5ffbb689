"""Faults (issue 14 items 1 and 8): the broker (Redis) stops while users work.

Each test starts its own ``redis-server`` (root conftest ``own_broker``: Celery's broker and the cache point at it,
tasks are published for real) and stops it. What a user did must still be saved and answered as saved; what
the background work owes them — the results' recompute, the e-mails, an export — is recorded in the database
and done by the beat sweeps once the broker is back.
"""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assessments.models import FieldAppraisal, Score
from assessments.selectors.appraisal import part_leaf_ids
from assessments.services import appraisal as svc
from assessments.services.submission import assessment_submit
from assessments.tests.conftest import assessment, dates, head, officer, open_round, so_set  # noqa: F401
from assessments.tests.helpers import score_all
from criteria.models import Criterion, Kind, Source
from parindex.celery import app
from reports.models import ExportJob, Result
from units.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def submitted(assessment, officer, head):  # noqa: F811
    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    return assessment


def _eager():
    """The broker is back and the worker runs what is published (here: in this process)."""
    app.conf.task_always_eager = True


def test_saves_answer_success_while_the_broker_is_down_and_the_sweep_catches_up(
    own_broker, client, submitted, make_user, coordinator
):
    stp = make_user("appraiser", "STP", username="td-stp", email="td-stp@example.vn")
    part = FieldAppraisal.objects.get(assessment=submitted, owner__code="STP")
    leaf = (
        Score.objects.filter(assessment=submitted, criterion_id__in=part_leaf_ids(part))
        .exclude(criterion__kind__in=[Kind.OPTIONS, Kind.RATIO])
        .select_related("criterion")
        .order_by("criterion__order")
        .first()
    )
    survey = Score.objects.get(
        assessment=submitted,
        criterion=Criterion.objects.filter(
            criteria_set=submitted.criteria_set, source=Source.SURVEY, children__isnull=True
        )
        .order_by("order")
        .first(),
    )
    before = Score.history.filter(id__in=[leaf.pk, survey.pk]).count()
    Result.objects.filter(assessment=submitted).delete()
    mail.outbox.clear()
    own_broker.stop()
    stopped_at = timezone.now()

    client.force_login(stp)
    r = client.post(
        reverse("assessments:appraisal_leaf", args=[part.pk, leaf.pk]),
        {"version": leaf.version, "comment": "Đúng", "value": "0"},
        **HX,
    )
    assert r.status_code == 200 and "Đã lưu" in r.content.decode()
    client.force_login(coordinator)
    r = client.post(
        reverse("surveys:cell", args=[submitted.round_id, survey.pk]), {"value": "0,5", "version": 0}, **HX
    )
    assert r.status_code == 200 and "Đã lưu" in r.content.decode()
    # The part reopened by the coordinator tells its appraiser (an e-mail owed while the broker is down).
    svc.appraisal_accept_all(part=part, by=stp)
    svc.part_close_round_1(part=part, by=stp)
    r = client.post(
        reverse("assessments:part_reopen", args=[part.pk]), {"reason": "Kiểm tra lại"}, follow=True
    )
    assert r.status_code == 200 and "Đã mở lại" in r.content.decode()

    from reports.models import PendingRecompute
    from reports.tasks import results_pending_sweep
    from units.tasks import notification_emails_sweep

    assert Score.history.filter(id__in=[leaf.pk, survey.pk]).count() >= before + 2
    assert Score.objects.get(pk=survey.pk).survey_value == 5 / 10
    assert PendingRecompute.objects.filter(round=submitted.round, assessment=submitted).exists()
    assert not Result.objects.filter(assessment=submitted).exists()
    (told,) = Notification.objects.filter(user=stp)
    assert told.email_status == "pending" and mail.outbox == []

    own_broker.start()
    _eager()
    assert results_pending_sweep.delay().get() >= 1
    assert notification_emails_sweep.delay().get() == 1
    result = Result.objects.get(assessment=submitted)
    assert result.computed_at >= stopped_at
    assert not PendingRecompute.objects.exists()
    assert [m.to for m in mail.outbox] == [["td-stp@example.vn"]]
    # A second sweep (another beat tick, a worker restarting) sends nothing again.
    assert notification_emails_sweep.delay().get() == 0
    assert results_pending_sweep.delay().get() == 0
    assert len(mail.outbox) == 1
    told.refresh_from_db()
    assert told.email_status == "sent" and told.emailed_at is not None


def test_an_export_asked_for_while_the_broker_is_down_is_run_by_the_sweep(
    own_broker, client, submitted, coordinator
):
    own_broker.stop()
    client.force_login(coordinator)
    r = client.post(
        reverse("reports:export_start", args=[submitted.round_id]), {"format": "xlsx", "group": ""}
    )
    job = ExportJob.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("reports:export_job", args=[job.pk])
    assert job.state == "queued"
    page = client.get(r["Location"])
    assert page.status_code == 200

    from reports.tasks import exports_sweep

    own_broker.start()
    _eager()
    assert (
        exports_sweep.delay().get() == 0
    )  # asked for less than a minute ago: the queue may still deliver it
    later = timezone.now() + datetime.timedelta(minutes=2)
    from reports.exports.services import exports_sweep as sweep

    assert sweep(now=later) == 1
    job.refresh_from_db()
    assert (job.state, job.progress, job.error) == ("done", 100, "")
    assert job.file.name.endswith(".xlsx")


def test_beat_runs_every_sweep_every_minute(settings):
    from parindex.celery import SWEEPS

    app.loader.import_default_modules()
    for name in SWEEPS:
        (entry,) = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == name]
        assert entry["schedule"].minute == set(range(60)) and entry["schedule"].hour == set(range(24))
        assert name in app.tasks
