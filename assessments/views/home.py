"""Pages of the assessments app: the unit's home (issue 3 §1, §8).

Officers and heads see their units' assessments by year (state, deadline countdown, self-score total,
progress) and export a self-assessment as the official score sheet (.xlsx). The start page
(``parindex.views.home``) shows the card of the open ones (``assessments/home/_card.html``).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from parindex import xlsx
from units.permissions import is_unit_member

from ..exports import self_assessment_workbook
from ..selectors import rounds as rounds_reads
from ..selectors import scoring as scoring_reads
from .lookups import assessment_or_404


@login_required
@require_GET
def my_assessments(request):
    """The user's units' assessments by year (officers and heads); an explanation for other users."""
    member = is_unit_member(request.user)
    assessments = (
        rounds_reads.with_days_left(scoring_reads.assessments_for_units(user=request.user)) if member else []
    )
    return render(
        request, "assessments/home/my_assessments.html", {"assessments": assessments, "is_member": member}
    )


@login_required
@require_GET
def export_self(request, pk):
    """The unit's self-assessment as the official score sheet (.xlsx); 404 to users who may not see it."""
    assessment = assessment_or_404(request, pk)
    data = self_assessment_workbook(scoring_reads.scoring_sheet(assessment))
    return xlsx.download(data, f"tu-danh-gia-{assessment.unit.code}-{assessment.round.year}.xlsx")


urlpatterns = [
    path("assessments/", my_assessments, name="my_assessments"),
    path("assessments/<int:pk>/export.xlsx", export_self, name="export_self"),
]
