"""Numbers as officials type and read them: a decimal comma, at most 2 decimals (shared/DESIGN.md §3).

``parse_decimal`` reads a cell or a typed value, ``format_decimal`` writes one the Vietnamese way ("0,5"). The
project's lowest layer: the workbook module (``parindex.xlsx``) and every app read numbers through it.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

#: Largest number a cell may hold: points are stored as 7 digits with 2 decimals (``criteria.models.POINTS``).
MAX_NUMBER = Decimal("99999.99")


class ScaleError(ValueError):
    """A scale, step or number that cannot be read; the message is Vietnamese and shown to the user."""


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def parse_decimal(value, *, what: str = "Giá trị") -> Decimal:
    """Read a number from a cell: int, float or text with ``,`` or ``.`` as decimal separator.

    Returns a Decimal with at most 2 decimal places. Raises ``ScaleError`` for text that is not a
    number, for NaN/infinity, for more than 2 decimals and beyond ±``MAX_NUMBER`` (what the database stores).
    """
    if isinstance(value, bool):
        raise ScaleError(f"{what} '{value}' không phải là số.")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    else:
        text = nfc(str(value)).strip().replace("\u00a0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d+)?", text):
            raise ScaleError(f"{what} '{value}' không phải là số hợp lệ (ví dụ: 1 hoặc 0,5).")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover — the regex guards this
            raise ScaleError(f"{what} '{value}' không phải là số hợp lệ.") from exc
    if not number.is_finite():
        raise ScaleError(f"{what} '{value}' không phải là số hợp lệ.")
    if abs(number) > MAX_NUMBER:  # also keeps quantize below from raising InvalidOperation on huge numbers
        raise ScaleError(f"{what} '{value}' quá lớn (tối đa {format_decimal(MAX_NUMBER)}).")
    if number != number.quantize(Decimal("0.01")):
        raise ScaleError(f"{what} '{value}' có quá 2 chữ số thập phân.")
    return plain(number)


def plain(number: Decimal) -> Decimal:
    """Drop trailing zeros without exponent notation: 2.00 → 2, 0.50 → 0.5, 100 → 100."""
    return number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize()


def format_decimal(value) -> str:
    """``Decimal("0.50")`` → ``"0,5"``; ``Decimal("2.00")`` → ``"2"`` (Vietnamese comma, no trailing zeros)."""
    number = Decimal(str(value))
    text = format(number.normalize(), "f") if number != number.to_integral() else str(int(number))
    return text.replace(".", ",")
