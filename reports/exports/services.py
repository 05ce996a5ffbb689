"""Exports of a round's rankings in the background (issue 6 item 6): who may ask, asking, building the file.

``export_request`` checks the requester and queues an ``ExportJob``; the Celery task ``reports.tasks.export_run``
calls ``export_build``, which writes the file (``reports.exports.builders``) and keeps the job's progress up to date.
``exports_purge`` (daily, Celery beat) deletes jobs and files older than ``settings.EXPORT_KEEP_DAYS``.

Every job ends *done* or *failed* with a Vietnamese reason (issue 14 item 1), whatever breaks: the request
succeeds when the broker is down (the job stays *queued*); ``exports_sweep`` (Celery beat, every minute, and at
a worker's start) enqueues again a job still queued ``settings.EXPORT_REQUEUE_SECONDS`` after its last enqueue,
runs once more a job *running* without progress for ``settings.EXPORT_STALE_MINUTES`` minutes (its worker died)
and fails it the second time; a database error during the build (a killed connection) fails the job on a fresh
connection.

Who may export (shared/DESIGN.md §7, the same rule as ``reports.permissions.results_visible_to``): a round not
published yet — the coordinator and admins only; a published round — every user who may see its results (leaders,
unit officers and heads, appraisers). Users without a role never learn that a round exists (404).
"""

import logging
import os
import re
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, InterfaceError, connection, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import AssessmentRound
from units.models import UnitGroup

from ..models.exports import ExportFormat, ExportJob, ExportState
from . import builders

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
}


def can_export(user, round: AssessmentRound) -> bool:
    """Whether ``user`` may export ``round``'s rankings: managers always, readers once it is published."""
    return user.has_perm("reports.export_round", round)


def export_round_for(user, round_pk: int) -> AssessmentRound:
    """The round ``round_pk`` for the export pages of ``user``.

    Raises ``Http404`` for an unknown id and for users without a role (outsiders); ``PermissionDenied`` (403)
    for readers (leaders, unit users, appraisers) while the round is not published."""
    if not user.has_perm("reports.view_published_results"):
        raise Http404
    rnd = AssessmentRound.objects.filter(pk=round_pk).first()
    if rnd is None:
        raise Http404
    if not can_export(user, rnd):
        raise PermissionDenied(_("Kết quả của đợt đánh giá này chưa được công bố."))
    return rnd


def export_request(*, user, round: AssessmentRound, group: UnitGroup | None, fmt: str) -> ExportJob:
    """Queue an export of ``round``'s rankings — of ``group``, or of every group when ``group`` is None — as
    ``fmt`` ("xlsx" or "pdf") for ``user``; returns the new job (state *queued*). ``reports.tasks.export_run``
    is enqueued when the transaction commits.

    Raises ``PermissionDenied`` when ``user`` may not export the round (``can_export``); ``ValidationError``
    (Vietnamese message) for an unknown format or a group not ranked in the round."""
    if not can_export(user, round):
        raise PermissionDenied(_("Bạn không có quyền xuất kết quả của đợt đánh giá này."))
    if fmt not in ExportFormat.values:
        raise ValidationError(_("Định dạng xuất không hợp lệ: chỉ có xlsx hoặc pdf."), code="format")
    if group is not None and group.pk not in {g.pk for g in builders.export_groups(round)}:
        raise ValidationError(_("Nhóm đơn vị này không được xếp hạng trong đợt đánh giá."), code="group")
    with transaction.atomic():
        job = ExportJob.objects.create(requested_by=user, round=round, group=group, format=fmt)

        def enqueue_export() -> None:
            export_enqueue(job.pk)

        transaction.on_commit(enqueue_export, robust=True)
    return job


def export_enqueue(job_id: int) -> bool:
    """Publish ``reports.tasks.export_run`` for job ``job_id``; True when published. A broker outage is logged and
    gives False: the job stays *queued* and ``exports_sweep`` enqueues it again later."""
    from ..tasks import export_run

    try:
        export_run.delay(job_id)
    except Exception:
        logger.warning(
            "Không gửi được yêu cầu xuất %s tới broker; lượt quét định kỳ sẽ gửi lại.", job_id, exc_info=True
        )
        return False
    return True


