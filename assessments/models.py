"""Assessment rounds, assessments, scores and evidence (shared/DESIGN.md §4, issue 3).

A round (đợt đánh giá) is one year; it names the criteria set each unit group uses and the deadlines.
Opening it creates one ``Assessment`` per active unit of each group that has a set, and one ``Score`` row
per leaf of that set, so every later write is an update of an existing row guarded by ``version``
(optimistic concurrency: no lost update). Evidence files live in private storage and are linked to one
or more leaves of the same assessment. Scores, links and evidence keep their history (django-simple-history).
"""

import datetime
import re
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from criteria.models import MAX_FIELDS, POINTS, SLOT_BONUS, SLOT_PENALTY, CriteriaSet, Criterion
from units.models import Unit, UnitGroup

from . import scoring_rules


class RoundState(models.TextChoices):
    DRAFT = "draft", "Đang chuẩn bị"
    OPEN = "open", "Đang đánh giá"
    PUBLISHED = "published", "Đã công bố"


#: Deadline fields of a round in workflow order, with their Vietnamese names.
DEADLINES = (
    ("self_assessment_deadline", "Hạn tự đánh giá"),
    ("appraisal_1_deadline", "Hạn thẩm định vòng 1"),
    ("explanation_deadline", "Hạn giải trình"),
    ("appraisal_2_deadline", "Hạn thẩm định vòng 2"),
    ("publication_date", "Ngày công bố"),
)


#: Round dates may fall this many years before or after the round's year (``AssessmentRound.date_range``).
ROUND_DATE_SPAN_YEARS = 1


class AssessmentRound(models.Model):
    """One year's PAR Index round of the province.

    Dates are calendar days in the portal's time zone; a deadline D allows edits until the end of D
    (``closes_at``). Order: opens_on ≤ self-assessment ≤ appraisal 1 ≤ explanation ≤ appraisal 2 ≤ publication.
    """

    year = models.PositiveSmallIntegerField("năm đánh giá", unique=True)
    name = models.CharField("tên đợt", max_length=255)
    state = models.CharField(
        "trạng thái", max_length=20, choices=RoundState.choices, default=RoundState.DRAFT
    )
    opens_on = models.DateField("ngày mở")
    self_assessment_deadline = models.DateField("hạn tự đánh giá")
    appraisal_1_deadline = models.DateField("hạn thẩm định vòng 1")
    explanation_deadline = models.DateField("hạn giải trình")
    appraisal_2_deadline = models.DateField("hạn thẩm định vòng 2")
    publication_date = models.DateField("ngày công bố")
    opened_at = models.DateTimeField("mở lúc", null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = "đợt đánh giá"
        verbose_name_plural = "đợt đánh giá"

    def __str__(self):
        return self.name

    def date_range(self) -> tuple[datetime.date, datetime.date]:
        """The days a round's dates may fall on: 1 January of the year before the round's year to 31 December
        of the year after (a 2026 round opens late in 2026 or early in 2027 and publishes in 2027; a typo such as
        1900 or 2080 is refused)."""
        return (
            datetime.date(self.year - ROUND_DATE_SPAN_YEARS, 1, 1),
            datetime.date(self.year + ROUND_DATE_SPAN_YEARS, 12, 31),
        )

    def clean(self):
        if self.year:
            first, last = self.date_range()
            outside = {
                field: (
                    f"{label} phải trong khoảng {first:%d/%m/%Y} – {last:%d/%m/%Y} "
                    f"(năm đánh giá {self.year}, trước hoặc sau tối đa {ROUND_DATE_SPAN_YEARS} năm)."
                )
                for field, label in (("opens_on", "Ngày mở"), *DEADLINES)
                if getattr(self, field) and not first <= getattr(self, field) <= last
            }
            if outside:
                raise ValidationError(outside)
        previous_name, previous = "Ngày mở", self.opens_on
        for field, label in DEADLINES:
            value = getattr(self, field)
            if value and previous and value < previous:
                raise ValidationError({field: f"{label} phải cùng ngày hoặc sau {previous_name.lower()}."})
            previous_name, previous = label, value or previous

    @staticmethod
    def closes_at(day: datetime.date) -> datetime.datetime:
        """The instant a deadline day ends (00:00 of the next day, portal time zone)."""
        return timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )

    def is_past(self, field: str, now: datetime.datetime | None = None) -> bool:
        """True once the deadline ``field`` (e.g. "self_assessment_deadline") has ended."""
        return (now or timezone.now()) >= self.closes_at(getattr(self, field))


