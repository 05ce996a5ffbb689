"""Raw questionnaire responses of the sociological survey (điều tra XHH; shared/DESIGN.md §6, issue 5).

The scores themselves live on ``assessments.Score.survey_value``. This app keeps what the survey needs
around them:

- ``SurveyPopulation``: the population N of a unit in a round (số người thuộc đối tượng khảo sát), entered
  by the coordinator; the required sample size n = N / (1 + N·e²), e = 5 % is computed from it
  (``surveys.scoring.sample_size``). Edited by people, so it keeps its history.
- ``ResponseImport``: one import of a raw-response workbook (round, file name, who, when, counts), so the
  page can show the last one; it is itself the audit record and is never edited.
- ``ResponseTally``: per import, unit and respondent group, how many questionnaires and answers were
  counted (the page's "respondents against n"). The individual answers are not kept: the points they give
  are written to ``Score.survey_value`` with history, and the workbook is the source.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments.models import Assessment, AssessmentRound


class SurveyPopulation(models.Model):
    """Population N (people, ≥ 1) surveyed for one unit in one round: one row per assessment."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="survey_population", verbose_name="bản đánh giá"
    )
    size = models.PositiveIntegerField("tổng thể N (người)", validators=[MinValueValidator(1)])
    updated_at = models.DateTimeField("cập nhật lúc", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "tổng thể khảo sát"
        verbose_name_plural = "tổng thể khảo sát"
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=1), name="survey_population_positive")
        ]

    def __str__(self):
        return f"{self.assessment}: N = {self.size}"


class ResponseImport(models.Model):
    """One import of raw questionnaire responses into a round (who, when, which file, what it counted).

    ``respondents``: questionnaires with at least one answer; ``answers``: non-empty answer cells;
    ``units``: units with at least one questionnaire; ``questions``: question codes mapped; ``changed``:
    survey scores whose value the import changed.
    """

    round = models.ForeignKey(
        AssessmentRound,
        on_delete=models.CASCADE,
        related_name="response_imports",
        verbose_name="đợt đánh giá",
    )
    filename = models.CharField("tên tệp", max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="người nhập",
    )
    imported_at = models.DateTimeField("nhập lúc", default=timezone.now)
    respondents = models.PositiveIntegerField("số phiếu", default=0)
    answers = models.PositiveIntegerField("số câu trả lời", default=0)
    units = models.PositiveIntegerField("số đơn vị", default=0)
    questions = models.PositiveIntegerField("số câu hỏi", default=0)
    changed = models.PositiveIntegerField("số điểm thay đổi", default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = "lần nhập phiếu điều tra XHH"
        verbose_name_plural = "lần nhập phiếu điều tra XHH"
        indexes = [models.Index(fields=["round", "-imported_at"], name="response_import_round_latest")]

    def __str__(self):
        return f"{self.round.year} · {self.filename}"


class ResponseTally(models.Model):
    """Questionnaires (``respondents``) and answers counted for one unit and respondent group in one import.
    ``respondent_group`` is the group as written first in the file (groups match case-insensitively)."""

    response_import = models.ForeignKey(ResponseImport, on_delete=models.CASCADE, related_name="tallies")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    respondent_group = models.CharField("nhóm người trả lời", max_length=200)
    respondents = models.PositiveIntegerField("số phiếu")
    answers = models.PositiveIntegerField("số câu trả lời")

    class Meta:
        verbose_name = "số phiếu theo đơn vị"
        verbose_name_plural = "số phiếu theo đơn vị"
        constraints = [
            models.UniqueConstraint(
                fields=["response_import", "assessment", "respondent_group"], name="response_tally_unique"
            )
        ]

    def __str__(self):
        return f"{self.assessment} · {self.respondent_group}: {self.respondents}"


# --- Online survey (khảo sát trực tuyến; issue 15) ------------------------------------------------------


class Questionnaire(models.Model):
    """The questionnaire of one respondent group in one round (phiếu khảo sát trực tuyến).

    ``respondent_group``: the group as the raw-response import writes it ("Lãnh đạo", "Công chức",
    "Người dân, doanh nghiệp", …; compared case-insensitively, ``surveys.responses.text_key``). Its
    questions map to survey leaves with this group's weight (``Question``). Frozen once it has answers
    (``surveys.online.services.questionnaire_editable``).
    """

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="questionnaires", verbose_name="đợt đánh giá"
    )
    respondent_group = models.CharField("nhóm người trả lời", max_length=200)
    title = models.CharField("tiêu đề phiếu", max_length=255)
    intro = models.TextField("lời giới thiệu", blank=True)

    class Meta:
        ordering = ["round", "respondent_group"]
        verbose_name = "phiếu khảo sát trực tuyến"
        verbose_name_plural = "phiếu khảo sát trực tuyến"
        constraints = [
            models.UniqueConstraint(fields=["round", "respondent_group"], name="questionnaire_round_group")
        ]

    def __str__(self):
        return f"{self.round.year} · {self.respondent_group}"

    def clean(self):
        if self.pk:
            from .online.services import questionnaire_editable

            questionnaire_editable(self)


