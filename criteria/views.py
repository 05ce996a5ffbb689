"""Pages for admins and the coordinator: sets by year and group, a set's tree, import with preview,
export, clone and the blank template (issue 2 §7). Thin: parse, call a selector/service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parindex import params, uploads, xlsx
from parindex.exceptions import WorkbookInvalid
from parindex.lookups import or_404
from units.models import Unit, UnitGroup
from units.permissions import require_perm

from . import selectors, services
from .forms import CloneForm, ConfirmImportForm, ImportForm
from .models import CriteriaSet
from .rules import MANAGE_SETS_REFUSED
from .tree import SetSpec, summarize
from .workbook import write_workbook


def _get_set(request, pk) -> CriteriaSet:
    return or_404(
        selectors.criteria_set_get,
        CriteriaSet.DoesNotExist,
        "Không tìm thấy bộ chỉ số.",
        user=request.user,
        pk=pk,
    )


@login_required
@require_GET
def set_list(request):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    year = params.int_param(request.GET, "year")
    group = params.code_param(request.GET, "group") or None
    sets = list(selectors.criteria_set_list(user=request.user, year=year, group_code=group))
    summaries = selectors.criteria_set_summaries(sets)
    years = sorted(set(CriteriaSet.objects.values_list("year", flat=True)), reverse=True)
    return render(
        request,
        "criteria/set_list.html",
        {
            "rows": [(s, summaries[s.pk]) for s in sets],
            "years": years,
            "groups": UnitGroup.objects.filter(is_assessed=True),
            "year": year,
            "group": group,
        },
    )


@login_required
@require_GET
def set_detail(request, pk):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    criteria_set = _get_set(request, pk)
    rows = selectors.criteria_tree(user=request.user, criteria_set=criteria_set)
    return render(
        request,
        "criteria/set_detail.html",
        {
            "set": criteria_set,
            "rows": rows,
            "summary": summarize(r.node for r in rows),
            "fields": [r for r in rows if r.depth == 0],
            "bands": criteria_set.bands.all(),
            "clone_form": CloneForm(initial={"year": criteria_set.year + 1}),
        },
    )


@login_required
@require_GET
def set_export(request, pk):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    criteria_set = _get_set(request, pk)
    data = write_workbook(selectors.criteria_set_spec(criteria_set))
    issuer = f"-{criteria_set.parent_unit.code}" if criteria_set.parent_unit else ""
    return xlsx.download(data, f"bo-chi-so-{criteria_set.group.code}{issuer}-{criteria_set.year}.xlsx")


@login_required
@require_GET
def template_download(request):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    return xlsx.download(
        write_workbook(SetSpec(name="Bộ chỉ số cải cách hành chính ...")), "mau-bo-chi-so.xlsx"
    )


@login_required
@require_http_methods(["GET", "POST"])
def set_clone(request, pk):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    source = _get_set(request, pk)
    form = CloneForm(request.POST or None, initial={"year": source.year + 1})
    if request.method == "POST" and form.is_valid():
        try:
            clone = services.criteria_set_clone(
                source=source,
                year=form.cleaned_data["year"],
                by=request.user,
                group=form.cleaned_data["group"],
                name=form.cleaned_data["name"] or None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Đã sao chép thành bộ chỉ số năm {clone.year}; có thể chỉnh sửa trước khi đợt đánh giá bắt đầu.",
            )
            return redirect("criteria:set_detail", pk=clone.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "criteria/set_clone.html", {"set": source, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def set_import(request):
    """Step 1: upload → preview. A valid workbook is kept in private storage under a token until
    confirmed (step 2, ``set_import_confirm``); an invalid one is discarded and every problem listed."""
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "criteria/import.html", {"form": form}, status=400 if request.method == "POST" else 200
        )
    upload = form.cleaned_data["file"]
    data = uploads.read_head(upload, settings.CRITERIA_WORKBOOK_MAX_BYTES)
    group, year, replace = form.cleaned_data["group"], form.cleaned_data["year"], form.cleaned_data["replace"]
    parent_unit = form.cleaned_data["parent_unit"]
    result = services.criteria_workbook_check(data=data, year=year, parent_unit=parent_unit)
    existing = CriteriaSet.objects.filter(group=group, year=year, parent_unit=parent_unit).first()
    context = {
        "form": form,
        "result": result,
        "filename": upload.name,
        "group": group,
        "year": year,
        "parent_unit": parent_unit,
        "existing": existing,
        "replace": replace,
    }
    if not result.ok:
        return render(request, "criteria/import.html", context, status=400)
    context["summary"] = summarize(result.spec.nodes)
    if existing and (existing.is_frozen or not replace):
        return render(request, "criteria/import.html", context, status=400)
    token = uploads.keep(
        request,
        "criteria",
        data,
        group=group.pk,
        year=year,
        replace=replace,
        filename=upload.name,
        parent_unit=parent_unit.pk if parent_unit else None,
    )
    context["confirm_form"] = ConfirmImportForm(initial={"token": token})
    return render(request, "criteria/import.html", context)


@login_required
@require_POST
def set_import_confirm(request):
    require_perm(request.user, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    form = ConfirmImportForm(request.POST)
    kept = uploads.take(request, "criteria", form.cleaned_data["token"]) if form.is_valid() else None
    if kept is None:
        messages.error(request, "Phiên xem trước đã hết hạn hoặc không tồn tại; hãy tải tệp lên lại.")
        return redirect("criteria:set_import")
    entry, data = kept
    group = UnitGroup.objects.get(pk=entry["group"])
    parent_pk = entry.get("parent_unit")
    try:
        criteria_set = services.criteria_set_import(
            group=group,
            year=entry["year"],
            parent_unit=Unit.objects.select_related("group").get(pk=parent_pk) if parent_pk else None,
            data=data,
            filename=entry["filename"],
            by=request.user,
            replace=entry["replace"],
        )
    except WorkbookInvalid as exc:
        messages.error(request, "Tệp không còn hợp lệ: " + "; ".join(str(p) for p in exc.problems[:5]))
        return redirect("criteria:set_import")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("criteria:set_import")
    messages.success(
        request, f"Đã nhập bộ chỉ số '{criteria_set.name}' ({group.name}, năm {criteria_set.year})."
    )
    return redirect("criteria:set_detail", pk=criteria_set.pk)
