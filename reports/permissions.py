"""Who sees which results (shared/DESIGN.md §4, §7; issue 6).

``results_visible_to(user)`` is the one place that decides it; selectors build on it, so outsiders never get a
result and views answer 404.
"""

from django.db.models import QuerySet

from assessments.models import RoundState

from .models import Result


def results_visible_to(user) -> QuerySet[Result]:
    """Results ``user`` may see: all for admins (superusers included) and the coordinator; those of published
    rounds for leaders, unit officers and heads and appraisers (every unit's, not only their own); none for anyone
    else, anonymous users included (``reports.view_all_results`` / ``reports.view_published_results``). Publication is read from the round's state, not from ``Result.provisional``."""
    if user.has_perm("reports.view_all_results"):
        return Result.objects.all()
    if user.has_perm("reports.view_published_results"):
        return Result.objects.filter(round__state=RoundState.PUBLISHED)
    return Result.objects.none()
