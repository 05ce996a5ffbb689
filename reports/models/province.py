"""The province's own published national PAR Index results (shared/DESIGN.md §8; 004 §2.1; issue 6 items 5, 7).

One ``ProvinceResult`` per year (the Ministry of Home Affairs' published figures for the province: overall %,
rank, number of provinces ranked) and its ``ProvinceComponentResult`` rows (component index % of each field).
A figure the sources do not give is NULL, never estimated. Both are audited by simple-history: the
coordinator (Sở Nội vụ) and admins edit them.

Imported into ``reports.models`` (the package's ``__init__``), like every model of the app.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from criteria.models import DecimalSpec

#: First year of the national PAR Index (2012 results, published 2013) and a far bound against typos.
FIRST_YEAR, LAST_YEAR = 2012, 2100
#: Provinces ranked nationally: 63 until the 2025 reorganisation, 34 from the 2025 results onward.
PROVINCES_BEFORE_2025, PROVINCES_FROM_2025, MERGER_YEAR = 63, 34, 2025
#: Field (component) numbers: 1–8 of the national method (shared/DESIGN.md §2, 8 = impact); 9 is the separate
#: component "one-stop shop" that was assessed in 2016 only (004 §2.1, table row 8 and footnote 2).
FIELD_NUMBERS = range(1, 10)
#: Fields an import row and the edit form carry by default (the current national method).
CURRENT_FIELDS = range(1, 9)
ONE_STOP_FIELD = 9

#: Names of the components as 004 §2.1 writes them (table "Tỷ lệ điểm các Chỉ số thành phần").
FIELD_NAMES = {
    1: "Công tác chỉ đạo, điều hành cải cách hành chính",
    2: "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật",
    3: "Cải cách thủ tục hành chính",
    4: "Cải cách tổ chức bộ máy hành chính nhà nước",
    5: "Xây dựng và nâng cao chất lượng đội ngũ cán bộ, công chức, viên chức",
    6: "Cải cách tài chính công",
    7: "Hiện đại hóa hành chính",
    8: "Tác động của cải cách hành chính đến người dân, tổ chức và phát triển kinh tế - xã hội",
    9: "Thực hiện cơ chế một cửa, một cửa liên thông",
}

PERCENT: DecimalSpec = {"max_digits": 5, "decimal_places": 2}


def default_provinces_ranked(year: int | None) -> int:
    """Provinces ranked in ``year``'s national results: 63 before 2025, 34 from 2025 (the 2025 merger of
    provinces). A default only: the stored value of each year is editable."""
    return PROVINCES_FROM_2025 if year is not None and year >= MERGER_YEAR else PROVINCES_BEFORE_2025


class ProvinceResultManager(models.Manager):
    def get_by_natural_key(self, year):
        return self.get(year=year)


class ProvinceComponentResultManager(models.Manager):
    def get_by_natural_key(self, year, field_number):
        return self.get(result__year=year, field_number=field_number)


class ProvinceResult(models.Model):
    """The province's published national PAR Index result of one year.

    ``overall_percent``: PAR Index in % (0–100, 2 decimals); ``rank``: 1..``provinces_ranked``. Each may be
    NULL when the source does not give it (004 gives the ranks of 2016 and 2021 only, and no yearly overall %).
    ``source``: where the figures come from (document, section); ``note``: anything else worth knowing.
    """

    year = models.PositiveSmallIntegerField(
        "năm", unique=True, validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)]
    )
    overall_percent = models.DecimalField(
        "Chỉ số CCHC (%)",
        **PERCENT,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    rank = models.PositiveSmallIntegerField(
        "xếp hạng", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    provinces_ranked = models.PositiveSmallIntegerField(
        "số tỉnh, thành phố được xếp hạng", null=True, blank=True, validators=[MinValueValidator(1)]
    )
    source = models.TextField("nguồn số liệu", blank=True)
    note = models.TextField("ghi chú", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="cập nhật bởi",
    )
    history = HistoricalRecords()  # when and by whom: history_date / history_user

    objects = ProvinceResultManager()

    class Meta:
        ordering = ["year"]
        verbose_name = "kết quả Chỉ số CCHC của tỉnh"
        verbose_name_plural = "kết quả Chỉ số CCHC của tỉnh"
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_percent__isnull=True)
                | Q(overall_percent__gte=0, overall_percent__lte=100),
                name="province_result_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gte=1), name="province_result_rank_ge_1"
            ),
            models.CheckConstraint(
                condition=Q(rank__isnull=True)
                | Q(provinces_ranked__isnull=True)
                | Q(rank__lte=models.F("provinces_ranked")),
                name="province_result_rank_le_ranked",
            ),
        ]

    def __str__(self):
        return f"Chỉ số CCHC của tỉnh năm {self.year}"

    def natural_key(self):
        return (self.year,)

    def clean(self):
        if self.rank is not None and self.provinces_ranked is not None and self.rank > self.provinces_ranked:
            raise ValidationError(
                {"rank": f"Xếp hạng {self.rank} lớn hơn số tỉnh được xếp hạng ({self.provinces_ranked})."}
            )


class ProvinceComponentResult(models.Model):
    """The component index (% of a field's maximum achieved) of the province in one year.

    ``field_number``: 1–8 as in the national method (shared/DESIGN.md §2), 9 for the one-stop component
    assessed separately in 2016 only (004 §2.1). ``field_name`` is kept per year because the national method
    renames fields (e.g. 876/QĐ-BNV 2022). ``percent``: 0–100, NULL when not given.
    """

    result = models.ForeignKey(
        ProvinceResult, on_delete=models.CASCADE, related_name="components", verbose_name="kết quả năm"
    )
    field_number = models.PositiveSmallIntegerField(
        "lĩnh vực số",
        validators=[MinValueValidator(FIELD_NUMBERS.start), MaxValueValidator(FIELD_NUMBERS.stop - 1)],
    )
    field_name = models.CharField("tên chỉ số thành phần", max_length=255)
    percent = models.DecimalField(
        "tỷ lệ điểm (%)",
        **PERCENT,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    history = HistoricalRecords()

    objects = ProvinceComponentResultManager()

    class Meta:
        ordering = ["result_id", "field_number"]
        verbose_name = "chỉ số thành phần của tỉnh"
        verbose_name_plural = "chỉ số thành phần của tỉnh"
        constraints = [
            models.UniqueConstraint(
                fields=["result", "field_number"], name="province_component_unique_field"
            ),
            models.CheckConstraint(
                condition=Q(field_number__gte=FIELD_NUMBERS.start, field_number__lte=FIELD_NUMBERS.stop - 1),
                name="province_component_field_1_9",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gte=0, percent__lte=100),
                name="province_component_percent_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.result.year} · {self.field_number}. {self.field_name}"

    def natural_key(self):
        return (self.result.year, self.field_number)

    natural_key.dependencies = ["reports.provinceresult"]
