"""The self-assessment scoring page (issue 3 §2–7): the unit's tree with its self scores and evidence, saving
one leaf at a time (HTMX, or a plain POST that redirects back), evidence upload/attach/detach/download, a
leaf's history, and submission / withdrawal by the unit head.

Thin views (CONVENTIONS.md "Views"): fetch the assessment through ``selectors.scoring.assessment_get`` (404 for
outsiders), parse the input, call exactly one service, render. Services decide; their errors map to:
``PermissionDenied`` → 403 (Django's handler), ``ValidationError``/``InvalidTransition`` → the message next
to the field with status 400, ``StaleEdit`` → 409 with the current value, ``Score.DoesNotExist`` (a leaf
of another set) → 404.
"""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from criteria import scales
from criteria.models import EXTRA_KINDS, Criterion, Kind
from parindex.exceptions import Incomplete, StaleEdit
from parindex.lookups import or_404
from units.models import Role

from ..forms.scoring import EvidenceAttachForm, EvidenceUploadForm, ScoreForm, self_score_inputs
from ..models import Assessment, AssessmentState, Evidence, EvidenceLink, Score
from ..permissions import is_unit_member, survey_results_visible
from ..selectors import rounds as rounds_reads
from ..selectors import scoring as scoring_reads
from ..services import evidence as evidence_writes
from ..services import scoring as scoring_writes
from ..services import submission as submission_writes
from .lookups import assessment_or_404, leaf_redirect

TEMPLATES = "assessments/scoring/"
#: ``?filter=`` values: appraisal leaves not scored yet; scored ones needing evidence or an explanation — the two
#: problems of the submission check (see ``_filtered``).
FILTERS = ("unscored", "noevidence")


# ---------------------------------------------------------------- lookups (404 for outsiders)


def _get_criterion(criterion_id) -> Criterion:
    """The node posted; whether it is a leaf of this assessment's set is the services' check
    (``Score.DoesNotExist`` → 404)."""
    return or_404(Criterion.objects.get, Criterion.DoesNotExist, "Không tìm thấy tiêu chí.", pk=criterion_id)


def _get_evidence(assessment: Assessment, evidence_id) -> Evidence:
    """A document of this assessment only: an id of another assessment is an outsider's (404)."""
    return or_404(
        Evidence.objects.get,
        Evidence.DoesNotExist,
        "Không tìm thấy tài liệu kiểm chứng.",
        pk=evidence_id,
        assessment=assessment,
    )


# ---------------------------------------------------------------- what one leaf card shows
#
# The page renders 100–150 leaf cards. To stay fast (bench/scoring_page.py: ≤ 80 ms for 130 leaves with
# 260 documents) each card gets a plain dict prepared here — formatted numbers and dates, URLs built from
# patterns reversed once per request, labels translated once per request — so the template only looks up
# dict keys (attribute lookups on objects, ``{% url %}``, ``{% translate %}`` and filters, repeated for
# every card, cost several times the rest of the page).

