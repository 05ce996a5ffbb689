"""Reads of the PAR Index snapshot (``reports.services.results_compute`` writes it).

Visibility (shared/DESIGN.md §4, §7; issue 6): while a round is not published its results are provisional and
only the coordinator and admins see them; once published every portal user with a role (leaders, unit
officers and heads, appraisers) sees the round's results; users without any role see nothing, so views answer
404. ``reports.permissions.results_visible_to`` is the one place that decides it.
"""

from django.db.models import Prefetch, QuerySet

from assessments.models import Assessment, AssessmentRound
from units.models import UnitGroup

from .models import ComponentResult, Result
from .permissions import results_visible_to


def _with_components(qs: QuerySet[Result]) -> QuerySet[Result]:
    return qs.select_related("round", "unit", "group").prefetch_related(
        Prefetch("components", queryset=ComponentResult.objects.select_related("field").order_by("field__order")))


def rankings(*, user, round: AssessmentRound, group: UnitGroup) -> QuerySet[Result]:  # noqa: A002
    """The ranking of ``group`` in ``round`` as ``user`` may see it: results by rank (1, 2, 2, 4 …), then unit
    name, each with ``unit``, ``group``, ``round`` and its ``components`` (field results in print order,
    ``field`` loaded) — 2 queries whatever the number of units. Empty when ``user`` may not see the round's
    results (provisional and not a manager, or an outsider)."""
    return _with_components(results_visible_to(user).filter(round=round, group=group)
                            .order_by("rank", "unit__name"))


def result_for(*, user, assessment: Assessment) -> Result:
    """The result of ``assessment`` with its component results, if ``user`` may see it; raises
    ``Result.DoesNotExist`` otherwise, or when it has not been computed yet (views answer 404)."""
    return _with_components(results_visible_to(user)).get(assessment=assessment)
