"""Writes of the province's national results (shared/DESIGN.md §8; issue 6 item 5).

The coordinator (Sở Nội vụ) and admins record the Ministry's published figures of the province for a year:
PAR Index (%), rank, number of provinces ranked and the component index (%) of each field. They enter them
in a form (``province_result_create`` / ``province_result_update``) or import a workbook of one row per
year (``province_results_import``, preview with ``dry_run`` then confirm); ``province_results_load_documented``
loads the figures of 004 §2.1 shipped in ``fixtures/province_results.json``.

Rules (``figures_clean``, one place for form and workbook): year 2012–2100; percents 0–100 with ≤ 2 decimals
(comma or dot); rank and provinces whole numbers, 1 ≤ rank ≤ provinces ranked; provinces ranked default to
63 for years before 2025 and 34 from 2025 (``default_provinces_ranked``) when a rank is given without them.
A blank value is stored as NULL (not known), never guessed. Every write leaves simple-history with the user
and a reason. Errors: ``PermissionDenied`` (not coordinator/admin), ``ValidationError`` with a dict of
Vietnamese messages by form field; an import with any bad row writes nothing.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from criteria.scales import ScaleError, format_decimal, parse_decimal
from criteria.tree import Problem
from parindex.audit import audit_stamp
from parindex.xlsx import is_blank
from units.permissions import require_perm

from ..models.province import (
    CURRENT_FIELDS,
    FIELD_NAMES,
    FIELD_NUMBERS,
    FIRST_YEAR,
    LAST_YEAR,
    ProvinceComponentResult,
    ProvinceResult,
    default_provinces_ranked,
)
from . import workbook

#: Sanity bound of "Số tỉnh" (Vietnam has never had more than 64 provinces).
MAX_PROVINCES = 100
DOCUMENTED_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "province_results.json"
REASON_CREATE = "Nhập kết quả Chỉ số CCHC của tỉnh"
REASON_UPDATE = "Sửa kết quả Chỉ số CCHC của tỉnh"
REASON_IMPORT = "Nhập kết quả Chỉ số CCHC của tỉnh từ tệp Excel"
REASON_DOCUMENTED = "Số liệu của Đề án cải thiện Chỉ số CCHC (004 §2.1)"

LABELS = {
    "year": "Năm",
    "overall_percent": "Chỉ số (%)",
    "rank": "Xếp hạng",
    "provinces_ranked": "Số tỉnh",
    **{f"component_{n}": f"Chỉ số thành phần {n}" for n in FIELD_NUMBERS},
}


MANAGE_REFUSED = "Chỉ Sở Nội vụ (điều phối) và quản trị viên được nhập, sửa kết quả Chỉ số CCHC của tỉnh."


@dataclass
class Figures:
    """A year's figures, parsed and checked. ``overall_percent``/component values: Decimal % or None (not
    known); ``rank``/``provinces_ranked``: int or None; ``components``: field number → % for the fields to
    write (absent = untouched); ``source``/``note``: text, None = keep what is stored."""

    year: int
    overall_percent: Decimal | None = None
    rank: int | None = None
    provinces_ranked: int | None = None
    components: dict[int, Decimal | None] = field(default_factory=dict)
    source: str | None = None
    note: str | None = None
    row: int | None = field(default=None, compare=False)  # workbook row, for messages only


def _number(value, label: str) -> Decimal:
    if isinstance(value, str):
        value = value.strip().removesuffix("%").strip()
    try:
        return parse_decimal(value, what=label)
    except ScaleError as exc:
        raise ValidationError(str(exc)) from exc


def _percent(value, label: str) -> Decimal | None:
    if is_blank(value):
        return None
    number = _number(value, label)
    if not 0 <= number <= 100:
        raise ValidationError(f"{label} {format_decimal(number)} phải trong khoảng 0–100 (%).")
    return number


def _whole(value, label: str) -> int | None:
    if is_blank(value):
        return None
    number = _number(value, label)
    if number != number.to_integral_value():
        raise ValidationError(f"{label} '{format_decimal(number)}' phải là số nguyên.")
    return int(number)


def figures_clean(
    values: Mapping[str, Any], *, fields: Iterable[int] = CURRENT_FIELDS
) -> tuple[Figures | None, dict]:
    """Parse and check one year's figures.

    ``values``: raw input by key ``year``, ``overall_percent``, ``rank``, ``provinces_ranked``,
    ``component_<n>`` for each n of ``fields``, and optionally ``source``/``note`` (absent = keep) — text as
    typed ("79,41" or "79.41", a trailing "%" allowed), numbers, Decimal or None/blank (not known).
    Returns ``(figures, {})`` when valid, else ``(None, {key or None: [Vietnamese messages]})`` with every
    problem found (None = about the row as a whole). Rules: module docstring (004 §2.1 for the shape).
    """
    errors: dict[str | None, list[str]] = {}

    def check(key, parse, *args):
        try:
            return parse(values.get(key), *args)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
            return None

    year = None
    if is_blank(values.get("year")):
        errors["year"] = ["Thiếu năm."]
    else:
        year = check("year", _whole, "Năm")
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            errors["year"] = [f"Năm {year} phải trong khoảng {FIRST_YEAR}–{LAST_YEAR}."]
            year = None
    overall = check("overall_percent", _percent, "Chỉ số (%)")
    rank = check("rank", _whole, "Xếp hạng")
    if rank is not None and rank < 1:
        errors.setdefault("rank", []).append("Xếp hạng phải từ 1 trở lên.")
        rank = None
    provinces = check("provinces_ranked", _whole, "Số tỉnh")
    if provinces is not None and not 1 <= provinces <= MAX_PROVINCES:
        errors.setdefault("provinces_ranked", []).append(
            f"Số tỉnh {provinces} phải trong khoảng 1–{MAX_PROVINCES}."
        )
        provinces = None
    components = {n: check(f"component_{n}", _percent, f"Chỉ số thành phần {n}") for n in fields}
    if rank is not None and provinces is None and "provinces_ranked" not in errors and year is not None:
        provinces = default_provinces_ranked(year)
    if rank is not None and provinces is not None and rank > provinces:
        errors.setdefault("rank", []).append(
            f"Xếp hạng {rank} lớn hơn số tỉnh được xếp hạng ({provinces}); ghi đúng Số tỉnh nếu năm đó khác."
        )
    if not errors and overall is None and rank is None and all(v is None for v in components.values()):
        errors[None] = [
            f"Năm {year} chưa có số liệu nào: ghi Chỉ số (%), Xếp hạng hoặc tỷ lệ điểm một Chỉ số thành phần."
        ]
    if errors:
        return None, errors
    assert year is not None  # a missing or refused year is in ``errors``
    text = {
        k: (None if k not in values else ("" if values[k] is None else str(values[k]).strip()))
        for k in ("source", "note")
    }
    return Figures(
        year=year,
        overall_percent=overall,
        rank=rank,
        provinces_ranked=provinces,
        components=components,
        source=text["source"],
        note=text["note"],
    ), {}


def _invalid(errors: dict) -> ValidationError:
    """The errors of ``figures_clean`` as a form-ready ``ValidationError`` (None → non-field errors)."""
    return ValidationError({key or NON_FIELD_ERRORS: messages for key, messages in errors.items()})


def _changes(result: ProvinceResult | None, figures: Figures) -> list[tuple[str, Any, Any]]:
    """``[(key, stored, new)]`` of the values ``figures`` would change on ``result`` (None: a new year).
    ``source``/``note`` of None mean "keep" and never count as a change."""
    out = []
    for key in ("overall_percent", "rank", "provinces_ranked"):
        old, new = (getattr(result, key) if result is not None else None), getattr(figures, key)
        if old != new:
            out.append((key, old, new))
    for key in ("source", "note"):
        old, new = (getattr(result, key) if result is not None else ""), getattr(figures, key)
        if new is not None and old != new:
            out.append((key, old, new))
    stored = {c.field_number: c.percent for c in result.components.all()} if result is not None else {}
    for n, new in figures.components.items():
        if stored.get(n) != new:
            out.append((f"component_{n}", stored.get(n), new))
    return out


def _write(result: ProvinceResult | None, figures: Figures, *, by, reason: str) -> tuple[ProvinceResult, int]:
    """Store ``figures`` on ``result`` (or a new year); returns the result and the number of values changed.
    Nothing is saved when nothing changes (no empty history entries); any change saves the year's row too,
    so its history and ``updated_by`` name who last edited the year."""
    changes = _changes(result, figures)
    if result is None:
        result = ProvinceResult(year=figures.year)
    new_year = result.pk is None
    scalar = [(k, new) for k, _, new in changes if not k.startswith("component_")]
    if new_year or changes:
        for key, new in scalar:
            setattr(result, key, new)
        result.updated_by = by
        audit_stamp(result, by, reason)
        result.full_clean()
        result.save()
    stored = {} if new_year else {c.field_number: c for c in result.components.all()}
    for key, _, new in changes:
        if not key.startswith("component_"):
            continue
        n = int(key.removeprefix("component_"))
        component = stored.get(n) or ProvinceComponentResult(
            result=result, field_number=n, field_name=FIELD_NAMES[n]
        )
        component.percent = new
        audit_stamp(component, by, reason)
        component.save()
    return result, len(changes)


@transaction.atomic
def province_result_create(*, by, **values) -> ProvinceResult:
    """Record a new year. ``values``: as ``figures_clean`` (year required; components 1–8). Raises
    ``PermissionDenied``, ``ValidationError`` ({field: messages}; also when the year already exists)."""
    require_perm(by, "reports.manage_province", message=MANAGE_REFUSED)
    figures, errors = figures_clean(values, fields=CURRENT_FIELDS)
    if figures is not None and ProvinceResult.objects.filter(year=figures.year).exists():
        errors = {"year": [f"Năm {figures.year} đã có số liệu; hãy sửa năm đó thay vì thêm mới."]}
    if errors or figures is None:
        raise _invalid(errors)
    result, _ = _write(None, figures, by=by, reason=REASON_CREATE)
    return result


@transaction.atomic
def province_result_update(*, result: ProvinceResult, by, **values) -> ProvinceResult:
    """Change the figures of ``result``'s year (the year itself is not changed). ``values``: as
    ``figures_clean`` without ``year``; components 1–8, and 9 (one-stop, 2016 only) when the year has it.
    A blank value clears (NULL); a key left out keeps the stored value. Raises ``PermissionDenied``,
    ``ValidationError`` ({field: messages})."""
    require_perm(by, "reports.manage_province", message=MANAGE_REFUSED)
    result = ProvinceResult.objects.select_for_update().get(pk=result.pk)
    stored = {f"component_{c.field_number}": c.percent for c in result.components.all()}
    fields = sorted(set(CURRENT_FIELDS) | {int(k.removeprefix("component_")) for k in stored})
    current = {
        "overall_percent": result.overall_percent,
        "rank": result.rank,
        "provinces_ranked": result.provinces_ranked,
        **stored,
    }
    figures, errors = figures_clean({**current, **values, "year": result.year}, fields=fields)
    if figures is None:
        raise _invalid(errors)
    result, _ = _write(result, figures, by=by, reason=REASON_UPDATE)
    return result


@dataclass
class ImportResult:
    """What an import found (and, when ``imported``, wrote).

    ``problems``/``warnings``: ``criteria.tree.Problem`` lists (Vietnamese, by sheet/row/column); warnings
    name values a blank cell will clear. ``summary``: ``{"rows", "new_years", "updated_years", "changed":
    int, "years": [int]}``. ``figures``: the parsed rows.
    """

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    figures: list[Figures] = field(default_factory=list)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _display(value) -> str:
    return format_decimal(value) if isinstance(value, Decimal) else str(value)


def province_results_check(*, data: bytes) -> ImportResult:
    """Validate a results workbook (``workbook`` layout) without writing: every bad cell and row
    is listed (``figures_clean`` rules, duplicate years). Queries: two, whatever the number of rows."""
    read = workbook.read_rows(data)
    result = ImportResult(problems=list(read.problems))
    sheet = workbook.SHEET
    seen: dict[int, int] = {}
    for raw in read.rows:
        values = {k: v for k, v in raw.values.items() if not (k == "source" and v is None)}
        figures, errors = figures_clean(values, fields=CURRENT_FIELDS)
        for key, messages in errors.items():
            for message in messages:
                result.problems.append(Problem(sheet, raw.row, workbook.COLUMNS.get(key, "B"), message))
        if figures is None:
            continue
        if figures.year in seen:
            result.problems.append(
                Problem(
                    sheet, raw.row, "A", f"Năm {figures.year} bị lặp (đã có ở dòng {seen[figures.year]})."
                )
            )
            continue
        seen[figures.year] = raw.row
        figures.row = raw.row
        result.figures.append(figures)
    result.problems.sort(key=lambda p: p.row or 0)
    if result.problems:
        return result
    stored = {r.year: r for r in ProvinceResult.objects.filter(year__in=seen).prefetch_related("components")}
    changed = 0
    for figures in result.figures:
        changes = _changes(stored.get(figures.year), figures)
        changed += len(changes)
        for key, old, new in changes:
            if new is None and old is not None:
                result.warnings.append(
                    Problem(
                        sheet,
                        figures.row,
                        workbook.COLUMNS.get(key),
                        (f"Năm {figures.year}: ô trống sẽ xóa {LABELS[key]} đang có ({_display(old)})."),
                    )
                )
    result.summary = {
        "rows": len(result.figures),
        "new_years": len(seen) - len(stored),
        "updated_years": len(stored),
        "changed": changed,
        "years": sorted(seen),
    }
    return result


@transaction.atomic
def province_results_import(*, data: bytes, by, dry_run: bool = False, filename: str = "") -> ImportResult:
    """Check (``province_results_check``) and, unless ``dry_run`` or a problem was found, write every row:
    a new year is created, a recorded year's figures and components 1–8 are replaced (blank → NULL; the
    2016-only component 9 and a blank "Nguồn số liệu" are kept). All rows or none. Raises
    ``PermissionDenied``; bad content is returned in ``problems``, never raised."""
    require_perm(by, "reports.manage_province", message=MANAGE_REFUSED)
    result = province_results_check(data=data)
    if not result.ok or dry_run:
        return result
    stored = {
        r.year: r
        for r in ProvinceResult.objects.select_for_update()
        .filter(year__in=[f.year for f in result.figures])
        .prefetch_related("components")
    }
    reason = f"{REASON_IMPORT} {filename}".strip()
    for figures in result.figures:
        _write(stored.get(figures.year), figures, by=by, reason=reason)
    result.imported = True
    return result


@transaction.atomic
def province_results_load_documented(*, by, path: Path = DOCUMENTED_FIXTURE) -> dict:
    """Load the figures of 004 §2.1 (``fixtures/province_results.json``, Django fixture format with natural
    keys) without overwriting: a missing year is created, a NULL value or blank text is filled, a value
    already recorded is kept (a coordinator's correction wins). Idempotent, so ``setup_portal`` may call
    it on every start. Returns ``{"years_created": n, "values_filled": n}`` (numbers, not texts). Raises
    ``ValueError`` when the file holds a value that ``figures_clean`` refuses; ``PermissionDenied`` when ``by``
    (required; the command passes ``units.services.system_user()``) may not manage the province's results."""
    require_perm(by, "reports.manage_province", message=MANAGE_REFUSED)
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    years: dict[int, dict] = {}
    names: dict[tuple[int, int], str] = {}
    for entry in entries:
        f = entry["fields"]
        if entry["model"] == "reports.provinceresult":
            years.setdefault(f["year"], {}).update(f)
        elif entry["model"] == "reports.provincecomponentresult":
            year, n = f["result"][0], f["field_number"]
            years.setdefault(year, {"year": year})[f"component_{n}"] = f["percent"]
            names[(year, n)] = f["field_name"]
    stored = {r.year: r for r in ProvinceResult.objects.filter(year__in=years).prefetch_related("components")}
    created = filled = 0
    for year, values in sorted(years.items()):
        fields = sorted(int(k.removeprefix("component_")) for k in values if k.startswith("component_"))
        figures, errors = figures_clean(values, fields=fields)
        if figures is None:
            raise ValueError(f"{path}: năm {year}: {errors}")
        result = stored.get(year)
        if result is None:
            result, created = ProvinceResult(year=year), created + 1
        changed = result.pk is None
        for key in ("overall_percent", "rank", "provinces_ranked", "source", "note"):
            value = getattr(figures, key)
            if value not in (None, "") and getattr(result, key) in (None, ""):
                setattr(result, key, value)
                filled += key not in ("source", "note")
                changed = True
        if changed:
            audit_stamp(result, by, REASON_DOCUMENTED)
            result.full_clean()
            result.save()
        components = {c.field_number: c for c in result.components.all()} if year in stored else {}
        for n, percent in figures.components.items():
            component = components.get(n) or ProvinceComponentResult(
                result=result, field_number=n, field_name=names[(year, n)]
            )
            if percent is None or component.percent is not None:
                continue
            component.percent = percent
            audit_stamp(component, by, REASON_DOCUMENTED)
            component.save()
            filled += 1
    return {"years_created": created, "values_filled": filled}
