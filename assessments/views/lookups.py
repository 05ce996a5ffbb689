"""Lookups shared by the assessments views: an object the user may see, or a 404 (outsiders never learn
that it exists; CONVENTIONS "Views")."""

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
