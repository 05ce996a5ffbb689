"""The survey results workbook (kết quả điều tra XHH): reading its rows and writing the per-round template.

Layout (README "Survey scores"): exactly one sheet "Kết quả"; row 1 holds the headers, one result per
row below it:

    A Mã đơn vị | B Mã tiêu chí | C Điểm | D Tỷ lệ hài lòng (%) | E Tên đơn vị | F Nội dung tiêu chí

Each row gives either C (points, 0..leaf max) or D (satisfaction %, 0..100, converted to points by the
import service). Columns E and F (and anything to their right) are informative: the template fills them
in, the import ignores them. ``read_results`` checks the file and the sheet's shape and reads the cells;
it never raises on bad input but returns every ``Problem`` (sheet, row, column, Vietnamese message).
Checks against the database (units, assessments, leaves, maxima) belong to ``surveys.services``.
"""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from criteria.tree import Problem
from parindex.xlsx import (
    CellCheck,
    SheetLimits,
    check_headers,
    code_text,
    first_row,
    is_blank,
    number_cell,
    open_xlsx,
    read_number,
    sort_problems,
    style_header,
    workbook_bytes,
)

SHEET = "Kết quả"
HEADERS = ("Mã đơn vị", "Mã tiêu chí", "Điểm", "Tỷ lệ hài lòng (%)")
INFO_HEADERS = ("Tên đơn vị (không nhập)", "Nội dung tiêu chí (không nhập)")
#: Size limit of an upload (bytes) and of the sheet (rows).
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000


@dataclass
class ResultRow:
    """One data row as read: codes as text (NFC, stripped), ``points`` / ``percent`` as Decimal (≤ 2
    decimals) or None when the cell is blank or unreadable (then a problem names the cell)."""

    row: int
    unit_code: str
    leaf_code: str
    points: Decimal | None = None
    percent: Decimal | None = None
    has_points: bool = False
    has_percent: bool = False


@dataclass
class ReadRows:
    """What ``read_results`` found: the rows and the problems (an empty ``problems`` does not yet mean the
    rows are valid: the service checks them against the round)."""

    rows: list[ResultRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_results(data: bytes, *, max_bytes: int | None = MAX_BYTES) -> ReadRows:
    """Read a survey results workbook.

    ``data``: the file's bytes. Problems found here: not an .xlsx / empty / too big (``open_xlsx``),
    missing or extra sheets, wrong headers of A–D, formulas in A–D, too many rows, unreadable numbers in
    C or D, no data row at all. Blank rows (A–D empty) are skipped. Never raises for bad input.

    All in one pass, sorted by sheet, row and column (``parindex.xlsx.problem_order``): an extra sheet
    does not stop the reading of "Kết quả"; a formula is reported and its cell read by the value Excel
    stored for it (``CellCheck``); only wrong headers of A–D (the columns cannot be trusted) leave the rows
    unread. A sheet over ``MAX_ROWS`` rows (or a file over ``parindex.xlsx.SheetLimits``' columns and cells) is
    refused before it is loaded, with that problem alone.
    """
    wb, refused = open_xlsx(data, max_bytes, SheetLimits(max_rows=MAX_ROWS))
    if refused:
        return ReadRows(problems=refused)
    result = ReadRows()
    problems = result.problems
    ws = None
    for sheet in wb.worksheets:
        name = unicodedata.normalize("NFC", sheet.title).strip()
        if name.casefold() == SHEET.casefold() and ws is None:
            ws = sheet
        else:
            problems.append(
                Problem(
                    name, None, None, f"Trang tính '{name}' không thuộc mẫu; tệp chỉ gồm một trang '{SHEET}'."
                )
            )
    if ws is None:
        problems.append(Problem(SHEET, None, None, f"Thiếu trang tính '{SHEET}'."))
        return _finish(result, None)
    headers_ok = check_headers(first_row(ws, len(HEADERS)), SHEET, HEADERS, problems)
    cells = CellCheck(data)
    cells.check(ws, SHEET, problems, max_col=len(HEADERS), merged=False)
    if not headers_ok:  # the columns cannot be trusted: their cells are not read
        return _finish(result, cells)
    for number, values in enumerate(ws.iter_rows(min_row=2, max_col=len(HEADERS), values_only=True), start=2):
        values = list(values) + [None] * (len(HEADERS) - len(values))
        if all(is_blank(v) for v in values):
            continue
        unit, leaf, points, percent = values
        item = ResultRow(
            row=number,
            unit_code=code_text(unit),
            leaf_code=code_text(leaf),
            has_points=not is_blank(points),
            has_percent=not is_blank(percent),
        )
        if not item.unit_code:
            problems.append(Problem(SHEET, number, "A", "Thiếu mã đơn vị."))
        if not item.leaf_code:
            problems.append(Problem(SHEET, number, "B", "Thiếu mã tiêu chí."))
        if item.has_points and item.has_percent:
            problems.append(
                Problem(
                    SHEET,
                    number,
                    "C",
                    "Chỉ ghi một trong hai cột: 'Điểm' hoặc 'Tỷ lệ hài lòng (%)', không ghi cả hai.",
                )
            )
        elif not item.has_points and not item.has_percent:
            if (
                not {(SHEET, number, "C"), (SHEET, number, "D")} & cells.unreadable
            ):  # else: the formula is told
                problems.append(
                    Problem(
                        SHEET,
                        number,
                        "C",
                        "Chưa có kết quả: ghi 'Điểm' hoặc 'Tỷ lệ hài lòng (%)' "
                        "(xóa dòng của đơn vị chưa có kết quả).",
                    )
                )
        else:
            if item.has_points:
                item.points = read_number(points, "Điểm", problems, SHEET, number, "C")
            if item.has_percent:
                item.percent = read_number(percent, "Tỷ lệ hài lòng", problems, SHEET, number, "D")
        result.rows.append(item)
    if not result.rows:
        problems.append(Problem(SHEET, None, None, "Trang không có dòng kết quả nào."))
    return _finish(result, cells)


def _finish(result: ReadRows, cells: CellCheck | None) -> ReadRows:
    result.problems = cells.finish(result.problems) if cells else sort_problems(result.problems)
    return result


def write_template(rows) -> bytes:
    """The workbook above as .xlsx bytes, one row per item of ``rows``: ``(unit code, leaf code, points or
    None, unit name, leaf title)``. Codes are written as text (so "1.10" stays "1.10"); points as numbers."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS + INFO_HEADERS)
    grey = Font(color="666666", italic=True)
    for unit_code, leaf_code, points, unit_name, leaf_title in rows:
        ws.append((unit_code, leaf_code, number_cell(points), None, unit_name, leaf_title))
        r = ws.max_row
        ws.cell(row=r, column=1).number_format = "@"
        ws.cell(row=r, column=2).number_format = "@"
        for col in (5, 6):
            ws.cell(row=r, column=col).font = grey
    style_header(ws, (12, 12, 10, 18, 40, 70))
    return workbook_bytes(wb)
