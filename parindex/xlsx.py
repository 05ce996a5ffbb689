"""Excel (.xlsx) helpers shared by every reader and writer of the portal.

Readers (``criteria.workbook``, ``surveys.workbook``, ``surveys.responses``, ``reports.province.workbook``):
``open_xlsx`` opens an upload or says in Vietnamese why it cannot (``sniff_xlsx``: empty, too big, .xls,
password, not a workbook, too large unzipped; ``scan_sheets``: more rows, columns or cells than ``SheetLimits``,
counted by streaming before anything is loaded), ``first_row`` / ``check_headers`` check a sheet's header row,
``CellCheck`` reports formulas and merged cells without stopping the reading, ``read_number`` reads a number
typed with a decimal comma, ``problem_order`` / ``sort_problems`` sort the ``Problem`` list the
import pages show (by sheet, row, column). Readers never raise for bad input: they return every problem.

Writers (the readers' templates, ``assessments.exports``, ``reports.exports.builders``): ``style_header``
(bold header cells on the pale blue fill, column widths, frozen panes), ``THIN_BORDER``, ``print_setup``
(A4 landscape, one page wide, header row repeated), ``number_cell`` (a Decimal as a numeric cell),
``workbook_bytes`` (the finished file, every text cell made text by ``as_text``: text never becomes a formula)
and ``text_cell`` (the same rule for write-only sheets); ``download`` answers a request with a workbook as an
attachment.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from lxml import etree
from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from .numbers import ScaleError, format_decimal, parse_decimal


@dataclass
class Problem:
    """One thing wrong (or, as a warning, changed) in an upload: where and what, in Vietnamese."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self):
        where = " · ".join(
            p
            for p in (
                self.sheet and f"Trang '{self.sheet}'",
                self.row and f"dòng {self.row}",
                self.column and f"cột {self.column}",
            )
            if p
        )
        return f"{where}: {self.message}" if where else self.message


#: The media type of an .xlsx file.
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Refuse a package whose parts unzip to more than this (bytes): a zip bomb, or not a sheet of this portal.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
#: Refuse a row with more cells, or a cell further right, than this (columns): no sheet of the portal is wider.
MAX_COLUMNS = 200
#: Refuse a workbook with more cells than this in all its sheets: what openpyxl loads in about a second
#: (README "Limits of an uploaded workbook"). Rows per sheet are each importer's own ``MAX_ROWS``.
MAX_CELLS = 150_000
#: How a cell value that is a formula (or a spreadsheet's DDE payload) starts: such a str is written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: What an upload that cannot be parsed is told.
BROKEN = "Tệp .xlsx bị hỏng hoặc không đúng định dạng, không đọc được."
#: Background of header cells (pale blue), in every template and export.
HEADER_FILL = "DDE7F3"
#: The thin grey border of table cells in the exports.
THIN_BORDER = Border(
    **{side: Side(style="thin", color="999999") for side in ("left", "right", "top", "bottom")}
)


# ---------------------------------------------------------------- cells


def nfc(value) -> str:
    """A cell value as NFC text ("" for None), not stripped."""
    return unicodedata.normalize("NFC", str(value)) if value is not None else ""


def is_blank(value) -> bool:
    """True for an empty cell: None or text of spaces only."""
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    """A cell value as NFC text, stripped ("" for a blank cell)."""
    return nfc(value).strip() if not is_blank(value) else ""


