"""Who sees which results (shared/DESIGN.md §4, §7; issue 6).

``results_visible_to(user)`` is the one place that decides it; selectors build on it, so outsiders never get a
result and views answer 404.
"""

from django.db.models import QuerySet

from assessments.models import RoundState
from units.models import Role
from units.permissions import roles_of

from .models import Result

#: Roles that see every result, provisional ones (round not published) included.
MANAGERS = frozenset({Role.ADMIN, Role.COORDINATOR})
#: Roles that see the results of published rounds: they are the province's public figures.
READERS = frozenset({Role.LEADER, Role.OFFICER, Role.HEAD, Role.APPRAISER})


def results_visible_to(user) -> QuerySet[Result]:
    """Results ``user`` may see: all for admins (superusers included) and the coordinator; those of published
    rounds for leaders, unit officers and heads and appraisers (every unit's, not only their own); none for anyone
    else, anonymous users included. Publication is read from the round's state, not from ``Result.provisional``."""
    roles = roles_of(user)
    if roles & MANAGERS:
        return Result.objects.all()
    if roles & READERS:
        return Result.objects.filter(round__state=RoundState.PUBLISHED)
    return Result.objects.none()
