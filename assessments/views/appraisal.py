"""Appraisal pages (issue 4): the appraiser's queue and part page, the unit's explanation page, the
coordinator's overview with reopen and publish, field owners per set, the appraised score sheet (xlsx) and
an admin's correction after publication.

Thin views: fetch through the selectors (404 for outsiders), parse, call one service of
``services.appraisal``, render. ``PermissionDenied`` → 403; ``ValidationError`` and its kinds → the message
next to the leaf or on the page with 400 (``StaleEdit`` 409 with the current value).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from criteria.models import CriteriaSet, Criterion, Level
from criteria.scope import owner_candidates
from parindex import params, xlsx
from parindex.exceptions import Incomplete, StaleEdit
from parindex.lookups import or_404
from units.models import Role, Unit, UnitGroup
from units.permissions import require_perm, units_of

from ..forms.scoring import EvidenceUploadForm
from ..models import (
    Assessment,
    AssessmentRound,
    AssessmentState,
    FieldAppraisal,
    PartState,
    RoundState,
    Score,
)
from ..permissions import appraised_sheet_check, is_unit_member
from ..selectors import appraisal as appraisal_reads
from ..services import appraisal as appraisal_writes
from ..services import evidence as evidence_writes
from ..services.scoring import self_edit_check
from .lookups import assessment_or_404, leaf_redirect

T = "assessments/appraisal/"


def _part(request, pk) -> FieldAppraisal:
    return or_404(
        appraisal_reads.part_get,
        FieldAppraisal.DoesNotExist,
        "Không tìm thấy phần thẩm định.",
        user=request.user,
        pk=pk,
    )


def _score(part: FieldAppraisal, score_pk) -> Score:
    """A leaf of this part only: any other id is an outsider's (404)."""
    try:
        return Score.objects.select_related("criterion", "assessment", "assessment__criteria_set").get(
            pk=score_pk,
            assessment_id=part.assessment_id,
            criterion_id__in=appraisal_reads.part_leaf_ids(part),
        )
    except Score.DoesNotExist as exc:
        raise Http404("Tiêu chí không thuộc phần thẩm định này.") from exc


def _require_coordinator(request) -> None:
    require_perm(
        request.user,
        "assessments.coordinate_appraisal",
        message="Chỉ Sở Nội vụ (điều phối) và quản trị viên được xem trang này.",
    )


def _version(request) -> int:
    return params.int_param(request.POST, "version", -1)


# ---------------------------------------------------------------- the queue


@login_required
@require_GET
def appraisal_queue(request):
    """The appraiser's queue: submitted assessments × the parts their agencies own, with status, leaf
    counts and the deadline that applies; filters by round, group, unit and status (GET)."""
    require_perm(request.user, "assessments.view_queue", message="Trang này dành cho thẩm định viên.")
    rounds = list(AssessmentRound.objects.exclude(state=RoundState.DRAFT))
    round_pk = params.int_param(request.GET, "round")
    rnd = next((r for r in rounds if r.pk == round_pk), rounds[0] if rounds else None)
    group, unit, status = (params.code_param(request.GET, k) for k in ("group", "unit", "status"))
    qs = appraisal_reads.appraisal_queue(user=request.user, round=rnd, group=group, unit=unit, status=status)
    rows = appraisal_reads.queue_rows(qs)
    return render(
        request,
        T + "queue.html",
        {
            "rows": rows,
            "rounds": rounds,
            "round": rnd,
            "groups": UnitGroup.objects.filter(is_assessed=True),
            "group": group,
            "unit": unit,
            "status": status,
            "statuses": appraisal_reads.STATUS_CHOICES,
            "owners": Unit.objects.filter(pk__in=units_of(request.user, Role.APPRAISER)),
        },
    )


# ---------------------------------------------------------------- one part


