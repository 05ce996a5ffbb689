"""The criteria workbook: reading (with every problem listed) and writing (one template for all).

Layout (README "Criteria workbook"): sheets "Hướng dẫn" (optional, ignored on import), "Thông tin"
(Mục | Giá trị: Tên bộ chỉ số, Điểm thưởng tối đa, Điểm trừ tối đa), "Tiêu chí" (columns A–J, see
``TREE_HEADERS``) and "Xếp loại" (Xếp loại | Tên | Từ (%)). ``read_workbook`` never raises on bad input:
it returns a ``ReadResult`` whose ``problems`` list every error by sheet, row and column; the import
service refuses to write anything unless that list is empty. ``write_workbook`` writes the same layout,
so export → import round-trips exactly.
"""

import io
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .models import Kind, Source
from .scales import ScaleError, format_decimal, format_scale, parse_decimal, parse_scale
from .tree import BandSpec, NodeSpec, Problem, SetSpec, validate_tree

SHEET_HELP = "Hướng dẫn"
SHEET_INFO = "Thông tin"
SHEET_TREE = "Tiêu chí"
SHEET_BANDS = "Xếp loại"
REQUIRED_SHEETS = (SHEET_INFO, SHEET_TREE, SHEET_BANDS)

TREE_HEADERS = ("Mã", "Nội dung", "Điểm tối đa", "Nguồn điểm", "Cách chấm", "Thang điểm", "Bước điểm",
                "Hướng dẫn chấm", "Tài liệu kiểm chứng", "Cơ quan thẩm định")
TREE_ATTRS = ("code", "title", "max", "source", "kind", "scale", "step", "guidance", "evidence", "owner")
INFO_HEADERS = ("Mục", "Giá trị")
INFO_KEYS = {"Tên bộ chỉ số": "name", "Điểm thưởng tối đa": "bonus_cap", "Điểm trừ tối đa": "penalty_cap"}
BAND_HEADERS = ("Xếp loại", "Tên", "Từ (%)")

MAX_ROWS = 5000
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024

SOURCE_WORDS = {s.label.casefold(): s.value for s in Source} | {s.value: s.value for s in Source} | {
    "điều tra xã hội học": Source.SURVEY, "xhh": Source.SURVEY}
KIND_WORDS = {k.label.casefold(): k.value for k in Kind} | {k.value: k.value for k in Kind} | {
    "có / không": Kind.YES_NO, "có-không": Kind.YES_NO, "khoảng": Kind.RANGE}


@dataclass
class ReadResult:
    """What ``read_workbook`` found: the set (when readable), blocking problems and non-blocking warnings."""

    spec: SetSpec | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems


def _nfc(value) -> str:
    return unicodedata.normalize("NFC", str(value)) if value is not None else ""


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _megabytes(size: int) -> str:
    """Bytes → "5" / "0,01" (MB, Vietnamese decimal comma, at least one significant digit)."""
    mb = Decimal(size) / Decimal(1048576)
    return format_decimal(mb.quantize(Decimal("0.01")) if mb >= Decimal("0.01") else Decimal("0.01"))


def sniff_xlsx(data: bytes, max_bytes: int | None) -> str | None:
    """A Vietnamese message when the bytes are not a readable .xlsx (empty, over ``max_bytes``, .xls,
    password-protected, not a zip, not a workbook, too large unzipped), else None. Shared by every importer."""
    if not data:
        return "Tệp rỗng (0 byte)."
    if max_bytes and len(data) > max_bytes:
        return f"Tệp lớn {_megabytes(len(data))} MB, vượt giới hạn {_megabytes(max_bytes)} MB."
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
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED_BYTES:
                return "Tệp .xlsx giải nén quá lớn."
    except zipfile.BadZipFile:
        return "Tệp .xlsx bị hỏng, không mở được."
    return None


def open_xlsx(data: bytes, max_bytes: int | None):
    """``(workbook, None)`` for bytes that make a readable .xlsx (openpyxl, formulas kept as written), else
    ``(None, Vietnamese message)`` — ``sniff_xlsx``'s, or "broken" when openpyxl cannot load it. Shared by every
    importer; never raises for bad input."""
    message = sniff_xlsx(data, max_bytes)
    if message:
        return None, message
    try:
        return load_workbook(io.BytesIO(data), data_only=False), None
    except Exception:  # openpyxl raises many types for broken packages; all mean "cannot read"
        return None, "Tệp .xlsx bị hỏng hoặc không đúng định dạng, không đọc được."


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
    return (bool(problem.sheet), _sheet_key(problem.sheet), problem.sheet or "", problem.row or 0,
            column_number(problem.column))