def export_filename(job: ExportJob) -> str:
    """ "xep-hang-cchc-2026-SO.xlsx" ("…-2026.pdf" for the whole round): ASCII, safe in a download header."""
    what = f"-{job.group.code}" if job.group else ""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"xep-hang-cchc-{job.round.year}{what}")
    return f"{name}.{job.format}"


def _set_progress(job_id: int, last: list[int], share: float) -> None:
    """Store the progress (%) when it moved by at least 5 points; the job page reads it (one UPDATE, outside any
    transaction of the task, so a poll sees it at once). Kept below 100 until the file is stored."""
    percent = max(0, min(99, int(share * 100)))
    if percent - last[0] >= 5:
        last[0] = percent
        ExportJob.objects.filter(pk=job_id).update(progress=percent, heartbeat_at=timezone.now())


#: Errors of the database or of its connection (Django's InterfaceError, "connection already closed", is not a
#: DatabaseError).
DATABASE_ERRORS = (DatabaseError, InterfaceError)
#: The reason of a job that met a database error (a killed connection, the server restarting).
DATABASE_LOST = "Mất kết nối cơ sở dữ liệu trong khi tạo tệp; vui lòng yêu cầu xuất lại."


def failure_reason(exc: Exception) -> str:
    """The Vietnamese reason shown on the job page ("Lỗi: …") for ``exc`` raised while building a file."""
    if isinstance(exc, DATABASE_ERRORS):
        return DATABASE_LOST
    return f"Không tạo được tệp ({type(exc).__name__}: {exc}); vui lòng yêu cầu xuất lại."


def export_failed(job: ExportJob, reason: str) -> None:
    """Record ``job`` *failed* with ``reason`` (and ``finished_at``), also when the database connection that
    met the error is dead: outside a transaction the connection is closed and the UPDATE made on a fresh one.
    A database still unreachable is logged; the job then stays *running* until ``exports_sweep`` fails it."""
    job.state, job.error, job.finished_at = ExportState.FAILED, reason, timezone.now()
    fields = {"state": job.state, "error": reason, "finished_at": job.finished_at}
    try:
        ExportJob.objects.filter(pk=job.pk).update(**fields)
        return
    except DATABASE_ERRORS:
        if connection.in_atomic_block:
            raise
        connection.close()  # the next query opens a new connection
    try:
        ExportJob.objects.filter(pk=job.pk).update(**fields)
    except DATABASE_ERRORS:
        logger.exception("Không ghi được lỗi của yêu cầu xuất %s; lượt quét định kỳ sẽ ghi sau.", job.pk)


def export_build(*, job: ExportJob) -> ExportJob:
    """Build ``job``'s file and store it: the job goes *running* (``attempts`` + 1, progress 0 → 99 as rows are
    written, each move a heartbeat), then *done* with ``file`` and progress 100, or *failed* with ``error``, a
    Vietnamese reason (``failure_reason``; the exception logged, never raised — a failure is shown on the job
    page; a database error is recorded on a fresh connection, ``export_failed``). A job that is not *queued* any
    more is returned as it is (a duplicate delivery of the task)."""
    updated = ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, progress=0, heartbeat_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not updated:
        job.refresh_from_db()
        return job
    try:
        groups = [job.group] if job.group else builders.export_groups(job.round)
        tables = builders.ranking_tables(user=job.requested_by, round=job.round, groups=groups)
        progress = partial(_set_progress, job.pk, [0])
        build = builders.rankings_pdf if job.format == ExportFormat.PDF else builders.rankings_workbook
        data = build(tables, round=job.round, progress=progress)
        job.file.save(export_filename(job), ContentFile(data), save=False)
        job.state, job.progress, job.finished_at = ExportState.DONE, 100, timezone.now()
        job.save(update_fields=["state", "progress", "file", "finished_at"])
    except Exception as exc:
        logger.exception("Xuất kết quả thất bại (yêu cầu %s)", job.pk)
        export_failed(job, failure_reason(exc))
    return job