def _part_context(request, part: FieldAppraisal, **extra) -> dict:
    sheet = appraisal_reads.part_sheet(part)
    assessment = part.assessment
    is_appraiser = part.owner_id in units_of(request.user, Role.APPRAISER)
    lock = appraisal_writes.appraisal_lock_reason(part, assessment)
    is_coordinator = request.user.has_perm("assessments.coordinate_appraisal")
    context = {
        "can_reopen": is_coordinator and appraisal_writes.reopen_refusal(part, assessment.round) is None,
        "part": part,
        "sheet": sheet,
        "assessment": assessment,
        "round": assessment.round,
        "is_appraiser": is_appraiser,
        "lock_reason": lock,
        "editable": is_appraiser and not lock,
        "round_1": part.state in appraisal_writes.ROUND_1_STATES,
        "is_coordinator": is_coordinator,
        "can_correct": request.user.has_perm("assessments.correct_score")
        and assessment.round.state == RoundState.PUBLISHED,
    }
    context.update(extra)
    return context


def _part_page(request, part: FieldAppraisal, status: int = 200, **extra):
    """The part's page (``_part_context`` with ``extra``) with ``status``."""
    return render(request, T + "part.html", _part_context(request, part, **extra), status=status)


def _refusal(exc: ValidationError) -> dict:
    """A refused step as the page shows it: an ``Incomplete``'s first message and its items (``problems``,
    each linking to its leaf), any other refusal's messages joined (``page_error``)."""
    if isinstance(exc, Incomplete):
        return {"page_error": exc.messages[0], "problems": exc.items}
    return {"page_error": " ".join(exc.messages)}


@login_required
@require_GET
def appraisal_part(request, pk):
    """The appraisal page of one part: each leaf with the unit's self score, note, explanation, evidence
    (PDF and images open inline) and history link; the appraiser's form per leaf; the round's actions."""
    part = _part(request, pk)
    return _part_page(request, part)


def _posted_summary(criterion: Criterion, post) -> str:
    """What the user typed, quoted next to a refusal ("abc", "19 / 20", an option's label)."""
    if criterion.kind == "options":
        return post.get("option", "")
    if criterion.kind == "ratio":
        num, den = post.get("numerator", "").strip(), post.get("denominator", "").strip()
        return f"{num} / {den}" if num or den else ""
    return post.get("value", "").strip()


def _leaf_reply(request, part, score, *, status=200, done="", error="", stale=None, quote=True):
    """HTMX: the leaf's card (in place) with the part's totals out of band; on a refusal (400/409) the card
    carries the message and its controls the stored values, what was typed quoted in the message. Plain POST:
    back to the page at the leaf with a message, or the page with the error next to the leaf (400/409)."""
    part = _part(request, part.pk)
    if not request.htmx and status == 200:
        messages.success(request, done)
        return leaf_redirect("appraisal_part", part.pk, score.criterion.code)
    summary = _posted_summary(score.criterion, request.POST) if status == 400 and quote else ""
    context = _part_context(
        request,
        part,
        errors={score.pk: error} if error else {},
        stale=stale,
        saved=score.pk if status == 200 else None,
        posted=request.POST,
        posted_summary=summary,
    )
    if not request.htmx:
        return render(request, T + "part.html", context, status=status)
    row = next(r for r in context["sheet"].leaves if r.score.pk == score.pk)
    context["row"] = row
    return render(request, T + "leaf_reply.html", context, status=status)


def _na(request) -> bool | None:
    return {"accept": True, "refuse": False}.get(request.POST.get("na", ""))


@login_required
@require_POST
def appraisal_leaf(request, pk, score_pk):
    """Save the appraiser's decision on one leaf (``appraisal_leaf_save``)."""
    part = _part(request, pk)
    score = _score(part, score_pk)
    appraisal_writes.appraisal_write_check(part=part, by=request.user)  # 403 before 400
    p = request.POST
    try:
        appraisal_writes.appraisal_leaf_save(
            score=score,
            by=request.user,
            expected_version=_version(request),
            value=p.get("value"),
            option=p.get("option"),
            numerator=p.get("numerator"),
            denominator=p.get("denominator"),
            comment=p.get("comment", ""),
            na_accept=_na(request),
            flag=p.get("flag") == "1",
            question=p.get("question", ""),
        )
    except StaleEdit as exc:
        return _leaf_reply(request, part, score, status=409, error=exc.messages[0], stale=exc.current)
    except ValidationError as exc:
        return _leaf_reply(request, part, score, status=400, error=" ".join(exc.messages))
    return _leaf_reply(request, part, score, done=f"Đã lưu điểm thẩm định tiêu chí {score.criterion.code}.")


