"""A checked upload kept between its preview and its confirmation (criteria sets, survey results).

The file goes to private storage under a random token held in the user's session, so confirming imports
exactly the bytes that were previewed, once. ``keep`` stores; ``take`` returns and forgets.
"""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SESSION_KEY = "pending_uploads"


def keep(request, kind: str, data: bytes, **meta) -> str:
    """Store ``data`` and ``meta`` (JSON-serialisable) for this session; returns the token (str)."""
    token = str(uuid.uuid4())
    path = default_storage.save(f"pending-uploads/{kind}/{token}.xlsx", ContentFile(data))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"kind": kind, "path": path, **meta}
    request.session[SESSION_KEY] = pending
    return token


def take(request, kind: str, token) -> tuple[dict, bytes] | None:
    """``(meta, data)`` of the upload kept under ``token`` for ``kind`` in this session, deleted from
    storage and session; None when there is none (expired, already used, another user's or kind's)."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(str(token)) if token else None
    if entry is None or entry.get("kind") != kind:
        return None
    pending.pop(str(token))
    request.session[SESSION_KEY] = pending
    path = entry.pop("path")
    entry.pop("kind")
    with default_storage.open(path, "rb") as fh:
        data = fh.read()
    default_storage.delete(path)
    return entry, data
