"""Excel exports of self-assessments (issue 3 §8).

Built from ``selectors.scoring_sheet`` only, so the file always says what the scoring page says.
"""

import io
from decimal import Decimal

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from criteria.models import Kind

from .selectors import Row, ScoringSheet

TITLE = "BẢNG TỰ ĐÁNH GIÁ, CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
HEADERS = ("STT/Mã", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Ghi chú", "Tài liệu kiểm chứng")
WIDTHS = (10, 70, 11, 12, 45, 55)
SURVEY = "Điều tra XHH"
NUMBER_FORMAT = "0.00"


def _number(value) -> float | None:
    """Decimal points → a numeric cell value; None stays empty."""
    return None if value is None else float(Decimal(value))


def evidence_line(evidence) -> str:
    """"số/ký hiệu, ngày, cơ quan ban hành — tên tệp" of one document (parts that are empty are left out)."""
    parts = [evidence.doc_number, evidence.issued_on.strftime("%d/%m/%Y") if evidence.issued_on else "",
             evidence.issuer]
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
        lines.append(f"Tử số/mẫu số: {fmt(score.numerator.normalize())}/{fmt(score.denominator.normalize())}"
                     .replace(".", ","))
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
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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
    n_cols = len(HEADERS)
    last_col = get_column_letter(n_cols)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    block = [
        (TITLE, Font(bold=True, size=14)),
        (f"Đơn vị: {a.unit.name}", Font(bold=True)),
        (f"Đợt đánh giá: {a.round.name} (năm {a.round.year})", None),
        (f"Bộ chỉ số: {a.criteria_set.name}", None),
        (f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}", Font(italic=True)),
    ]
    for i, (text, font) in enumerate(block, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        if font:
            cell.font = font
        ws.merge_cells(f"A{i}:{last_col}{i}")
    header_row = len(block) + 2

    fill = PatternFill("solid", fgColor="DDE7F3")
    for col, (title, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        cell = ws.cell(row=header_row, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width

    survey_codes = _survey_codes(sheet.rows)
    field_fill = PatternFill("solid", fgColor="EEF3FA")
    r = header_row
    for row in sheet.rows:
        r += 1
        node = row.node
        values = (node.code, node.title, _number(node.max_points), _self_cell(row, survey_codes),
                  _note(row) if row.is_leaf else "",
                  "\n".join(evidence_line(e) for e in row.evidence))
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
    totals = (None, "Tổng điểm tự chấm / điểm tối đa phần thẩm định", _number(sheet.appraisal_max),
              _number(sheet.self_total), f"Đã chấm {sheet.scored}/{sheet.leaves} tiêu chí", None)
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row=r, column=col, value=value)
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = wrap_top
        if col in (3, 4):
            cell.number_format = NUMBER_FORMAT

    return _finished(wb, ws, header_row)


APPRAISED_TITLE = "BẢNG ĐIỂM THẨM ĐỊNH CHỈ SỐ CẢI CÁCH HÀNH CHÍNH"
APPRAISED_HEADERS = ("STT/Mã", "Nội dung", "Điểm tối đa", "Điều tra XHH", "Tự chấm", "Thẩm định", "Điểm đạt",
                     "Chỉ số (%)", "Ghi chú")
APPRAISED_WIDTHS = (10, 60, 11, 11, 10, 10, 10, 10, 60)


def _achieved(row: Row):
    """Points a leaf counts for (DESIGN §5): the survey score on survey leaves, the appraised score on the
    others (the self score never counts), None when not applicable."""
    s = row.score
    if s is None:
        return None
    if row.is_survey:
        return s.survey_value or Decimal(0)
    if s.is_not_applicable:
        return None
    return s.appraised_value or Decimal(0)


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


def appraised_workbook(assessment) -> bytes:
    """A unit's appraised score sheet as .xlsx bytes (issue 4 §8), sheet "Thẩm định".

    Title block, then one row per node in print order with the official columns ``APPRAISED_HEADERS``:
    max (points), survey score, self score, appraised score, achieved points (leaves: survey or appraised;
    parents: sums), the component index (%) on field rows and the PAR Index on the totals row — both read
    from the round's results snapshot (``reports``, the one computation), empty while none is stored — and
    Ghi chú with the choice, note, not-applicable claim, appraiser's comment, question and the unit's
    explanation.
    """
    from reports.models import Result  # noqa: PLC0415 — reports builds on assessments

    from .selectors import scoring_sheet  # noqa: PLC0415

    sheet = scoring_sheet(assessment)
    result = Result.objects.filter(assessment=assessment).prefetch_related("components").first()
    components = {c.field_id: c for c in result.components.all()} if result else {}
    wb = Workbook()
    ws = wb.active
    ws.title = "Thẩm định"
    last_col = get_column_letter(len(APPRAISED_HEADERS))
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    a = assessment
    block = [(APPRAISED_TITLE, Font(bold=True, size=14)), (f"Đơn vị: {a.unit.name}", Font(bold=True)),
             (f"Đợt đánh giá: {a.round.name} (năm {a.round.year}) · Trạng thái: {a.get_state_display()}", None),
             (f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}", Font(italic=True))]
    for i, (text, font) in enumerate(block, start=1):
        cell = ws.cell(row=i, column=1, value=text)
        if font:
            cell.font = font
        ws.merge_cells(f"A{i}:{last_col}{i}")
    header_row = len(block) + 2
    for col, (title, width) in enumerate(zip(APPRAISED_HEADERS, APPRAISED_WIDTHS, strict=True), start=1):
        cell = ws.cell(row=header_row, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = width
    # parents: sums of their leaves (bonus and penalty apart, as on every page)
    sums = {}
    for row in sheet.rows:
        if not row.is_leaf or row.node.kind in ("bonus", "penalty"):
            continue
        s = row.score
        values = (s.survey_value if row.is_survey else None, None if row.is_survey else s.self_value,
                  None if row.is_survey else s.appraised_value, _achieved(row))
        code = row.node.code.rpartition(".")[0]
        while code:
            acc = sums.setdefault(code, [None, None, None, None])
            for i, v in enumerate(values):
                if v is not None:
                    acc[i] = (acc[i] or Decimal(0)) + v
            code = code.rpartition(".")[0]
    r = header_row
    for row in sheet.rows:
        r += 1
        n, s = row.node, row.score
        if row.is_leaf:
            cells = (s.survey_value if row.is_survey else None, None if row.is_survey else s.self_value,
                     None if row.is_survey else s.appraised_value, _achieved(row))
        else:
            cells = tuple(sums.get(n.code, [None] * 4))
        comp = components.get(n.pk) if row.depth == 0 else None
        values = (n.code, n.title, _number(n.max_points), *(_number(v) for v in cells),
                  _number(comp.index_percent) if comp and comp.index_percent is not None else None,
                  _appraised_note(row) if row.is_leaf else "")
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
    totals = (None, "Tổng điểm · Chỉ số CCHC" + (f" · Xếp loại {result.grade}" if result and result.grade else ""),
              _number(result.applicable_max) if result else None, None, None, None,
              _number(result.total) if result else None, _number(result.par_index) if result else None,
              "Kết quả tạm tính (chưa công bố)" if result and result.provisional else
              ("Chưa tính kết quả" if not result else ""))
    for col, value in enumerate(totals, start=1):
        cell = ws.cell(row=r, column=col, value=value)
        cell.font = Font(bold=True)
        cell.border = border
        if isinstance(value, float):
            cell.number_format = NUMBER_FORMAT
    return _finished(wb, ws, header_row)