def code_text(value) -> str:
    """A code cell as text: "SCT", "8.1"; a number typed in a General cell (8.1, 3) read back as written."""
    if is_blank(value):
        return ""
    if isinstance(value, float):
        return repr(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def read_number(
    value, what: str, problems: list[Problem], sheet: str, row: int, column: str
) -> Decimal | None:
    """``value`` read as a Decimal (``parindex.numbers.parse_decimal``: decimal comma, at most 2 decimals);
    None and a ``Problem`` at (``sheet``, ``row``, ``column``) naming ``what`` when it is not a number."""
    try:
        return parse_decimal(value, what=what)
    except ScaleError as exc:
        problems.append(Problem(sheet, row, column, str(exc)))
        return None


def number_cell(value):
    """Decimal → int or float cell value (openpyxl writes numbers, not text); None stays None."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral() else float(value)


# ---------------------------------------------------------------- opening an upload


def megabytes(size: int) -> str:
    """Bytes → "5" / "0,01" (MB, Vietnamese decimal comma, at least one significant digit)."""
    mb = Decimal(size) / Decimal(1048576)
    return format_decimal(mb.quantize(Decimal("0.01")) if mb >= Decimal("0.01") else Decimal("0.01"))


def sniff_xlsx(data: bytes, max_bytes: int | None) -> str | None:
    """A Vietnamese message when the bytes are not a readable .xlsx (empty, over ``max_bytes``, .xls,
    password-protected, not a zip, not a workbook, a zip bomb), else None. Shared by every importer.

    The size reported is the upload's real one: ``data`` may be only its first ``max_bytes`` + 1 bytes
    (``parindex.uploads.read_head``), whose ``size`` attribute then holds the whole file's size. A zip bomb is a
    package whose parts, as its directory declares them (Python's zip reader never inflates a part beyond its
    declared size), add up to more than ``MAX_UNZIPPED_BYTES``: refused before anything is inflated."""
    size = getattr(data, "size", len(data))
    if not data:
        return "Tệp rỗng (0 byte)."
    if max_bytes and size > max_bytes:
        return f"Tệp {megabytes(size)} MB, vượt giới hạn {megabytes(max_bytes)} MB."
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        if "EncryptionInfo".encode("utf-16-le") in data:
            return "Tệp được bảo vệ bằng mật khẩu; hãy gỡ mật khẩu trong Excel rồi tải lên lại."
        return "Tệp Excel 97–2003 (.xls) không được hỗ trợ; hãy lưu lại dưới dạng .xlsx."
    if data[:4] != b"PK\x03\x04":
        return "Tệp không phải là bảng tính Excel .xlsx."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                return "Tệp nén không phải là bảng tính Excel .xlsx."
            unzipped = sum(info.file_size for info in archive.infolist())
            if unzipped > MAX_UNZIPPED_BYTES:
                return (
                    f"Tệp .xlsx giải nén quá lớn: {megabytes(unzipped)} MB, "
                    f"vượt giới hạn {megabytes(MAX_UNZIPPED_BYTES)} MB."
                )
    except zipfile.BadZipFile:
        return "Tệp .xlsx bị hỏng, không mở được."
    return None


def _count(n: int) -> str:
    """An integer with Vietnamese thousands dots: 200000 → "200.000"."""
    return f"{n:,}".replace(",", ".")


_COORDINATE = re.compile(r"([A-Za-z]{1,3})(\d+)$")


class _Refused(Exception):
    """Raised inside ``scan_sheets`` when a limit is passed; carries the problem."""

    def __init__(self, problem: Problem):
        self.problem = problem


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """``(sheet title, part path)`` of each worksheet, as openpyxl will find them (its workbook parser)."""
    parser = WorkbookParser(archive, "xl/workbook.xml", keep_links=False)
    parser.parse()
    return [
        (sheet.name, rel.target) for sheet, rel in parser.find_sheets() if rel.target in archive.namelist()
    ]


def _scan_sheet(source, title: str, limits: "SheetLimits", cells_seen: int) -> int:
    """Stream one worksheet part (``source``, a file object) and raise ``_Refused`` as soon as it passes one of
    ``limits``; returns ``cells_seen`` plus its cell elements. Never builds more than one row in memory."""
    rows = highest_row = 0
    dimension_rows = 0
    row_cells = column = row_number = 0
    for event, element in etree.iterparse(
        source,
        events=("start", "end"),
        tag=("{*}dimension", "{*}row", "{*}c"),
        resolve_entities=False,
        no_network=True,
    ):
        local = element.tag.rsplit("}", 1)[-1]
        if event == "end":
            if local == "row":  # drop the row and what came before it: memory stays one row
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
            continue
        if local == "dimension":
            try:
                dimension_rows = range_boundaries((element.get("ref") or "").upper())[3] or 0
            except (ValueError, TypeError):
                dimension_rows = 0
            continue
        if local == "row":
            rows += 1
            number = element.get("r")
            row_number = int(number) if number and number.isascii() and number.isdecimal() else row_number + 1
            highest_row = max(highest_row, row_number)
            row_cells = column = 0
            if rows > limits.max_rows or highest_row > limits.max_rows:
                # the stream decided; the dimension tag, when it agrees, only gives the message its number
                agrees = dimension_rows >= highest_row and dimension_rows > limits.max_rows
                shown = _count(dimension_rows) if agrees else f"hơn {_count(limits.max_rows)}"
                raise _Refused(
                    Problem(
                        title,
                        None,
                        None,
                        f"Trang có {shown} dòng, vượt giới hạn {_count(limits.max_rows)} dòng.",
                    )
                )
            continue
        # a cell
        row_cells += 1
        cells_seen += 1
        match = _COORDINATE.match(element.get("r") or "")
        column = column_index_from_string(match.group(1).upper()) if match else column + 1
        if row_cells > limits.max_columns or column > limits.max_columns:
            found = (
                f"có ô ở cột {get_column_letter(min(column, 18278))} (cột thứ {column})"
                if column > limits.max_columns
                else f"có hơn {limits.max_columns} ô"
            )
            raise _Refused(
                Problem(
                    title,
                    row_number,
                    None,
                    f"Dòng {row_number} {found}, vượt giới hạn {limits.max_columns} cột.",
                )
            )
        if cells_seen > limits.max_cells:
            raise _Refused(
                Problem(
                    "",
                    None,
                    None,
                    f"Tệp có hơn {_count(limits.max_cells)} ô, vượt giới hạn {_count(limits.max_cells)} ô.",
                )
            )
    return cells_seen


@dataclass(frozen=True)
class SheetLimits:
    """The most a workbook may hold before it is loaded: rows per sheet (row elements, and the highest row
    number), columns per row (cell elements, and the highest column number) and cells in the whole file
    (every sheet). Each importer passes its ``max_rows``; columns and cells default to the portal's limits."""

    max_rows: int
    max_columns: int = MAX_COLUMNS
    max_cells: int = MAX_CELLS


def scan_sheets(data: bytes, limits: SheetLimits) -> list[Problem]:
    """The problems of a workbook that passes ``limits`` (see ``SheetLimits``), found by streaming each
    worksheet's XML (lxml, entities not resolved) and stopping at the first cell or row over a limit: a
    1,000,000-row sheet is refused after reading ``max_rows`` + 1 rows, whatever its ``dimension`` tag claims.
    One problem per sheet over its row limit (the sheet named, its number of rows when the file states it, else
    "hơn N"), or the first row over the column limit, or one whole-file problem over the cell limit; [] when
    the workbook is within them. A package or sheet that cannot be parsed is refused as broken (``BROKEN``), not
    left to openpyxl: what lxml rejects (a text node over 10 MB, which Excel never writes) must not let the rows
    after it be loaded uncounted. ``data`` must already have passed ``sniff_xlsx``."""
    problems: list[Problem] = []
    cells = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for title, part in _sheet_parts(archive):
                try:
                    with archive.open(part) as source:
                        cells = _scan_sheet(source, nfc(title).strip(), limits, cells)
                except _Refused as refused:
                    if not refused.problem.sheet:  # the whole file's cells: no use reading on
                        return [refused.problem]
                    problems.append(refused.problem)
    except (etree.LxmlError, zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        return [Problem("", None, None, BROKEN)]
    return problems


def open_xlsx(data: bytes, max_bytes: int | None, limits: SheetLimits) -> tuple[object, list[Problem]]:
    """``(workbook, [])`` for bytes that make a readable .xlsx within ``limits`` (openpyxl, formulas kept as
    written), else ``(None, problems)``: ``sniff_xlsx``'s message as a whole-file problem, ``scan_sheets``'s
    (checked before openpyxl loads anything, so a huge sheet costs the reading of ``max_rows`` rows, not its
    loading), or ``BROKEN`` when it or openpyxl cannot parse it. Shared by every importer; never raises for bad input."""
    message = sniff_xlsx(data, max_bytes)
    if message:
        return None, [Problem("", None, None, message)]
    problems = scan_sheets(data, limits)
    if problems:
        return None, problems
    try:
        return load_workbook(io.BytesIO(data), data_only=False), []
    except Exception:  # openpyxl raises many types for broken packages; all mean "cannot read"
        return None, [Problem("", None, None, BROKEN)]


# ---------------------------------------------------------------- problems


def column_number(letter: str | None) -> int:
    """ "A" → 1, "Z" → 26, "AA" → 27; None or "" → 0 (a whole-row or whole-sheet problem sorts first)."""
    number = 0
    for char in (letter or "").upper():
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
    return number


def _sheet_key(sheet: str) -> str:
    """A sheet name compared as Vietnamese readers sort it: marks dropped, đ as d, case folded."""
    plain = unicodedata.normalize("NFD", sheet or "").replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold()


def problem_order(problem: Problem) -> tuple:
    """Sort key of a ``Problem``: whole-file problems first, then by sheet (name without its marks, see
    ``_sheet_key``), row (problems about the whole sheet first) and column (A … Z, AA …). Shared by every
    importer and by the import pages."""
    return (
        bool(problem.sheet),
        _sheet_key(problem.sheet),
        problem.sheet or "",
        problem.row or 0,
        column_number(problem.column),
    )


def sort_problems(problems) -> list[Problem]:
    """``problems`` sorted by ``problem_order`` (stable: problems of one cell keep the order found)."""
    return sorted(problems, key=problem_order)


# ---------------------------------------------------------------- a sheet's shape


def first_row(ws, max_col: int | None = None) -> list:
    """The values of row 1 (the header row), up to column ``max_col`` when given."""
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1, max_col=max_col), [])]


