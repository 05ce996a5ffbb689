"""Writes of the online survey (khảo sát trực tuyến; issue 15): invitations, a respondent's submission and
closing a campaign into survey points.

Errors: ``SurveyRefused`` (a respondent's code or answers refused: Vietnamese ``message``, and per
question ``errors``), ``PermissionDenied`` (not coordinator/admin), ``ValidationError`` (a frozen
questionnaire, a campaign that cannot be closed), ``InvalidTransition`` (round published). Nothing is
stored when one is raised.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments import signals
from assessments.models import Assessment, AssessmentRound
from criteria.models import Criterion, Source
from units.models import Unit
from units.permissions import require_perm

from .. import responses
from ..models import Campaign, Invitation, OnlineAnswer, OnlineResponse, Question, QuestionKind, Questionnaire
from ..rules import MANAGE_ONLINE_REFUSED
from ..services import ResponsesResult, _require_not_published, _store_survey_values, responses_points
from . import codes

REASON_ONLINE = "Tính điểm điều tra XHH trực tuyến"
FROZEN = "Phiếu đã có câu trả lời nên không thể sửa hoặc xoá phiếu và câu hỏi của phiếu."
#: Name of the honeypot input: hidden from people (CSS), filled by naive bots.
HONEYPOT = "website"
YES, NO = 5, 1  # a yes/no answer on the 1..5 scale: 1 and 0 on the scoring rule's 0..1 scale


class SurveyRefused(Exception):
    """A respondent's code or submission refused. ``message``: Vietnamese, for the whole page;
    ``errors``: ``{question code: message}`` next to each refused answer; ``code_problem``: the code
    itself is refused (unknown, used, expired, campaign closed or not open)."""

    def __init__(self, message: str, errors: dict | None = None, *, code_problem: bool = False):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.code_problem = code_problem


def questionnaire_editable(questionnaire: Questionnaire) -> None:
    """Raise ``ValidationError`` (Vietnamese) when ``questionnaire`` has answers: its questions and
    mapping are frozen then, so the answers keep the meaning they were given."""
    if OnlineAnswer.objects.filter(question__questionnaire=questionnaire).exists():
        raise ValidationError(FROZEN)


def question_leaf_problem(question: Question) -> str | None:
    """Why ``question.leaf_code`` cannot take its answers (Vietnamese), or None: it must be a survey leaf
    (source SURVEY, no children) of a criteria set of the questionnaire's round."""
    nodes = list(
        Criterion.objects.filter(
            code=question.leaf_code,
            criteria_set__in=Assessment.objects.filter(round_id=question.questionnaire.round_id).values(
                "criteria_set"
            ),
        ).values_list("source", "children")
    )
    if not nodes:
        return f"Tiêu chí '{question.leaf_code}' không có trong bộ chỉ số nào của đợt đánh giá."
    if any(children is not None for _, children in nodes):
        return f"Tiêu chí '{question.leaf_code}' có tiêu chí con; hãy chọn một tiêu chí được chấm."
    if any(source != Source.SURVEY for source, _ in nodes):
        return f"Tiêu chí {question.leaf_code} là tiêu chí thẩm định, không nhận điểm điều tra XHH."
    return None


def question_delete(question: Question, *, by) -> None:
    """Delete a question of a questionnaire without answers. Raises ``PermissionDenied``, ``ValidationError``."""
    require_perm(by, "surveys.manage_online", message=MANAGE_ONLINE_REFUSED)
    questionnaire_editable(question.questionnaire)
    question.delete()


@transaction.atomic
def invitations_create(
    *, campaign: Campaign, unit: Unit, questionnaire: Questionnaire, count: int, by
) -> list:
    """``count`` (1..5000) new one-time codes of ``campaign`` for ``unit`` and ``questionnaire``'s group.
    Returns the ``Invitation`` rows. Raises ``PermissionDenied``, ``ValidationError`` (closed campaign, a
    unit or questionnaire not in the campaign, a bad count)."""
    require_perm(by, "surveys.manage_online", message=MANAGE_ONLINE_REFUSED)
    if campaign.closed_at:
        raise ValidationError("Đợt khảo sát đã đóng; không thể tạo thêm mã.")
    if not campaign.units.filter(pk=unit.pk).exists():
        raise ValidationError(f"Đơn vị {unit.name} không thuộc đợt khảo sát này.")
    if not Assessment.objects.filter(round_id=campaign.round_id, unit=unit).exists():
        raise ValidationError(
            f"Đơn vị {unit.name} không có bản đánh giá trong đợt đánh giá của đợt khảo sát."
        )
    if (
        questionnaire.round_id != campaign.round_id
        or not campaign.questionnaires.filter(pk=questionnaire.pk).exists()
    ):
        raise ValidationError(f"Phiếu '{questionnaire.respondent_group}' không thuộc đợt khảo sát này.")
    if not 1 <= count <= 5000:
        raise ValidationError("Số mã cần tạo phải từ 1 đến 5000.")
    made: list[Invitation] = []
    while len(made) < count:
        try:
            with transaction.atomic():  # a clash with an existing code (≈ never): draw again
                made.append(
                    Invitation.objects.create(
                        campaign=campaign, unit=unit, questionnaire=questionnaire, code=codes.new_code()
                    )
                )
        except IntegrityError:
            continue
    return made