def exports_sweep(*, now=None) -> int:
    """Finish what a lost task or a dead worker left, at ``now`` (default: now); returns the number of jobs
    enqueued again. Run every minute by Celery beat and when a worker starts (``reports.tasks.exports_sweep``).

    * *running* with no heartbeat (start, progress) for ``settings.EXPORT_STALE_MINUTES`` minutes: back to
      *queued* and enqueued when it ran once (``attempts`` < 2), else *failed* with the reason;
    * *queued* whose last enqueue (``heartbeat_at``) is ``settings.EXPORT_REQUEUE_SECONDS`` old: enqueued again (a
      broker that was down at request time, a lost message). A second delivery is harmless: ``export_build`` runs
      a job only from *queued*.

    Each change is a conditional UPDATE on the state and heartbeat read, so two sweeps never both take a job."""
    now = now or timezone.now()
    stale_before = now - timedelta(minutes=settings.EXPORT_STALE_MINUTES)
    reason = (
        f"Quá {settings.EXPORT_STALE_MINUTES} phút không có tiến triển (tiến trình chạy nền đã dừng hoặc mất "
        "kết nối); vui lòng yêu cầu xuất lại."
    )
    again = []
    stuck = ExportJob.objects.filter(state=ExportState.RUNNING, heartbeat_at__lt=stale_before)
    for pk, beat, attempts in stuck.values_list("pk", "heartbeat_at", "attempts"):
        same = ExportJob.objects.filter(pk=pk, state=ExportState.RUNNING, heartbeat_at=beat)
        if attempts < 2:
            if same.update(state=ExportState.QUEUED, progress=0, heartbeat_at=now):
                logger.warning(
                    "Yêu cầu xuất %s đứng quá %s phút: chạy lại", pk, settings.EXPORT_STALE_MINUTES
                )
                again.append(pk)
        elif same.update(state=ExportState.FAILED, error=reason, finished_at=now):
            logger.warning(
                "Yêu cầu xuất %s đứng quá %s phút lần thứ hai: thất bại", pk, settings.EXPORT_STALE_MINUTES
            )
    lost = ExportJob.objects.filter(
        state=ExportState.QUEUED, heartbeat_at__lt=now - timedelta(seconds=settings.EXPORT_REQUEUE_SECONDS)
    )
    for pk, beat in lost.values_list("pk", "heartbeat_at"):
        if ExportJob.objects.filter(pk=pk, state=ExportState.QUEUED, heartbeat_at=beat).update(
            heartbeat_at=now
        ):
            again.append(pk)
    for pk in again:
        export_enqueue(pk)
    return len(again)


def exports_purge(*, now=None) -> int:
    """Delete the export jobs asked for more than ``settings.EXPORT_KEEP_DAYS`` days before ``now`` (default: now)
    with their files and the files' directories — whatever their state: a job still queued or running that long
    lost its worker. Returns the number of jobs deleted. A file already gone from the storage is no error. Run daily
    by Celery beat (``reports.tasks.exports_purge``); a deleted job's page and download are 404."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EXPORT_KEEP_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created_at__lt=cutoff).order_by("pk").iterator():
        storage, name = job.file.storage, job.file.name
        if name:  # a job that has no file yet (or failed) has an empty name
            storage.delete(name)
            try:  # the file's own directory (``reports.models.exports.export_path``), empty now
                os.rmdir(os.path.dirname(storage.path(name)))
            except (NotImplementedError, OSError):  # a storage without paths (S3), or not empty
                pass
        job.delete()
        deleted += 1
    if deleted:
        logger.info("Đã xoá %s yêu cầu xuất kết quả cũ hơn %s ngày", deleted, settings.EXPORT_KEEP_DAYS)
    return deleted
