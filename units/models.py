"""Unit groups, units and users' roles in units (shared/DESIGN.md §1, §2, §7).

Groups and units are data, never code: the 2025 reorganisation removed the district level, so a group
or unit is ended by dates, never deleted. A merger, split, rename, move or dissolution is a ``Reorganisation``
event (``units.reorganisation.services``) that creates the successor records, links them to their
predecessors (``Unit.predecessors``) and closes the predecessors' validity.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords


class UnitGroupManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class UnitGroup(models.Model):
    """A group of units scored with the same criteria set (nhóm đơn vị), e.g. ``SO`` (sở, ban, ngành)."""

    code = models.CharField("mã nhóm", max_length=20, unique=True)
    name = models.CharField("tên nhóm", max_length=200)
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    is_assessed = models.BooleanField(
        "được đánh giá",
        default=True,
        help_text="Bỏ chọn cho nhóm chỉ dùng để phân quyền (ví dụ lãnh đạo tỉnh): nhóm không có bộ chỉ số.",
    )

    objects = UnitGroupManager()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = "nhóm đơn vị"
        verbose_name_plural = "nhóm đơn vị"

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class UnitManager(models.Manager):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Unit(models.Model):
    """An agency being scored (đơn vị), or an agency that appraises a field (cơ quan thẩm định).

    ``parent`` links a commune to its district. ``predecessors`` lists the units this one replaced
    (merger, split, rename, move: ``successor.predecessors`` ∋ predecessor; the reverse is ``successors``),
    so year-over-year comparison follows the chain; the event that made the link is a ``Reorganisation``.
    ``valid_from``/``valid_to`` bound the days the unit exists (inclusive dates; empty = open). A round of
    year Y assesses the units valid on 31 December of Y (``units.reorganisation.selectors.units_valid_on``).
    ``is_active`` False = closed: set by a reorganisation effective today or before (a future one leaves it until
    then; the dates decide for rounds); a unit made inactive by hand without a ``valid_to`` counts as closed in
    every year. A successor recorded ahead of its ``valid_from`` is active and waits for its date.
    """

    code = models.CharField("mã đơn vị", max_length=30, unique=True)
    name = models.CharField("tên đơn vị", max_length=255)
    short_name = models.CharField("tên viết tắt", max_length=100, blank=True)
    group = models.ForeignKey(UnitGroup, on_delete=models.PROTECT, related_name="units", verbose_name="nhóm")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="đơn vị cấp trên",
    )
    order = models.PositiveIntegerField("thứ tự", default=0)
    is_active = models.BooleanField("đang hoạt động", default=True)
    valid_from = models.DateField("hiệu lực từ", null=True, blank=True)
    valid_to = models.DateField("hiệu lực đến", null=True, blank=True)
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors", verbose_name="đơn vị tiền thân"
    )

    objects = UnitManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["group__order", "order", "name"]
        verbose_name = "đơn vị"
        verbose_name_plural = "đơn vị"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_range",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    def clean(self):
        if self.parent_id and self.parent_id == self.pk:
            raise ValidationError({"parent": "Đơn vị không thể là cấp trên của chính nó."})
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": "Ngày hết hiệu lực phải sau ngày bắt đầu hiệu lực."})
        problem = self.parent_validity_problem()
        if problem:
            raise ValidationError({"parent": problem})

    def parent_validity_problem(self) -> str:
        """Why ``parent`` cannot hold this unit over its validity ("" when it can): a unit cannot start before its
        parent nor outlive it (a commune under a district closed on 30/06/2025 ends by then). Empty dates are
        open. The rule of ``clean`` (admin) and of the units' fixture loader."""
        parent = self.parent
        if parent is None:
            return ""
        if parent.valid_to and (self.valid_to is None or self.valid_to > parent.valid_to):
            return (
                f"Đơn vị cấp trên «{parent.name}» hết hiệu lực sau ngày {parent.valid_to:%d/%m/%Y}; "
                "đơn vị trực thuộc phải kết thúc trước đó hoặc chọn đơn vị cấp trên khác."
            )
        if parent.valid_from and (self.valid_from is None or self.valid_from < parent.valid_from):
            return (
                f"Đơn vị cấp trên «{parent.name}» chỉ có hiệu lực từ ngày {parent.valid_from:%d/%m/%Y}; "
                "đơn vị trực thuộc không thể bắt đầu trước đó."
            )
        return ""


class ReorganisationKind(models.TextChoices):
    """What a reorganisation does (issue 13 §1)."""

    MERGE = "merge", "Sáp nhập"
    SPLIT = "split", "Chia tách"
    RENAME = "rename", "Đổi tên, đổi mã"
    MOVE = "move", "Chuyển đơn vị cấp trên"
    DISSOLVE = "dissolve", "Giải thể"


