"""Reads of the province's national results (shared/DESIGN.md §8; issue 6 items 5 and 7).

``province_overview`` gives everything the page shows — the table of years, the multi-year average of each
component with its band, the target checks and the chart data — from two queries whatever the number of
years. The rules:

- band of a percent (004 §2.1, footnote of the component averages): A ≥ 90, B 80–<90, C 70–<80, D < 70;
- average of a component: arithmetic mean of the years that have a value (NULL years left out, as 004
  averages the 2016-only one-stop component over its one year), rounded to 2 decimals half up; the band is
  taken from the rounded average, so what is shown and its band agree;
- targets (000 item 17; 004 Phần II §I.1): by 2025 within the top 15 provinces nationally (rank ≤ 15 in the
  2025 results); from 2026 to 2030 at least one rank better each year than the year before. A year
  without a published rank (or, for the yearly rule, without the previous year's) is "not yet known".
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .models_province import CURRENT_FIELDS, FIELD_NAMES, ProvinceResult

CENT = Decimal("0.01")
#: Bands of a component average, highest first (004 §2.1): (code, minimum %).
BANDS = (("A", Decimal(90)), ("B", Decimal(80)), ("C", Decimal(70)), ("D", Decimal(0)))
BAND_LABELS = {"A": "từ 90% trở lên", "B": "từ 80% đến dưới 90%", "C": "từ 70% đến dưới 80%", "D": "dưới 70%"}
#: Targets of 000 item 17 / 004 Phần II §I.1.
TOP_TARGET_YEAR, TOP_TARGET_RANK = 2025, 15
YEARLY_TARGET_FROM, YEARLY_TARGET_UNTIL = 2026, 2030

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"


def band_of(percent: Decimal | None) -> str | None:
    """"A" | "B" | "C" | "D" for a percent (0–100) by the bands of 004 §2.1; None for None."""
    if percent is None:
        return None
    return next(code for code, minimum in BANDS if percent >= minimum)


@dataclass
class YearRow:
    """One year of the table. ``cells``: component % (or None) aligned with ``ProvinceOverview.columns``."""

    year: int
    result: ProvinceResult
    overall_percent: Decimal | None
    rank: int | None
    provinces_ranked: int | None
    cells: list[Decimal | None]


@dataclass
class ComponentAverage:
    """Multi-year average of one component: ``average`` in % (2 decimals, None when no year has a value),
    ``years``: the years averaged, ``band``: "A"–"D" or None."""

    field_number: int
    field_name: str
    average: Decimal | None
    years: list[int]
    band: str | None


@dataclass
class TargetCheck:
    """One target: ``status`` is ``MET``, ``NOT_MET`` or ``UNKNOWN``; ``detail`` says why (Vietnamese)."""

    year: int
    target: str
    status: str
    detail: str


@dataclass
class ProvinceOverview:
    """What the page shows. ``columns``: ``[(field number, name)]`` (fields 1–8, then any other recorded
    field, e.g. the 2016-only 9); ``bands``: ``[(code, label, number of components whose average is in
    it)]``; ``chart``: plain JSON-ready data for ``static/js/charts.js``."""

    rows: list[YearRow]
    columns: list[tuple[int, str]]
    averages: list[ComponentAverage]
    bands: list[tuple[str, str, int]]
    targets: list[TargetCheck]
    chart: dict = field(default_factory=dict)


def component_averages(values: Mapping[int, Iterable[tuple[int, Decimal | None]]],
                       names: Mapping[int, str] | None = None) -> list[ComponentAverage]:
    """Average and band of each component. ``values``: field number → ``[(year, percent or None)]``.
    Returns one ``ComponentAverage`` per field number, in field order (rules: module docstring)."""
    names = names or {}
    out = []
    for number in sorted(values):
        known = [(year, p) for year, p in values[number] if p is not None]
        average = None
        if known:
            average = (sum((p for _, p in known), Decimal(0)) / len(known)).quantize(CENT, rounding=ROUND_HALF_UP)
        out.append(ComponentAverage(number, names.get(number, FIELD_NAMES.get(number, str(number))), average,
                                    [y for y, _ in known], band_of(average)))
    return out


def _place(rank: int, provinces: int | None) -> str:
    return f"{rank}/{provinces}" if provinces else str(rank)


def target_checks(ranks: Mapping[int, tuple[int | None, int | None]]) -> list[TargetCheck]:
    """The targets of 000 item 17 against ``ranks`` (year → ``(rank or None, provinces ranked or None)``).

    Returns the 2025 check (top ``TOP_TARGET_RANK``) then one check per year 2026–2030 (rank at least one
    better than the year before; holding first place counts as met, as no better rank exists). A
    comparison across a change in the number of provinces ranked is made on the ranks and says so.
    """
    checks = []
    rank, provinces = ranks.get(TOP_TARGET_YEAR, (None, None))
    target = f"Trong nhóm {TOP_TARGET_RANK} tỉnh, thành phố đứng đầu cả nước"
    if rank is None:
        checks.append(TargetCheck(TOP_TARGET_YEAR, target, UNKNOWN, f"Chưa có xếp hạng năm {TOP_TARGET_YEAR}."))
    else:
        ok = rank <= TOP_TARGET_RANK
        checks.append(TargetCheck(TOP_TARGET_YEAR, target, MET if ok else NOT_MET,
                                  f"Xếp hạng {_place(rank, provinces)}."))
    for year in range(YEARLY_TARGET_FROM, YEARLY_TARGET_UNTIL + 1):
        target = f"Tăng tối thiểu 01 bậc so với năm {year - 1}"
        rank, provinces = ranks.get(year, (None, None))
        before, before_provinces = ranks.get(year - 1, (None, None))
        if rank is None:
            checks.append(TargetCheck(year, target, UNKNOWN, f"Chưa có xếp hạng năm {year}."))
            continue
        if before is None:
            checks.append(TargetCheck(year, target, UNKNOWN, f"Xếp hạng {_place(rank, provinces)}; chưa có xếp "
                                                             f"hạng năm {year - 1} để so sánh."))
            continue
        detail = f"Xếp hạng {_place(rank, provinces)}, năm {year - 1}: {_place(before, before_provinces)}"
        if provinces and before_provinces and provinces != before_provinces:
            detail += " (số tỉnh được xếp hạng khác nhau)"
        if rank == 1 and before == 1:
            checks.append(TargetCheck(year, target, MET, detail + "; giữ vị trí dẫn đầu."))
        elif rank <= before - 1:
            checks.append(TargetCheck(year, target, MET, detail + f"; tăng {before - rank} bậc."))
        else:
            change = "giữ nguyên" if rank == before else f"giảm {rank - before} bậc"
            checks.append(TargetCheck(year, target, NOT_MET, detail + f"; {change}."))
    return checks


def _number(value):
    return None if value is None else float(value)


def province_overview() -> ProvinceOverview:
    """Everything the province results page shows (see the module docstring), from two queries."""
    results = list(ProvinceResult.objects.order_by("year").prefetch_related("components"))
    numbers = set(CURRENT_FIELDS) if results else set()
    names: dict[int, str] = {}
    by_year: dict[int, dict[int, Decimal | None]] = {}
    for r in results:  # ascending years: the latest name of a field wins
        by_year[r.year] = {}
        for c in r.components.all():
            numbers.add(c.field_number)
            names[c.field_number] = c.field_name
            by_year[r.year][c.field_number] = c.percent
    order = sorted(numbers, key=lambda n: (n not in CURRENT_FIELDS, n))
    columns = [(n, names.get(n, FIELD_NAMES.get(n, str(n)))) for n in order]
    rows = [YearRow(r.year, r, r.overall_percent, r.rank, r.provinces_ranked, [by_year[r.year].get(n) for n in order])
            for r in results]
    averages = component_averages({n: [(r.year, by_year[r.year].get(n)) for r in results] for n in order},
                                  dict(columns))
    bands = [(code, BAND_LABELS[code], sum(1 for a in averages if a.band == code)) for code, _ in BANDS]
    targets = target_checks({r.year: (r.rank, r.provinces_ranked) for r in results})
    chart = {
        "years": [r.year for r in results],
        "overall": [_number(r.overall_percent) for r in results],
        "rank": [r.rank for r in results],
        "provinces": [r.provinces_ranked for r in results],
        # short legend labels as the table's headers ("CSTP 1"); the full name goes to the tooltip
        "components": [{"label": f"CSTP {n}", "name": f"{n}. {name}",
                        "data": [_number(by_year[r.year].get(n)) for r in results]} for n, name in columns],
    }
    return ProvinceOverview(rows, columns, averages, bands, targets, chart)