class RoundSet(models.Model):
    """The criteria set a unit group uses in a round — for the whole group (``parent_unit`` empty), or for the
    group's units under ``parent_unit`` (a district's set for its communes; always the set's own parent unit).
    One row per (round, group, parent unit), NULL parent included. Which row a unit uses:
    ``assessments.selectors.round_sets.round_set_for_unit``."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="round_sets")
    group = models.ForeignKey(
        UnitGroup, on_delete=models.PROTECT, related_name="+", verbose_name="nhóm đơn vị"
    )
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.PROTECT, related_name="round_sets", verbose_name="bộ chỉ số"
    )
    parent_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="áp dụng cho đơn vị trực thuộc",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "group"],
                condition=models.Q(parent_unit__isnull=True),
                name="round_set_group_unique",
            ),
            models.UniqueConstraint(
                fields=["round", "group", "parent_unit"],
                condition=models.Q(parent_unit__isnull=False),
                name="round_set_group_parent_unique",
            ),
        ]

    def __str__(self):
        return f"{self.round} · {self.group}"

    def clean(self):
        if self.criteria_set_id and self.group_id and self.criteria_set.group_id != self.group_id:
            raise ValidationError({"criteria_set": "Bộ chỉ số không thuộc nhóm đơn vị này."})
        if self.criteria_set_id and self.criteria_set.parent_unit_id != self.parent_unit_id:
            raise ValidationError({"parent_unit": "Đơn vị áp dụng phải là đơn vị ban hành của bộ chỉ số."})


class AssessmentState(models.TextChoices):
    DRAFT = "draft", "Đang tự đánh giá"
    SUBMITTED = "submitted", "Đã nộp"
    APPRAISAL_1 = "appraisal_1", "Thẩm định vòng 1"
    EXPLANATION = "explanation", "Giải trình"
    APPRAISAL_2 = "appraisal_2", "Thẩm định vòng 2"
    APPRAISED = "appraised", "Đã thẩm định"
    PUBLISHED = "published", "Đã công bố"


class Assessment(models.Model):
    """A unit's self-assessment in a round (bản tự đánh giá)."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="assessments")
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assessments", verbose_name="đơn vị"
    )
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="assessments")
    state = models.CharField(
        "trạng thái", max_length=20, choices=AssessmentState.choices, default=AssessmentState.DRAFT
    )
    submitted_at = models.DateTimeField("nộp lúc", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-round__year", "unit__group__order", "unit__order"]
        verbose_name = "bản tự đánh giá"
        verbose_name_plural = "bản tự đánh giá"
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="assessment_round_unit_unique")]

    def __str__(self):
        return f"{self.unit} — {self.round.year}"


#: ``Score`` columns the unit writes on a leaf (self-assessment): the API's score fields, the history, the demo.
SELF_FIELDS = (
    "self_value",
    "self_option",
    "numerator",
    "denominator",
    "note",
    "explanation",
    "self_not_applicable",
)
#: ``Score`` columns the appraisal writes on a leaf (decision, comment, flag and question to the unit).
APPRAISAL_FIELDS = (
    "appraised_value",
    "appraised_option",
    "appraised_numerator",
    "appraised_denominator",
    "appraisal_comment",
    "na_accepted",
    "needs_explanation",
    "question",
)