#: Labels of a leaf card, translated once per request (``labels()``); keys read as the template uses them.
CARD_LABELS = {
    "points": _("điểm"),
    "unscored": _("Chưa chấm"),
    "survey": _("Điều tra XHH"),
    "not_applicable": _("Không áp dụng đối với đơn vị (ghi lý do vào ô ghi chú; cơ quan thẩm định xem xét)"),
    "na_badge": _("Đề nghị không áp dụng"),
    "survey_note": _("Điểm do điều tra xã hội học, đơn vị không tự chấm"),
    "evidence": _("Tài liệu kiểm chứng"),
    "choose": _("Chọn mức đạt được"),
    "numerator": _("Tử số"),
    "denominator": _("Mẫu số"),
    "ratio": _("Tỷ lệ"),
    "scale": _("Thang"),
    "yes": _("Có"),
    "no": _("Không"),
    "value": _("Điểm"),
    "bonus": _("Điểm thưởng"),
    "penalty": _("Điểm trừ"),
    "step": _("bước"),
    "note": _("Ghi chú"),
    "explanation": _("Giải trình (khi chưa có tài liệu kiểm chứng)"),
    "explain_hint": _(
        "Có điểm nhưng chưa có tài liệu kiểm chứng: ghi giải trình hoặc tải tài liệu lên trước khi nộp."
    ),
    "save": _("Lưu"),
    "saved": _("Đã lưu"),
    "updated": _("Cập nhật"),
    "option": _("Lựa chọn"),
    "fraction": _("Tử số / mẫu số"),
    "yes_no": _("Có / Không"),
    "explanation_short": _("Giải trình"),
    "issued": _("ngày"),
    "detach_title": _("Gỡ tài liệu khỏi tiêu chí này"),
    "detach": _("Gỡ"),
    "no_evidence": _("Chưa có tài liệu."),
    "add_evidence": _("Thêm tài liệu kiểm chứng"),
    "attach_label": _("Gắn tài liệu đã tải lên"),
    "attach_placeholder": _("— Gắn tài liệu đã tải lên của đơn vị —"),
    "attach": _("Gắn"),
    "attach_nojs": _(
        "Không có JavaScript: tải lên lại đúng tệp đó để gắn — hệ thống nhận ra tệp trùng và chỉ lưu một bản."
    ),
    "history": _("Lịch sử"),
    "you_entered": _("Giá trị bạn vừa nhập"),
    "kept": _("chưa được lưu, ô nhập hiện giá trị đang lưu."),
    "node_total": _("Điểm tự chấm / điểm thẩm định tối đa · số tiêu chí đã chấm"),
}
_ID = 4_611_686_018_427_387_903  # an id no row will have: stands for the ids in URL patterns


def labels() -> dict[str, str]:
    """``CARD_LABELS`` in the current language, escaped once (safe strings the template need not escape)."""
    return {key: conditional_escape(text) for key, text in CARD_LABELS.items()}


# Numbers and URLs reversed from integer ids hold nothing to escape: handing them to the template as safe
# strings spares an escape per use (dozens per card).


def _points(value) -> str:
    """Points as Vietnamese write them ("0,5"); "" for None."""
    return "" if value is None else SafeString(scales.format_decimal(value))


def _plain(value) -> str:
    """A Decimal without trailing zeros in the dot form ("0.5", "2"), for radio values; "" for None."""
    return "" if value is None else SafeString(format(scales.plain(Decimal(value)), "f"))


def _input(value) -> str:
    """A stored number as a text input shows it and ``scales.parse_decimal`` reads it back ("0,75"); "" for
    None. Never ``_points``'s display form reused with a placeholder: the input must round-trip."""
    return "" if value is None else SafeString(scales.format_decimal(value))


class LeafUrls:
    """URLs of one assessment's leaf and document actions, reversed once per request and filled per leaf:
    ``urls("score_save", criterion_id)`` → "/assessments/5/leaf/72/"."""

    #: route name → number of ids after the assessment's
    NAMES = {
        "score_save": 1,
        "leaf_history": 1,
        "evidence_upload": 1,
        "evidence_attach": 1,
        "evidence_detach": 2,
        "evidence_download": 1,
    }

    def __init__(self, assessment_pk: int):
        self.patterns = {
            name: reverse(f"assessments:{name}", args=[assessment_pk, *[_ID] * ids]).replace(str(_ID), "{}")
            for name, ids in self.NAMES.items()
        }

    def __call__(self, name: str, *ids: int) -> str:
        return SafeString(self.patterns[name].format(*ids))


def _evidence_item(ev: Evidence, criterion_pk: int, urls: LeafUrls) -> dict:
    # "125/KH-SCT · ngày 15/01/2026 · Sở Công Thương · Mục II, trang 3 · "
    issued = f"{CARD_LABELS['issued']} {ev.issued_on:%d/%m/%Y}" if ev.issued_on else ""
    meta = [ev.doc_number, issued, ev.issuer, ev.cited_section]
    meta = " · ".join(m for m in meta if m)
    return {
        "meta": f"{meta} · " if meta else "",
        "name": ev.original_name,
        "inline": ev.opens_inline,
        "download": urls("evidence_download", ev.pk),
        "detach": urls("evidence_detach", criterion_pk, ev.pk),
    }