@login_required
@require_POST
def appraisal_leaf_accept(request, pk, score_pk):
    """ "Chấp nhận điểm tự chấm" on one leaf (``appraisal_accept_self``)."""
    part = _part(request, pk)
    score = _score(part, score_pk)
    appraisal_writes.appraisal_write_check(part=part, by=request.user)  # 403 before 400
    try:
        appraisal_writes.appraisal_accept_self(
            score=score, by=request.user, expected_version=_version(request)
        )
    except StaleEdit as exc:
        return _leaf_reply(request, part, score, status=409, error=exc.messages[0], stale=exc.current)
    except ValidationError as exc:
        return _leaf_reply(request, part, score, status=400, error=" ".join(exc.messages), quote=False)
    return _leaf_reply(
        request, part, score, done=f"Đã chấp nhận điểm tự chấm tiêu chí {score.criterion.code}."
    )


def _part_action(request, pk, action, done, already=None):
    """Run ``action(part)``; ``already(part read again) -> str`` names a step that was done before (a double
    click, a stale tab): the page then says so instead of showing the refusal."""
    part = _part(request, pk)
    try:
        result = action(part)
    except ValidationError as exc:
        message = already(_part(request, pk)) if already and not isinstance(exc, Incomplete) else ""
        if message:
            messages.warning(request, message)
            return redirect("assessments:appraisal_part", pk=part.pk)
        return _part_page(request, part, status=400, **_refusal(exc))
    messages.success(request, done(result) if callable(done) else done)
    return redirect("assessments:appraisal_part", pk=part.pk)


@login_required
@require_POST
def appraisal_accept_all(request, pk):
    """Accept the self scores of every undecided, unflagged leaf of the part."""
    return _part_action(
        request,
        pk,
        lambda part: appraisal_writes.appraisal_accept_all(part=part, by=request.user),
        lambda n: f"Đã chấp nhận điểm tự chấm của {n} tiêu chí.",
    )


@login_required
@require_POST
def part_close_round_1(request, pk):
    """End round 1 of the part (questions go to the unit, or the part is final)."""
    return _part_action(
        request,
        pk,
        lambda part: appraisal_writes.part_close_round_1(part=part, by=request.user),
        lambda part: (
            "Đã kết thúc vòng 1: "
            + (
                "chờ đơn vị giải trình."
                if part.state == PartState.EXPLANATION
                else "phần thẩm định đã hoàn thành."
            )
        ),
        lambda part: (
            ""
            if part.state in appraisal_writes.ROUND_1_STATES
            else (
                f"Vòng 1 của phần thẩm định lĩnh vực {part.field.code} đã được kết thúc trước đó "
                f"(trạng thái: {part.get_state_display()}); lần bấm này không thay đổi gì."
            )
        ),
    )


@login_required
@require_POST
def part_finalise(request, pk):
    """Finalise the part after round 2 (or after a reopening)."""
    return _part_action(
        request,
        pk,
        lambda part: appraisal_writes.part_finalise(part=part, by=request.user),
        "Đã hoàn thành phần thẩm định.",
        lambda part: (
            ""
            if part.state != PartState.FINAL
            else (
                f"Phần thẩm định lĩnh vực {part.field.code} đã được hoàn thành trước đó; "
                "lần bấm này không thay đổi gì."
            )
        ),
    )


