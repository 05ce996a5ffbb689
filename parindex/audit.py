"""Who and why on a model's next history record (django-simple-history).

simple-history writes one historical row per ``save()``/``delete()`` of a tracked model. It takes the
row's ``history_user`` from the instance's ``_history_user`` attribute when that attribute exists (even
when it is ``None``), else from the request the ``HistoryRequestMiddleware`` saw; and the row's
``history_change_reason`` from the instance's ``_change_reason`` attribute. Neither attribute is a
model field, so neither is declared on the model classes: this helper is the one place that sets them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models


def audit_stamp(obj: models.Model, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Mark ``obj``'s next saved history record as done by ``by`` for ``reason``; call before ``save()``.

    ``by=None`` records no user (the command line or the system, e.g. a deadline passing), also inside a
    request: the middleware's user is not used. ``reason`` is stored as written (Vietnamese, shown in the
    history pages); ``""`` stores an empty reason. Applies to the next saves of this instance until
    stamped again.
    """
    setattr(obj, "_history_user", by)  # noqa: B010 — not model fields; simple-history reads them by name
    setattr(obj, "_change_reason", reason)  # noqa: B010