def sort_problems(problems) -> list[Problem]:
    """``problems`` sorted by ``problem_order`` (stable: problems of one cell keep the order found)."""
    return sorted(problems, key=problem_order)


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

    def check(self, ws, sheet: str, problems: list[Problem], *, max_col: int | None = None,
              merged: bool = True) -> None:
        """Report ``ws``'s merged ranges (when ``merged``) and formula cells (columns up to ``max_col``)
        into ``problems`` under the name ``sheet``; replace each formula by its cached value."""
        if merged:
            for area in ws.merged_cells.ranges:
                problems.append(Problem(sheet, area.min_row, get_column_letter(area.min_col),
                                        f"Ô gộp {area.coord}: hãy bỏ gộp ô (mỗi ô một giá trị)."))
        cached = None
        for row in ws.iter_rows(max_col=max_col):
            for cell in row:
                if cell.data_type != "f":
                    continue
                formula = getattr(cell.value, "text", None) or cell.value
                problem = Problem(sheet, cell.row, cell.column_letter,
                                  f"Ô {cell.coordinate} chứa công thức '{formula}'; hãy dán giá trị thay cho công thức.")
                problems.append(problem)
                self._own.add(id(problem))
                if cached is None:
                    cached = self._cached_sheet(ws)
                value = cached[cell.coordinate].value if cached is not None else None
                cell.value = value
                if _is_blank(value):
                    self.unreadable.add((sheet, cell.row, cell.column_letter))

    def finish(self, problems) -> list[Problem]:
        """``problems`` without the value problems of unreadable cells, sorted by ``problem_order``."""
        return sort_problems(p for p in problems
                             if id(p) in self._own or (p.sheet, p.row, p.column) not in self.unreadable)


def _check_headers(ws, sheet: str, expected: tuple[str, ...], problems: list[Problem]) -> bool:
    """Report wrong or missing headers of the ``expected`` columns and headed columns beyond them. Returns
    whether the expected columns are where they should be (an extra column does not shift them, so the rows
    can still be read)."""
    ok = True
    header = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1), [])]
    for i, name in enumerate(expected):
        actual = _nfc(header[i]).strip() if i < len(header) and header[i] is not None else ""
        if actual.casefold() != name.casefold():
            ok = False
            problems.append(Problem(sheet, 1, get_column_letter(i + 1),
                                    f"Tiêu đề cột phải là '{name}' (đang là '{actual or 'trống'}')."))
    for i in range(len(expected), len(header)):
        if not _is_blank(header[i]):
            problems.append(Problem(sheet, 1, get_column_letter(i + 1), f"Cột thừa '{_nfc(header[i])}' không thuộc mẫu."))
    return ok


def _data_rows(ws, width: int):
    """``(row_number, values)`` of non-blank rows below the header, values padded to ``width``."""
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        values = list(values)[:max(width, len(values))] + [None] * max(0, width - len(values))
        if all(_is_blank(v) for v in values):
            continue
        yield number, values


def _text(value) -> str:
    return _nfc(value).strip() if not _is_blank(value) else ""


def _read_info(ws, problems, warnings) -> dict:
    info = {"name": "", "bonus_cap": Decimal(0), "penalty_cap": Decimal(0)}
    if not _check_headers(ws, SHEET_INFO, INFO_HEADERS, problems):
        return info
    seen = {}
    for row, values in _data_rows(ws, 2):
        key, value = _text(values[0]), values[1]
        attr = next((a for k, a in INFO_KEYS.items() if k.casefold() == key.casefold()), None)
        if attr is None:
            problems.append(Problem(SHEET_INFO, row, "A", f"Mục '{key}' không thuộc mẫu; các mục: {', '.join(INFO_KEYS)}."))
            continue
        if attr in seen:
            problems.append(Problem(SHEET_INFO, row, "A", f"Mục '{key}' bị lặp (đã có ở dòng {seen[attr]})."))
            continue
        seen[attr] = row
        if attr == "name":
            info["name"] = _text(value)
        elif not _is_blank(value):
            try:
                number = parse_decimal(value, what=key)
                if number < 0:
                    raise ScaleError(f"{key} không được âm.")
                info[attr] = number
            except ScaleError as exc:
                problems.append(Problem(SHEET_INFO, row, "B", str(exc)))
    if not info["name"]:
        problems.append(Problem(SHEET_INFO, None, None, "Thiếu 'Tên bộ chỉ số'."))
    return info


