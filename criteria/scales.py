"""Points, option lists and ratio bands as written in the criteria workbook (shared/DESIGN.md §3).

Written forms (Vietnamese writes decimals with a comma):
- options: ``"Ban hành kịp thời: 1; Không kịp thời: 0,5; Không ban hành: 0"``
- ratio bands, high to low: ``"≥ 90%: 2; 70–<90%: 1; <70%: 0"`` (also ``>=``, ``từ``, ``dưới``)
Stored forms (``Criterion.scale``): ``[{"label": str, "points": "0.5"}]`` and ``[{"min": "90", "points": "2"}]``
with decimals as strings. ``format_*`` writes the canonical text, so parse → format → parse is exact.
"""

import re
from decimal import Decimal

# The number rules live in the project's lowest layer; imported here under their old names too.
from parindex.numbers import MAX_NUMBER as MAX_NUMBER
from parindex.numbers import ScaleError, format_decimal, nfc, parse_decimal
from parindex.numbers import plain as plain

NUMBER = r"\d+(?:[.,]\d+)?"
_DASHES = "–—-"


def _labelled_parts(text: str, empty: str) -> list[tuple[str, str, str, str]]:
    """The parts of ``"label: points; label: points"`` as ``(part, label, colon, points)`` (``label`` stripped,
    ``colon`` "" when the part has none); ``ScaleError(empty)`` when there is no part."""
    parts = [part.strip() for part in nfc(text or "").split(";") if part.strip()]
    if not parts:
        raise ScaleError(empty)
    result = []
    for part in parts:
        label, sep, points = part.rpartition(":")
        result.append((part, label.strip(), sep, points))
    return result


def parse_options(text: str) -> list[dict]:
    """``"Kịp thời: 1; Không kịp thời: 0,5"`` → ``[{"label": "Kịp thời", "points": "1"}, ...]``.

    Raises ``ScaleError`` when a part lacks ``label: points``, a label repeats or a number is bad.
    """
    options, seen = [], set()
    empty = "Thang điểm lựa chọn trống; ghi dạng 'Nhãn: điểm; Nhãn: điểm'."
    for part, label, sep, points in _labelled_parts(text, empty):
        if not sep or not label or not points.strip():
            raise ScaleError(f"Lựa chọn '{part}' sai cú pháp; ghi dạng 'Nhãn: điểm' (ví dụ 'Kịp thời: 1').")
        value = parse_decimal(points, what=f"Điểm của lựa chọn '{label}'")
        if label.casefold() in seen:
            raise ScaleError(f"Lựa chọn '{label}' bị lặp.")
        seen.add(label.casefold())
        options.append({"label": label, "points": str(value)})
    return options


def format_options(options: list[dict]) -> str:
    return "; ".join(f"{o['label']}: {format_decimal(o['points'])}" for o in options)


_GE = re.compile(rf"^(?:≥|>=|từ)\s*({NUMBER})\s*%?(?:\s*trở lên)?$", re.IGNORECASE)
_RANGE = re.compile(
    rf"^(?:từ\s*)?({NUMBER})\s*%?\s*(?:[{_DASHES}]|đến)\s*(?:<|dưới)?\s*({NUMBER})\s*%?$", re.IGNORECASE
)
_LT = re.compile(rf"^(?:<|dưới)\s*({NUMBER})\s*%?$", re.IGNORECASE)


def parse_bands(text: str) -> list[dict]:
    """``"≥ 90%: 2; 70–<90%: 1; <70%: 0"`` → ``[{"min": "90", "points": "2"}, {"min": "70", ...}, {"min": "0", ...}]``.

    Bands go from high to low, each lower bound inclusive and percent (0–100); an upper bound, when
    written, must equal the lower bound of the band above (contiguous); the lowest band starts at 0.
    Raises ``ScaleError`` otherwise.
    """
    bands = []
    empty = "Thang điểm tỷ lệ trống; ghi dạng '≥ 90%: 2; 70–<90%: 1; <70%: 0'."
    for part, label, sep, points in _labelled_parts(text, empty):
        if not sep or not label:
            raise ScaleError(
                f"Mức '{part}' sai cú pháp; ghi dạng '≥ 90%: 2' hoặc '70–<90%: 1' hoặc '<70%: 0'."
            )
        value = parse_decimal(points, what=f"Điểm của mức '{label}'")
        upper = None
        if m := _GE.match(label):
            low = parse_decimal(m.group(1), what="Ngưỡng %")
        elif m := _RANGE.match(label):
            low = parse_decimal(m.group(1), what="Ngưỡng %")
            upper = parse_decimal(m.group(2), what="Ngưỡng %")
        elif m := _LT.match(label):
            low, upper = Decimal(0), parse_decimal(m.group(1), what="Ngưỡng %")
        else:
            raise ScaleError(f"Mức '{label}' không đọc được; ghi dạng '≥ 90%', '70–<90%' hoặc '<70%'.")
        if low > 100 or (upper is not None and (upper > 100 or upper <= low)):
            raise ScaleError(f"Mức '{label}' có ngưỡng không hợp lệ (0–100%).")
        if bands:
            above = Decimal(bands[-1]["min"])
            if low >= above:
                raise ScaleError("Các mức tỷ lệ phải ghi từ cao xuống thấp.")
            if upper is not None and upper != above:
                raise ScaleError(
                    f"Mức '{label}' không liền với mức trên (phải kết thúc ở {format_decimal(above)}%)."
                )
        bands.append({"min": str(low), "points": str(value)})
    if Decimal(bands[-1]["min"]) != 0:
        raise ScaleError("Mức thấp nhất của thang tỷ lệ phải bắt đầu từ 0%.")
    return bands


def format_bands(bands: list[dict]) -> str:
    parts = []
    for i, band in enumerate(bands):
        low, pts = format_decimal(band["min"]), format_decimal(band["points"])
        if i == 0:
            parts.append(f"≥ {low}%: {pts}")
        else:
            above = format_decimal(bands[i - 1]["min"])
            parts.append(f"<{above}%: {pts}" if Decimal(band["min"]) == 0 else f"{low}–<{above}%: {pts}")
    return "; ".join(parts)


def parse_scale(kind: str, text: str) -> list[dict]:
    """Dispatch on ``kind`` ("options" or "ratio"); other kinds carry no scale and get ``[]``."""
    if kind == "options":
        return parse_options(text)
    if kind == "ratio":
        return parse_bands(text)
    return []


def format_scale(kind: str, scale: list[dict]) -> str:
    if kind == "options" and scale:
        return format_options(scale)
    if kind == "ratio" and scale:
        return format_bands(scale)
    return ""


def ratio_points(bands: list[dict], numerator: Decimal, denominator: Decimal) -> tuple[Decimal, Decimal]:
    """Percent (numerator / denominator × 100) and the points of the band it falls in.

    Raises ``ScaleError`` for a zero denominator, negative parts or numerator > denominator.
    """
    if denominator <= 0:
        raise ScaleError("Mẫu số phải lớn hơn 0.")
    if numerator < 0:
        raise ScaleError("Tử số không được âm.")
    if numerator > denominator:
        raise ScaleError("Tử số không được lớn hơn mẫu số.")
    percent = numerator * 100 / denominator
    for band in bands:
        if percent >= Decimal(band["min"]):
            return percent, Decimal(band["points"])
    return percent, Decimal(0)  # pragma: no cover — the lowest band starts at 0
