"""Background work of the portal's shared parts (CONVENTIONS.md "Celery": tasks take ids, load, call a service)."""

from celery import shared_task

from . import uploads


@shared_task
def pending_uploads_purge() -> int:
    """Delete the import previews nobody confirmed within a day (``parindex.uploads.pending_purge``); run nightly
    by Celery beat. Returns how many files were deleted."""
    return uploads.pending_purge()