def _read_bands(ws, problems) -> list[BandSpec]:
    bands: list[BandSpec] = []
    if not _check_headers(ws, SHEET_BANDS, BAND_HEADERS, problems):
        return bands
    codes, mins = {}, {}
    for row, values in _data_rows(ws, 3):
        code, label = _text(values[0]), _text(values[1])
        if not code:
            problems.append(Problem(SHEET_BANDS, row, "A", "Thiếu mã xếp loại."))
            continue
        if code in codes:
            problems.append(Problem(SHEET_BANDS, row, "A", f"Xếp loại '{code}' bị trùng (đã có ở dòng {codes[code]})."))
            continue
        codes[code] = row
        try:
            if _is_blank(values[2]):
                raise ScaleError("Thiếu ngưỡng 'Từ (%)'.")
            low = parse_decimal(values[2], what="Ngưỡng %")
            if low < 0 or low > 100:
                raise ScaleError(f"Ngưỡng {format_decimal(low)}% phải trong khoảng 0–100.")
        except ScaleError as exc:
            problems.append(Problem(SHEET_BANDS, row, "C", str(exc)))
            continue
        if low in mins:
            problems.append(Problem(SHEET_BANDS, row, "C", f"Ngưỡng {format_decimal(low)}% bị trùng (dòng {mins[low]})."))
            continue
        mins[low] = row
        bands.append(BandSpec(code=code, label=label or code, min_percent=low, row=row))
    if not bands and not any(p.sheet == SHEET_BANDS for p in problems):
        problems.append(Problem(SHEET_BANDS, None, None, "Chưa có mức xếp loại nào."))
    elif bands and Decimal(0) not in mins:
        problems.append(Problem(SHEET_BANDS, None, "C", "Phải có một mức xếp loại bắt đầu từ 0%."))
    bands.sort(key=lambda b: b.min_percent, reverse=True)
    return bands


def _read_tree(ws, problems, warnings) -> list[NodeSpec] | None:
    """The nodes of the "Tiêu chí" sheet, or None when its headers are wrong (the columns cannot be trusted)."""
    nodes: list[NodeSpec] = []
    if not _check_headers(ws, SHEET_TREE, TREE_HEADERS, problems):
        return None
    for row, values in _data_rows(ws, len(TREE_HEADERS)):
        cell = dict(zip(TREE_ATTRS, values, strict=False))

        def bad(attr, message, row=row):
            problems.append(Problem(SHEET_TREE, row, "ABCDEFGHIJ"[TREE_ATTRS.index(attr)], message))

        raw_code = cell["code"]
        if isinstance(raw_code, float):
            code = repr(raw_code)
            warnings.append(Problem(SHEET_TREE, row, "A", f"Mã {code} đang ở dạng số; nên định dạng cột Mã là Văn bản "
                                                          "để '1.10' không bị đổi thành '1.1'."))
        else:
            code = _nfc(raw_code) if raw_code is not None else ""
            if code != code.strip():
                warnings.append(Problem(SHEET_TREE, row, "A", f"Mã '{code}' có khoảng trắng thừa; đã bỏ khoảng trắng."))
            code = code.strip()
        node = NodeSpec(code=code, title=" ".join(_text(cell["title"]).split()), max_points=None, row=row,
                        guidance=_text(cell["guidance"]), evidence_hint=_text(cell["evidence"]),
                        owner_code=_text(cell["owner"]))
        if not _is_blank(cell["max"]):
            try:
                node.max_points = parse_decimal(cell["max"], what="Điểm tối đa")
            except ScaleError as exc:
                bad("max", str(exc))  # left None: the parent's sum is not checked against an unreadable cell
        source_word = _text(cell["source"]).casefold()
        if source_word:
            node.source = SOURCE_WORDS.get(source_word, "")
            if not node.source:
                bad("source", f"Nguồn điểm '{_text(cell['source'])}' không hợp lệ; dùng 'Thẩm định' hoặc 'Điều tra XHH'.")
        kind_word = _text(cell["kind"]).casefold()
        if kind_word:
            node.kind = KIND_WORDS.get(kind_word, "")
            if not node.kind:
                bad("kind", f"Cách chấm '{_text(cell['kind'])}' không hợp lệ; dùng một trong: "
                            + ", ".join(k.label for k in Kind) + ".")
        scale_text = _text(cell["scale"])
        if scale_text:
            if node.kind in (Kind.OPTIONS, Kind.RATIO):
                try:
                    node.scale = parse_scale(node.kind, scale_text)
                except ScaleError as exc:
                    bad("scale", str(exc))
                    node.scale_text = scale_text
            else:
                node.scale_text = scale_text
        if not _is_blank(cell["step"]):
            try:
                node.step = parse_decimal(cell["step"], what="Bước điểm")
            except ScaleError as exc:
                bad("step", str(exc))
        nodes.append(node)
    return nodes


