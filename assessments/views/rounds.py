"""Pages of the assessments app: rounds, for the coordinator (Sở Nội vụ) and admins (issue 3 §1).

List, create, detail (dates, sets, every unit's progress), edit (name and dates with a reason; sets only
in preparation) and open. Thin: parse, call ``services``/``selectors``, render. Errors of the services are
shown next to the form with status 400.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from units.models import UnitGroup
from units.permissions import require_perm

from ..forms.rounds import RoundCreateForm, RoundEditForm
from ..models import DEADLINES, AssessmentRound, AssessmentState, RoundState
from ..rules import MANAGE_ROUNDS_REFUSED
from ..selectors import rounds as rounds_reads
from ..services import rounds as rounds_writes


def _assessed_groups() -> list[UnitGroup]:
    return list(UnitGroup.objects.filter(is_assessed=True))


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on ``form``: per-field messages on the matching field when the
    form has it, everything else as a form-wide message."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def round_dates(rnd: AssessmentRound) -> list[tuple[str, object, int]]:
    """``[(label, date, days left)]`` of the opening day and the five deadlines, in workflow order
    (days left: 0 on the day, negative once passed — ``selectors.rounds.days_left``)."""
    rows = [("Ngày mở", rnd.opens_on)] + [(label, getattr(rnd, f)) for f, label in DEADLINES]
    return [(label, day, rounds_reads.days_left(day)) for label, day in rows]


@login_required
@require_GET
def round_list(request):
    """Rounds by year, newest first: state, dates, number of assessments and of submitted ones."""
    require_perm(request.user, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    return render(
        request, "assessments/rounds/list.html", {"rounds": rounds_reads.round_list(user=request.user)}
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request):
    """GET: the form (this year's sets preselected). POST: ``services.rounds.round_create`` → the round's page;
    bad input or a refusal of the service → the form again with the message (400)."""
    require_perm(request.user, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    form = RoundCreateForm(request.POST or None, groups=_assessed_groups())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rnd = rounds_writes.round_create(
                year=data["year"],
                name=data["name"].strip(),
                sets=form.sets(),
                by=request.user,
                **form.dates(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Đã tạo đợt đánh giá năm {rnd.year}. Kiểm tra bộ chỉ số của các nhóm "
                "rồi bấm “Mở đợt đánh giá” để tạo bản tự đánh giá cho các đơn vị.",
            )
            return redirect("assessments:round_detail", pk=rnd.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "assessments/rounds/form.html", {"form": form, "round": None}, status=status)


def _detail(request, rnd: AssessmentRound, *, error: str = "", status: int = 200):
    assessments = list(rounds_reads.round_assessments(rnd))
    return render(
        request,
        "assessments/rounds/detail.html",
        {
            "round": rnd,
            # the page's actions (the services refuse the same: round_update, round_open)
            "can_edit": rnd.state != RoundState.PUBLISHED,
            "can_open": rnd.state == RoundState.DRAFT,
            "is_open_or_after": rnd.state != RoundState.DRAFT,
            "dates": round_dates(rnd),
            "round_sets": rounds_reads.round_sets_of(rnd),
            "assessments": assessments,
            "n_submitted": sum(a.state != AssessmentState.DRAFT for a in assessments),
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def round_detail(request, pk):
    """The round: dates with countdown, the set of each group, every unit's assessment with its progress
    (constant number of queries: ``selectors.rounds.round_assessments``). 404 for an unknown round."""
    require_perm(request.user, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    return _detail(request, get_object_or_404(AssessmentRound, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def round_edit(request, pk):
    """GET/POST the name and dates (reason required once open) and, in preparation, the sets;
    ``services.rounds.round_update``. Refusals (published, set change after opening, dates out of order) → 400."""
    require_perm(request.user, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    rnd = get_object_or_404(AssessmentRound, pk=pk)
    form = RoundEditForm(request.POST or None, round=rnd, groups=_assessed_groups())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sets = form.sets() if rnd.state == RoundState.DRAFT else None
        try:
            rounds_writes.round_update(
                round=rnd,
                by=request.user,
                reason=data["reason"].strip(),
                sets=sets,
                name=data["name"].strip(),
                **form.dates(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Đã lưu thay đổi của đợt đánh giá.")
            return redirect("assessments:round_detail", pk=rnd.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "assessments/rounds/form.html", {"form": form, "round": rnd}, status=status)


@login_required
@require_POST
def round_open(request, pk):
    """POST: ``services.rounds.round_open`` → the round's page with the number of assessments created; a refusal
    (already open, no set) → the round's page with the message (400)."""
    require_perm(request.user, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    rnd = get_object_or_404(AssessmentRound, pk=pk)
    try:
        rnd = rounds_writes.round_open(round=rnd, by=request.user)
    except ValidationError as exc:
        return _detail(request, rnd, error=" ".join(exc.messages), status=400)
    created = rnd.assessments.count()
    messages.success(
        request,
        f"Đã mở đợt đánh giá năm {rnd.year}: đã tạo {created} bản tự đánh giá; "
        "các bộ chỉ số của đợt đã được khóa.",
    )
    return redirect("assessments:round_detail", pk=rnd.pk)


urlpatterns = [
    path("rounds/", round_list, name="round_list"),
    path("rounds/new/", round_create, name="round_create"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", round_edit, name="round_edit"),
    path("rounds/<int:pk>/open/", round_open, name="round_open"),
]
