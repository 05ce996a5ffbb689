"""Exports of a round's rankings built in the background (issue 6 item 6).

An ``ExportJob`` is one request for a file — the ranking of one unit group, or of the whole round (``group``
empty: one sheet or section per group), as .xlsx or .pdf — made by ``reports.exports.services.export_request``
and filled by the Celery task ``reports.tasks.export_run``, which moves it from *queued* to *running* to *done*
(the file stored under ``MEDIA_ROOT/exports/``) or *failed* (``error`` says why) and keeps ``progress`` (0–100 %)
up to date for the job page's progress bar. Only the user who asked may download the file.

Imported into ``reports.models`` (the package's ``__init__``), like every model of the app.
"""

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models import AssessmentRound
from units.models import UnitGroup


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", "Excel (.xlsx)"
    PDF = "pdf", "PDF"


class ExportState(models.TextChoices):
    QUEUED = "queued", "Đang chờ"
    RUNNING = "running", "Đang tạo"
    DONE = "done", "Hoàn thành"
    FAILED = "failed", "Lỗi"


def export_path(job: "ExportJob", filename: str) -> str:
    """``exports/<year>/<random>/<filename>``: a directory per file, so names never collide or get guessed."""
    return f"exports/{job.round.year}/{uuid.uuid4().hex}/{filename}"


class ExportJob(models.Model):
    """One requested export of a round's rankings (xuất kết quả xếp hạng).

    ``group``: the unit group ranked, or empty for the whole round (every group, in the groups' order).
    ``format``: ``xlsx`` or ``pdf``. ``state``: queued → running → done | failed. ``progress``: 0–100 (%),
    100 once done. ``file``: the export, set when done. ``error``: the reason of a failure (Vietnamese), shown
    to the user. ``heartbeat_at``: the last sign of life — enqueued, started, progress moved — from which
    ``reports.exports.services.exports_sweep`` tells a lost or stuck job; ``attempts``: the runs started (a job
    stuck twice fails).
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name="người yêu cầu",
    )
    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="export_jobs", verbose_name="đợt đánh giá"
    )
    group = models.ForeignKey(
        UnitGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="nhóm đơn vị",
        help_text="Để trống: cả đợt (mọi nhóm).",
    )
    format = models.CharField("định dạng", max_length=4, choices=ExportFormat.choices)
    state = models.CharField(
        "trạng thái", max_length=10, choices=ExportState.choices, default=ExportState.QUEUED
    )
    progress = models.PositiveSmallIntegerField("tiến độ (%)", default=0)
    file = models.FileField("tệp", upload_to=export_path, max_length=300, blank=True)
    error = models.TextField("lỗi", blank=True)
    created_at = models.DateTimeField("yêu cầu lúc", default=timezone.now)
    heartbeat_at = models.DateTimeField(
        "hoạt động gần nhất lúc",
        default=timezone.now,
        help_text="Lần gửi yêu cầu tới máy chạy nền, lúc bắt đầu hoặc lần tiến độ thay đổi gần nhất.",
    )
    attempts = models.PositiveSmallIntegerField("số lần chạy", default=0)
    finished_at = models.DateTimeField("xong lúc", null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "yêu cầu xuất kết quả"
        verbose_name_plural = "yêu cầu xuất kết quả"
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="exportjob_user_created")]

    def __str__(self):
        what = self.group.name if self.group_id else "cả đợt"
        return f"{self.round.year} · {what} · {self.format} · {self.get_state_display()}"

    @property
    def finished(self) -> bool:
        """True once the job is done or failed (the job page stops polling)."""
        return self.state in (ExportState.DONE, ExportState.FAILED)

    @property
    def expires_at(self):
        """When ``reports.exports.services.exports_purge`` may delete the job and its file: ``created_at`` +
        ``settings.EXPORT_KEEP_DAYS`` days."""
        return self.created_at + datetime.timedelta(days=settings.EXPORT_KEEP_DAYS)
