"""Criteria sets (bộ chỉ số) and their trees (shared/DESIGN.md §3).

A set belongs to one unit group and year. Its tree of ``Criterion`` nodes goes field › criterion ›
sub-criterion (a fourth level is allowed). Leaves are scored: appraisal leaves by the unit (self score)
and the appraiser; survey leaves only from the sociological survey. Tree-wide invariants (parent max =
Σ children, unique codes, no cycles) are checked by ``criteria.tree.validate_tree`` — the one validator
that import and edits both use; node-level ones live in ``Criterion.clean``.
"""

from decimal import Decimal
from typing import TypedDict

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from units.models import Unit, UnitGroup

from . import scales


class DecimalSpec(TypedDict):
    """A ``DecimalField``'s size (``POINTS``, the reports' ``PERCENT``), typed so that ``DecimalField(**POINTS)``
    type-checks as a ``DecimalField`` call (a plain dict's ``**`` would match every parameter)."""

    max_digits: int
    decimal_places: int


#: Every stored or computed number of points: 7 digits, 2 after the point (``models.DecimalField(**POINTS)``).
POINTS: DecimalSpec = {"max_digits": 7, "decimal_places": 2}


class Level(models.IntegerChoices):
    FIELD = 1, "Lĩnh vực"
    CRITERION = 2, "Tiêu chí"
    SUB_CRITERION = 3, "Tiêu chí thành phần"
    DETAIL = 4, "Nội dung chi tiết"


class Source(models.TextChoices):
    APPRAISAL = "appraisal", "Thẩm định"
    SURVEY = "survey", "Điều tra XHH"


class Kind(models.TextChoices):
    """Scoring kinds of an appraisal leaf (shared/DESIGN.md §3)."""

    OPTIONS = "options", "Lựa chọn"
    RANGE = "range", "Khoảng điểm"
    RATIO = "ratio", "Tỷ lệ"
    YES_NO = "yes_no", "Có/Không"
    BONUS = "bonus", "Điểm thưởng"
    PENALTY = "penalty", "Điểm trừ"


#: Kinds whose points stand outside the parent's sum and the set's 100 points (capped separately).
EXTRA_KINDS = frozenset({Kind.BONUS, Kind.PENALTY})

#: Where a leaf's points go in the PAR Index computation — ``assessments.Score.slot``, copied from the leaf when the
#: score row is made (``criteria.selectors.leaf_slots``): ``k`` for an appraisal leaf of the set's k-th field (fields
#: by ``order``, 1-based), ``−k`` for a survey leaf of that field, ``SLOT_BONUS`` / ``SLOT_PENALTY`` for bonus and
#: penalty leaves (in no field's sum: shared/DESIGN.md §5). A set is frozen once a round uses it, so a score row's
#: slot never changes.
SLOT_BONUS = 1000
SLOT_PENALTY = 1001
#: The most fields a set may have in the computation (a slot is within ±MAX_FIELDS, or a bonus/penalty slot).
MAX_FIELDS = 100


class CriteriaSet(models.Model):
    """One unit group's criteria for one year — the province's set of the group, or, with ``parent_unit``, the set
    one unit issued for its subordinate units of the group (a district's set for its communes before 1 July 2025:
    004 Phần III §III.1). At most one set per (group, year, parent unit), NULL parent included (two partial unique
    constraints). Which set a unit uses in a round: ``assessments.selectors.round_sets.round_set_for_unit``.

    ``bonus_cap`` / ``penalty_cap`` (points) bound the bonus and penalty a unit can get over the whole set.
    ``frozen_at`` is set when a round using the set starts; a frozen set cannot change (clone it instead).
    """

    group = models.ForeignKey(
        UnitGroup, on_delete=models.PROTECT, related_name="criteria_sets", verbose_name="nhóm đơn vị"
    )
    year = models.PositiveSmallIntegerField(
        "năm", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField("tên bộ chỉ số", max_length=255)
    parent_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_criteria_sets",
        verbose_name="đơn vị ban hành/áp dụng cho đơn vị trực thuộc",
        help_text="Để trống: bộ chỉ số của tỉnh cho cả nhóm. Chọn một đơn vị (ví dụ một UBND cấp huyện): bộ chỉ số "
        "chỉ áp dụng cho các đơn vị trực thuộc đơn vị đó.",
    )
    bonus_cap = models.DecimalField("điểm thưởng tối đa", default=Decimal("0"), **POINTS)
    penalty_cap = models.DecimalField("điểm trừ tối đa", default=Decimal("0"), **POINTS)
    frozen_at = models.DateTimeField("khóa từ", null=True, blank=True)
    cloned_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clones",
        verbose_name="sao chép từ",
    )
    source_filename = models.CharField("tệp nguồn", max_length=255, blank=True)
    created_at = models.DateTimeField("tạo lúc", auto_now_add=True)
    updated_at = models.DateTimeField("cập nhật lúc", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "group__order"]
        verbose_name = "bộ chỉ số"
        verbose_name_plural = "bộ chỉ số"
        constraints = [
            models.UniqueConstraint(
                fields=["group", "year"],
                condition=models.Q(parent_unit__isnull=True),
                name="criteria_set_group_year",
            ),
            models.UniqueConstraint(
                fields=["group", "year", "parent_unit"],
                condition=models.Q(parent_unit__isnull=False),
                name="criteria_set_group_year_parent",
            ),
            models.CheckConstraint(
                condition=models.Q(bonus_cap__gte=0, penalty_cap__gte=0), name="criteria_set_caps"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.year})"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class GradeBand(models.Model):
    """A grade of a set: units whose PAR Index (%) is ≥ ``min_percent`` and below the next band get it.

    Default bands A ≥ 90, B 80–<90, C 70–<80, D < 70 (province-docs/004 §2.1).
    """

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="bands")
    code = models.CharField("xếp loại", max_length=20)
    label = models.CharField("tên", max_length=100, blank=True)
    min_percent = models.DecimalField(
        "từ (%)", max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["criteria_set", "-min_percent"]
        verbose_name = "xếp loại"
        verbose_name_plural = "xếp loại"
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="band_code_unique"),
            models.UniqueConstraint(fields=["criteria_set", "min_percent"], name="band_min_unique"),
        ]

    def __str__(self):
        return f"{self.code} ≥ {self.min_percent}%"


