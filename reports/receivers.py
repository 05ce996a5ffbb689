"""Receivers of ``assessments.signals`` (connected in ``ReportsConfig.ready()``): the results app hears what the
assessments app tells it, so assessments never imports reports."""

from .models import Result
from .results import selectors, services


def scores_changed(sender, round_id: int, assessment_id: int | None = None, **kwargs) -> None:
    """Scores changed: recompute after commit (``results.services.results_recompute_later``)."""
    services.results_recompute_later(round_id, assessment_id)


def results_due(sender, round, **kwargs) -> int:
    """Compute ``round``'s results now (``results.services.results_compute``); the number written."""
    return services.results_compute(round=round)


def result_wanted(sender, assessment, user=None, **kwargs):
    """The snapshot of ``assessment`` with its components that ``user`` may read (``results.selectors.result_for``:
    the round is published, or the user is a coordinator or an admin), or None; ``user=None``: whatever is
    stored."""
    if user is None:
        return Result.objects.filter(assessment=assessment).prefetch_related("components").first()
    try:
        return selectors.result_for(user=user, assessment=assessment)
    except Result.DoesNotExist:
        return None