def leaf_card(
    row: scoring_reads.Row,
    urls: LeafUrls,
    *,
    posted=None,
    errors=(),
    evidence_errors=(),
    saved=False,
    notice="",
    stale="",
    posted_summary="",
    show_survey=False,
) -> dict:
    """What one leaf card shows, as a dict for ``_leaf.html``.

    Keys: the node (``pk``, ``code``, ``title``, ``guidance``, ``evidence_hint``, ``kind``, ``depth``,
    ``is_survey``, ``max_label``/``max_str`` points), the self score (``value_label``; inputs ``option``,
    ``value``, ``numerator``, ``denominator`` in the decimal-comma form ``parse_decimal`` reads back, so a save
    that changes only the note keeps the score; ``note``, ``explanation`` — as posted when ``posted`` is the
    refused request's data, whose score controls show the stored value again; ``version``), per kind ``options`` [{label,
    points_label, checked}], ``yes_checked``/``no_checked``, ``step_str``, ``bands`` ("min:points;…"),
    ``percent``; ``needs_explanation``; ``evidence`` [{meta, name, inline, download, detach}]; the
    ``*_url`` of its forms; and the outcome of the last write: ``errors`` (next to the score inputs),
    ``evidence_errors``, ``saved``, ``notice``, ``stale``/``posted_summary`` (409)."""
    node, score = row.node, row.score
    card = {
        "is_leaf": True,
        "pk": SafeString(node.pk),
        "code": node.code,
        "title": node.title,
        "guidance": node.guidance,
        "evidence_hint": node.evidence_hint,
        "kind": node.kind,
        "depth": SafeString(row.depth),
        "is_survey": row.is_survey,
        "max_label": _points(node.max_points),
        "max_str": _plain(node.max_points),
        "needs_explanation": row.needs_explanation,
        "version": SafeString(score.version if score else 0),
        "value_label": "",
        "option": "",
        "value": "",
        "numerator": "",
        "denominator": "",
        "note": "",
        "explanation": "",
        "percent": "",
        "updated": "",
        "not_applicable": False,
        "extra": node.kind in EXTRA_KINDS,
        "evidence": [_evidence_item(ev, node.pk, urls) for ev in row.evidence],
        "evidence_count": SafeString(len(row.evidence)),
        "linked": SafeString(" ".join(str(ev.pk) for ev in row.evidence)),
        "save_url": urls("score_save", node.pk),
        "history_url": urls("leaf_history", node.pk),
        "upload_url": urls("evidence_upload", node.pk),
        "attach_url": urls("evidence_attach", node.pk),
        "errors": list(errors),
        "evidence_errors": list(evidence_errors),
        "saved": saved,
        "notice": notice,
        "stale": stale,
        "posted_summary": posted_summary,
    }
    if score is not None:
        card.update(
            value_label=_points(score.self_value),
            option=score.self_option,
            value=_input(score.self_value),
            numerator=_input(score.numerator),
            denominator=_input(score.denominator),
            note=score.note,
            explanation=score.explanation,
            numerator_label=_points(score.numerator),
            denominator_label=_points(score.denominator),
            not_applicable=score.self_not_applicable,
        )
        if score.numerator is not None and score.denominator:
            card["percent"] = scales.format_decimal(round(score.numerator * 100 / score.denominator, 1))
        if score.updated_at:
            who = (score.updated_by.get_full_name() or score.updated_by.username) if score.updated_by else ""
            card["updated"] = timezone.localtime(score.updated_at).strftime("%H:%M %d/%m/%Y") + (
                f" · {who}" if who else ""
            )
    if show_survey and row.is_survey and score is not None:  # survey results: after publication (issue 5)
        card["survey_label"] = _points(score.survey_value) or "—"
    if posted is not None:
        # A refused write: the score controls show the stored value again (what was typed is quoted next to
        # the message, ``posted_summary``); the texts typed are kept, they were not what was refused.
        card.update({key: posted.get(key, "") for key in ("note", "explanation")})
    if node.kind == Kind.OPTIONS:
        card["options"] = [
            {
                "label": o["label"],
                "points_label": _points(o["points"]),
                "checked": o["label"] == card["option"],
            }
            for o in node.scale
        ]
    elif node.kind == Kind.RATIO:
        card["bands"] = ";".join(f"{b['min']}:{b['points']}" for b in node.scale)
        card["scale_text"] = node.scale_text
    elif node.kind == Kind.YES_NO:
        value = score.self_value if score is not None else None
        card["yes_checked"] = value is not None and value == node.max_points
        card["no_checked"] = value is not None and value == 0
    else:
        step = node.step or scoring_writes.DEFAULT_STEP
        card["step_str"], card["step_label"] = _plain(step), _points(step)
    return card