class Score(models.Model):
    """A unit's result on one leaf of its set: the self score now; appraisal and survey later.

    ``self_value`` (points) is what the unit claims; for ``options`` leaves ``self_option`` is the chosen
    label, for ``ratio`` leaves ``numerator``/``denominator`` are the unit's figures and ``self_value`` the
    band's points. ``survey_value`` (points, 0..max, survey leaves only) is set by the coordinator from the
    sociological survey's results (``surveys.services``). ``explanation`` is required before submission when a positive score has no evidence.
    ``version`` increases with every write; a write based on another version is refused (no lost update).

    ``slot`` says where the leaf's points go in the PAR Index computation (``criteria.models.SLOT_BONUS``): copied
    from the leaf when the row is made (``assessments.services.rounds.blank_scores``) and never changed — the set is frozen.
    ``points_cents`` is the leaf's achieved points in hundredths of a point, kept by the database: the survey score
    of a survey leaf (slot < 0), the appraised score otherwise; NULL when unset or when the leaf was accepted as
    not applicable (it counts nowhere) — ``scoring_rules.ACHIEVED_CENTS``. Both let
    ``reports.results.services.results_compute`` sum a round's score rows per field without joining every row to its leaf,
    in integers (exact; bench/README.md).
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="scores")
    self_value = models.DecimalField("điểm tự chấm", null=True, blank=True, **POINTS)
    self_option = models.CharField("lựa chọn", max_length=255, blank=True)
    numerator = models.DecimalField("tử số", max_digits=14, decimal_places=2, null=True, blank=True)
    denominator = models.DecimalField("mẫu số", max_digits=14, decimal_places=2, null=True, blank=True)
    survey_value = models.DecimalField("điểm điều tra XHH", null=True, blank=True, **POINTS)
    note = models.TextField("ghi chú", blank=True)
    explanation = models.TextField("giải trình (khi không có tài liệu kiểm chứng)", blank=True)
    self_not_applicable = models.BooleanField("đơn vị đề nghị không áp dụng", default=False)
    # Appraisal (issue 4): the appraised score is the one that counts (shared/DESIGN.md §5).
    appraised_value = models.DecimalField("điểm thẩm định", null=True, blank=True, **POINTS)
    appraised_option = models.CharField("lựa chọn thẩm định", max_length=255, blank=True)
    appraised_numerator = models.DecimalField(
        "tử số thẩm định", max_digits=14, decimal_places=2, null=True, blank=True
    )
    appraised_denominator = models.DecimalField(
        "mẫu số thẩm định", max_digits=14, decimal_places=2, null=True, blank=True
    )
    appraisal_comment = models.TextField("nhận xét thẩm định", blank=True)
    na_accepted = models.BooleanField("chấp nhận không áp dụng", null=True, blank=True)
    needs_explanation = models.BooleanField("cần giải trình", default=False)
    question = models.TextField("nội dung đề nghị giải trình", blank=True)
    answer = models.TextField("nội dung giải trình của đơn vị", blank=True)
    answered_at = models.DateTimeField("giải trình lúc", null=True, blank=True)
    appraised_at = models.DateTimeField("thẩm định lúc", null=True, blank=True)
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField("phiên bản", default=0)
    updated_at = models.DateTimeField("cập nhật lúc", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    slot = models.SmallIntegerField("vị trí trong phép tính", editable=False)
    points_cents = models.GeneratedField(
        expression=scoring_rules.ACHIEVED_CENTS,
        output_field=models.IntegerField(),
        db_persist=True,
        null=True,
        verbose_name="điểm đạt được (đơn vị 0,01 điểm)",
    )

    history = HistoricalRecords(excluded_fields=["updated_at", "slot", "points_cents"])

    class Meta:
        verbose_name = "điểm"
        verbose_name_plural = "điểm"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"], name="score_assessment_criterion_unique"
            ),
            models.CheckConstraint(
                condition=(models.Q(slot__gte=-MAX_FIELDS, slot__lte=MAX_FIELDS) & ~models.Q(slot=0))
                | models.Q(slot__in=[SLOT_BONUS, SLOT_PENALTY]),
                name="score_slot_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(self_value__isnull=True) | models.Q(self_value__gte=0),
                name="score_self_nonnegative",
            ),
            models.CheckConstraint(
                condition=models.Q(appraised_value__isnull=True) | models.Q(appraised_value__gte=0),
                name="score_appraised_nonnegative",
            ),
        ]
        # The few rows accepted not applicable, read by the computation without the table (their leaves leave the
        # maximum: reports.results.services.results_compute).
        indexes = [
            models.Index(
                fields=["assessment", "criterion", "slot"],
                condition=scoring_rules.NOT_APPLICABLE,
                name="score_na_idx",
            ),
            # What the computation's pass over a round's score rows reads, in the order it groups them: a
            # fraction of the table's size (bench/README.md).
            models.Index(fields=["assessment", "slot", "points_cents"], name="score_compute_idx"),
        ]

    def __str__(self):
        return f"{self.assessment} · {self.criterion.code}"

    @property
    def is_scored(self) -> bool:
        """The unit has answered this leaf: a self score, or a not-applicable claim (``scoring_rules.is_scored``)."""
        return scoring_rules.is_scored(self)

    @property
    def is_appraised(self) -> bool:
        """The appraiser has decided this leaf: an appraised score, or an accepted not-applicable claim."""
        return self.appraised_value is not None or self.na_accepted is True

    @property
    def is_not_applicable(self) -> bool:
        """The leaf leaves the denominator: claimed by the unit and accepted by its appraiser (DESIGN §5;
        ``scoring_rules.is_not_applicable``)."""
        return scoring_rules.is_not_applicable(self)


def evidence_path(instance, filename):
    """Private storage key: evidence/<year>/<unit code>/<uuid>.<ext> — never the user's file name."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    a = instance.assessment
    return f"evidence/{a.round.year}/{a.unit.code}/{uuid.uuid4().hex}.{ext}"