def _refusal(invitation: Invitation | None, now) -> str | None:
    """Why ``invitation`` cannot be answered now, or None."""
    if invitation is None:
        return "Mã khảo sát không đúng. Vui lòng kiểm tra lại mã in trên phiếu (8 ký tự)."
    if invitation.used_at:
        return "Mã khảo sát này đã được dùng để trả lời; mỗi mã chỉ trả lời được một lần."
    campaign = invitation.campaign
    if campaign.closed_at:
        return "Đợt khảo sát đã kết thúc; không nhận thêm câu trả lời."
    if now >= campaign.ends_at:
        return (
            "Mã khảo sát đã hết hạn (đợt khảo sát kết thúc lúc "
            + timezone.localtime(campaign.ends_at).strftime("%H:%M ngày %d/%m/%Y")
            + ")."
        )
    if now < campaign.starts_at:
        return (
            "Đợt khảo sát chưa bắt đầu (bắt đầu lúc "
            + timezone.localtime(campaign.starts_at).strftime("%H:%M ngày %d/%m/%Y")
            + ")."
        )
    return None


def _invitation(typed: str, *, lock: bool = False) -> Invitation | None:
    """The invitation of the code ``typed`` (``codes.normalise``), its row locked when ``lock``; None — without a
    query — for what cannot be a code (``codes.well_formed``: a NUL byte, a huge string)."""
    code = codes.normalise(typed)
    if not codes.well_formed(code):
        return None
    found = Invitation.objects.select_for_update() if lock else Invitation.objects.all()
    return found.select_related("campaign", "questionnaire", "unit").filter(code=code).first()


def invitation_check(code: str) -> Invitation:
    """The invitation of ``code`` (as typed, ``codes.normalise``) if it can be answered now; else
    ``SurveyRefused`` (unknown, used, expired, campaign closed or not started) with ``code_problem``."""
    invitation = _invitation(code)
    message = _refusal(invitation, timezone.now())
    if message:
        raise SurveyRefused(message, code_problem=True)
    assert invitation is not None
    return invitation


def _answer(question: Question, raw) -> tuple[int | None, str | None]:
    """A posted answer → (1..5, None) or (None, Vietnamese refusal)."""
    raw = (raw or "").strip()
    if not raw:
        return None, "Vui lòng chọn một câu trả lời."
    if question.kind == QuestionKind.YES_NO:
        value = {"yes": YES, "no": NO}.get(raw)
        if value is None:
            return None, "Câu trả lời không hợp lệ: chọn Có hoặc Không."
        return value, None
    if raw not in ("1", "2", "3", "4", "5"):
        return None, "Câu trả lời nằm ngoài thang 1–5."
    return int(raw), None


@transaction.atomic
def response_submit(*, code: str, data: Mapping) -> OnlineResponse:
    """Store every answer of the questionnaire of ``code`` and use the code up, in one transaction.

    ``data``: the posted form: ``q<question pk>`` → "1".."5" (scale) or "yes"/"no" (yes/no) for every
    question, and the honeypot ``HONEYPOT`` (must be empty). The invitation row is locked
    (``select_for_update``) so that two submissions of one code cannot both pass. Raises ``SurveyRefused``:
    the code's refusals (``invitation_check``), a filled honeypot ("không ghi nhận"), or ``errors`` per
    question code (missing answer, outside the scale) — nothing is stored then. No name, no IP address.
    """
    if (data.get(HONEYPOT) or "").strip():
        raise SurveyRefused(
            "Phiếu không được ghi nhận: ô dành cho máy tự động đã được điền. Nếu bạn là người trả lời, "
            "hãy để trống ô đó và gửi lại."
        )
    invitation = _invitation(code, lock=True)
    message = _refusal(invitation, timezone.now())
    if message:
        raise SurveyRefused(message, code_problem=True)
    assert invitation is not None
    questions = list(invitation.questionnaire.questions.all())
    values: dict[int, int] = {}
    errors: dict[str, str] = {}
    for q in questions:
        value, error = _answer(q, data.get(f"q{q.pk}"))
        if value is None:
            errors[q.code] = error or "Vui lòng chọn một câu trả lời."
        else:
            values[q.pk] = value
    if errors:
        raise SurveyRefused(
            f"Phiếu chưa được ghi nhận: {len(errors)} câu cần sửa (đánh dấu bên dưới).", errors
        )
    now = timezone.now()
    response = OnlineResponse.objects.create(invitation=invitation, submitted_at=now)
    OnlineAnswer.objects.bulk_create(
        [OnlineAnswer(response=response, question_id=pk, value=v) for pk, v in values.items()]
    )
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    return response


