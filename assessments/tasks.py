"""Celery tasks of the assessments app: the hourly deadline run (django-celery-beat, settings
``CELERY_BEAT_SCHEDULE``). Thin: the rules are in ``services.deadlines.deadlines_run``."""

from celery import shared_task

from .services import deadlines


@shared_task(
    name="assessments.tasks.deadlines_run", autoretry_for=(OSError,), retry_backoff=True, max_retries=3
)
def deadlines_run() -> dict:
    """Reminders before each deadline, drafts locked at the self-assessment deadline, explanation windows
    closed at theirs (issue 4 §7). Idempotent: returns counts ``{"reminders", "auto_submitted",
    "explanations_closed"}``."""
    return deadlines.deadlines_run()
