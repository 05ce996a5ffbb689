"""Results of a round: the PAR Index snapshot (shared/DESIGN.md §5; issue 6).

One ``Result`` per assessment and one ``ComponentResult`` per field of it, written only by
``reports.results.services.results_compute`` — the one computation — and read by every page, export and API.
They are a snapshot: scores change, the snapshot changes when it is recomputed (``computed_at`` says when).
While the round is not published the snapshot is ``provisional`` and only the coordinator and admins see it
(``reports.results.selectors``).
"""

from django.db import models

from assessments.models import Assessment, AssessmentRound
from criteria.models import POINTS, Criterion, DecimalSpec
from units.models import Unit, UnitGroup

#: Percentages (PAR Index, component indices): 2 decimals; above 100 is possible with bonus points.
PERCENT: DecimalSpec = {"max_digits": 6, "decimal_places": 2}


class Result(models.Model):
    """A unit's PAR Index in a round (Chỉ số CCHC của đơn vị), as computed at ``computed_at``.

    Points: ``achieved`` = Σ achieved points of the appraisal and survey leaves (N/A leaves out);
    ``bonus`` / ``penalty`` = the appraised bonus / penalty points after the set's caps;
    ``total`` = achieved + bonus − penalty, never below 0; ``applicable_max`` = Σ max points of the
    applicable appraisal and survey leaves. ``par_index`` (%) = total / applicable_max × 100, 2 decimals
    (0 when nothing is applicable). ``grade`` is the code of the set's grade band (004 §2.1), empty when the
    index is below every band. ``rank`` is 1-based within the unit group and round, ties sharing a rank
    (1, 2, 2, 4). ``group`` is the group the unit was assessed in (its criteria set's group). ``provisional``: the
    round was not published when the figures were computed. ``computed_at``: when a recompute last changed this
    row's figures (a recompute that finds them unchanged leaves the row as it is). ``sums``: the integer sums the
    figures were computed from (hundredths of a point per field, N/A maxima per field, bonus, penalty, prefixed by
    ``reports.results.services.RULES_VERSION``) — a recompute refigures only the results whose sums changed.
    """

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="results", verbose_name="đợt đánh giá"
    )
    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="result", verbose_name="bản tự đánh giá"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="results", verbose_name="đơn vị")
    group = models.ForeignKey(
        UnitGroup, on_delete=models.PROTECT, related_name="results", verbose_name="nhóm đơn vị"
    )
    achieved = models.DecimalField("điểm đạt được", **POINTS)
    bonus = models.DecimalField("điểm thưởng", **POINTS)
    penalty = models.DecimalField("điểm trừ", **POINTS)
    total = models.DecimalField("tổng điểm", **POINTS)
    applicable_max = models.DecimalField("điểm tối đa áp dụng", **POINTS)
    par_index = models.DecimalField("Chỉ số CCHC (%)", **PERCENT)
    grade = models.CharField("xếp loại", max_length=20, blank=True)
    rank = models.PositiveIntegerField("xếp hạng", null=True, blank=True)
    provisional = models.BooleanField(
        "tạm tính", default=True, help_text="Đợt đánh giá chưa công bố khi tính kết quả này."
    )
    computed_at = models.DateTimeField("tính lúc")
    sums = models.TextField(
        "tổng điểm nguồn",
        blank=True,
        editable=False,
        help_text="Các tổng điểm (theo lĩnh vực, không áp dụng, thưởng, trừ) đã dùng để tính kết "
        "quả này; lần tính lại bỏ qua đơn vị có tổng không đổi.",
    )

    class Meta:
        ordering = ["round", "group__order", "rank", "unit__name"]
        verbose_name = "kết quả"
        verbose_name_plural = "kết quả"
        indexes = [models.Index(fields=["round", "group", "rank"], name="result_ranking_idx")]

    def __str__(self):
        return f"{self.unit} — {self.round.year}: {self.par_index}%"


class ComponentResult(models.Model):
    """A field's component index in one result (chỉ số thành phần).

    ``achieved`` / ``applicable_max`` (points) over the field's appraisal and survey leaves, N/A leaves out,
    bonus and penalty leaves never included; ``index_percent`` (%) = achieved / applicable_max × 100,
    2 decimals, empty when nothing in the field is applicable.
    """

    result = models.ForeignKey(
        Result, on_delete=models.CASCADE, related_name="components", verbose_name="kết quả"
    )
    field = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name="lĩnh vực")
    achieved = models.DecimalField("điểm đạt được", **POINTS)
    applicable_max = models.DecimalField("điểm tối đa áp dụng", **POINTS)
    index_percent = models.DecimalField("chỉ số thành phần (%)", null=True, blank=True, **PERCENT)

    class Meta:
        ordering = ["result", "field__order"]
        verbose_name = "chỉ số thành phần"
        verbose_name_plural = "chỉ số thành phần"
        constraints = [
            models.UniqueConstraint(fields=["result", "field"], name="component_result_field_unique")
        ]

    def __str__(self):
        return f"{self.result.unit} · {self.field.code}: {self.index_percent}%"


class PendingRecompute(models.Model):
    """A recompute the snapshot owes (issue 14 item 1): recorded by ``reports.results.services.
    results_recompute_later`` in the same transaction as the change that needs it, deleted by the recompute
    that covers it in the recompute's own transaction — so no change is lost when the broker is down, the task is
    lost or the worker dies; the beat sweep (``reports.tasks.results_pending_sweep``, every minute, and at a
    worker's start) recomputes whatever is left.

    One row per round and ``scope``: an assessment's pk (``assessment`` set — its figures and its group's ranks)
    or 0 (``assessment`` empty — the whole round). A burst of changes updates the same row (an upsert): ``token``
    changes each time, so a recompute deletes the row only when no change came after it read the row.
    """

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="+", verbose_name="đợt đánh giá"
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="bản đánh giá",
        help_text="Để trống: cả đợt.",
    )
    scope = models.PositiveBigIntegerField("phạm vi", help_text="Mã bản đánh giá, hoặc 0: cả đợt.")
    token = models.UUIDField("lần thay đổi")
    requested_at = models.DateTimeField("thay đổi gần nhất lúc")

    class Meta:
        ordering = ["requested_at", "id"]
        verbose_name = "kết quả chờ tính lại"
        verbose_name_plural = "kết quả chờ tính lại"
        constraints = [models.UniqueConstraint(fields=["round", "scope"], name="pending_recompute_unique")]

    def __str__(self):
        return f"{self.round_id} · {self.assessment_id or 'cả đợt'}"
