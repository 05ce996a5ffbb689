"""One set of parsers for what a request carries in its query string or as a form's id (issue 14 item 6).

Every view and API view reads its ``?year=``, ``?group=``, ``?page=``, ``?q=`` … and the ids a form posts
(``row``, ``node``, ``group``, ``version``) through these helpers, so a crafted value never reaches ``int()`` or the
database: a NUL byte (PostgreSQL refuses it in text: ``ValueError: A string literal cannot contain NUL``), other
control characters, digits that are not ASCII ("²", "١" pass ``str.isdigit()`` but not ``int()``), numbers of more
than ``MAX_DIGITS`` digits and texts over their length cap are refused with ``BadParameter``.

``BadParameter`` is a ``SuspiciousOperation``: Django answers it 400 with ``templates/400.html`` (which names the
refused parameter: ``parindex.views.bad_request``), the API 400 ``{"detail": "<Vietnamese message>"}``
(``parindex.api.exception_handler``). An absent or empty parameter is not an error: it takes the default.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import SuspiciousOperation

#: Longest integer accepted (ids, years, page numbers, versions): 9 digits fit any PostgreSQL ``integer``.
MAX_DIGITS = 9

#: Longest search text (``?q=``) and code (``?group=SO``, ``?unit=STP``) accepted, in characters.
MAX_SEARCH = 100
MAX_CODE = 50


class BadParameter(SuspiciousOperation):
    """A query parameter or posted id the portal refuses. ``name``: the parameter ("year"); ``message``: what
    was wrong, in Vietnamese, shown on the 400 page and as the API's ``detail``."""

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message


def is_ascii_number(raw: str) -> bool:
    """True for 1–``MAX_DIGITS`` ASCII digits ("2026"; not "²", "١", "-1", "1e3", " 7", "")."""
    return raw.isascii() and raw.isdecimal() and 0 < len(raw) <= MAX_DIGITS


def parse_int(raw, name: str) -> int:
    """``raw`` (a ``str``) as a non-negative int of ASCII digits; ``BadParameter`` for anything else."""
    if not isinstance(raw, str) or not is_ascii_number(raw):
        raise BadParameter(
            name,
            f"Tham số “{name}” phải là số nguyên dương viết bằng chữ số 0–9 (tối đa {MAX_DIGITS} chữ số).",
        )
    return int(raw)


def parse_text(raw, name: str, *, max_length: int = MAX_SEARCH) -> str:
    """``raw`` stripped, refused (``BadParameter``) when it holds a NUL or another control character
    (tab, CR and LF are allowed and become spaces at the ends only) or is longer than ``max_length``."""
    if not isinstance(raw, str):
        raise BadParameter(name, f"Tham số “{name}” không hợp lệ.")
    if any((ord(ch) < 32 and ch not in "\t\r\n") or ord(ch) == 127 for ch in raw):
        raise BadParameter(name, f"Tham số “{name}” chứa ký tự điều khiển (ví dụ ký tự NUL); hãy nhập lại.")
    text = raw.strip()
    if len(text) > max_length:
        raise BadParameter(name, f"Tham số “{name}” dài quá {max_length} ký tự.")
    return text


def int_param(query: Mapping, name: str, default: int | None = None) -> int | None:
    """``query[name]`` (``request.GET``/``POST``/``query_params``) as an int; ``default`` when absent or empty.
    Raises ``BadParameter`` for a value that is not 1–9 ASCII digits."""
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    return parse_int(raw, name)


def text_param(query: Mapping, name: str, default: str = "", *, max_length: int = MAX_SEARCH) -> str:
    """``query[name]`` as stripped text (``default`` when absent); ``BadParameter`` for control characters or
    more than ``max_length`` characters."""
    raw = query.get(name)
    if raw is None:
        return default
    return parse_text(raw, name, max_length=max_length)


def code_param(query: Mapping, name: str, default: str = "") -> str:
    """A code (``?group=SO``, ``?unit=STP``, ``?status=…``, ``?sort=-index``): text of at most ``MAX_CODE``
    characters, without control characters."""
    return text_param(query, name, default, max_length=MAX_CODE)


def choice_param(query: Mapping, name: str, choices: Iterable[str], default: str = "") -> str:
    """A value among ``choices``; an unknown one (a stale link) is ``default``, a crafted one ``BadParameter``."""
    value = code_param(query, name, default)
    return value if value in set(choices) else default
