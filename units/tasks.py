"""Celery tasks of the units app: the e-mails of notifications (the outbox of ``units.services``)."""

from celery import shared_task

from . import services


@shared_task
def send_notification_emails(notification_ids: list[int]) -> int:
    """Send the due mails of notifications ``notification_ids`` (ints) — the kick ``units.services.notify``
    enqueues on commit; returns how many were sent (``units.services.notification_emails_send``: never twice, a
    failed try recorded and left to the sweep's backoff, so the task itself is not retried)."""
    return services.notification_emails_send(ids=notification_ids)


@shared_task(name="units.tasks.notification_emails_sweep")
def notification_emails_sweep() -> int:
    """Send every mail of the outbox whose time has come (``units.services.notification_emails_send``); run
    every minute by Celery beat and once when a worker starts. Returns how many were sent."""
    return services.notification_emails_send()


@shared_task(name="units.tasks.units_activity_sync")
def units_activity_sync() -> int:
    """Switch off the units whose validity has ended (``units.reorganisation.services.units_activity_sync``), as the
    portal's own account; run nightly by Celery beat. Returns how many were switched off."""
    from .reorganisation.services import units_activity_sync as sync

    return sync(by=services.system_user())
