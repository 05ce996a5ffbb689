"""Background work of the reports app (CONVENTIONS.md "Celery": tasks take ids, load, call a service)."""

from celery import shared_task
from django.db import OperationalError

from .exports import services as exports_services
from .models import ExportJob
from .results import services as results_services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def results_recompute(round_id: int, assessment_id: int | None = None) -> int:
    """Recompute round ``round_id``'s PAR Index snapshot — only assessment ``assessment_id``'s figures, grade and
    its group's ranks when given — and clear the recompute recorded for it
    (``reports.results.services.results_recompute_recorded``); returns the number of results written, 0 when the
    round (or the assessment) no longer exists. Clears the "queued" cache flag first, so a change made while it
    runs queues another recompute. Retried on database connection errors (OperationalError, e.g. a lock
    timeout); a recompute still owed after that is done by the sweep."""
    results_services.results_queued_clear(round_id, assessment_id)
    return results_services.results_recompute_recorded(
        round_id=round_id, assessment_ids=None if assessment_id is None else [assessment_id]
    )


@shared_task(name="reports.tasks.results_pending_sweep")
def results_pending_sweep() -> int:
    """Recompute whatever results are still owed (``reports.results.services.results_pending_run``); run every
    minute by Celery beat and once when a worker starts. Returns the number of pending recomputes found."""
    return results_services.results_pending_run()


@shared_task
def export_run(job_id: int) -> str:
    """Build export job ``job_id``'s file (``reports.exports.services.export_build``); returns the job's final
    state ("done", "failed"), or "" when the job no longer exists. Failures are recorded on the job, not raised,
    so the task is not retried (a new request makes a new job)."""
    job = ExportJob.objects.select_related("round", "group", "requested_by").filter(pk=job_id).first()
    if job is None:
        return ""
    return exports_services.export_build(job=job).state


@shared_task
def exports_purge() -> int:
    """Delete export jobs and files older than ``settings.EXPORT_KEEP_DAYS`` days
    (``reports.exports.services.exports_purge``); run daily by Celery beat. Returns how many were deleted."""
    return exports_services.exports_purge()


@shared_task(name="reports.tasks.exports_sweep")
def exports_sweep() -> int:
    """Finish what export jobs a lost task or a dead worker left (``reports.exports.services.exports_sweep``);
    run every minute by Celery beat and once when a worker starts. Returns the number of jobs enqueued again."""
    return exports_services.exports_sweep()
