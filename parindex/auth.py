"""The API's authentication (DRF): HTTP basic auth first, then the portal's session.

Basic first, so that a request without valid credentials is answered ``401`` with
``WWW-Authenticate: Basic realm="api"`` (DRF answers 401 only when its first class names a scheme; the session
class names none, which gave 403). A browser tab signed in to the portal still uses the session: basic auth
steps aside when the request carries no ``Authorization: Basic`` header.

Wrong credentials count as failed logins in the lockout (django-axes, README "Deployment"): DRF calls
``django.contrib.auth.authenticate(request=…)``, which the axes backend sees like a login form.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from drf_spectacular.authentication import BasicScheme, SessionScheme
from rest_framework import authentication, exceptions

from .views import CSRF_API_DETAIL


class BasicAuthentication(authentication.BasicAuthentication):
    """``Authorization: Basic …`` (user name and password of a portal account). 401 when they are wrong; 429
    (``lockout_response``) once the lockout holds for that user name and address."""

    www_authenticate_realm = "api"

    def authenticate_credentials(self, userid, password, request=None):
        """DRF's check, with Django's own request handed to ``authenticate()``: django-axes marks the request
        it is given as locked out, and its middleware reads the mark on Django's request, not on DRF's wrapper."""
        return super().authenticate_credentials(userid, password, getattr(request, "_request", request))


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


def lockout_response(request, *args, **kwargs) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the answer to a sign-in refused by the lockout — 429 with the Vietnamese page
    templates/registration/locked_out.html (when to try again, whom to ask), or under /api/
    ``{"detail": "…"}``; ``Retry-After`` in seconds either way. ``LOGIN_FAILURE_LIMIT`` and
    ``LOGIN_COOLOFF_MINUTES`` (parindex/settings.py); every try while locked starts the wait again, so the time
    shown counts from now. Further arguments (axes passes the response and the credentials) are not used."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60)
    retry_at = timezone.localtime() + cooloff
    retry_after = str(int(cooloff.total_seconds()))
    if request.path.startswith("/api/"):
        detail = (
            f"Đăng nhập bị tạm khóa vì nhập sai mật khẩu {settings.AXES_FAILURE_LIMIT} lần liên tiếp. "
            f"Hãy thử lại sau {minutes} phút (sau {retry_at:%H:%M}) hoặc nhờ quản trị viên mở khóa."
        )
        return JsonResponse(
            {"detail": detail},
            status=429,
            headers={"Retry-After": retry_after},
            json_dumps_params={"ensure_ascii": False},
        )
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "cooloff_minutes": minutes, "retry_at": retry_at}
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = retry_after
    return response
