"""API-wide pieces: domain errors → HTTP answers (CONVENTIONS.md "Writes").

``BadParameter`` (a refused query parameter) → 400 ``{"detail": str}``; ``ValidationError`` → 400 ``{"detail": str, "errors": [str]}``; ``Incomplete`` → 400 with ``items``;
``StaleEdit`` and ``InvalidTransition`` → 409 (the state changed under the client); Django's
``PermissionDenied`` → 403, no credentials → 401 (Vietnamese ``detail``), and ``Http404``/``DoesNotExist`` → 404 (by DRF and below).
"""

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import Incomplete, InvalidTransition, StaleEdit
from .params import BadParameter

#: A request without credentials (401 with ``WWW-Authenticate: Basic realm="api"``, parindex.auth).
NOT_AUTHENTICATED = "Cần đăng nhập: gửi tên đăng nhập và mật khẩu (HTTP Basic) hoặc dùng phiên đã đăng nhập."


def exception_handler(exc, context):
    """DRF exception handler that also understands the portal's domain errors and refused query parameters
    (``parindex.params.BadParameter`` → 400 ``{"detail": message}``)."""
    if isinstance(exc, BadParameter):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.NotAuthenticated):
        exc.detail = exceptions.ErrorDetail(NOT_AUTHENTICATED, code=exc.default_code)
    if isinstance(exc, ObjectDoesNotExist):
        return Response({"detail": "Không tìm thấy."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ValidationError):
        body = {"detail": " ".join(exc.messages[:1]), "errors": exc.messages}
        code = status.HTTP_400_BAD_REQUEST
        if isinstance(exc, Incomplete):
            body["items"] = [
                {"criterion": getattr(obj, "criterion", None) and obj.criterion.code, "message": msg}
                for obj, msg in exc.items
            ]
        if isinstance(exc, StaleEdit):
            code = status.HTTP_409_CONFLICT
            body["current"] = (
                context.get("view").serialize_current(exc.current)
                if hasattr(context.get("view"), "serialize_current")
                else None
            )
        elif isinstance(exc, InvalidTransition):
            code = status.HTTP_409_CONFLICT
        return Response(body, status=code)
    return drf_exception_handler(exc, context)
