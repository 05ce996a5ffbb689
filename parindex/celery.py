"""Celery application of the portal.

Broker and result backend come from ``REDIS_URL`` (settings). Without it, settings make tasks run eagerly
in-process, so the embedded default needs no Redis.
"""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parindex.settings")

app = Celery("parindex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["parindex"])  # parindex.tasks: the project package is not an installed app

#: The sweeps that do what a broker outage, a lost message or a dead worker left undone (issue 14); Celery beat
#: runs them every minute (``CELERY_BEAT_SCHEDULE``) and every worker once when it starts.
SWEEPS = (
    "reports.tasks.results_pending_sweep",
    "units.tasks.notification_emails_sweep",
    "reports.tasks.exports_sweep",
)


@worker_ready.connect
def sweep_at_worker_start(sender=None, **kwargs) -> None:
    """A worker that starts (after an outage, a deploy) publishes the sweeps (``SWEEPS``) to its queue at once,
    rather than waiting for beat's next minute."""
    for name in SWEEPS:
        app.send_task(name)
