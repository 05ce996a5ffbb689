"""The workbook of the province's national results (issue 6 item 5): reading its rows and writing the template.

Layout: one sheet "Kết quả tỉnh" (a workbook with a single sheet of another name is read too); row 1 holds
the headers, then one row per year:

    A Năm | B Chỉ số (%) | C Xếp hạng | D Số tỉnh | E–L component % of fields 1–8 | M Nguồn số liệu (optional)

The headers of A–D must read as above; those of E–L must begin with their field number ("1.", "2." …), so
the names may follow the national method of the year. A cell formatted as a percentage in Excel reads as
the percent shown (0.7941 shown "79.41%" → 79.41). ``read_rows`` checks the file and the sheet's shape
and returns the raw cell values of each row; it never raises on bad input but returns every ``Problem``.
Parsing and checking the values (ranges, rank ≤ provinces, duplicate years) is
``reports.province.services``' job, shared with the edit form.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from criteria.tree import Problem
from parindex.xlsx import (
    CellCheck,
    SheetLimits,
    check_headers,
    first_row,
    is_blank,
    number_cell,
    open_xlsx,
    style_header,
    text,
    workbook_bytes,
)

from ..models.province import CURRENT_FIELDS, FIELD_NAMES

SHEET = "Kết quả tỉnh"
HEADERS = ("Năm", "Chỉ số (%)", "Xếp hạng", "Số tỉnh")
SOURCE_HEADER = "Nguồn số liệu"
#: Column letter of each value, for messages (components: "component_<n>").
COLUMNS = {
    "year": "A",
    "overall_percent": "B",
    "rank": "C",
    "provinces_ranked": "D",
    **{f"component_{n}": get_column_letter(len(HEADERS) + n) for n in CURRENT_FIELDS},
    "source": get_column_letter(len(HEADERS) + len(CURRENT_FIELDS) + 1),
}
N_COLUMNS = len(COLUMNS)
MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500


def component_header(number: int) -> str:
    """Header of a component column: "1. Công tác chỉ đạo, điều hành cải cách hành chính (%)"."""
    return f"{number}. {FIELD_NAMES[number]} (%)"


@dataclass
class RawRow:
    """One data row as found: ``values`` maps ``COLUMNS`` keys to the cell's value (None when blank)."""

    row: int
    values: dict


@dataclass
class ReadRows:
    rows: list[RawRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _value(cell):
    """A cell's value; a number shown as a percentage in Excel (0.7941 formatted "79.41%") as the percent
    typed (79.41), so a sheet formatted either way reads the same."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
        return Decimal(repr(value)) * 100
    return value


def read_rows(data: bytes, *, max_bytes: int | None = MAX_BYTES) -> ReadRows:
    """Read the workbook's rows (``data``: the file's bytes).

    Problems found here: not an .xlsx / empty / too big / broken (``open_xlsx``), no sheet "Kết quả tỉnh"
    among several, wrong headers of A–D, E–L not starting with their field number, formulas, more than
    ``MAX_ROWS`` rows, no data row. Blank rows are skipped. Never raises for bad input.

    A formula does not stop the reading: it is reported and its cell read by the value Excel stored for
    it (``parindex.xlsx.CellCheck``; blank without one). Only wrong headers (the columns cannot be
    trusted) leave the rows unread; too many rows (or columns, cells: ``parindex.xlsx.SheetLimits``) refuse the
    file before it is loaded. Problems are sorted by sheet, row and column.
    """
    wb, refused = open_xlsx(data, max_bytes, SheetLimits(max_rows=MAX_ROWS))
    if refused:
        return ReadRows(problems=refused)
    result = ReadRows()
    problems = result.problems
    named = [ws for ws in wb.worksheets if text(ws.title).casefold() == SHEET.casefold()]
    ws = named[0] if named else (wb.worksheets[0] if len(wb.worksheets) == 1 else None)
    if ws is None:
        return ReadRows(
            problems=[
                Problem(
                    SHEET,
                    None,
                    None,
                    f"Không có trang tính '{SHEET}' (tệp có {len(wb.worksheets)} trang tính).",
                )
            ]
        )
    sheet = text(ws.title)
    header = first_row(ws, N_COLUMNS)
    header += [None] * (N_COLUMNS - len(header))
    check_headers(header, sheet, HEADERS, problems)
    for n in CURRENT_FIELDS:
        found = text(header[len(HEADERS) + n - 1])
        if not (found.startswith(f"{n}.") or found.startswith(f"{n} ") or found == str(n)):
            problems.append(
                Problem(
                    sheet,
                    1,
                    COLUMNS[f"component_{n}"],
                    f"Tiêu đề cột phải bắt đầu bằng số lĩnh vực '{n}.' (ví dụ "
                    f"'{component_header(n)}'; đang là '{found or 'trống'}').",
                )
            )
    headers_ok = not problems
    cells = CellCheck(data)
    cells.check(ws, sheet, problems, max_col=N_COLUMNS, merged=False)
    if headers_ok:  # wrong headers: the columns cannot be trusted, their cells are not read
        keys = list(COLUMNS)
        for number, row in enumerate(ws.iter_rows(min_row=2, max_col=N_COLUMNS), start=2):
            values = [_value(c) for c in row] + [None] * (N_COLUMNS - len(row))
            if all(is_blank(v) for v in values):
                continue
            result.rows.append(
                RawRow(
                    row=number,
                    values={k: (None if is_blank(v) else v) for k, v in zip(keys, values, strict=True)},
                )
            )
        if not result.rows:
            problems.append(Problem(sheet, None, None, "Trang không có dòng số liệu nào."))
    result.problems = cells.finish(problems)
    return result


def write_template(results) -> bytes:
    """The workbook above as .xlsx bytes, one row per ``ProvinceResult`` of ``results`` (components
    prefetched), blank where a value is NULL; an empty template when ``results`` is empty."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(HEADERS + tuple(component_header(n) for n in CURRENT_FIELDS) + (SOURCE_HEADER,))
    for r in results:
        by_field = {c.field_number: c.percent for c in r.components.all()}
        ws.append(
            (
                r.year,
                number_cell(r.overall_percent),
                r.rank,
                r.provinces_ranked,
                *(number_cell(by_field.get(n)) for n in CURRENT_FIELDS),
                r.source or None,
            )
        )
    style_header(
        ws,
        [10 if i <= len(HEADERS) else (60 if i == N_COLUMNS else 18) for i in range(1, N_COLUMNS + 1)],
        freeze="B2",
    )
    return workbook_bytes(wb)
