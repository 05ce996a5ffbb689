"""Survey score pages for the coordinator and admins (issue 5): import of aggregated results (upload →
preview → confirm), the per-round template, the grid of a unit group (units × survey leaves), the save
of one cell (HTMX swap of the cell, or a redirect back without JavaScript) and of a row or page of cells
at once (``grid_save``); for raw questionnaire
responses (issue 5 item 4): their import (upload → preview → confirm), their template, and the round's
sample-size page with the population N of each unit saved in place.

Everyone else gets 403 (units and leaders included); unknown ids 404. Services decide; their errors map
to: ``ValidationError``/``InvalidTransition`` → message next to the cell (400), ``StaleEdit`` → 409 with
the current value.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.models import Assessment, AssessmentRound, RoundSet, RoundState, Score
from assessments.selectors.rounds import round_group_set
from criteria.scales import format_decimal, plain
from parindex import params, uploads, xlsx
from parindex.exceptions import StaleEdit
from units.permissions import require_perm

from . import responses, selectors, services, workbook
from .forms import CellForm, ConfirmForm, PopulationForm, ResponsesUploadForm, ResultsUploadForm


def _round(request, round_pk) -> AssessmentRound:
    """The round, for the coordinator and admins only: 403 for anyone else, then 404 for an unknown id."""
    require_perm(
        request.user,
        "surveys.manage_results",
        message="Chỉ Sở Nội vụ (điều phối) và quản trị viên được xem và nhập điểm điều tra XHH.",
    )
    return get_object_or_404(AssessmentRound, pk=round_pk)


def _preview(request, rnd: AssessmentRound, context: dict, *, form_class, template: str, kind: str, check):
    """The first half of an import (aggregated results or raw responses): GET → the upload form; POST with a
    file → ``check(data, filename)`` (the service's dry run) and every problem shown (400), or its preview with a
    confirm button, the file kept under a session token (``uploads.keep``, ``kind``) until confirmed."""
    form = form_class(request.POST or None, request.FILES or None)
    context["form"] = form
    if request.method != "POST" or not form.is_valid():
        return render(request, template, context, status=400 if request.method == "POST" else 200)
    upload = form.cleaned_data["file"]
    data = uploads.read_head(upload, workbook.MAX_BYTES)
    try:
        result = check(data, upload.name)
    except ValidationError as exc:  # InvalidTransition: published round
        context["error"] = " ".join(exc.messages)
        return render(request, template, context, status=400)
    context.update(result=result, filename=upload.name)
    if not result.ok:
        return render(request, template, context, status=400)
    token = uploads.keep(request, kind, data, round=rnd.pk, filename=upload.name)
    context["confirm_form"] = ConfirmForm(initial={"token": token})
    return render(request, template, context)


def _import_kept(request, rnd: AssessmentRound, *, kind: str, back: str, run):
    """The second half: import the file kept by ``_preview`` (``run(data, filename)``, the service for real).
    Returns ``(result, None)``, or ``(None, a redirect to the upload page ``back`` with the message)`` when the
    token is unknown or expired, of another round, or the file is refused now (round published meanwhile)."""
    form = ConfirmForm(request.POST)
    kept = uploads.take(request, kind, form.cleaned_data["token"]) if form.is_valid() else None
    if kept is None or kept[0]["round"] != rnd.pk:
        messages.error(request, "Phiên xem trước đã hết hạn hoặc không tồn tại; hãy tải tệp lên lại.")
        return None, redirect(back, rnd.pk)
    try:
        result = run(kept[1], kept[0]["filename"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None, redirect(back, rnd.pk)
    if not result.ok:
        messages.error(request, "Tệp không còn hợp lệ: " + "; ".join(str(p) for p in result.problems[:5]))
        return None, redirect(back, rnd.pk)
    return result, None


def _import_page(
    request,
    rnd: AssessmentRound,
    *,
    service,
    done,
    next_url: str,
    back: str,
    kind: str,
    form_class,
    template: str,
    extra: dict | None = None,
):
    """An import page from upload to confirmation. POST with ``token``: import the kept file (``_import_kept``),
    say ``done(result.summary)`` and go to ``next_url`` (a URL name taking the round's pk); anything else:
    ``_preview`` with ``form_class`` and ``template`` (context: the round, whether it is published, ``extra``).
    ``service(data, filename, dry_run)`` is the import service; ``back`` the page's own URL name, ``kind`` the
    kept file's kind (``uploads.keep``)."""
    if request.method == "POST" and "token" in request.POST:
        result, refused = _import_kept(
            request, rnd, kind=kind, back=back, run=lambda data, name: service(data, name, False)
        )
        if result is None:
            return refused
        messages.success(request, done(result.summary))
        return redirect(next_url, rnd.pk)
    context = {"round": rnd, "published": rnd.state == RoundState.PUBLISHED, **(extra or {})}
    return _preview(
        request,
        rnd,
        context,
        form_class=form_class,
        template=template,
        kind=kind,
        check=lambda data, name: service(data, name, True),
    )


@login_required
@require_http_methods(["GET", "POST"])
def results_import(request, round_pk):
    """GET: the upload form. POST with a file: check it (``dry_run``) and show every problem, or a summary
    with a confirm button (the file kept in storage under a session token). POST with ``token``: import
    the kept file (``services.survey_results_import``) and go back to the round."""
    rnd = _round(request, round_pk)
    return _import_page(
        request,
        rnd,
        service=lambda data, name, dry_run: services.survey_results_import(
            round=rnd, data=data, by=request.user, dry_run=dry_run
        ),
        done=lambda s: (
            f"Đã nhập {s['rows']} kết quả điều tra XHH của {s['units']} đơn vị ({s['changed']} điểm thay đổi)."
        ),
        next_url="assessments:round_detail",
        back="surveys:import",
        kind="survey-results",
        form_class=ResultsUploadForm,
        template="surveys/import.html",
    )


@login_required
@require_GET
def results_template(request, round_pk):
    """The round's results workbook: every unit × survey leaf of its set, current points filled in."""
    rnd = _round(request, round_pk)
    data = workbook.write_template(selectors.survey_template_rows(rnd))
    return xlsx.download(data, f"ket-qua-dieu-tra-xhh-{rnd.year}.xlsx")


@login_required
@require_GET
def grid(request, round_pk, group_code):
    """Units of a group × its set's survey leaves: an input per cell, a total per unit."""
    rnd = _round(request, round_pk)
    try:
        data = selectors.survey_grid(round=rnd, group_code=group_code)
    except RoundSet.DoesNotExist as exc:
        raise Http404("Nhóm đơn vị không có bộ chỉ số trong đợt này.") from exc
    return render(
        request,
        "surveys/grid.html",
        {"round": rnd, "grid": data, "editable": rnd.state != RoundState.PUBLISHED},
    )


def _quoted(message: str, typed: str) -> str:
    """``message`` with what the user typed quoted: the input goes back to the stored value."""
    typed = typed.strip()
    return message + (f" Giá trị bạn vừa nhập “{typed}” chưa được lưu." if typed else "")


def _input_value(value) -> str:
    """A stored value as the input shows it and ``scales.parse_decimal`` reads it back ("1,5"); "" for None."""
    return "" if value is None else format_decimal(plain(value))


def _refused(exc: ValidationError, typed: str) -> str:
    """The service's message, with what the user typed quoted: the input goes back to the stored value."""
    return _quoted(" ".join(exc.messages), typed)


@login_required
@require_POST
def cell_save(request, round_pk, score_pk):
    """Save one cell (``services.survey_score_set``). HTMX: the cell again with its message (200, 400 or
    409) and the unit's total swapped out of band. Without JavaScript: a message and back to the grid."""
    rnd = _round(request, round_pk)
    score = get_object_or_404(
        Score.objects.select_related("assessment__unit__group", "criterion"),
        pk=score_pk,
        assessment__round=rnd,
    )
    # the grid's page form posts every cell as value-<id>/version-<id>; a lone cell form as value/version
    names = (
        (f"value-{score.pk}", f"version-{score.pk}")
        if f"value-{score.pk}" in request.POST
        else ("value", "version")
    )
    typed = request.POST.get(names[0], "")
    form = CellForm({"value": typed, "version": request.POST.get(names[1])})
    status, message, ok = 200, "", False
    if not form.is_valid():
        status, message = 400, "Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."
    else:
        try:
            score = services.survey_score_set(
                assessment=score.assessment,
                criterion=score.criterion,
                value=form.cleaned_data["value"],
                by=request.user,
                expected_version=form.cleaned_data["version"],
            )
            ok, message = True, "Đã lưu"
        except StaleEdit as exc:
            status, message, score = 409, exc.messages[0], exc.current
        except ValidationError as exc:
            status, message = 400, _refused(exc, typed)
    if not request.htmx:
        code = score.assessment.unit.group.code
        (messages.success if ok else messages.error)(
            request, f"{score.assessment.unit.name} · tiêu chí {score.criterion.code}: {message}"
        )
        return redirect("surveys:grid", rnd.pk, code)
    score = Score.objects.select_related("criterion").get(pk=score.pk)
    # A refused value is quoted in the message; the input shows the stored value again.
    context = {
        "round": rnd,
        "cell": score,
        "value": _input_value(score.survey_value),
        "message": message,
        "ok": ok,
        "editable": rnd.state != RoundState.PUBLISHED,
        "total": selectors.survey_total(score.assessment_id),
        "assessment_id": score.assessment_id,
        "oob": True,
    }
    return render(request, "surveys/_cell.html", context, status=status)


def _batch_row(request, rnd: AssessmentRound, round_set: RoundSet) -> int | None:
    """The assessment id of a "Lưu dòng" (``row``), None for the page; 404 for a row outside the grid."""
    row = params.int_param(request.POST, "row")
    if (
        row is not None
        and not Assessment.objects.filter(pk=row, round=rnd, unit__group=round_set.group).exists()
    ):
        raise Http404("Đơn vị không thuộc lưới điểm điều tra XHH này.")
    return row


def _batch_values(request, rnd: AssessmentRound, round_set: RoundSet, row: int | None) -> dict:
    """The cells a row (``row``) or page save posted: ``{(assessment id, criterion id): (typed, version)}``
    from ``value-<score id>`` and ``version-<score id>``. 404 for a score outside the grid; a
    ``ValidationError`` for a missing or bad version."""
    posted = {
        int(name[6:]): text
        for name, text in request.POST.items()
        if name.startswith("value-") and params.is_ascii_number(name[6:])
    }
    cells = list(
        Score.objects.filter(
            pk__in=posted, assessment__round=rnd, assessment__unit__group=round_set.group
        ).values_list("pk", "assessment_id", "criterion_id")
    )
    if len(cells) != len(posted):
        raise Http404("Có ô không thuộc lưới điểm điều tra XHH này.")
    values = {}
    for pk, assessment_id, criterion_id in cells:
        if row is not None and assessment_id != row:
            continue
        version = request.POST.get(f"version-{pk}", "")
        if not params.is_ascii_number(version):
            raise ValidationError("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang.")
        values[(assessment_id, criterion_id)] = (posted[pk], int(version))
    return values


@login_required
@require_POST
def grid_save(request, round_pk, group_code):
    """Save a row ("Lưu dòng", ``row`` = the unit's assessment id) or the whole page ("Lưu cả trang") of
    the grid at once (``services.survey_values_set``): every posted cell in scope goes through the single
    save's rule; valid changed cells are saved even when others are refused, unchanged ones are left alone.
    HTMX: the row again (or every row, the page's summary swapped out of band), saved cells marked "Đã
    lưu", each refused cell with its message and the stored value; 400 when any cell was refused. Without
    JavaScript: back to the grid with "Đã lưu x ô" when nothing was refused, otherwise the grid again with
    the messages in place (400)."""
    rnd = _round(request, round_pk)
    try:
        round_set = round_group_set(rnd, group_code=group_code)
    except RoundSet.DoesNotExist as exc:
        raise Http404("Nhóm đơn vị không có bộ chỉ số trong đợt này.") from exc
    row = _batch_row(request, rnd, round_set)
    values, result, error = {}, None, ""
    try:
        values = _batch_values(request, rnd, round_set, row)
        result = services.survey_values_set(round=rnd, group=round_set.group, values=values, by=request.user)
    except ValidationError as exc:  # InvalidTransition (published round), a tampered form
        error = " ".join(exc.messages)
    refused = bool(error) or result.refused > 0
    summary = error or result.summary
    if not request.htmx and not refused:
        messages.success(request, summary)
        return redirect("surveys:grid", rnd.pk, group_code)
    data = selectors.survey_grid(round=rnd, group_code=group_code)
    outcomes = result.cells if result else {}
    for grid_row in data.rows:
        grid_row.message, grid_row.refused = "", refused
        if row == grid_row.assessment.pk:
            grid_row.message = summary
        for cell in grid_row.cells:
            if not cell:
                continue
            outcome = outcomes.get((cell.assessment_id, cell.criterion_id))
            cell.outcome_ok = outcome is not None and outcome.state == services.SAVED
            cell.outcome_message = ""
            if cell.outcome_ok:
                cell.outcome_message = "Đã lưu"
            elif outcome is not None and outcome.state == services.REFUSED:
                typed = values[(cell.assessment_id, cell.criterion_id)][0]
                cell.outcome_message = outcome.message if outcome.stale else _quoted(outcome.message, typed)
    context = {
        "round": rnd,
        "grid": data,
        "editable": rnd.state != RoundState.PUBLISHED,
        "summary": summary,
        "summary_ok": not refused,
    }
    status = 400 if refused else 200
    if not request.htmx:
        return render(request, "surveys/grid.html", context, status=status)
    if row is not None:
        context["row"] = next(r for r in data.rows if r.assessment.pk == row)
        return render(request, "surveys/_row.html", context, status=status)
    return render(request, "surveys/_rows.html", {**context, "oob": True}, status=status)


# --- Raw questionnaire responses (issue 5 item 4) -------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def responses_import(request, round_pk):
    """GET: the upload form and the last import. POST with a file: check it (``dry_run``) and show every
    problem, or the per-unit preview (questionnaires, sample size, computed points) with a confirm button.
    POST with ``token``: import the kept file (``services.survey_responses_import``) and go to the
    round's sample-size page."""
    rnd = _round(request, round_pk)
    return _import_page(
        request,
        rnd,
        service=lambda data, name, dry_run: services.survey_responses_import(
            round=rnd, data=data, filename=name, by=request.user, dry_run=dry_run
        ),
        done=lambda s: (
            f"Đã nhập {s['respondents']} phiếu ({s['answers']} câu trả lời) của {s['units']} "
            f"đơn vị; {s['changed']} điểm điều tra XHH thay đổi."
        ),
        next_url="surveys:responses",
        back="surveys:responses_import",
        kind="survey-responses",
        form_class=ResponsesUploadForm,
        template="surveys/responses_import.html",
        extra={"last_import": selectors.last_response_import(rnd)},
    )


@login_required
@require_GET
def responses_template(request, round_pk):
    """The round's raw-response workbook: "Phiếu" with a row per unit and a question per survey leaf,
    "Ánh xạ" mapping each question to its leaf (weights 1)."""
    rnd = _round(request, round_pk)
    units, leaves = selectors.survey_response_template(rnd)
    return xlsx.download(responses.write_template(units, leaves), f"phieu-dieu-tra-xhh-{rnd.year}.xlsx")


@login_required
@require_GET
def sample(request, round_pk):
    """The round's units: population N (editable until publication), sample size n, questionnaires of the
    last import, enough or not."""
    rnd = _round(request, round_pk)
    return render(
        request,
        "surveys/responses.html",
        {
            "round": rnd,
            "overview": selectors.survey_sample_overview(rnd),
            "editable": rnd.state != RoundState.PUBLISHED,
        },
    )


@login_required
@require_POST
def population_save(request, round_pk, assessment_pk):
    """Save the population N of one unit (``services.survey_population_set``). HTMX: the unit's row again
    with its message (200 or 400). Without JavaScript: a message and back to the sample-size page."""
    rnd = _round(request, round_pk)
    assessment = get_object_or_404(Assessment.objects.select_related("unit"), pk=assessment_pk, round=rnd)
    form = PopulationForm(request.POST)
    status, message, posted, ok = 200, "", None, False
    if not form.is_valid():
        status, message = 400, "Dữ liệu gửi lên không hợp lệ; hãy tải lại trang."
    else:
        try:
            services.survey_population_set(
                assessment=assessment, size=form.cleaned_data["size"], by=request.user
            )
            ok, message = True, "Đã lưu"
        except ValidationError as exc:  # the input shows the stored N again, what was typed is quoted
            status, message = 400, _refused(exc, request.POST.get("size", ""))
    if not request.htmx:
        (messages.success if ok else messages.error)(
            request, f"{assessment.unit.name} · tổng thể N: {message}"
        )
        return redirect("surveys:responses", rnd.pk)
    context = {
        "round": rnd,
        "row": selectors.survey_sample_row(assessment.pk),
        "message": message,
        "ok": ok,
        "posted": posted,
        "editable": rnd.state != RoundState.PUBLISHED,
    }
    return render(request, "surveys/_sample_row.html", context, status=status)
