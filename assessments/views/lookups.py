"""Lookups shared by the assessments views: an object the user may see, or a 404 (outsiders never learn
that it exists; CONVENTIONS "Views"); the redirect back to one leaf of a page."""

from django.shortcuts import redirect
from django.urls import reverse

from parindex.lookups import or_404

from ..models import Assessment
from ..selectors import scoring as scoring_reads


def assessment_or_404(request, pk) -> Assessment:
    """The assessment ``pk`` if ``request.user`` may see it (``selectors.scoring.assessment_get``); else
    ``Http404`` with a Vietnamese message."""
    return or_404(
        scoring_reads.assessment_get,
        Assessment.DoesNotExist,
        "Không tìm thấy bản tự đánh giá.",
        user=request.user,
        pk=pk,
    )


def leaf_redirect(page: str, pk: int, code: str):
    """A redirect to the page ``assessments:<page>`` of ``pk`` scrolled to the leaf ``code`` (``#leaf-<code>``)."""
    return redirect(reverse(f"assessments:{page}", args=[pk]) + f"#leaf-{code}")