def parent_item(row: scoring_reads.Row) -> dict:
    """A field or criterion row above the leaves: its self total / appraisal max (points) and progress."""
    return {
        "is_leaf": False,
        "pk": str(row.node.pk),
        "code": row.node.code,
        "title": row.node.title,
        "depth": str(row.depth),
        "leaves": str(row.leaves) if row.leaves else "",
        "self_total": _points(row.self_total),
        "appraisal_max": _points(row.appraisal_max),
        "scored": str(row.scored),
        "max_label": _points(row.node.max_points),
    }


# ---------------------------------------------------------------- page context


def _filtered(rows: list[scoring_reads.Row], which: str) -> list[scoring_reads.Row]:
    """Rows shown for ``?filter=``: the leaves that block submission (``selectors.scoring.submission_problems``) as
    ``unscored`` (``Row.is_unscored``) or for want of evidence or an explanation (``noevidence``:
    ``Row.needs_explanation``), with their ancestors; every row without a filter."""
    if which not in FILTERS:
        return rows
    keep: set[str] = set()
    for row in rows:
        if (which == "unscored" and row.is_unscored) or (which == "noevidence" and row.needs_explanation):
            code = row.node.code
            while code:
                keep.add(code)
                code = code.rpartition(".")[0]
    return [r for r in rows if r.node.code in keep]


def _counts(sheet: scoring_reads.ScoringSheet) -> dict:
    """Numbers of the header's filter links (the leaves each filter shows; ``noevidence`` = the leaves still
    needing an explanation)."""
    unscored = sum(row.is_unscored for row in sheet.rows)
    explain = sum(row.needs_explanation for row in sheet.rows)
    return {"unscored": unscored, "noevidence": explain, "explain": explain}


def _current_filter(request) -> str:
    """The page's ``?filter=``; for an HTMX write, the filter of the page it was sent from."""
    query = request.GET
    if request.htmx and request.htmx.current_url:
        query = {k: v[0] for k, v in parse_qs(urlsplit(request.htmx.current_url).query).items()}
    which = query.get("filter", "")
    return which if which in FILTERS else ""


#: States in which the unit's explanation page has something to show (questions sent, answered, final).
EXPLANATION_VISIBLE = (
    AssessmentState.EXPLANATION,
    AssessmentState.APPRAISAL_2,
    AssessmentState.APPRAISED,
    AssessmentState.PUBLISHED,
)