class Evidence(models.Model):
    """An uploaded document (tài liệu kiểm chứng) of an assessment, linkable to several of its leaves.

    ``size`` in bytes; ``sha256`` hex of the content; ``content_type`` as detected from the bytes.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField("tệp", upload_to=evidence_path, max_length=255)
    original_name = models.CharField("tên tệp", max_length=255)
    size = models.PositiveBigIntegerField("dung lượng (byte)")
    sha256 = models.CharField("SHA-256", max_length=64)
    content_type = models.CharField("loại tệp", max_length=100)
    doc_number = models.CharField("số, ký hiệu", max_length=100, blank=True)
    issued_on = models.DateField("ngày ban hành", null=True, blank=True)
    issuer = models.CharField("cơ quan ban hành", max_length=255, blank=True)
    cited_section = models.CharField("trích dẫn (mục, trang)", max_length=255, blank=True)
    description = models.TextField("mô tả", blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField("tải lên lúc", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = "tài liệu kiểm chứng"
        verbose_name_plural = "tài liệu kiểm chứng"
        constraints = [
            models.UniqueConstraint(fields=["assessment", "sha256"], name="evidence_unique_content")
        ]

    def __str__(self):
        return self.doc_number or self.original_name

    @property
    def opens_inline(self) -> bool:
        return self.content_type in ("application/pdf", "image/jpeg", "image/png")

    @property
    def download_name(self) -> str:
        """The name the file is served under: ``original_name`` with the extension of the type detected from its
        bytes at upload (the stored file's, ``evidence_path``): "ok.html" holding a PDF is served as "ok.pdf", so
        the browser never treats it as what its name claims. The user's extension (1–5 letters and digits,
        starting with a letter: "html", "docx") is replaced; anything else after a dot ("Quyết định 12.2026") is
        kept and the extension added."""
        ext = self.file.name.rsplit(".", 1)[-1].lower() if "." in (self.file.name or "") else "bin"
        name = self.original_name
        stem, dot, suffix = name.rpartition(".")
        if dot and stem and re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,4}", suffix):
            name = stem
        return f"{name}.{ext}"


class EvidenceLink(models.Model):
    """A document attached to one leaf (score) of the same assessment."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="links")
    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="evidence_links")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["evidence", "score"], name="evidence_link_unique")]

    def __str__(self):
        return f"{self.evidence} → {self.score}"


class PartState(models.TextChoices):
    PENDING = "pending", "Chưa thẩm định"
    IN_PROGRESS = "in_progress", "Đang thẩm định vòng 1"
    EXPLANATION = "explanation", "Chờ giải trình"
    APPRAISAL_2 = "appraisal_2", "Thẩm định vòng 2"
    FINAL = "final", "Đã hoàn thành"


class FieldAppraisal(models.Model):
    """The appraisal of one field of one assessment by one owner agency (phần thẩm định; issue 4).

    A field is appraised by the agency that owns it (``Criterion.owner`` on the field, overridable below,
    e.g. ISO sub-criteria of modernisation → Sở Khoa học và Công nghệ), so a field may have two parts. The
    part's leaves are the field's appraisal-source leaves whose effective owner is ``owner``. Created when
    the assessment is submitted. States: pending → in_progress (round 1) → explanation (questions sent,
    waiting for the unit) → appraisal_2 → final; or in_progress → final when nothing is flagged.
    ``reopened_reason`` is set when the coordinator reopens a finished part; a reopened part lets its
    appraiser edit every leaf, whatever the deadlines, until it is final again.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="parts")
    field = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+", verbose_name="lĩnh vực")
    owner = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="appraisal_parts", verbose_name="cơ quan thẩm định"
    )
    state = models.CharField(
        "trạng thái", max_length=20, choices=PartState.choices, default=PartState.PENDING
    )
    round_1_closed_at = models.DateTimeField("kết thúc vòng 1 lúc", null=True, blank=True)
    finalised_at = models.DateTimeField("hoàn thành lúc", null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened_reason = models.TextField("lý do mở lại", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["assessment", "field__order", "owner__order"]
        verbose_name = "phần thẩm định"
        verbose_name_plural = "phần thẩm định"
        constraints = [models.UniqueConstraint(fields=["assessment", "field", "owner"], name="part_unique")]
        indexes = [models.Index(fields=["owner", "state"])]

    def __str__(self):
        return f"{self.assessment} · {self.field.code} · {self.owner.code}"


class DeadlineEvent(models.Model):
    """A deadline-driven action already taken for a round (a reminder sent, a lock applied), so the hourly
    task never does it twice. ``key`` names it, e.g. "reminder:explanation_deadline:3" or
    "lock:self_assessment_deadline"."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="deadline_events")
    key = models.CharField(max_length=100)
    done_at = models.DateTimeField(auto_now_add=True)
    count = models.PositiveIntegerField("số đối tượng", default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "key"], name="deadline_event_unique")]

    def __str__(self):
        return f"{self.round.year} · {self.key}"