def check_headers(
    header: list,
    sheet: str,
    expected: tuple[str, ...],
    problems: list[Problem],
    *,
    read=text,
    extra: bool = False,
) -> bool:
    """Report each of the ``expected`` headers that row 1 (``header``, its values) does not hold in its
    column (compared after ``read`` — NFC, stripped — without case), and with ``extra`` every headed column
    beyond them. Returns whether the expected columns are where they should be (an extra column does not
    shift them, so the rows can still be read)."""
    ok = True
    for i, name in enumerate(expected):
        actual = read(header[i]) if i < len(header) and header[i] is not None else ""
        if actual.casefold() != name.casefold():
            ok = False
            problems.append(
                Problem(
                    sheet,
                    1,
                    get_column_letter(i + 1),
                    f"Tiêu đề cột phải là '{name}' (đang là '{actual or 'trống'}').",
                )
            )
    if extra:
        for i in range(len(expected), len(header)):
            if not is_blank(header[i]):
                problems.append(
                    Problem(
                        sheet, 1, get_column_letter(i + 1), f"Cột thừa '{nfc(header[i])}' không thuộc mẫu."
                    )
                )
    return ok


class CellCheck:
    """Formula and merged-cell checks of one upload that never stop the reading (shared by every importer).

    ``check(ws, …)`` reports every merged range and every formula cell of a sheet and puts in each formula
    cell (in memory only) the value Excel last computed for it, read from a second, ``data_only`` load of
    the file made only when a formula is found; a formula without a stored value reads as blank and its
    cell is *unreadable*. ``finish(problems)`` drops the problems the value checks then raised on an
    unreadable cell (the formula problem itself stays: "Thiếu điểm tối đa" on a formula cell would only
    repeat it) and sorts the list by ``problem_order``.
    """

    def __init__(self, data: bytes):
        self._data = data
        self._cached = None
        self._own: set[int] = set()
        self.unreadable: set[tuple[str, int, str]] = set()

    def _cached_sheet(self, ws):
        if self._cached is None:
            try:
                self._cached = load_workbook(io.BytesIO(self._data), data_only=True)
            except Exception:  # the first load worked; a second one failing leaves every formula unreadable
                self._cached = False
        if not self._cached or ws.title not in self._cached.sheetnames:
            return None
        return self._cached[ws.title]

    def check(
        self, ws, sheet: str, problems: list[Problem], *, max_col: int | None = None, merged: bool = True
    ) -> None:
        """Report ``ws``'s merged ranges (when ``merged``) and formula cells (columns up to ``max_col``)
        into ``problems`` under the name ``sheet``; replace each formula by its cached value."""
        if merged:
            for area in ws.merged_cells.ranges:
                problems.append(
                    Problem(
                        sheet,
                        area.min_row,
                        get_column_letter(area.min_col),
                        f"Ô gộp {area.coord}: hãy bỏ gộp ô (mỗi ô một giá trị).",
                    )
                )
        cached = None
        for row in ws.iter_rows(max_col=max_col):
            for cell in row:
                if cell.data_type != "f":
                    continue
                formula = getattr(cell.value, "text", None) or cell.value
                problem = Problem(
                    sheet,
                    cell.row,
                    cell.column_letter,
                    f"Ô {cell.coordinate} chứa công thức '{formula}'; hãy dán giá trị thay cho công thức.",
                )
                problems.append(problem)
                self._own.add(id(problem))
                if cached is None:
                    cached = self._cached_sheet(ws)
                value = cached[cell.coordinate].value if cached is not None else None
                cell.value = value
                if is_blank(value):
                    self.unreadable.add((sheet, cell.row, cell.column_letter))

    def finish(self, problems) -> list[Problem]:
        """``problems`` without the value problems of unreadable cells, sorted by ``problem_order``."""
        return sort_problems(
            p for p in problems if id(p) in self._own or (p.sheet, p.row, p.column) not in self.unreadable
        )