class Reorganisation(models.Model):
    """One reorganisation event (sắp xếp đơn vị): its sources end on ``effective`` − 1 day, its results begin on
    ``effective``. Written only by ``units.reorganisation.services``; read-only in the admin.

    ``basis``: the legal basis as written (e.g. "Nghị quyết số 1687/NQ-UBTVQH15"). The units are linked through
    ``ReorganisationUnit`` rows (role ``source`` / ``result``; a split's results may carry a share in %).
    """

    kind = models.CharField("loại", max_length=10, choices=ReorganisationKind.choices)
    effective = models.DateField("ngày hiệu lực")
    basis = models.CharField("căn cứ pháp lý", max_length=500, blank=True)
    note = models.TextField("ghi chú", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="người thực hiện",
    )
    created_at = models.DateTimeField("thời điểm thực hiện", default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective", "-id"]
        verbose_name = "sắp xếp đơn vị"
        verbose_name_plural = "sắp xếp đơn vị"

    def __str__(self):
        return f"{self.get_kind_display()} — {self.effective:%d/%m/%Y}"

    def units_in(self, role: str) -> list["Unit"]:
        """The event's units of ``role`` (``ReorganisationUnit.SOURCE`` / ``RESULT``), in link order."""
        return [link.unit for link in self.links.all() if link.role == role]

    @property
    def sources(self) -> list["Unit"]:
        return self.units_in(ReorganisationUnit.SOURCE)

    @property
    def results(self) -> list["Unit"]:
        return self.units_in(ReorganisationUnit.RESULT)


class ReorganisationUnit(models.Model):
    """A unit an event ended (``source``) or began/continued (``result``); ``share``: a split result's share of
    the source, in % (empty when the split gave none)."""

    SOURCE, RESULT = "source", "result"

    reorganisation = models.ForeignKey(
        Reorganisation, on_delete=models.CASCADE, related_name="links", verbose_name="sắp xếp"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="reorganisation_links", verbose_name="đơn vị"
    )
    role = models.CharField(
        "vai trò", max_length=6, choices=[(SOURCE, "Đơn vị trước sắp xếp"), (RESULT, "Đơn vị sau sắp xếp")]
    )
    share = models.DecimalField("tỷ lệ (%)", max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["reorganisation", "role", "id"]
        verbose_name = "đơn vị trong sắp xếp"
        verbose_name_plural = "đơn vị trong sắp xếp"
        constraints = [
            models.UniqueConstraint(
                fields=["reorganisation", "unit", "role"], name="reorganisation_unit_unique"
            )
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.unit}"


class Role(models.TextChoices):
    """Roles of shared/DESIGN.md §7."""

    OFFICER = "officer", "Cán bộ CCHC"
    HEAD = "head", "Thủ trưởng đơn vị"
    APPRAISER = "appraiser", "Thẩm định viên"
    COORDINATOR = "coordinator", "Điều phối (Sở Nội vụ)"
    LEADER = "leader", "Lãnh đạo"
    ADMIN = "admin", "Quản trị hệ thống"


class Membership(models.Model):
    """A user's role in a unit. A user may hold several (e.g. officer of one unit, appraiser of another)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="người dùng",
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="memberships", verbose_name="đơn vị"
    )
    role = models.CharField("vai trò", max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = "phân quyền"
        verbose_name_plural = "phân quyền"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} — {self.unit}"


class EmailStatus(models.TextChoices):
    """Where a notification's e-mail stands (the outbox of ``units.services.notification_emails_send``)."""

    NONE = "", "Không gửi thư"
    PENDING = "pending", "Chờ gửi"
    SENT = "sent", "Đã gửi"
    FAILED = "failed", "Gửi lỗi"


class Notification(models.Model):
    """A message to one user, shown in the portal (bell, ``/thong-bao/``) and optionally e-mailed.

    Written only by ``units.services.notify``. ``url`` is a path inside the portal (e.g. an assessment's page),
    opened through ``notifications:open`` so following it marks the notification read. ``read_at`` empty =
    unread. The e-mail goes through an outbox (issue 14): ``email_status`` is *pending* from the notification's
    own transaction, *sent* (``emailed_at``) once the mail went out — never twice —, *failed* after
    ``settings.NOTIFICATION_EMAIL_MAX_ATTEMPTS`` tries (``email_error`` says why; also kept after each failed try,
    and ``email_next_at`` when the next try may be made); empty when no mail is due.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="người nhận",
    )
    subject = models.CharField("tiêu đề", max_length=255)
    body = models.TextField("nội dung")
    url = models.CharField("liên kết", max_length=500, blank=True)
    created_at = models.DateTimeField("thời điểm tạo", default=timezone.now)
    read_at = models.DateTimeField("đã đọc lúc", null=True, blank=True)
    emailed_at = models.DateTimeField("đã gửi thư lúc", null=True, blank=True)
    email_status = models.CharField(
        "thư", max_length=7, choices=EmailStatus.choices, default=EmailStatus.NONE, blank=True
    )
    email_attempts = models.PositiveSmallIntegerField("số lần gửi thư lỗi", default=0)
    email_next_at = models.DateTimeField("gửi lại thư từ", null=True, blank=True)
    email_error = models.TextField("lỗi gửi thư", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "thông báo"
        verbose_name_plural = "thông báo"
        # The bell counts a user's unread rows on every page; the list reads a user's rows newest first.
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["user", "-created_at"], name="notification_user_created"),
            # The outbox sweep reads the pending mails whose time has come.
            models.Index(
                fields=["email_next_at"],
                name="notification_email_pending",
                condition=models.Q(email_status="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.subject}"
