"""Template context: what the current user may open (navigation) and unread notifications (the bell)."""

import rules
from django.utils.functional import SimpleLazyObject

from .permissions import is_admin, is_appraiser, is_unit_member
from .selectors import unread_count


def roles(request):
    """``can_*`` flags for the base layout's menu and the home page, computed once per request from the rules
    (``units.permissions`` predicates and the apps' permissions): ``can_see_rankings`` (any role),
    ``can_self_assess`` (officer or head), ``can_appraise`` (appraiser), ``can_manage`` (coordinator or admin:
    rounds, criteria sets), ``can_use_admin`` (an admin with staff status: Django's admin site). Asked of the
    rules registry directly (``rules.has_perm``): no query beyond the user's roles, read once."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {
            "can_see_rankings": False,
            "can_self_assess": False,
            "can_appraise": False,
            "can_manage": False,
            "can_use_admin": False,
        }
    return {
        "can_see_rankings": rules.has_perm("reports.view_published_results", user),
        "can_self_assess": is_unit_member(user),
        "can_appraise": is_appraiser(user),
        "can_manage": rules.has_perm("assessments.manage_rounds", user),
        "can_use_admin": is_admin(user) and user.is_staff,
    }


def notifications(request):
    """``{"unread_notifications": int}`` for the navbar's bell of a signed-in user (nothing for anonymous).

    Lazy: the COUNT query runs once, and only when a template uses the value (HTMX partials and JSON
    responses never pay for it).
    """
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