def _context(request, assessment: Assessment, sheet: scoring_reads.ScoringSheet) -> dict:
    """What the header and every card need: totals, lock reason, the user's rights on this unit's
    assessment (display only: the services enforce them), labels and the CSRF input rendered once."""
    lock_reason = scoring_writes.self_assessment_lock_reason(assessment)
    is_member = is_unit_member(request.user, assessment)
    is_head = is_member and is_unit_member(request.user, assessment, Role.HEAD)
    deadline = assessment.round.self_assessment_deadline
    state = assessment.state
    return {
        # the page's actions, decided here once (the services enforce them)
        "can_submit": is_head and state == AssessmentState.DRAFT,
        "can_withdraw": is_head and state == AssessmentState.SUBMITTED,
        "can_open_explanation": state in EXPLANATION_VISIBLE,
        "explanation_due": state == AssessmentState.EXPLANATION,
        "can_get_appraised_sheet": state == AssessmentState.PUBLISHED,
        "assessment": assessment,
        "sheet": sheet,
        "counts": _counts(sheet),
        "filter": _current_filter(request),
        "lock_reason": lock_reason,
        "editable": lock_reason is None and is_member,
        "is_member": is_member,
        "is_head": is_head,
        "deadline": deadline,
        "days_left": rounds_reads.days_left(deadline),
        "L": labels(),
        "csrf_input": format_html(
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
        ),
        # the same in every card: rendered once
        "upload_fields": render_to_string(TEMPLATES + "_upload_fields.html", request=request),
        "document_options": _document_options(sheet.documents),
        "show_survey": survey_results_visible(request.user, assessment),
    }


def _document_options(documents: list[Evidence]) -> str:
    """``<option>``s of the assessment's documents ("125/KH-SCT (15/01/2026) — ke-hoach.pdf"), from which
    scoring.js fills each leaf's "attach" select; built here once (hundreds of documents)."""

    def label(d: Evidence) -> str:
        if not d.doc_number:
            return d.original_name
        issued = f" ({d.issued_on:%d/%m/%Y})" if d.issued_on else ""
        return f"{d.doc_number}{issued} — {d.original_name}"

    return format_html_join("", '<option value="{}">{}</option>', ((d.pk, label(d)) for d in documents))


def _render_page(
    request,
    assessment: Assessment,
    *,
    status=200,
    focus: int | None = None,
    page_error: str = "",
    **card_state,
):
    """The whole scoring page. ``focus``: the criterion id whose card carries ``card_state`` (a refused plain
    POST re-renders the page with the message next to that leaf's inputs)."""
    sheet = scoring_reads.scoring_sheet(assessment)
    context = _context(request, assessment, sheet)
    urls = LeafUrls(assessment.pk)
    items, focus_card = [], None
    for row in _filtered(sheet.rows, context["filter"]):
        if not row.is_leaf:
            items.append(parent_item(row))
        elif row.node.pk == focus:
            focus_card = leaf_card(row, urls, show_survey=context["show_survey"], **card_state)
            items.append(focus_card)
        else:
            items.append(leaf_card(row, urls, show_survey=context["show_survey"]))
    if focus_card is not None:  # the refused write's message, also at the top of the page
        problems = [focus_card["stale"], *focus_card["errors"], *focus_card["evidence_errors"]]
        context["focus_error"] = next((p for p in problems if p), "")
    context.update(items=items, focus=focus_card, page_error=page_error)
    return render(request, TEMPLATES + "page.html", context, status=status)


def _leaf_reply(
    request,
    assessment: Assessment,
    criterion: Criterion,
    *,
    status=200,
    done: str = "",
    documents=False,
    **card_state,
):
    """The answer to a write on one leaf.

    HTMX: the leaf's card (swapped in place) plus out-of-band swaps of the totals header, the totals of
    the leaf's ancestors and, after an evidence change, the list of the assessment's documents. Plain
    POST: a redirect to ``scoring#leaf-<code>`` with ``done`` as a message, or the page with the error."""
    if not request.htmx:
        if status == 200:
            messages.success(request, done)
            return leaf_redirect("scoring", assessment.pk, criterion.code)
        return _render_page(request, assessment, status=status, focus=criterion.pk, **card_state)
    sheet = scoring_reads.scoring_sheet(assessment)
    by_code = {r.node.code: r for r in sheet.rows}
    row = by_code.get(criterion.code)
    if row is None or row.node.pk != criterion.pk or not row.is_leaf:
        raise Http404("Tiêu chí không thuộc bộ chỉ số của bản tự đánh giá này.")
    ancestors, code = [], row.node.code.rpartition(".")[0]
    while code:
        ancestors.append(parent_item(by_code[code]))
        code = code.rpartition(".")[0]
    context = _context(request, assessment, sheet)
    context.update(
        c=leaf_card(row, LeafUrls(assessment.pk), show_survey=context["show_survey"], **card_state),
        ancestors=ancestors,
        documents_oob=documents,
    )
    return render(request, TEMPLATES + "leaf_reply.html", context, status=status)


