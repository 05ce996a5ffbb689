"""Template context: the current user's roles (navigation by role) and unread notifications (the bell)."""

from django.utils.functional import SimpleLazyObject

from .permissions import roles_of
from .selectors import unread_count


def roles(request):
    """``{"user_roles": frozenset of role codes}`` for the base layout's menu."""
    return {"user_roles": roles_of(getattr(request, "user", None))}


def notifications(request):
    """``{"unread_notifications": int}`` for the navbar's bell of a signed-in user (nothing for anonymous).

    Lazy: the COUNT query runs once, and only when a template uses the value (HTMX partials and JSON
    responses never pay for it).
    """
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