@login_required
@require_POST
def part_reopen(request, pk):
    """The coordinator reopens a final part with a reason."""
    return _part_action(
        request,
        pk,
        lambda part: appraisal_writes.part_reopen(
            part=part, by=request.user, reason=request.POST.get("reason", "")
        ),
        "Đã mở lại phần thẩm định; thẩm định viên đã được thông báo.",
        lambda part: (
            ""
            if part.state == PartState.FINAL or not part.reopened_reason
            else (
                f"Phần thẩm định lĩnh vực {part.field.code} đã được mở lại trước đó (lý do: "
                f"{part.reopened_reason}); lần mở lại này không thay đổi gì."
            )
        ),
    )


@login_required
@require_POST
def score_correct(request, pk, score_pk):
    """An admin corrects an appraised score after publication, with a reason."""
    part = _part(request, pk)
    score = _score(part, score_pk)
    appraisal_writes.score_correct_check(by=request.user)  # 403 before 400
    p = request.POST
    try:
        appraisal_writes.score_correct(
            score=score,
            by=request.user,
            reason=p.get("reason", ""),
            expected_version=_version(request),
            value=p.get("value"),
            option=p.get("option"),
            numerator=p.get("numerator"),
            denominator=p.get("denominator"),
        )
    except StaleEdit as exc:
        current = exc.current
        if current.appraised_by_id == request.user.pk and current.version == _version(request) + 1:
            # the same admin's correction sent twice (double click): the first one was saved, say so
            messages.warning(
                request,
                f"Điểm tiêu chí {score.criterion.code} đã được điều chỉnh trước đó (hiện là "
                f"{appraisal_writes.points_text(current.appraised_value)}); lần gửi này không thay đổi gì.",
            )
            return leaf_redirect("appraisal_part", part.pk, score.criterion.code)
        return _leaf_reply(request, part, score, status=409, error=exc.messages[0], stale=exc.current)
    except ValidationError as exc:
        return _leaf_reply(request, part, score, status=400, error=" ".join(exc.messages))
    return _leaf_reply(request, part, score, done=f"Đã điều chỉnh điểm tiêu chí {score.criterion.code}.")


# ---------------------------------------------------------------- the unit's explanations


def _unit_assessment(request, pk) -> Assessment:
    """The assessment for its explanation page: the unit's people, the coordinator and admins; anyone
    else (appraisers use their part pages) is an outsider here (404)."""
    assessment = assessment_or_404(request, pk)
    if not (is_unit_member(request.user, assessment) or request.user.has_perm("assessments.view_all")):
        raise Http404("Không tìm thấy bản tự đánh giá.")
    return assessment


def _explanation_page(request, assessment, status: int = 200, **extra):
    """The unit's explanation page with ``status``; ``extra`` overrides or adds to its context."""
    context = {
        "assessment": assessment,
        "items": appraisal_reads.explanation_items(assessment),
        "lock_reason": appraisal_writes.explanation_lock_reason(assessment),
        "is_member": is_unit_member(request.user, assessment),
        "is_head": is_unit_member(request.user, assessment, Role.HEAD),
    }
    context["editable"] = context["is_member"] and not context["lock_reason"]
    context.update(extra)
    return render(request, T + "explanation.html", context, status=status)


@login_required
@require_GET
def explanation(request, pk):
    """The unit's explanation page: the appraisers' questions (visible once round 1 has ended for every
    field), an answer per question, new evidence on those leaves, and the head's "send" button."""
    assessment = _unit_assessment(request, pk)
    if assessment.state in (
        AssessmentState.DRAFT,
        AssessmentState.SUBMITTED,
        AssessmentState.APPRAISAL_1,
    ) and not request.user.has_perm("assessments.view_all"):
        items = []  # questions stay with the appraisers until round 1 ends for every field
        return _explanation_page(request, assessment, items=items)
    return _explanation_page(request, assessment)


@login_required
@require_POST
def explanation_answer(request, pk, score_pk):
    """Save the unit's answer on one flagged leaf."""
    assessment = _unit_assessment(request, pk)
    score = get_object_or_404(
        Score.objects.select_related("criterion", "assessment"),
        pk=score_pk,
        assessment=assessment,
        needs_explanation=True,
    )
    self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
    try:
        appraisal_writes.explanation_answer_save(
            score=score,
            by=request.user,
            expected_version=_version(request),
            answer=request.POST.get("answer", ""),
        )
    except ValidationError as exc:
        status = 409 if isinstance(exc, StaleEdit) else 400
        return _explanation_page(request, assessment, status, errors={score.pk: " ".join(exc.messages)})
    messages.success(request, f"Đã lưu giải trình tiêu chí {score.criterion.code}.")
    return leaf_redirect("explanation", assessment.pk, score.criterion.code)