@dataclass
class CloseResult:
    """What closing a campaign did: ``result`` (``surveys.services.ResponsesResult``: per-unit points,
    warnings, summary) and ``changed`` (survey scores whose value changed)."""

    result: ResponsesResult
    changed: int = 0


def online_read(campaign: Campaign) -> responses.ReadResponses:
    """The campaign's stored answers in the raw-response import's shape (``surveys.responses``): one
    ``Respondent`` per submitted questionnaire (``row`` = its id), one ``Mapping`` per question (key
    "<questionnaire id>:<code>", the leaf code and ``{group key: weight}``), ``groups`` = the groups of
    the campaign's questionnaires. A fixed number of queries."""
    read = responses.ReadResponses()
    for q in Question.objects.filter(questionnaire__campaigns=campaign).select_related("questionnaire"):
        key = f"{q.questionnaire_id}:{q.code}"
        group = q.questionnaire.respondent_group
        read.groups[responses.text_key(group)] = group
        read.questions[key] = q.code
        read.mappings[key] = responses.Mapping(
            row=q.pk, question=key, leaf_code=q.leaf_code, weights={responses.text_key(group): q.weight}
        )
    by_response: dict[int, responses.Respondent] = {}
    for answer in OnlineAnswer.objects.filter(response__invitation__campaign=campaign).select_related(
        "question__questionnaire", "response__invitation__unit"
    ):
        group = answer.question.questionnaire.respondent_group
        respondent = by_response.setdefault(
            answer.response_id,
            responses.Respondent(
                row=answer.response_id,
                unit_code=answer.response.invitation.unit.code,
                group=group,
                group_key=responses.text_key(group),
            ),
        )
        respondent.answers[f"{answer.question.questionnaire_id}:{answer.question.code}"] = answer.value
    read.respondents = list(by_response.values())
    return read


@transaction.atomic
def campaign_close(campaign: Campaign, by) -> CloseResult:
    """Close ``campaign`` (no more answers) and write its units' survey points.

    Points per survey leaf and unit from the stored online answers, by the raw-response import's own code
    (``surveys.services.responses_points`` → ``surveys.scoring.leaf_points``: Σ w·(a − 1)/4 ÷ Σ w × leaf
    max, 2 decimals half up); leaves without online answers keep their value. Writes
    ``Score.survey_value`` with history (``by``, "Tính điểm điều tra XHH trực tuyến") and sends the
    results recompute (``assessments.signals.recompute_later``). Raises ``PermissionDenied``,
    ``InvalidTransition`` (round published), ``ValidationError`` (already closed; a question mapped to a
    leaf that is not a survey leaf of a unit's set — every problem listed, nothing written).
    """
    require_perm(by, "surveys.manage_online", message=MANAGE_ONLINE_REFUSED)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    rnd = AssessmentRound.objects.select_for_update().get(pk=campaign.round_id)
    _require_not_published(rnd, "tính điểm điều tra XHH")
    if campaign.closed_at:
        raise ValidationError("Đợt khảo sát đã đóng.")
    read = online_read(campaign)
    result = ResponsesResult()
    unit_ids = list(campaign.units.values_list("pk", flat=True))
    writes, _ = responses_points(round=rnd, read=read, result=result, unit_ids=unit_ids)
    if result.problems:
        raise ValidationError([p.message for p in result.problems])
    _store_survey_values(writes, by=by, reason=REASON_ONLINE)
    campaign.closed_at = timezone.now()
    campaign.closed_by = by
    campaign.save(update_fields=["closed_at", "closed_by"])
    if writes:
        signals.recompute_later(rnd.pk)
    return CloseResult(result=result, changed=len(writes))