# ---------------------------------------------------------------- the page


@login_required
@require_GET
def scoring(request, pk):
    """The scoring page of one assessment; ``?filter=unscored`` / ``?filter=noevidence`` narrow the tree."""
    return _render_page(request, assessment_or_404(request, pk))


@login_required
@require_POST
def score_save(request, pk, criterion_id):
    """Save one leaf's self score, note and explanation (``services.scoring.score_save_self``)."""
    assessment = assessment_or_404(request, pk)
    criterion = _get_criterion(criterion_id)
    scoring_writes.self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
    form = ScoreForm(request.POST)
    if not form.is_valid():
        errors = [m for messages_ in form.errors.values() for m in messages_]
        return _leaf_reply(
            request,
            assessment,
            criterion,
            status=400,
            errors=errors,
            posted=request.POST,
            posted_summary=_posted_summary(criterion, request.POST),
        )
    try:
        score = scoring_writes.score_save_self(
            assessment=assessment,
            criterion=criterion,
            by=request.user,
            **self_score_inputs(form.cleaned_data),
        )
    except Score.DoesNotExist as exc:
        raise Http404("Tiêu chí không thuộc bộ chỉ số của bản tự đánh giá này.") from exc
    except StaleEdit as exc:
        # The inputs show the current value and version; what the user typed is quoted so they can re-apply.
        return _leaf_reply(
            request,
            assessment,
            criterion,
            status=409,
            stale=exc.messages[0],
            posted_summary=_posted_summary(criterion, request.POST),
        )
    except ValidationError as exc:
        return _leaf_reply(
            request,
            assessment,
            criterion,
            status=400,
            errors=exc.messages,
            posted=request.POST,
            posted_summary=_posted_summary(criterion, request.POST),
        )
    return _leaf_reply(
        request,
        assessment,
        score.criterion,
        saved=True,
        done=f"Đã lưu điểm tự chấm tiêu chí {score.criterion.code}.",
    )


def _posted_summary(criterion: Criterion, post) -> str:
    """What the user typed, quoted in the 409 notice ("0.25", "19 / 20", an option's label)."""
    if criterion.kind == Kind.OPTIONS:
        return post.get("option", "") or "(bỏ chọn)"
    if criterion.kind == Kind.RATIO:
        return f"{post.get('numerator', '')} / {post.get('denominator', '')}"
    return post.get("value", "") or "(để trống)"


@login_required
@require_GET
def leaf_history(request, pk, criterion_id):
    """Who changed a leaf's score, note, explanation and evidence, when, old → new, and why."""
    assessment = assessment_or_404(request, pk)
    try:
        score = Score.objects.select_related("criterion").get(
            assessment=assessment, criterion=_get_criterion(criterion_id)
        )
    except Score.DoesNotExist as exc:
        raise Http404("Tiêu chí không thuộc bộ chỉ số của bản tự đánh giá này.") from exc
    context = {"assessment": assessment, "score": score, "entries": scoring_reads.leaf_history(score)}
    template = "_history.html" if request.htmx else "history.html"
    return render(request, TEMPLATES + template, context)


# ---------------------------------------------------------------- evidence


@login_required
@require_POST
def evidence_upload(request, pk, criterion_id):
    """Upload a document with its metadata and attach it to the leaf (``services.evidence.evidence_upload``)."""
    assessment = assessment_or_404(request, pk)
    criterion = _get_criterion(criterion_id)
    scoring_writes.self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
    form = EvidenceUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [m for messages_ in form.errors.values() for m in messages_]
        return _leaf_reply(request, assessment, criterion, status=400, evidence_errors=errors)
    try:
        evidence = evidence_writes.evidence_upload(
            assessment=assessment, criterion=criterion, by=request.user, **form.upload()
        )
    except Score.DoesNotExist as exc:
        raise Http404("Tiêu chí không thuộc bộ chỉ số của bản tự đánh giá này.") from exc
    except ValidationError as exc:
        return _leaf_reply(request, assessment, criterion, status=400, evidence_errors=exc.messages)
    done = f"Đã tải lên “{evidence.original_name}” cho tiêu chí {criterion.code}."
    return _leaf_reply(request, assessment, criterion, done=done, notice=done, documents=True)