@login_required
@require_POST
def explanation_evidence(request, pk, score_pk):
    """Upload a new document for a flagged leaf during the explanation window (``services.evidence.evidence_upload``,
    which allows it only then and only on the leaves asked about)."""
    assessment = _unit_assessment(request, pk)
    score = get_object_or_404(
        Score.objects.select_related("criterion"), pk=score_pk, assessment=assessment, needs_explanation=True
    )
    self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
    form = EvidenceUploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError([m for ms in form.errors.values() for m in ms])
        evidence = evidence_writes.evidence_upload(
            assessment=assessment, criterion=score.criterion, by=request.user, **form.upload()
        )
    except ValidationError as exc:
        return _explanation_page(request, assessment, 400, errors={score.pk: " ".join(exc.messages)})
    messages.success(request, f"Đã tải lên “{evidence.original_name}” cho tiêu chí {score.criterion.code}.")
    return leaf_redirect("explanation", assessment.pk, score.criterion.code)


@login_required
@require_POST
def explanation_send(request, pk):
    """The head sends the answers to the appraisers."""
    assessment = _unit_assessment(request, pk)
    try:
        appraisal_writes.explanation_send(assessment=assessment, by=request.user)
    except ValidationError as exc:
        if (
            not isinstance(exc, Incomplete)
            and Assessment.objects.filter(
                pk=assessment.pk,
                state__in=(AssessmentState.APPRAISAL_2, AssessmentState.APPRAISED, AssessmentState.PUBLISHED),
            ).exists()
        ):
            messages.warning(
                request,
                "Giải trình đã được gửi trước đó (hoặc đã hết hạn giải trình); "
                "lần gửi này không thay đổi gì.",
            )
            return redirect("assessments:explanation", pk=assessment.pk)
        return _explanation_page(request, assessment, 400, **_refusal(exc))
    messages.success(request, "Đã gửi giải trình tới các cơ quan thẩm định.")
    return redirect("assessments:explanation", pk=assessment.pk)


# ---------------------------------------------------------------- the coordinator


@login_required
@require_GET
def overview(request, pk):
    """The coordinator's overview of a round: assessments by state, parts by state, a grid of units ×
    fields, and the publish button with what still blocks it."""
    _require_coordinator(request)
    rnd = get_object_or_404(AssessmentRound, pk=pk)
    group = params.code_param(request.GET, "group")
    return render(
        request,
        T + "overview.html",
        {
            "round": rnd,
            "data": appraisal_reads.round_overview(rnd, group),
            "group": group,
            "can_publish": appraisal_writes.publish_refusal(rnd) is None,
            "groups": UnitGroup.objects.filter(is_assessed=True),
            "problems": appraisal_reads.publication_problems(rnd),
        },
    )


@login_required
@require_POST
def publish(request, pk):
    """Publish the round (every assessment appraised)."""
    _require_coordinator(request)
    rnd = get_object_or_404(AssessmentRound, pk=pk)
    try:
        appraisal_writes.round_publish(round=rnd, by=request.user)
    except ValidationError as exc:
        if AssessmentRound.objects.filter(pk=rnd.pk, state=RoundState.PUBLISHED).exists():
            messages.warning(
                request, f"{rnd.name} đã được công bố trước đó; lần công bố này không thay đổi gì."
            )
            return redirect("assessments:overview", pk=rnd.pk)
        return render(
            request,
            T + "overview.html",
            {
                "round": rnd,
                "can_publish": appraisal_writes.publish_refusal(rnd) is None,
                "data": appraisal_reads.round_overview(rnd),
                "groups": UnitGroup.objects.filter(is_assessed=True),
                "problems": appraisal_reads.publication_problems(rnd),
                "page_error": exc.messages[0],
            },
            status=400,
        )
    messages.success(request, f"Đã công bố kết quả {rnd.name}.")
    return redirect("assessments:overview", pk=rnd.pk)


