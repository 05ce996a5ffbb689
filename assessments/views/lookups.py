"""Lookups shared by the assessments views: an object the user may see, or a 404 (outsiders never learn
that it exists; CONVENTIONS "Views")."""

from django.http import Http404

from ..models import Assessment
from ..selectors import scoring as scoring_reads


def assessment_or_404(request, pk) -> Assessment:
    """The assessment ``pk`` if ``request.user`` may see it (``selectors.scoring.assessment_get``); else
    ``Http404`` with a Vietnamese message."""
    try:
        return scoring_reads.assessment_get(user=request.user, pk=pk)
    except Assessment.DoesNotExist as exc:
        raise Http404("Không tìm thấy bản tự đánh giá.") from exc
