"""Who holds which role, as django-rules predicates (shared/DESIGN.md §7).

``roles_of(user)`` reads the user's memberships once per request (cached on the user object) and returns
a set of role codes; the predicates below build on it and are registered as permissions in each app's
``rules.py``.
"""

import rules
from django.core.exceptions import PermissionDenied

from .models import Role


def roles_of(user) -> frozenset[str]:
    """Role codes (``Role`` values) the user holds in any unit; superusers hold ``admin`` too."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_parindex_roles", None)
    if cached is None:
        cached = set(user.memberships.values_list("role", flat=True))
        if user.is_superuser:
            cached.add(Role.ADMIN)
        cached = frozenset(cached)
        user._parindex_roles = cached
    return cached


def holds(name: str, *roles: str) -> rules.Predicate:
    """The predicate ``name``: the user holds at least one of ``roles`` (``Role`` values) in some unit."""
    wanted = frozenset(roles)
    return rules.predicate(lambda user: bool(roles_of(user) & wanted), name=name)


is_admin = holds("is_admin", Role.ADMIN)
is_coordinator = holds("is_coordinator", Role.COORDINATOR)
is_leader = holds("is_leader", Role.LEADER)
is_appraiser = holds("is_appraiser", Role.APPRAISER)
is_unit_member = holds("is_unit_member", Role.OFFICER, Role.HEAD)

#: "Quản lý": the coordinator (Sở Nội vụ) or an admin (superusers included) — the one definition of who runs
#: the PAR Index for the province (shared/DESIGN.md §7). Every "admin or coordinator" permission is built on it.
is_manager = is_admin | is_coordinator

#: Who reads the province's published figures: leaders, unit officers and heads, appraisers.
is_reader = is_leader | is_unit_member | is_appraiser


@rules.predicate
def is_member_of_unit(user, unit) -> bool:
    """The user holds a role in ``unit`` itself (an object predicate; ``False`` without a unit)."""
    return unit is not None and getattr(unit, "pk", None) in units_of(user)


def require_perm(
    user, perm: str, obj=None, message: str = "Bạn không có quyền thực hiện thao tác này."
) -> None:
    """Raise ``PermissionDenied(message)`` unless ``user`` (required: services have no anonymous caller)
    has ``perm`` (a name registered in an app's ``rules.py``) on ``obj``."""
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(message)


def units_of(user, *roles: str):
    """Ids of the units in which ``user`` holds one of ``roles`` (all roles when none given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = user.memberships.all()
    if roles:
        qs = qs.filter(role__in=roles)
    return list(qs.values_list("unit_id", flat=True))
