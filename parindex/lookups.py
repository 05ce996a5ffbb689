"""Lookups shared by the apps' views: an object the user may see, or a 404 (outsiders never learn that it
exists; CONVENTIONS "Views")."""

from django.http import Http404


def or_404(get, missing: type[Exception], message: str, **lookup):
    """``get(**lookup)`` (a selector or a manager's ``get``); ``Http404(message)`` (Vietnamese) when it raises
    ``missing`` (the model's ``DoesNotExist``)."""
    try:
        return get(**lookup)
    except missing as exc:
        raise Http404(message) from exc
