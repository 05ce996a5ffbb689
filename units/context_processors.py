"""Template context: the current user's roles, for navigation by role."""

from .permissions import roles_of


def roles(request):
    """``{"user_roles": frozenset of role codes}`` for the base layout's menu."""
    return {"user_roles": roles_of(getattr(request, "user", None))}
