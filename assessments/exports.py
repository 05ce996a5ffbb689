"""Excel exports of self-assessments (issue 3 §8).

Built from ``selectors.scoring.scoring_sheet`` only, so the file always says what the scoring page says.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from criteria.models import Kind
from parindex import xlsx
from parindex.printing import number
from units.models import Role
from units.permissions import units_of

from . import scoring_rules, signals
from .selectors.scoring import Row, ScoringSheet

TITLE = "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
HEADERS = ("STT/Mã", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Ghi chú", "Tài liệu kiểm chứng")
WIDTHS = (10, 70, 11, 12, 45, 55)
SURVEY = "Điều tra XHH"
NUMBER_FORMAT = "0.00"


def _number(value) -> float | None:
    """Decimal points → a numeric cell value; None stays empty."""
    return None if value is None else float(Decimal(value))


def evidence_line(evidence) -> str:
    """ "số/ký hiệu, ngày, cơ quan ban hành — tên tệp" of one document (parts that are empty are left out)."""
    parts = [
        evidence.doc_number,
        evidence.issued_on.strftime("%d/%m/%Y") if evidence.issued_on else "",
        evidence.issuer,
    ]
    head = ", ".join(p for p in parts if p)
    return f"{head} — {evidence.original_name}" if head else evidence.original_name


def _note(row: Row) -> str:
    """Ghi chú of a leaf: the unit's choice or ratio figures, its note, then "Giải trình: ..."."""
    score = row.score
    if score is None:
        return ""
    lines = []
    if row.node.kind == Kind.OPTIONS and score.self_option:
        lines.append(f"Lựa chọn: {score.self_option}")
    if row.node.kind == Kind.RATIO and score.numerator is not None and score.denominator is not None:
        fmt = "{:f}".format
        lines.append(
            f"Tử số/mẫu số: {fmt(score.numerator.normalize())}/{fmt(score.denominator.normalize())}".replace(
                ".", ","
            )
        )
    if score.note:
        lines.append(score.note)
    if score.explanation:
        lines.append(f"Giải trình: {score.explanation}")
    return "\n".join(lines)


def _survey_codes(rows: list[Row]) -> set[str]:
    """Codes of the nodes with a survey leaf below them (their self score reads "Điều tra XHH" when they
    have no appraisal leaf)."""
    codes = set()
    for row in rows:
        if row.is_leaf and row.is_survey:
            code = row.node.code
            while code:
                codes.add(code)
                code = code.rpartition(".")[0]
    return codes


def _self_cell(row: Row, survey_codes: set[str]):
    if row.is_leaf:
        if row.is_survey:
            return SURVEY
        return _number(row.score.self_value) if row.score else None
    if not row.leaves and row.node.code in survey_codes:
        return SURVEY
    return _number(row.self_total)


def _finished(wb, ws, header_row: int) -> bytes:
    """The workbook's bytes once its sheet ``ws`` is set up for reading and printing: panes frozen and the
    header row repeated on every printed page below ``header_row``, A4 landscape, one page wide."""
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    xlsx.print_setup(ws, header_row)
    return xlsx.workbook_bytes(wb)