@login_required
@require_POST
def evidence_attach(request, pk, criterion_id):
    """Attach a document already uploaded in this assessment to another leaf (``services.evidence.evidence_attach``)."""
    assessment = assessment_or_404(request, pk)
    criterion = _get_criterion(criterion_id)
    scoring_writes.self_edit_check(assessment=assessment, by=request.user)  # 403 before 400
    form = EvidenceAttachForm(request.POST)
    if not form.is_valid():
        errors = [m for messages_ in form.errors.values() for m in messages_]
        return _leaf_reply(request, assessment, criterion, status=400, evidence_errors=errors)
    evidence = _get_evidence(assessment, form.cleaned_data["evidence"])
    try:
        evidence_writes.evidence_attach(evidence=evidence, criterion=criterion, by=request.user)
    except Score.DoesNotExist as exc:
        raise Http404("Tiêu chí không thuộc bộ chỉ số của bản tự đánh giá này.") from exc
    except ValidationError as exc:
        return _leaf_reply(request, assessment, criterion, status=400, evidence_errors=exc.messages)
    done = f"Đã gắn “{evidence}” vào tiêu chí {criterion.code}."
    return _leaf_reply(request, assessment, criterion, done=done, notice=done, documents=True)


@login_required
@require_POST
def evidence_detach(request, pk, criterion_id, evidence_id):
    """Remove a document from a leaf; a document no leaf uses any more is deleted
    (``services.evidence.evidence_detach``)."""
    assessment = assessment_or_404(request, pk)
    criterion = _get_criterion(criterion_id)
    evidence = _get_evidence(assessment, evidence_id)
    try:
        deleted = evidence_writes.evidence_detach(evidence=evidence, criterion=criterion, by=request.user)
    except (Score.DoesNotExist, EvidenceLink.DoesNotExist) as exc:
        raise Http404("Tài liệu không gắn với tiêu chí này.") from exc
    except ValidationError as exc:
        return _leaf_reply(request, assessment, criterion, status=400, evidence_errors=exc.messages)
    done = f"Đã gỡ “{evidence}” khỏi tiêu chí {criterion.code}" + (
        " (tài liệu không còn gắn với tiêu chí nào nên đã được xóa)." if deleted else "."
    )
    return _leaf_reply(request, assessment, criterion, done=done, notice=done, documents=True)


