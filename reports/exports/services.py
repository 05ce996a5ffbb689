"""Exports of a round's rankings in the background (issue 6 item 6): who may ask, asking, building the file.

``export_request`` checks the requester and queues an ``ExportJob``; the Celery task ``reports.tasks.export_run``
calls ``export_build``, which writes the file (``reports.exports.builders``) and keeps the job's progress up to date.
``exports_purge`` (daily, Celery beat) deletes jobs and files older than ``settings.EXPORT_KEEP_DAYS``.

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
from django.db import transaction
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
        transaction.on_commit(partial(_enqueue, job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from ..tasks import export_run

    export_run.delay(job_id)


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
        ExportJob.objects.filter(pk=job_id).update(progress=percent)


def export_build(*, job: ExportJob) -> ExportJob:
    """Build ``job``'s file and store it: the job goes *running* (progress 0 → 99 as rows are written), then
    *done* with ``file`` and progress 100, or *failed* with ``error`` (the exception logged, never raised — a
    failure is shown on the job page). A job that is not *queued* any more is returned as it is (a duplicate
    delivery of the task)."""
    updated = ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, progress=0
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
    except Exception as exc:
        logger.exception("Xuất kết quả thất bại (yêu cầu %s)", job.pk)
        job.state, job.error, job.finished_at = (
            ExportState.FAILED,
            f"{type(exc).__name__}: {exc}",
            timezone.now(),
        )
        job.save(update_fields=["state", "error", "finished_at"])
        return job
    job.state, job.progress, job.finished_at = ExportState.DONE, 100, timezone.now()
    job.save(update_fields=["state", "progress", "file", "finished_at"])
    return job


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
