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