@login_required
@require_http_methods(["GET", "POST"])
def field_owners(request, set_pk):
    """The agency that appraises each field of a set (and overrides below it), changeable by the
    coordinator while the affected parts have not started."""
    _require_coordinator(request)
    cs = get_object_or_404(CriteriaSet.objects.select_related("parent_unit__group"), pk=set_pk)
    error, status = "", 200
    if request.method == "POST":
        node = get_object_or_404(Criterion, pk=params.int_param(request.POST, "node", 0), criteria_set=cs)
        code = params.code_param(request.POST, "owner")
        owner = Unit.objects.filter(code=code).first() if code else None
        if code and owner is None:
            raise Http404("Không có đơn vị này.")
        try:
            appraisal_writes.field_owner_set(
                criteria_set=cs,
                node=node,
                owner=owner,
                by=request.user,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        else:
            messages.success(request, f"Đã đổi cơ quan thẩm định của {node.code}. {node.title[:60]}.")
            return redirect("assessments:field_owners", set_pk=cs.pk)
    nodes = list(cs.nodes.filter(level__lte=Level.CRITERION).select_related("owner").order_by("order"))
    return render(
        request,
        T + "owners.html",
        {
            "set": cs,
            "nodes": nodes,
            "error": error,
            # a district's set: the districts; a province-wide set: the departments — valid in the set's year
            "agencies": owner_candidates(year=cs.year, parent_unit=cs.parent_unit),
        },
        status=status,
    )


@login_required
@require_GET
def appraised_sheet(request, pk):
    """The appraised score sheet of a unit as xlsx (issue 4 §8)."""
    from ..exports import appraised_workbook

    assessment = assessment_or_404(request, pk)
    appraised_sheet_check(request.user, assessment)
    data = appraised_workbook(assessment, request.user)
    return xlsx.download(data, f"diem-tham-dinh-{assessment.unit.code}-{assessment.round.year}.xlsx")


urlpatterns = [
    path("appraisal/", appraisal_queue, name="appraisal_queue"),
    path("appraisal/parts/<int:pk>/", appraisal_part, name="appraisal_part"),
    path("appraisal/parts/<int:pk>/leaf/<int:score_pk>/", appraisal_leaf, name="appraisal_leaf"),
    path(
        "appraisal/parts/<int:pk>/leaf/<int:score_pk>/accept/",
        appraisal_leaf_accept,
        name="appraisal_leaf_accept",
    ),
    path("appraisal/parts/<int:pk>/leaf/<int:score_pk>/correct/", score_correct, name="score_correct"),
    path("appraisal/parts/<int:pk>/accept-all/", appraisal_accept_all, name="appraisal_accept_all"),
    path("appraisal/parts/<int:pk>/close-round-1/", part_close_round_1, name="part_close_round_1"),
    path("appraisal/parts/<int:pk>/finalise/", part_finalise, name="part_finalise"),
    path("appraisal/parts/<int:pk>/reopen/", part_reopen, name="part_reopen"),
    path("assessments/<int:pk>/explanation/", explanation, name="explanation"),
    path("assessments/<int:pk>/explanation/<int:score_pk>/", explanation_answer, name="explanation_answer"),
    path(
        "assessments/<int:pk>/explanation/<int:score_pk>/evidence/",
        explanation_evidence,
        name="explanation_evidence",
    ),
    path("assessments/<int:pk>/explanation/send/", explanation_send, name="explanation_send"),
    path("assessments/<int:pk>/appraised.xlsx", appraised_sheet, name="appraised_sheet"),
    path("rounds/<int:pk>/overview/", overview, name="overview"),
    path("rounds/<int:pk>/publish/", publish, name="publish"),
    path("criteria-sets/<int:set_pk>/owners/", field_owners, name="field_owners"),
]
