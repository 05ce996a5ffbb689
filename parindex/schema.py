"""The API's OpenAPI schema (drf-spectacular): the error answers every operation can give (issue 14 item 10).

``error_responses`` is a postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``): it adds the
component ``Error`` — ``{"detail": string}``, what ``parindex.api.exception_handler`` answers, with ``errors``
(the messages of a refused value) and ``current`` (409: the object as it is now) when present — and documents on
each operation the codes it can answer: 401 and 403 everywhere (no login; a role that may not), 404 on paths
with an id (an object the user may not see), 400 where a query parameter or a body is read (``BadParameter``, a
refused value), 409 on writes (a stale version or a closed state).
"""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "Lý do, bằng tiếng Việt."},
        "errors": {"type": "array", "items": {"type": "string"}},
        "current": {"type": "object", "nullable": True},
    },
    "required": ["detail"],
}

#: code → description of the error answers (Vietnamese, as the answers themselves).
ERRORS = {
    "400": "Tham số hoặc dữ liệu gửi lên không hợp lệ.",
    "401": "Chưa đăng nhập.",
    "403": "Không có quyền thực hiện.",
    "404": "Không tìm thấy (hoặc không được xem).",
    "409": "Dữ liệu đã thay đổi hoặc trạng thái không cho phép thao tác này.",
}

METHODS = ("get", "put", "post", "patch", "delete")


def error_responses(result, generator, request, public):
    """Add ``components.schemas.Error`` and the error answers of each operation (see the module)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            codes = ["401", "403"]
            if "{" in path:
                codes.append("404")
            query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            if query or operation.get("requestBody"):
                codes.append("400")
            if method != "get":
                codes += ["400", "409"]
            responses = operation.setdefault("responses", {})
            for code in sorted(set(codes)):
                responses.setdefault(code, {"description": ERRORS[code], "content": ref})
    return result
