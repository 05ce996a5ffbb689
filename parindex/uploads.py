"""Workbook uploads: read within their size limit, and kept between their preview and their confirmation
(criteria sets, survey results and responses, the province's results).

``read_head`` reads an upload's first bytes, enough for the size check, and remembers its real size. A checked
file goes to private storage under a random token held in the user's session (``pending-uploads/<kind>/``), so
confirming imports exactly the bytes that were previewed, once. ``keep`` stores; ``take`` returns and forgets.
"""

import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

SESSION_KEY = "pending_uploads"
PENDING_DIR = "pending-uploads"


class UploadHead(bytes):
    """The first bytes of an upload (at most its size limit + 1) with ``size``, the whole upload's size in bytes:
    what ``parindex.xlsx.sniff_xlsx`` reports, so a 25 MB file reads "Tệp 25 MB" although only 5 MB + 1 byte of it
    was read."""

    size: int


def read_head(upload, max_bytes: int) -> UploadHead:
    """``upload``'s (a Django ``UploadedFile``) first ``max_bytes`` + 1 bytes, with its real ``size``; an upload
    over the limit is never read whole."""
    head = UploadHead(upload.read(max_bytes + 1))
    head.size = upload.size if upload.size is not None else len(head)
    return head


def keep(request, kind: str, data: bytes, **meta) -> str:
    """Store ``data`` and ``meta`` (JSON-serialisable) for this session; returns the token (str)."""
    token = str(uuid.uuid4())
    path = default_storage.save(f"{PENDING_DIR}/{kind}/{token}.xlsx", ContentFile(bytes(data)))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"kind": kind, "path": path, **meta}
    request.session[SESSION_KEY] = pending
    return token


def take(request, kind: str, token) -> tuple[dict, bytes] | None:
    """``(meta, data)`` of the upload kept under ``token`` for ``kind`` in this session, deleted from
    storage and session; None when there is none (expired, already used, another user's or kind's; its file gone)."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(str(token)) if token else None
    if entry is None or entry.get("kind") != kind:
        return None
    pending.pop(str(token))
    request.session[SESSION_KEY] = pending
    path = entry.pop("path")
    entry.pop("kind")
    try:
        with default_storage.open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:  # its file is gone: expired like any other
        return None
    default_storage.delete(path)
    return entry, data