def _title_and_header(ws, block: list[tuple[str, Font | None]], headers, widths) -> int:
    """Write a score sheet's title block and its column headers; returns the header's row number.

    ``block``: (text, font or None) per line, from row 1, each merged across the ``headers``' columns; the
    header row follows after one empty row, styled (``xlsx.style_header``: ``widths`` in characters,
    centred, thin borders, not frozen — ``_finished`` freezes below it)."""
    last_col = get_column_letter(len(headers))
    for i, (text, font) in enumerate(block, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        if font:
            cell.font = font
        ws.merge_cells(f"A{i}:{last_col}{i}")
    header_row = len(block) + 2
    for col, title in enumerate(headers, start=1):
        ws.cell(row=header_row, column=col, value=title)
    xlsx.style_header(ws, widths, row=header_row, freeze=None, center=True, border=xlsx.THIN_BORDER)
    return header_row


def self_assessment_workbook(sheet: ScoringSheet) -> bytes:
    """The unit's self-assessment as the official score sheet, as .xlsx bytes.

    Layout (one sheet "Tự đánh giá"): a title block (title, unit, round and year, criteria set, export
    date), then a table with the columns ``HEADERS`` — one row per node of the set in print order (fields
    bold with the sum of their self scores; survey leaves "Điều tra XHH"; Ghi chú = choice/ratio figures,
    note and "Giải trình: ..."; evidence one "số/ký hiệu, ngày, cơ quan ban hành — tên tệp" line per
    document) — and a totals row (self total / appraisal max, both points, bonus and penalty excluded as
    on the scoring page). Points are numeric cells formatted ``0.00``; the header row is frozen and
    repeated on every printed page.
    """
    a = sheet.assessment
    wb = Workbook()
    ws = wb.active
    ws.title = "Tự đánh giá"
    wrap_top = Alignment(wrap_text=True, vertical="top")
    border = xlsx.THIN_BORDER

    block = [
        (TITLE, Font(bold=True, size=14)),
        (f"Đơn vị: {a.unit.name}", Font(bold=True)),
        (f"Đợt đánh giá: {a.round.name} (năm {a.round.year})", None),
        (f"Bộ chỉ số: {a.criteria_set.name}", None),
        (f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}", Font(italic=True)),
    ]
    header_row = _title_and_header(ws, block, HEADERS, WIDTHS)

    survey_codes = _survey_codes(sheet.rows)
    field_fill = PatternFill("solid", fgColor="EEF3FA")
    r = header_row
    for row in sheet.rows:
        r += 1
        node = row.node
        values = (
            node.code,
            node.title,
            _number(node.max_points),
            _self_cell(row, survey_codes),
            _note(row) if row.is_leaf else "",
            "\n".join(evidence_line(e) for e in row.evidence),
        )
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value if value != "" else None)
            cell.border = border
            cell.alignment = wrap_top
            if col in (3, 4) and isinstance(value, float):
                cell.number_format = NUMBER_FORMAT
            if row.depth == 0:
                cell.font = Font(bold=True)
                cell.fill = field_fill
        ws.cell(row=r, column=1).number_format = "@"
        if row.depth:
            ws.cell(row=r, column=2).alignment = Alignment(wrap_text=True, vertical="top", indent=row.depth)

    r += 1
    totals = (
        None,
        "Tổng điểm tự chấm / điểm tối đa phần thẩm định",
        _number(sheet.appraisal_max),
        _number(sheet.self_total),
        f"Đã chấm {sheet.scored}/{sheet.leaves} tiêu chí",
        None,
    )
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row=r, column=col, value=value)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = wrap_top
        if col in (3, 4):
            cell.number_format = NUMBER_FORMAT

    return _finished(wb, ws, header_row)


APPRAISED_TITLE = "BẢNG ĐIỂM THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
APPRAISED_HEADERS = (
    "STT/Mã",
    "Nội dung",
    "Điểm tối đa",
    "Điều tra XHH",
    "Tự chấm",
    "Thẩm định",
    "Điểm đạt",
    "Chỉ số (%)",
    "Ghi chú",
)
APPRAISED_WIDTHS = (10, 60, 11, 11, 10, 10, 10, 10, 60)


def _achieved(row: Row):
    """Points a leaf counts for (``scoring_rules.achieved_points``: the survey score on survey leaves, the appraised
    score on the others, never the self score), 0 when unset, None when not applicable."""
    s = row.score
    if s is None or scoring_rules.is_not_applicable(s):
        return None
    return scoring_rules.achieved_points(s) or Decimal(0)


def _appraised_note(row: Row) -> str:
    s = row.score
    if s is None:
        return ""
    lines = [_note(row)] if _note(row) else []
    if s.self_not_applicable:
        verdict = {True: "chấp nhận", False: "không chấp nhận", None: "chưa xem xét"}[s.na_accepted]
        lines.append(f"Đơn vị đề nghị không áp dụng ({verdict}).")
    if s.appraisal_comment:
        lines.append(f"Nhận xét thẩm định: {s.appraisal_comment}")
    if s.needs_explanation:
        lines.append(f"Đề nghị giải trình: {s.question}")
        lines.append(f"Đơn vị giải trình: {s.answer or '—'}")
    return "\n".join(lines)


def _appraised_cells(row: Row, *, survey: bool = True) -> tuple:
    """(survey score, self score, appraised score, achieved points) of a leaf; the survey score and the achieved
    points (what the results count: their sums per field are the components) are None when ``survey`` is False
    (results not shown to this reader yet: only the self and appraised scores)."""
    s = row.score
    if s is None:
        return (None, None, None, None)
    if row.is_survey:
        return (s.survey_value, None, None, _achieved(row)) if survey else (None, None, None, None)
    return (None, s.self_value, s.appraised_value, _achieved(row) if survey else None)


def _appraised_sums(rows: list[Row], *, survey: bool = True) -> dict[str, list]:
    """{parent code: [survey, self, appraised, achieved] sums of its leaves among ``rows``} (bonus and penalty
    apart, as on every page; survey leaves left out when ``survey`` is False)."""
    sums = {}
    for row in rows:
        if not row.is_leaf or row.node.kind in ("bonus", "penalty"):
            continue
        values = _appraised_cells(row, survey=survey)
        code = row.node.code.rpartition(".")[0]
        while code:
            acc = sums.setdefault(code, [None, None, None, None])
            for i, v in enumerate(values):
                if v is not None:
                    acc[i] = (acc[i] or Decimal(0)) + v
            code = code.rpartition(".")[0]
    return sums


