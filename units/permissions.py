"""Who holds which role, as django-rules predicates (shared/DESIGN.md §7).

``roles_of(user)`` reads the user's memberships once per request (cached on the user object) and returns
a set of role codes; the predicates below build on it and are registered as permissions in each app's
``rules.py``.
"""

import rules

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


@rules.predicate
def is_admin(user) -> bool:
    return Role.ADMIN in roles_of(user)


@rules.predicate
def is_coordinator(user) -> bool:
    return Role.COORDINATOR in roles_of(user)


@rules.predicate
def is_leader(user) -> bool:
    return Role.LEADER in roles_of(user)


@rules.predicate
def is_appraiser(user) -> bool:
    return Role.APPRAISER in roles_of(user)


@rules.predicate
def is_unit_member(user) -> bool:
    return bool(roles_of(user) & {Role.OFFICER, Role.HEAD})


def units_of(user, *roles: str):
    """Ids of the units in which ``user`` holds one of ``roles`` (all roles when none given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = user.memberships.all()
    if roles:
        qs = qs.filter(role__in=roles)
    return list(qs.values_list("unit_id", flat=True))
