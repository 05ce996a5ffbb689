"""Pages of reorganisations: the "Sắp xếp đơn vị" page (a form per kind, for admins and the coordinator) and a
unit's lineage (for managers, leaders and the unit's own members). Thin: permission, form, service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..models import ReorganisationKind, Unit
from . import selectors
from .forms import FORMS
from .services import REORGANISE_REFUSED


@login_required
@require_http_methods(["GET", "POST"])
def reorganise(request, kind: str = "merge"):
    """GET: the form of ``kind`` and the latest events; POST: perform it, back to the page with a message."""
    if not request.user.has_perm("units.reorganise"):
        raise PermissionDenied(REORGANISE_REFUSED)
    if kind not in FORMS:
        raise Http404("Không có loại sắp xếp này.")
    form = FORMS[kind](request.POST or None)
    if request.method == "POST" and form.is_valid():
        event = form.perform(by=request.user)
        if event is not None:
            names = ", ".join(u.name for u in event.results) or "—"
            messages.success(request, f"Đã ghi {event}: {names}.")
            return redirect("reorganisation:perform", kind=kind)
    return render(
        request,
        "units/reorganisation/perform.html",
        {
            "form": form,
            "kind": kind,
            "kinds": ReorganisationKind.choices,
            "events": selectors.reorganisations_list()[:20],
        },
    )


@login_required
@require_GET
def lineage(request, pk: int):
    """A unit's predecessors and successors over the years, with each link's event (kind, date, basis)."""
    unit = get_object_or_404(Unit.objects.select_related("group", "parent"), pk=pk)
    if not request.user.has_perm("units.view_lineage", unit):
        raise Http404("Không có đơn vị này.")  # an outsider does not learn the unit exists
    return render(request, "units/reorganisation/lineage.html", {"lineage": selectors.lineage_of(unit)})