def appraised_visibility(assessment, user=None) -> tuple:
    """(result, survey, leaves) — what of the appraised sheet ``user`` may read: the round's results snapshot of
    the assessment (with its components) when the results app lets ``user`` see it (``signals.result_wanted``,
    answered with ``reports.results.selectors.result_for``: the round is published, or a coordinator/admin:
    provisional results are not shown to appraisers or units), else None; whether its results figures — survey
    scores, achieved points — are shown (``permissions.survey_results_visible``, the one rule of who reads
    provisional results); and ``leaves``: None (every row), or, while those figures are hidden, the ids of the
    leaves whose part an agency of ``user`` appraises (issue 14 item 9: before publication an appraiser's sheet
    carries the self and appraised scores of its own fields only). ``user=None``: everything."""
    from .permissions import survey_results_visible
    from .selectors.appraisal import leaf_parts

    if user is None:
        return signals.result_of(assessment), True, None
    survey = survey_results_visible(user, assessment)
    leaves = None
    if not survey:
        owned = set(units_of(user, Role.APPRAISER))
        leaves = {
            leaf for leaf, (_, owner) in leaf_parts(assessment.criteria_set_id).items() if owner in owned
        }
    return signals.result_of(assessment, user), survey, leaves


def readable_rows(rows: list[Row], leaves: set[int] | None) -> list[Row]:
    """``rows`` (print order) restricted to ``leaves`` (None: all) and the nodes above them."""
    if leaves is None:
        return list(rows)
    keep: set[str] = set()
    for row in rows:
        if row.is_leaf and row.node.pk in leaves:
            code = row.node.code
            while code:
                keep.add(code)
                code = code.rpartition(".")[0]
    return [row for row in rows if row.node.code in keep]


def appraised_workbook(assessment, user=None) -> bytes:
    """A unit's appraised score sheet as .xlsx bytes (issue 4 §8), sheet "Thẩm định".

    Title block, then one row per node in print order with the official columns ``APPRAISED_HEADERS``:
    max (points), survey score, self score, appraised score, achieved points (leaves: survey or appraised;
    parents: sums), the component index (%) on field rows and the PAR Index on the totals row — both read
    from the round's results snapshot (``reports``, the one computation), empty while none is stored — and
    Ghi chú with the choice, note, not-applicable claim, appraiser's comment, question and the unit's
    explanation. With ``user``, only what they may read (``appraised_visibility``): before publication an
    appraiser gets the self and appraised scores of the fields its agency owns, and no index, grade, component,
    achieved points or survey figure.
    """
    from .selectors.scoring import scoring_sheet

    sheet = scoring_sheet(assessment)
    result, survey, leaves = appraised_visibility(assessment, user)
    rows = readable_rows(sheet.rows, leaves)
    components = {c.field_id: c for c in result.components.all()} if result else {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Thẩm định"
    border = xlsx.THIN_BORDER
    wrap = Alignment(wrap_text=True, vertical="top")
    a = assessment
    block = [
        (APPRAISED_TITLE, Font(bold=True, size=14)),
        (f"Đơn vị: {a.unit.name}", Font(bold=True)),
        (f"Đợt đánh giá: {a.round.name} (năm {a.round.year}) · Trạng thái: {a.get_state_display()}", None),
        (f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}", Font(italic=True)),
    ]
    header_row = _title_and_header(ws, block, APPRAISED_HEADERS, APPRAISED_WIDTHS)
    sums = _appraised_sums(rows, survey=survey)
    r = header_row
    for row in rows:
        r += 1
        n = row.node
        cells = _appraised_cells(row, survey=survey) if row.is_leaf else tuple(sums.get(n.code, [None] * 4))
        comp = components.get(n.pk) if row.depth == 0 else None
        values = (
            n.code,
            n.title,
            _number(n.max_points),
            *(_number(v) for v in cells),
            _number(comp.index_percent) if comp and comp.index_percent is not None else None,
            _appraised_note(row) if row.is_leaf else "",
        )
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=value if value != "" else None)
            cell.border = border
            cell.alignment = wrap
            if 3 <= col <= 8 and isinstance(value, float):
                cell.number_format = NUMBER_FORMAT
            if row.depth == 0:
                cell.font = Font(bold=True)
        ws.cell(row=r, column=1).number_format = "@"
    r += 1
    totals = (
        None,
        "Tổng điểm · Chỉ số CCHC" + (f" · Xếp loại {result.grade}" if result and result.grade else ""),
        _number(result.applicable_max) if result else None,
        None,
        None,
        None,
        _number(result.total) if result else None,
        _number(result.par_index) if result else None,
        "Kết quả tạm tính (chưa công bố)"
        if result and result.provisional
        else (_no_result(survey) if not result else ""),
    )
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row=r, column=col, value=value)
        cell.font = Font(bold=True)
        cell.border = border
        if isinstance(value, float):
            cell.number_format = NUMBER_FORMAT
    return _finished(wb, ws, header_row)