def read_workbook(data: bytes, *, known_owner_codes: set[str] | None = None,
                  max_bytes: int | None = None) -> ReadResult:
    """Read and validate a criteria workbook.

    ``data``: the file's bytes. ``known_owner_codes``: unit codes an owner may name (None skips the
    check). ``max_bytes``: size limit (criteria import: 5 MB). Returns a ``ReadResult``; never raises
    for bad input. Text is normalised to Unicode NFC.

    Every problem is found in one pass: an extra sheet is reported and the others are still read; a
    missing or oversized sheet, or one with wrong headers, skips only its own rows (and the tree checks
    need the "Tiêu chí" sheet); formulas and merged cells are reported cell by cell and the values still
    checked (a formula by the value Excel stored for it, see ``CellCheck``). ``problems`` and ``warnings``
    are sorted by sheet, row and column (``problem_order``); ``spec`` is None when a sheet is missing.
    """
    wb, message = open_xlsx(data, max_bytes)
    if message:
        return ReadResult(None, [Problem("", None, None, message)])
    problems: list[Problem] = []
    warnings: list[Problem] = []
    sheets = {}
    for ws in wb.worksheets:
        name = _nfc(ws.title).strip()
        if name.casefold() == SHEET_HELP.casefold():
            continue
        match = next((s for s in REQUIRED_SHEETS if s.casefold() == name.casefold()), None)
        if match is None:
            problems.append(Problem(name, None, None, f"Trang tính '{name}' không thuộc mẫu; mẫu gồm: "
                                                      + ", ".join(REQUIRED_SHEETS) + " (và Hướng dẫn)."))
        else:
            sheets[match] = ws
    for name in REQUIRED_SHEETS:
        if name not in sheets:
            problems.append(Problem(name, None, None, f"Thiếu trang tính '{name}'."))
    # Every check that can run does: a missing or oversized sheet skips only its own checks (and the tree
    # check needs the tree sheet); formulas and merged cells are listed and the values read all the same.
    cells = CellCheck(data)
    readable = {}
    for name, ws in sheets.items():
        if ws.max_row > MAX_ROWS:
            problems.append(Problem(name, None, None, f"Trang có {ws.max_row} dòng, vượt giới hạn {MAX_ROWS} dòng."))
        else:
            cells.check(ws, name, problems)
            readable[name] = ws
    info = _read_info(readable[SHEET_INFO], problems, warnings) if SHEET_INFO in readable else None
    bands = _read_bands(readable[SHEET_BANDS], problems) if SHEET_BANDS in readable else None
    nodes = None
    if SHEET_TREE in readable:
        nodes = _read_tree(readable[SHEET_TREE], problems, warnings)
        if nodes is not None:
            # A cell already reported as unreadable is not reported again as empty ("phải ghi Cách chấm").
            unreadable = {(p.row, p.column) for p in problems if p.sheet == SHEET_TREE}
            problems.extend(p for p in validate_tree(nodes, known_owner_codes=known_owner_codes)
                            if (p.row, p.column) not in unreadable)
    spec = None
    if info is not None and bands is not None and nodes is not None:
        spec = SetSpec(name=info["name"], bonus_cap=info["bonus_cap"], penalty_cap=info["penalty_cap"],
                       bands=bands, nodes=nodes)
    return ReadResult(spec, cells.finish(problems), sort_problems(warnings))


