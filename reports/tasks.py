"""Background work of the reports app (CONVENTIONS.md "Celery": tasks take ids, load, call a service)."""

from celery import shared_task
from django.core.cache import cache
from django.db import OperationalError

from assessments.models import AssessmentRound

from .exports.services import export_build
from .exports.services import exports_purge as _exports_purge
from .models import ExportJob
from .results.services import QUEUED_KEY, results_compute


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def results_recompute(round_id: int, assessment_id: int | None = None) -> int:
    """Recompute round ``round_id``'s PAR Index snapshot (``results_compute``) — only assessment
    ``assessment_id``'s figures, grade and its group's ranks when given; returns the number of results of the
    round, 0 when the round (or the assessment) no longer exists. Clears the "queued" flag first, so a change made
    while it runs queues another recompute. Retried on database connection errors (OperationalError, e.g. a lock
    timeout)."""
    cache.delete(QUEUED_KEY.format(round_id, "all" if assessment_id is None else assessment_id))
    rnd = AssessmentRound.objects.filter(pk=round_id).first()
    if rnd is None:
        return 0
    if assessment_id is None:
        return results_compute(round=rnd)
    if not rnd.assessments.filter(pk=assessment_id).exists():
        return 0
    return results_compute(round=rnd, assessment_ids=[assessment_id])


@shared_task
def export_run(job_id: int) -> str:
    """Build export job ``job_id``'s file (``reports.exports.services.export_build``); returns the job's final
    state ("done", "failed"), or "" when the job no longer exists. Failures are recorded on the job, not raised,
    so the task is not retried (a new request makes a new job)."""
    job = ExportJob.objects.select_related("round", "group", "requested_by").filter(pk=job_id).first()
    if job is None:
        return ""
    return export_build(job=job).state


@shared_task
def exports_purge() -> int:
    """Delete export jobs and files older than ``settings.EXPORT_KEEP_DAYS`` days
    (``reports.exports.services.exports_purge``); run daily by Celery beat. Returns how many were deleted."""
    return _exports_purge()