def _no_result(survey: bool) -> str:
    """Why an appraised sheet has no index: not computed yet (a reader who may see results), or not published."""
    return "Chưa tính kết quả" if survey else "Chỉ số CCHC và xếp loại: xem sau khi công bố kết quả"


# ---------------------------------------------------------------- official print formats (issue 12 item 12)


@dataclass
class PrintRow:
    """One node of a printed score sheet: ``cells`` are the score columns already formatted ("0,75", "" when
    empty, "Điều tra XHH"); ``note`` the Ghi chú text (lines joined by newlines); ``evidence`` the number of
    documents of a leaf (None on parents)."""

    code: str
    title: str
    depth: int
    is_leaf: bool
    max_points: str
    cells: list[str]
    note: str = ""
    evidence: int | None = None


def _fmt(value) -> str:
    return "" if value is None or value == "" else (value if isinstance(value, str) else number(value))


def self_print_rows(sheet: ScoringSheet) -> list[PrintRow]:
    """The rows of the printed self-assessment sheet (the same content as ``self_assessment_workbook``): one per
    node in print order with max, self score (fields: the sum; survey leaves "Điều tra XHH"), Ghi chú and the
    number of documents of each leaf."""
    survey_codes = _survey_codes(sheet.rows)
    return [
        PrintRow(
            code=r.node.code,
            title=r.node.title,
            depth=r.depth,
            is_leaf=r.is_leaf,
            max_points=number(r.node.max_points),
            cells=[_fmt(_self_cell(r, survey_codes))],
            note=_note(r) if r.is_leaf else "",
            evidence=len(r.evidence) if r.is_leaf else None,
        )
        for r in sheet.rows
    ]


@dataclass
class AppraisedPrint:
    """The printed appraised sheet: ``rows`` (cells: self, appraised, achieved); ``result`` the results snapshot
    when the reader may see it (``appraised_visibility``), else None; ``survey`` whether survey scores are shown;
    ``appraised_total`` the sum of the appraised leaves (bonus and penalty apart) in points."""

    rows: list[PrintRow]
    result: object | None
    survey: bool
    appraised_total: Decimal
    no_result: str


def appraised_print(assessment, user) -> AppraisedPrint:
    """The appraised sheet as ``user`` may read it, for the print page and its PDF: the columns of
    ``appraised_workbook`` (self, appraised, achieved; survey leaves show their survey score in "Điểm đạt", or
    "Chưa công bố" when ``survey_results_visible`` says no; the component index (%) of a field in its Ghi chú only
    with a visible result)."""
    from .selectors.scoring import scoring_sheet

    sheet = scoring_sheet(assessment)
    result, survey, leaves = appraised_visibility(assessment, user)
    components = {c.field_id: c for c in result.components.all()} if result else {}
    readable = readable_rows(sheet.rows, leaves)
    sums = _appraised_sums(readable, survey=survey)
    rows, appraised_total = [], Decimal(0)
    for r in readable:
        n = r.node
        if r.is_leaf:
            _, own, appraised, achieved = _appraised_cells(r, survey=survey)
            if r.is_survey:
                cells = [SURVEY, "", _fmt(achieved) if survey else "Chưa công bố"]
            else:
                cells = [_fmt(own), _fmt(appraised), _fmt(achieved)]
                if n.kind not in ("bonus", "penalty"):
                    appraised_total += appraised or 0
            note = _appraised_note(r)
        else:
            _, own, appraised, achieved = sums.get(n.code, [None] * 4)
            cells = [_fmt(own), _fmt(appraised), _fmt(achieved)]
            comp = components.get(n.pk) if r.depth == 0 else None
            note = (
                f"Chỉ số thành phần: {number(comp.index_percent)}%"
                if comp and comp.index_percent is not None
                else ""
            )
        rows.append(
            PrintRow(
                code=n.code,
                title=n.title,
                depth=r.depth,
                is_leaf=r.is_leaf,
                max_points=number(n.max_points),
                cells=cells,
                note=note,
                evidence=len(r.evidence) if r.is_leaf else None,
            )
        )
    return AppraisedPrint(
        rows=rows, result=result, survey=survey, appraised_total=appraised_total, no_result=_no_result(survey)
    )