HELP_LINES = (
    ("Mẫu bộ chỉ số cải cách hành chính (parindex)", True),
    ("Trang 'Thông tin': tên bộ chỉ số; điểm thưởng, điểm trừ tối đa của cả bộ (để trống = 0).", False),
    ("Trang 'Tiêu chí': mỗi dòng một nút của cây, theo thứ tự in (cha đứng trước con).", False),
    ("  Mã: 1 = lĩnh vực; 1.2 = tiêu chí; 1.2.3 = tiêu chí thành phần; 1.2.3.4 = nội dung chi tiết. Cha của 1.2.3 là 1.2.", False),
    ("  Điểm tối đa: số, dấu phẩy hoặc dấu chấm thập phân (0,5). Điểm của cha = tổng điểm các con "
     "(trừ các dòng Điểm thưởng / Điểm trừ).", False),
    ("  Nguồn điểm (chỉ ở tiêu chí lá): 'Thẩm định' (đơn vị tự chấm, cơ quan thẩm định) hoặc 'Điều tra XHH' "
     "(điểm từ điều tra xã hội học; bỏ trống Cách chấm, Thang điểm, Bước điểm).", False),
    ("  Cách chấm (tiêu chí lá thẩm định): Lựa chọn | Khoảng điểm | Tỷ lệ | Có/Không | Điểm thưởng | Điểm trừ.", False),
    ("  Thang điểm — Lựa chọn: 'Kịp thời: 1; Không kịp thời: 0,5; Không ban hành: 0'. "
     "Tỷ lệ: '≥ 90%: 2; 70–<90%: 1; <70%: 0' (từ cao xuống thấp, liền nhau, mức cuối từ 0%).", False),
    ("  Bước điểm — chỉ với Khoảng điểm: 0,25 hoặc 0,5 (điểm tối đa phải chia hết cho bước).", False),
    ("  Cơ quan thẩm định: mã đơn vị (SNV, STP, STC, VPUBND, STTTT, SKHCN...); bắt buộc ở lĩnh vực, "
     "ghi ở cấp dưới để đổi cơ quan cho nhánh đó.", False),
    ("Trang 'Xếp loại': mỗi dòng một mức; 'Từ (%)' là ngưỡng dưới (tính cả ngưỡng); phải có một mức từ 0%.", False),
    ("Không dùng công thức, không gộp ô, không thêm trang tính khác. Tệp tối đa 5 MB.", False),
)


def _style_header(ws, widths):
    fill = PatternFill("solid", fgColor="DDE7F3")
    for i, width in enumerate(widths, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"


def write_workbook(spec: SetSpec) -> bytes:
    """The set in the workbook layout above, as .xlsx bytes (codes written as text, points as numbers)."""
    wb = Workbook()
    help_ws = wb.active
    help_ws.title = SHEET_HELP
    for i, (line, bold) in enumerate(HELP_LINES, start=1):
        help_ws.cell(row=i, column=1, value=line).font = Font(bold=bold)
    help_ws.column_dimensions["A"].width = 140

    info = wb.create_sheet(SHEET_INFO)
    info.append(INFO_HEADERS)
    info.append(("Tên bộ chỉ số", spec.name))
    info.append(("Điểm thưởng tối đa", _number(spec.bonus_cap)))
    info.append(("Điểm trừ tối đa", _number(spec.penalty_cap)))
    _style_header(info, (24, 90))

    tree = wb.create_sheet(SHEET_TREE)
    tree.append(TREE_HEADERS)
    for node in spec.nodes:
        tree.append((
            node.code, node.title, _number(node.max_points),
            Source(node.source).label if node.source else None,
            Kind(node.kind).label if node.kind else None,
            format_scale(node.kind, node.scale) or None,
            _number(node.step) if node.step is not None else None,
            node.guidance or None, node.evidence_hint or None, node.owner_code or None,
        ))
        row = tree.max_row
        tree.cell(row=row, column=1).number_format = "@"
        if node.level == 1:
            for col in range(1, 4):
                tree.cell(row=row, column=col).font = Font(bold=True)
        for col in (2, 6, 8, 9):
            tree.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    _style_header(tree, (9, 60, 10, 13, 13, 40, 9, 50, 45, 14))

    bands = wb.create_sheet(SHEET_BANDS)
    bands.append(BAND_HEADERS)
    for band in spec.bands:
        bands.append((band.code, band.label, _number(band.min_percent)))
    _style_header(bands, (12, 24, 10))

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _number(value):
    """Decimal → int or float cell value (openpyxl writes numbers, not text); None stays None."""
    if value is None:
        return None
    value = Decimal(value)
    return int(value) if value == value.to_integral() else float(value)
