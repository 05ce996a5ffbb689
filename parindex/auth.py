"""The API's authentication (DRF): HTTP basic auth first, then the portal's session.

Basic first, so that a request without valid credentials is answered ``401`` with
``WWW-Authenticate: Basic realm="api"`` (DRF answers 401 only when its first class names a scheme; the session
class names none, which gave 403). A browser tab signed in to the portal still uses the session: basic auth
steps aside when the request carries no ``Authorization: Basic`` header.

Wrong credentials count as failed logins in the lockout (django-axes, README "Deployment"): DRF calls
``django.contrib.auth.authenticate(request=…)``, which the axes backend sees like a login form.
"""

from drf_spectacular.authentication import BasicScheme, SessionScheme
from rest_framework import authentication, exceptions

from .views import CSRF_API_DETAIL


class BasicAuthentication(authentication.BasicAuthentication):
    """``Authorization: Basic …`` (user name and password of a portal account). 401 when they are wrong."""

    www_authenticate_realm = "api"


class SessionAuthentication(authentication.SessionAuthentication):
    """The signed-in portal session; writes need the CSRF token (``X-CSRFToken``), refused in Vietnamese."""

    def enforce_csrf(self, request):
        """Django's CSRF check on a session-authenticated API request: 403 ``{"detail": CSRF_API_DETAIL}``."""
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise exceptions.PermissionDenied(CSRF_API_DETAIL) from exc


class _BasicScheme(BasicScheme):
    """OpenAPI: the schema names ``parindex.auth.BasicAuthentication`` ``basicAuth`` (drf-spectacular)."""

    target_class = "parindex.auth.BasicAuthentication"


class _SessionScheme(SessionScheme):
    """OpenAPI: the schema names ``parindex.auth.SessionAuthentication`` ``cookieAuth`` (drf-spectacular)."""

    target_class = "parindex.auth.SessionAuthentication"
