"""Celery application of the portal.

Broker and result backend come from ``REDIS_URL`` (settings). Without it, settings make tasks run eagerly
in-process, so the embedded default needs no Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parindex.settings")

app = Celery("parindex")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["parindex"])  # parindex.tasks: the project package is not an installed app