class QuestionKind(models.TextChoices):
    SCALE = "scale", "Thang hài lòng 1–5"
    YES_NO = "yes_no", "Có / Không"


class Question(models.Model):
    """One question of a questionnaire, mapped to one survey leaf (by code, as the "Ánh xạ" sheet of the
    raw-response import) with the weight of the questionnaire's group (≥ 0, 0 = not counted).

    ``kind`` SCALE: answers 1..5 (``surveys.scoring.LABELS``); YES_NO: "Có" is stored as 5 and "Không" as
    1, i.e. 1 and 0 on the scoring rule's 0..1 scale.
    """

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="questions", verbose_name="phiếu"
    )
    order = models.PositiveSmallIntegerField("thứ tự", default=0)
    code = models.CharField("mã câu hỏi", max_length=20)
    text = models.TextField("nội dung câu hỏi")
    kind = models.CharField(
        "loại câu hỏi", max_length=10, choices=QuestionKind.choices, default=QuestionKind.SCALE
    )
    leaf_code = models.CharField("mã tiêu chí", max_length=30)
    weight = models.DecimalField(
        "trọng số của nhóm", max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["questionnaire", "order", "pk"]
        verbose_name = "câu hỏi"
        verbose_name_plural = "câu hỏi"
        constraints = [
            models.UniqueConstraint(fields=["questionnaire", "code"], name="question_code_unique"),
            models.CheckConstraint(condition=models.Q(weight__gte=0), name="question_weight_not_negative"),
        ]

    def __str__(self):
        return f"{self.code}: {self.text[:60]}"

    def clean(self):
        if self.questionnaire_id:
            from .online.services import question_leaf_problem, questionnaire_editable

            questionnaire_editable(self.questionnaire)
            if self.leaf_code and (problem := question_leaf_problem(self)):
                raise ValidationError({"leaf_code": problem})


class Campaign(models.Model):
    """A survey campaign of one round (đợt khảo sát): its period, units and questionnaires (= groups).
    Answers are taken from ``starts_at`` to ``ends_at`` (the invitations' expiry) until it is closed
    (``closed_at``, ``surveys.online.services.campaign_close``)."""

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="campaigns", verbose_name="đợt đánh giá"
    )
    title = models.CharField("tên đợt khảo sát", max_length=255)
    starts_at = models.DateTimeField("bắt đầu")
    ends_at = models.DateTimeField("kết thúc")
    units = models.ManyToManyField("units.Unit", related_name="+", verbose_name="đơn vị được khảo sát")
    questionnaires = models.ManyToManyField(
        Questionnaire, related_name="campaigns", verbose_name="phiếu (nhóm người trả lời)"
    )
    closed_at = models.DateTimeField("đóng lúc", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="người đóng",
    )

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = "đợt khảo sát trực tuyến"
        verbose_name_plural = "đợt khảo sát trực tuyến"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="campaign_period"
            )
        ]

    def __str__(self):
        return f"{self.round.year} · {self.title}"


class Invitation(models.Model):
    """A one-time code (mã khảo sát): 8 characters of ``surveys.online.codes.ALPHABET``, unique-indexed,
    bound to a campaign, a unit and a questionnaire (its respondent group); expires with the campaign's
    end; ``used_at`` is set in the transaction that stores its answers."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="invitations", verbose_name="đợt khảo sát"
    )
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+", verbose_name="đơn vị")
    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.CASCADE, related_name="invitations", verbose_name="phiếu"
    )
    code = models.CharField("mã", max_length=16, unique=True)
    created_at = models.DateTimeField("tạo lúc", default=timezone.now)
    used_at = models.DateTimeField("đã trả lời lúc", null=True, blank=True)

    class Meta:
        ordering = ["campaign", "unit", "pk"]
        verbose_name = "mã khảo sát"
        verbose_name_plural = "mã khảo sát"

    def __str__(self):
        return self.code


class OnlineResponse(models.Model):
    """One submitted questionnaire (phiếu đã trả lời): no name, no IP address; the unit and group come from
    the invitation, which it uses up (one response per invitation)."""

    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, related_name="response", verbose_name="mã khảo sát"
    )
    submitted_at = models.DateTimeField("gửi lúc", default=timezone.now)

    class Meta:
        verbose_name = "phiếu đã trả lời"
        verbose_name_plural = "phiếu đã trả lời"

    def __str__(self):
        return f"{self.invitation.code} · {self.submitted_at:%d/%m/%Y %H:%M}"


class OnlineAnswer(models.Model):
    """One answer (1..5; a yes/no question stores 5 or 1) of one submitted questionnaire."""

    response = models.ForeignKey(OnlineResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.PositiveSmallIntegerField("câu trả lời")

    class Meta:
        verbose_name = "câu trả lời"
        verbose_name_plural = "câu trả lời"
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="online_answer_unique"),
            models.CheckConstraint(
                condition=models.Q(value__gte=1, value__lte=5), name="online_answer_scale"
            ),
        ]

    def __str__(self):
        return f"{self.question_id}: {self.value}"