@login_required
@require_GET
def evidence_download(request, pk, evidence_id):
    """The private file of a document, to users who can see the assessment: PDF and images open in the
    browser, other types download; served as the type detected from its bytes, never as what its name claims —
    under its original name with that type's extension (``Evidence.download_name``), ``nosniff``, and a
    ``Content-Security-Policy: sandbox`` so that a document opened in the browser runs no script and reaches
    neither the portal's cookies nor its pages."""
    evidence = _get_evidence(assessment_or_404(request, pk), evidence_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Tệp của tài liệu không còn trong kho lưu trữ; hãy tải lên lại.") from exc
    response = FileResponse(
        handle,
        as_attachment=not evidence.opens_inline,
        filename=evidence.download_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# ---------------------------------------------------------------- submission


def _already_submitted(assessment: Assessment) -> str:
    """The "already done" message when ``assessment`` (read again) is no longer a draft, else ""."""
    current = Assessment.objects.filter(pk=assessment.pk).values("state", "submitted_at").first()
    if not current or current["state"] == AssessmentState.DRAFT:
        return ""
    when = (
        f" lúc {timezone.localtime(current['submitted_at']):%H:%M %d/%m/%Y}"
        if current["submitted_at"]
        else ""
    )
    return f"Bản tự đánh giá đã được nộp trước đó{when}; lần nộp này không thay đổi gì."


@login_required
@require_http_methods(["GET", "POST"])
def submit(request, pk):
    """GET: what still blocks submission, each item linking to its leaf. POST: the head submits
    (``services.submission.assessment_submit``); an incomplete assessment gets the list again (400)."""
    assessment = assessment_or_404(request, pk)
    status, error, problems = 200, "", None
    if request.method == "POST":
        try:
            submission_writes.assessment_submit(assessment=assessment, by=request.user)
        except Incomplete as exc:
            status, error, problems = 400, exc.messages[0], exc.items
        except ValidationError as exc:
            done = _already_submitted(assessment)
            if done:  # a double click or a stale tab: nothing changed, say so on the assessment's page
                messages.warning(request, done)
                return redirect("assessments:scoring", pk=assessment.pk)
            status, error = 400, " ".join(exc.messages)
        else:
            messages.success(
                request, "Đã nộp bản tự đánh giá. Thủ trưởng có thể rút lại trước khi thẩm định."
            )
            return redirect("assessments:scoring", pk=assessment.pk)
    if problems is None:
        problems = scoring_reads.submission_problems(assessment)
    lock_reason = scoring_writes.self_assessment_lock_reason(assessment)
    items = [
        (score, message, "unscored" if score.self_value is None else "noevidence")
        for score, message in problems
    ]
    is_head = is_unit_member(request.user, assessment, Role.HEAD)
    is_draft = assessment.state == AssessmentState.DRAFT
    return render(
        request,
        TEMPLATES + "submit.html",
        {
            "assessment": assessment,
            "items": items,
            "error": error,
            "lock_reason": lock_reason,
            "is_head": is_head,
            "is_draft": is_draft,
            "can_submit": is_head and is_draft and not lock_reason,
            "head_only": is_draft and not is_head,
        },
        status=status,
    )


@login_required
@require_POST
def withdraw(request, pk):
    """The head takes a submitted assessment back to draft (``services.submission.assessment_withdraw``)."""
    assessment = assessment_or_404(request, pk)
    try:
        submission_writes.assessment_withdraw(assessment=assessment, by=request.user)
    except ValidationError as exc:
        last = (
            assessment.history.order_by("-history_date", "-history_id")
            .values_list("state", "history_change_reason")
            .first()
        )
        if last == (AssessmentState.DRAFT, "Rút lại bản tự đánh giá"):  # withdrawn just before (double click)
            messages.warning(
                request,
                "Bản tự đánh giá đã được rút lại trước đó (đang tự đánh giá); lần rút này không thay đổi gì.",
            )
            return redirect("assessments:scoring", pk=assessment.pk)
        return _render_page(request, assessment, status=400, page_error=" ".join(exc.messages))
    messages.success(request, "Đã rút bản tự đánh giá về trạng thái đang tự đánh giá; có thể sửa và nộp lại.")
    return redirect("assessments:scoring", pk=assessment.pk)


urlpatterns = [
    path("assessments/<int:pk>/", scoring, name="scoring"),
    path("assessments/<int:pk>/leaf/<int:criterion_id>/", score_save, name="score_save"),
    path("assessments/<int:pk>/leaf/<int:criterion_id>/history/", leaf_history, name="leaf_history"),
    path("assessments/<int:pk>/leaf/<int:criterion_id>/evidence/", evidence_upload, name="evidence_upload"),
    path(
        "assessments/<int:pk>/leaf/<int:criterion_id>/evidence/attach/",
        evidence_attach,
        name="evidence_attach",
    ),
    path(
        "assessments/<int:pk>/leaf/<int:criterion_id>/evidence/<int:evidence_id>/detach/",
        evidence_detach,
        name="evidence_detach",
    ),
    path("assessments/<int:pk>/evidence/<int:evidence_id>/", evidence_download, name="evidence_download"),
    path("assessments/<int:pk>/submit/", submit, name="submit"),
    path("assessments/<int:pk>/withdraw/", withdraw, name="withdraw"),
]
