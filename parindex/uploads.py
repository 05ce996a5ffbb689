"""Workbook uploads: read within their size limit, and kept between their preview and their confirmation
(criteria sets, survey results and responses, the province's results).

``read_head`` reads an upload's first bytes, enough for the size check, and remembers its real size. A checked
file goes to private storage under a random token held in the user's session (``pending-uploads/<kind>/``), so
confirming imports exactly the bytes that were previewed, once. ``keep`` stores; ``take`` returns and forgets;
``pending_purge`` (nightly, Celery beat) deletes the previews nobody confirmed.
"""

import logging
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

logger = logging.getLogger(__name__)

SESSION_KEY = "pending_uploads"
PENDING_DIR = "pending-uploads"
#: A preview not confirmed within this long is deleted by ``pending_purge``.
PENDING_KEEP = timedelta(days=1)


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
    storage and session; None when there is none (expired, already used, another user's or kind's, or its file
    purged by ``pending_purge``)."""
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
    except FileNotFoundError:  # purged (``pending_purge``): expired like any other
        return None
    default_storage.delete(path)
    return entry, data


def pending_purge(*, now=None) -> int:
    """Delete the kept previews (``keep``) older than ``PENDING_KEEP`` (one day) before ``now`` (default: now) —
    by their file's modification time: a preview is never confirmed after its session's day, and its token dies
    with the session anyway. Returns the number of files deleted; a missing folder or a file already gone is no
    error. Run nightly by Celery beat (``parindex.tasks.pending_uploads_purge``)."""
    cutoff = (now or timezone.now()) - PENDING_KEEP
    deleted = 0
    try:
        kinds, _files = default_storage.listdir(PENDING_DIR)
    except FileNotFoundError:
        return 0
    for kind in kinds:
        folder = f"{PENDING_DIR}/{kind}"
        for name in default_storage.listdir(folder)[1]:
            path = f"{folder}/{name}"
            try:
                if default_storage.get_modified_time(path) < cutoff:
                    default_storage.delete(path)
                    deleted += 1
            except FileNotFoundError:  # taken (confirmed) meanwhile
                continue
    if deleted:
        logger.info("Đã xoá %s tệp nhập chờ xác nhận cũ hơn một ngày", deleted)
    return deleted
