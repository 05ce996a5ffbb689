"""Pages of the province's national results (issue 6 items 5 and 7; shared/DESIGN.md §8).

``province_results``: every logged-in user reads the table of years, the component averages with their
bands, the target checks and the charts (published national results; the tables carry all the data, the
charts are extra), then the targets for the province's units (004 Phần II §I.1) in each published round whose
results the user may see — nothing of them for a user without a role. Entering, editing and importing are for the coordinator and admins: 403 for anyone else,
then 404 for an unknown year. Services decide; their ``ValidationError`` goes next to the form fields (400).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from criteria.scales import format_decimal
from parindex import uploads, xlsx
from units.permissions import require_perm

from ..models.province import CURRENT_FIELDS, ProvinceResult
from . import selectors, services, workbook
from .forms import ConfirmForm, ProvinceResultForm, ResultsUploadForm

UPLOAD_KIND = "province-results"


@login_required
@require_GET
def province_results(request):
    """The province's results by year, component averages and bands, targets, charts; then the targets for the
    province's units in each published round the user may see (none without a role)."""
    return render(
        request,
        "reports/province/overview.html",
        {
            "overview": selectors.province_overview(),
            "can_manage": request.user.has_perm("reports.manage_province"),
            "unit_targets": selectors.unit_targets(user=request.user),
        },
    )


def _text(value) -> str:
    return "" if value is None else (format_decimal(value) if not isinstance(value, int) else str(value))


@login_required
@require_http_methods(["GET", "POST"])
def province_result_add(request):
    """Record a new year's figures."""
    require_perm(request.user, "reports.manage_province", message=services.MANAGE_REFUSED)
    form = ProvinceResultForm(request.POST or None)
    return _edit_page(
        request, form, None, lambda data: services.province_result_create(by=request.user, **data)
    )


@login_required
@require_http_methods(["GET", "POST"])
def province_result_edit(request, year):
    """Change a recorded year's figures (blank = not known)."""
    require_perm(request.user, "reports.manage_province", message=services.MANAGE_REFUSED)
    result = get_object_or_404(ProvinceResult.objects.prefetch_related("components"), year=year)
    stored = {c.field_number: c.percent for c in result.components.all()}
    names = {c.field_number: c.field_name for c in result.components.all()}
    fields = list(CURRENT_FIELDS) + sorted(set(stored) - set(CURRENT_FIELDS))
    initial = {
        "overall_percent": _text(result.overall_percent),
        "rank": _text(result.rank),
        "provinces_ranked": _text(result.provinces_ranked),
        "source": result.source,
        "note": result.note,
        **{f"component_{n}": _text(stored.get(n)) for n in fields},
    }
    form = ProvinceResultForm(
        request.POST or None, initial=initial, year=result.year, fields=fields, names=names
    )
    return _edit_page(
        request,
        form,
        result,
        lambda data: services.province_result_update(result=result, by=request.user, **data),
    )


def _edit_page(request, form, result, save):
    """The add/edit page of a year's figures: on a valid POST ``save(cleaned_data)`` (→ the stored
    ``ProvinceResult``) then back to the province page; a ``ValidationError`` shown on the form (400)."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Đã lưu kết quả Chỉ số CCHC của tỉnh năm {saved.year}.")
            return redirect("reports:province")
    return render(
        request,
        "reports/province/edit.html",
        {"form": form, "result": result},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def province_results_import(request):
    """GET: the upload form. POST with a file: check it (``dry_run``) and list every problem, or show a
    preview with a confirm button (the file kept under a session token). POST with ``token``: import the
    kept file and go back to the results page."""
    require_perm(request.user, "reports.manage_province", message=services.MANAGE_REFUSED)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request)
    form = ResultsUploadForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "reports/province/import.html", context, status=400 if request.method == "POST" else 200
        )
    upload = form.cleaned_data["file"]
    data = uploads.read_head(upload, workbook.MAX_BYTES)
    result = services.province_results_import(data=data, by=request.user, dry_run=True)
    context.update(result=result, filename=upload.name)
    if not result.ok:
        return render(request, "reports/province/import.html", context, status=400)
    token = uploads.keep(request, UPLOAD_KIND, data, filename=upload.name)
    context["confirm_form"] = ConfirmForm(initial={"token": token})
    return render(request, "reports/province/import.html", context)


def _confirm(request):
    form = ConfirmForm(request.POST)
    kept = uploads.take(request, UPLOAD_KIND, form.cleaned_data["token"]) if form.is_valid() else None
    if kept is None:
        messages.error(request, "Phiên xem trước đã hết hạn hoặc không tồn tại; hãy tải tệp lên lại.")
        return redirect("reports:province_import")
    meta, data = kept
    result = services.province_results_import(data=data, by=request.user, filename=meta.get("filename", ""))
    if not result.ok:
        messages.error(request, "Tệp không còn hợp lệ: " + "; ".join(str(p) for p in result.problems[:5]))
        return redirect("reports:province_import")
    s = result.summary
    messages.success(
        request,
        f"Đã nhập kết quả {s['rows']} năm ({s['new_years']} năm mới, {s['changed']} giá trị thay đổi).",
    )
    return redirect("reports:province")


@login_required
@require_GET
def province_results_template(request):
    """The import workbook filled with the recorded years (blank cells where a value is not known)."""
    require_perm(request.user, "reports.manage_province", message=services.MANAGE_REFUSED)
    data = workbook.write_template(ProvinceResult.objects.order_by("year").prefetch_related("components"))
    return xlsx.download(data, "ket-qua-chi-so-cchc-tinh.xlsx")