# ---------------------------------------------------------------- writing


def style_header(
    ws, widths, *, row: int = 1, freeze: str | None = "A2", center: bool = False, border: Border | None = None
) -> None:
    """Style the header cells of ``row``, one per item of ``widths`` (columns A …): bold on ``HEADER_FILL``,
    wrapped and vertically centred (``center``: horizontally too), with ``border`` when given; set each
    column's width (characters); freeze the panes at ``freeze`` (None: leave them)."""
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    horizontal = "center" if center else None
    for i, width in enumerate(widths, start=1):
        cell = ws.cell(row=row, column=i)
        cell.font = Font(bold=True)
        cell.fill = fill
        if border is not None:
            cell.border = border
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    if freeze:
        ws.freeze_panes = freeze


def print_setup(ws, header_row: int) -> None:
    """Set a sheet (also a write-only one, before its first row) up for printing: the header row
    ``header_row`` repeated on every page, A4 landscape, one page wide."""
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def as_text(cell):
    """Make ``cell`` (openpyxl, also a write-only one) a text cell when it holds a str that Excel would not
    show as the text itself: one starting with ``FORMULA_STARTS`` (openpyxl writes a str starting with "=" as a
    live formula — a note ``=HYPERLINK(...)`` typed by a user would become a link in every score sheet) or an
    error code ("#N/A"). The rule of every workbook the portal writes (``workbook_bytes`` applies it to every
    cell; write-only sheets build their cells with ``text_cell``). Only str values are touched: a formula the
    portal writes on purpose (none yet) is written as an openpyxl ``ArrayFormula`` and stays one. Returns
    ``cell``."""
    value = cell.value
    if isinstance(value, str) and (cell.data_type in ("f", "e") or value.startswith(FORMULA_STARTS)):
        cell.data_type = "s"
    return cell


def text_cell(ws, value=None):
    """A cell of the write-only sheet ``ws`` holding ``value``, text never a formula (``as_text``)."""
    return as_text(WriteOnlyCell(ws, value=value))


def workbook_bytes(wb) -> bytes:
    """The finished workbook as .xlsx bytes, every cell of an ordinary workbook passed through ``as_text``
    first (a write-only workbook's cells are already written: its builder uses ``text_cell``)."""
    if not wb.write_only:
        for ws in wb.worksheets:
            for cell in ws._cells.values():  # the cells that exist; iter_rows would create the empty ones
                as_text(cell)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def download(data: bytes, filename: str) -> HttpResponse:
    """A response carrying the workbook ``data`` (bytes) as an attachment named ``filename`` (ASCII, .xlsx)."""
    response = HttpResponse(data, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