#: The grade bands of 004 §2.1, highest first: (code, label, minimum %) — a set's bands when it has none of its own
#: (``criteria.services``, ``reports.results.services.results_compute``), and the colour bands of every component
#: index (``band_of``; the legend of the results pages, ``reports.templatetags.results.band_legend``).
DEFAULT_BANDS = (
    ("A", "A", Decimal("90")),
    ("B", "B", Decimal("80")),
    ("C", "C", Decimal("70")),
    ("D", "D", Decimal("0")),
)


def band_of(percent: Decimal | None, bands=DEFAULT_BANDS) -> str | None:
    """The code of the highest band of ``bands`` ((code, label, minimum %), highest first) whose minimum is ≤
    ``percent`` (0–100): "A" | "B" | "C" | "D" by default; None for None (or below every band)."""
    if percent is None:
        return None
    return next((code for code, _label, minimum in bands if percent >= minimum), None)


def band_ranges(bands=DEFAULT_BANDS) -> list[tuple[str, Decimal, Decimal | None]]:
    """``[(code, from %, below % or None for the top band)]`` of ``bands`` (highest first): what a legend shows."""
    uppers = [None, *(minimum for _c, _l, minimum in bands)]
    return [(code, minimum, upper) for (code, _label, minimum), upper in zip(bands, uppers, strict=False)]


class Criterion(models.Model):
    """A node of a set's tree.

    ``code`` is dotted ("1", "1.2", "1.2.3") and unique in the set; ``order`` is the node's position in a
    pre-order walk of the tree, so ordering by it lists the tree as printed. Leaves carry ``source`` and
    (appraisal leaves) ``kind``; ``scale`` holds the options (``[{"label", "points"}]``) or ratio bands
    (``[{"min", "points"}]``, high to low), decimals as strings; ``step`` (points) the range step.
    ``owner`` is the agency that appraises this node's subtree (set on fields, overridable below).
    """

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="nodes", verbose_name="bộ chỉ số"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="tiêu chí cha",
    )
    level = models.PositiveSmallIntegerField("cấp", choices=Level.choices)
    code = models.CharField("mã", max_length=30)
    order = models.PositiveIntegerField("thứ tự")
    title = models.TextField("nội dung")
    guidance = models.TextField("hướng dẫn chấm", blank=True)
    evidence_hint = models.TextField("tài liệu kiểm chứng", blank=True)
    max_points = models.DecimalField("điểm tối đa", validators=[MinValueValidator(0)], **POINTS)
    source = models.CharField("nguồn điểm", max_length=20, choices=Source.choices, blank=True)
    kind = models.CharField("cách chấm", max_length=20, choices=Kind.choices, blank=True)
    step = models.DecimalField("bước điểm", null=True, blank=True, **POINTS)
    scale = models.JSONField("thang điểm", default=list, blank=True)
    owner = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_criteria",
        verbose_name="cơ quan thẩm định",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["criteria_set", "order"]
        verbose_name = "tiêu chí"
        verbose_name_plural = "tiêu chí"
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="criterion_code_unique"),
            models.CheckConstraint(condition=models.Q(max_points__gte=0), name="criterion_max_nonnegative"),
        ]
        indexes = [models.Index(fields=["criteria_set", "order"])]

    def __str__(self):
        return f"{self.code}. {self.title}"

    @property
    def scale_text(self) -> str:
        """The scale as written in the workbook ("Kịp thời: 1; Không kịp thời: 0,5")."""
        return scales.format_scale(self.kind, self.scale)

    def clean(self):
        """Node-level invariants; raise ``ValidationError`` with Vietnamese messages."""
        errors = {}
        if self.parent_id:
            if self.parent.criteria_set_id != self.criteria_set_id:
                errors["parent"] = "Tiêu chí cha phải thuộc cùng bộ chỉ số."
            node, seen = self.parent, {self.pk}
            while node is not None:
                if node.pk in seen:
                    errors["parent"] = "Cây tiêu chí không được có vòng lặp."
                    break
                seen.add(node.pk)
                node = node.parent
        from .tree import node_errors

        for message in node_errors(
            source=self.source,
            kind=self.kind,
            max_points=self.max_points,
            step=self.step,
            scale=self.scale,
            is_leaf=not self.pk or not self.children.exists(),
        ):
            errors.setdefault("__all__", []).append(message)
        if errors:
            raise ValidationError(errors)
