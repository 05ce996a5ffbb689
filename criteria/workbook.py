"""The criteria workbook: reading (with every problem listed) and writing (one template for all).

Layout (README "Criteria workbook"): sheets "Hướng dẫn" (optional, ignored on import), "Thông tin"
(Mục | Giá trị: Tên bộ chỉ số, Điểm thưởng tối đa, Điểm trừ tối đa), "Tiêu chí" (columns A–J, see
``TREE_HEADERS``) and "Xếp loại" (Xếp loại | Tên | Từ (%)). ``read_workbook`` never raises on bad input:
it returns a ``ReadResult`` whose ``problems`` list every error by sheet, row and column; the import
service refuses to write anything unless that list is empty. ``write_workbook`` writes the same layout,
so export → import round-trips exactly.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from parindex.xlsx import (
    CellCheck,
    SheetLimits,
    check_headers,
    first_row,
    is_blank,
    nfc,
    number_cell,
    open_xlsx,
    sort_problems,
    style_header,
    text,
    workbook_bytes,
)

from .models import Kind, Source
from .scales import ScaleError, format_decimal, format_scale, parse_decimal, parse_scale
from .tree import BandSpec, NodeSpec, Problem, SetSpec, validate_tree

SHEET_HELP = "Hướng dẫn"
SHEET_INFO = "Thông tin"
SHEET_TREE = "Tiêu chí"
SHEET_BANDS = "Xếp loại"
REQUIRED_SHEETS = (SHEET_INFO, SHEET_TREE, SHEET_BANDS)

TREE_HEADERS = (
    "Mã",
    "Nội dung",
    "Điểm tối đa",
    "Nguồn điểm",
    "Cách chấm",
    "Thang điểm",
    "Bước điểm",
    "Hướng dẫn chấm",
    "Tài liệu kiểm chứng",
    "Cơ quan thẩm định",
)
TREE_ATTRS = ("code", "title", "max", "source", "kind", "scale", "step", "guidance", "evidence", "owner")
INFO_HEADERS = ("Mục", "Giá trị")
INFO_KEYS = {"Tên bộ chỉ số": "name", "Điểm thưởng tối đa": "bonus_cap", "Điểm trừ tối đa": "penalty_cap"}
BAND_HEADERS = ("Xếp loại", "Tên", "Từ (%)")

#: Rows of a sheet (the file is refused before loading beyond them: ``parindex.xlsx.SheetLimits``).
MAX_ROWS = 5000

SOURCE_WORDS = (
    {s.label.casefold(): s.value for s in Source}
    | {s.value: s.value for s in Source}
    | {"điều tra xã hội học": Source.SURVEY, "xhh": Source.SURVEY}
)
KIND_WORDS = (
    {k.label.casefold(): k.value for k in Kind}
    | {k.value: k.value for k in Kind}
    | {"có / không": Kind.YES_NO, "có-không": Kind.YES_NO, "khoảng": Kind.RANGE}
)


@dataclass
class ReadResult:
    """What ``read_workbook`` found: the set (when readable), blocking problems and non-blocking warnings."""

    spec: SetSpec | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.spec is not None and not self.problems


def _data_rows(ws, width: int):
    """``(row_number, values)`` of non-blank rows below the header, values padded to ``width``."""
    for number, values in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
        values = list(values)[: max(width, len(values))] + [None] * max(0, width - len(values))
        if all(is_blank(v) for v in values):
            continue
        yield number, values


def _read_info(ws, problems, warnings) -> dict:
    info = {"name": "", "bonus_cap": Decimal(0), "penalty_cap": Decimal(0)}
    if not check_headers(first_row(ws), SHEET_INFO, INFO_HEADERS, problems, extra=True):
        return info
    seen = {}
    for row, values in _data_rows(ws, 2):
        key, value = text(values[0]), values[1]
        attr = next((a for k, a in INFO_KEYS.items() if k.casefold() == key.casefold()), None)
        if attr is None:
            problems.append(
                Problem(
                    SHEET_INFO, row, "A", f"Mục '{key}' không thuộc mẫu; các mục: {', '.join(INFO_KEYS)}."
                )
            )
            continue
        if (first := seen.setdefault(attr, row)) != row:  # the row where the key came first
            problems.append(Problem(SHEET_INFO, row, "A", f"Mục '{key}' bị lặp (đã có ở dòng {first})."))
            continue
        if attr == "name":
            info["name"] = text(value)
        elif not is_blank(value):
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
    if not check_headers(first_row(ws), SHEET_BANDS, BAND_HEADERS, problems, extra=True):
        return bands
    codes, mins = {}, {}
    for row, values in _data_rows(ws, 3):
        code, label = text(values[0]), text(values[1])
        if not code:
            problems.append(Problem(SHEET_BANDS, row, "A", "Thiếu mã xếp loại."))
            continue
        if (first := codes.setdefault(code, row)) != row:
            problems.append(
                Problem(SHEET_BANDS, row, "A", f"Xếp loại '{code}' bị trùng (đã có ở dòng {first}).")
            )
            continue
        try:
            if is_blank(values[2]):
                raise ScaleError("Thiếu ngưỡng 'Từ (%)'.")
            low = parse_decimal(values[2], what="Ngưỡng %")
            if low < 0 or low > 100:
                raise ScaleError(f"Ngưỡng {format_decimal(low)}% phải trong khoảng 0–100.")
        except ScaleError as exc:
            problems.append(Problem(SHEET_BANDS, row, "C", str(exc)))
            continue
        if (first := mins.setdefault(low, row)) != row:
            problems.append(
                Problem(SHEET_BANDS, row, "C", f"Ngưỡng {format_decimal(low)}% bị trùng (dòng {first}).")
            )
            continue
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
    if not check_headers(first_row(ws), SHEET_TREE, TREE_HEADERS, problems, extra=True):
        return None
    for row, values in _data_rows(ws, len(TREE_HEADERS)):
        cell = dict(zip(TREE_ATTRS, values, strict=False))

        def bad(attr, message, row=row):
            problems.append(Problem(SHEET_TREE, row, "ABCDEFGHIJ"[TREE_ATTRS.index(attr)], message))

        raw_code = cell["code"]
        if isinstance(raw_code, float):
            code = repr(raw_code)
            warnings.append(
                Problem(
                    SHEET_TREE,
                    row,
                    "A",
                    f"Mã {code} đang ở dạng số; nên định dạng cột Mã là Văn bản "
                    "để '1.10' không bị đổi thành '1.1'.",
                )
            )
        else:
            code = nfc(raw_code) if raw_code is not None else ""
            if code != code.strip():
                warnings.append(
                    Problem(SHEET_TREE, row, "A", f"Mã '{code}' có khoảng trắng thừa; đã bỏ khoảng trắng.")
                )
            code = code.strip()
        node = NodeSpec(
            code=code,
            title=" ".join(text(cell["title"]).split()),
            max_points=None,
            row=row,
            guidance=text(cell["guidance"]),
            evidence_hint=text(cell["evidence"]),
            owner_code=text(cell["owner"]),
        )
        if not is_blank(cell["max"]):
            try:
                node.max_points = parse_decimal(cell["max"], what="Điểm tối đa")
            except ScaleError as exc:
                bad("max", str(exc))  # left None: the parent's sum is not checked against an unreadable cell
        source_word = text(cell["source"]).casefold()
        if source_word:
            node.source = SOURCE_WORDS.get(source_word, "")
            if not node.source:
                bad(
                    "source",
                    f"Nguồn điểm '{text(cell['source'])}' không hợp lệ; dùng 'Thẩm định' hoặc 'Điều tra XHH'.",
                )
        kind_word = text(cell["kind"]).casefold()
        if kind_word:
            node.kind = KIND_WORDS.get(kind_word, "")
            if not node.kind:
                bad(
                    "kind",
                    f"Cách chấm '{text(cell['kind'])}' không hợp lệ; dùng một trong: "
                    + ", ".join(k.label for k in Kind)
                    + ".",
                )
        scale_text = text(cell["scale"])
        if scale_text:
            if node.kind in (Kind.OPTIONS, Kind.RATIO):
                try:
                    node.scale = parse_scale(node.kind, scale_text)
                except ScaleError as exc:
                    bad("scale", str(exc))
                    node.scale_text = scale_text
            else:
                node.scale_text = scale_text
        if not is_blank(cell["step"]):
            try:
                node.step = parse_decimal(cell["step"], what="Bước điểm")
            except ScaleError as exc:
                bad("step", str(exc))
        nodes.append(node)
    return nodes


def read_workbook(
    data: bytes, *, known_owner_codes: set[str] | None = None, max_bytes: int | None = None
) -> ReadResult:
    """Read and validate a criteria workbook.

    ``data``: the file's bytes. ``known_owner_codes``: unit codes an owner may name (None skips the
    check). ``max_bytes``: size limit (criteria import: 5 MB). Returns a ``ReadResult``; never raises
    for bad input. Text is normalised to Unicode NFC.

    A sheet over ``MAX_ROWS`` rows (or a file over ``parindex.xlsx.SheetLimits``' columns and cells) refuses
    the file before it is loaded, with only those problems. Otherwise every problem is found in one pass: an
    extra sheet is reported and the others are still read; a missing sheet, or one with wrong headers, skips
    only its own rows (and the tree checks
    need the "Tiêu chí" sheet); formulas and merged cells are reported cell by cell and the values still
    checked (a formula by the value Excel stored for it, see ``CellCheck``). ``problems`` and ``warnings``
    are sorted by sheet, row and column (``problem_order``); ``spec`` is None when a sheet is missing.
    """
    wb, refused = open_xlsx(data, max_bytes, SheetLimits(max_rows=MAX_ROWS))
    if refused:
        return ReadResult(None, refused)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    sheets = {}
    for ws in wb.worksheets:
        name = nfc(ws.title).strip()
        if name.casefold() == SHEET_HELP.casefold():
            continue
        match = next((s for s in REQUIRED_SHEETS if s.casefold() == name.casefold()), None)
        if match is None:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"Trang tính '{name}' không thuộc mẫu; mẫu gồm: "
                    + ", ".join(REQUIRED_SHEETS)
                    + " (và Hướng dẫn).",
                )
            )
        else:
            sheets[match] = ws
    for name in REQUIRED_SHEETS:
        if name not in sheets:
            problems.append(Problem(name, None, None, f"Thiếu trang tính '{name}'."))
    # Every check that can run does: a missing or oversized sheet skips only its own checks (and the tree
    # check needs the tree sheet); formulas and merged cells are listed and the values read all the same.
    cells = CellCheck(data)
    readable = {}
    for name, ws in sheets.items():  # every sheet is within MAX_ROWS (``open_xlsx``)
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
            problems.extend(
                p
                for p in validate_tree(nodes, known_owner_codes=known_owner_codes)
                if (p.row, p.column) not in unreadable
            )
    spec = None
    if info is not None and bands is not None and nodes is not None:
        spec = SetSpec(
            name=info["name"],
            bonus_cap=info["bonus_cap"],
            penalty_cap=info["penalty_cap"],
            bands=bands,
            nodes=nodes,
        )
    return ReadResult(spec, cells.finish(problems), sort_problems(warnings))


HELP_LINES = (
    ("Mẫu bộ chỉ số cải cách hành chính (parindex)", True),
    ("Trang 'Thông tin': tên bộ chỉ số; điểm thưởng, điểm trừ tối đa của cả bộ (để trống = 0).", False),
    ("Trang 'Tiêu chí': mỗi dòng một nút của cây, theo thứ tự in (cha đứng trước con).", False),
    (
        "  Mã: 1 = lĩnh vực; 1.2 = tiêu chí; 1.2.3 = tiêu chí thành phần; 1.2.3.4 = nội dung chi tiết. Cha của 1.2.3 là 1.2.",
        False,
    ),
    (
        "  Điểm tối đa: số, dấu phẩy hoặc dấu chấm thập phân (0,5). Điểm của cha = tổng điểm các con "
        "(trừ các dòng Điểm thưởng / Điểm trừ).",
        False,
    ),
    (
        "  Nguồn điểm (chỉ ở tiêu chí lá): 'Thẩm định' (đơn vị tự chấm, cơ quan thẩm định) hoặc 'Điều tra XHH' "
        "(điểm từ điều tra xã hội học; bỏ trống Cách chấm, Thang điểm, Bước điểm).",
        False,
    ),
    (
        "  Cách chấm (tiêu chí lá thẩm định): Lựa chọn | Khoảng điểm | Tỷ lệ | Có/Không | Điểm thưởng | Điểm trừ.",
        False,
    ),
    (
        "  Thang điểm — Lựa chọn: 'Kịp thời: 1; Không kịp thời: 0,5; Không ban hành: 0'. "
        "Tỷ lệ: '≥ 90%: 2; 70–<90%: 1; <70%: 0' (từ cao xuống thấp, liền nhau, mức cuối từ 0%).",
        False,
    ),
    ("  Bước điểm — chỉ với Khoảng điểm: 0,25 hoặc 0,5 (điểm tối đa phải chia hết cho bước).", False),
    (
        "  Cơ quan thẩm định: mã đơn vị (SNV, STP, STC, VPUBND, STTTT, SKHCN...); bắt buộc ở lĩnh vực, "
        "ghi ở cấp dưới để đổi cơ quan cho nhánh đó.",
        False,
    ),
    (
        "Trang 'Xếp loại': mỗi dòng một mức; 'Từ (%)' là ngưỡng dưới (tính cả ngưỡng); phải có một mức từ 0%.",
        False,
    ),
    ("Không dùng công thức, không gộp ô, không thêm trang tính khác. Tệp tối đa 5 MB.", False),
)


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
    info.append(("Điểm thưởng tối đa", number_cell(spec.bonus_cap)))
    info.append(("Điểm trừ tối đa", number_cell(spec.penalty_cap)))
    style_header(info, (24, 90))

    tree = wb.create_sheet(SHEET_TREE)
    tree.append(TREE_HEADERS)
    for node in spec.nodes:
        tree.append(
            (
                node.code,
                node.title,
                number_cell(node.max_points),
                Source(node.source).label if node.source else None,
                Kind(node.kind).label if node.kind else None,
                format_scale(node.kind, node.scale) or None,
                number_cell(node.step) if node.step is not None else None,
                node.guidance or None,
                node.evidence_hint or None,
                node.owner_code or None,
            )
        )
        row = tree.max_row
        tree.cell(row=row, column=1).number_format = "@"
        if node.level == 1:
            for col in range(1, 4):
                tree.cell(row=row, column=col).font = Font(bold=True)
        for col in (2, 6, 8, 9):
            tree.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
    style_header(tree, (9, 60, 10, 13, 13, 40, 9, 50, 45, 14))

    bands = wb.create_sheet(SHEET_BANDS)
    bands.append(BAND_HEADERS)
    for band in spec.bands:
        bands.append((band.code, band.label, number_cell(band.min_percent)))
    style_header(bands, (12, 24, 10))

    return workbook_bytes(wb)
