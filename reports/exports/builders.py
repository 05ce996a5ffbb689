"""Exports of a round's rankings (issue 6 item 6): the official table as .xlsx and .pdf.

Both are built from ``ranking_tables`` — itself read through ``reports.results.selectors.rankings``, so a file holds
exactly what its requester may see on the rankings page. Layout of each group's table (one sheet, or one
section of the PDF): "UBND TỈNH <province>", "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM <year>", the
group's name, then the columns STT · Đơn vị · one component index per field (%) · Tổng điểm (points) ·
Chỉ số CCHC (%) · Xếp loại · Xếp hạng, in rank order — and, when the previous round is published, its year over
year through lineage (``reports.results.baseline``): Chỉ số năm trước (%) · Δ Chỉ số (điểm %) · So sánh với
(empty for a unit compared with itself; the predecessors of a renamed, split or merged unit; "đơn vị mới"). The PDF (and the printable page of a group,
``reports.results.views.rankings_print``) is an official document (Nghị định 30/2020/NĐ-CP): issuing body, national motto, place
and date once at the top, the signature block and "Nơi nhận" at the end (``rankings_document``).
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from assessments.models import AssessmentRound, RoundSet, RoundState
from assessments.selectors.rounds import round_group_sets
from criteria.models import Criterion
from parindex import xlsx
from units.models import UnitGroup

from ..models import ComponentResult
from ..results import baseline
from ..results.selectors import previous_round, rankings

TITLE = "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {year}"
NUMBER_FORMAT = "0.00"
#: About how many units a PDF page holds (A4 landscape, 8 pt), to estimate the layout's progress.
UNITS_PER_PAGE = 28
#: Called with the share of the work done so far, a float from 0 to 1.
Progress = Callable[[float], None]


def province_title() -> str:
    """ "UBND TỈNH SÓC TRĂNG": the issuing authority line, from ``settings.PROVINCE_NAME``."""
    return f"UBND TỈNH {settings.PROVINCE_NAME}".upper()


@dataclass
class RankingRow:
    """One unit's line: ``components`` are the component indices (%) in the order of the table's fields
    (None where the field has nothing applicable or no result); ``total`` in points; ``par_index`` in %.
    ``previous_index`` (%), ``change`` (percentage points) and ``compared_with`` (the baseline's note): the year
    over year of ``reports.results.baseline`` (None / "" when there is no baseline or nothing is compared)."""

    number: int
    unit: str
    components: list[Decimal | None]
    total: Decimal
    par_index: Decimal
    grade: str
    rank: int | None
    previous_index: Decimal | None = None
    change: Decimal | None = None
    compared_with: str = ""


@dataclass
class RankingTable:
    """One group's ranking in a round: ``fields`` = (code, title) of the fields of the group's criteria set in
    print order; ``rows`` in rank order (then unit name); ``compared_year``: the year of the published previous
    round the rows are compared with (None: no year-over-year columns)."""

    group: UnitGroup
    fields: list[tuple[str, str]]
    rows: list[RankingRow] = field(default_factory=list)
    compared_year: int | None = None


def export_groups(round: AssessmentRound) -> list[UnitGroup]:
    """The unit groups ranked in ``round``: those with a criteria set in it or a result, in the groups' order."""
    ids = set(RoundSet.objects.filter(round=round).values_list("group_id", flat=True))
    ids |= set(round.results.values_list("group_id", flat=True).distinct())
    return list(UnitGroup.objects.filter(pk__in=ids).order_by("order", "code"))


def _fields(round: AssessmentRound, group: UnitGroup, component_rows) -> list[tuple[int, str, str]]:
    """(id, code, title) of the fields of the group's set in the round, in print order; without a set, of the
    fields met in the results' components."""
    round_set = round_group_sets(round, group=group).first()
    if round_set is not None:
        nodes = Criterion.objects.filter(criteria_set_id=round_set.criteria_set_id, parent__isnull=True)
    else:
        nodes = Criterion.objects.filter(pk__in={field_id for _, field_id, _ in component_rows})
    return list(nodes.order_by("criteria_set_id", "order").values_list("pk", "code", "title"))


def ranking_tables(*, user, round: AssessmentRound, groups: Iterable[UnitGroup]) -> list[RankingTable]:
    """The ranking of each of ``groups`` in ``round`` as ``user`` may see it (``reports.results.selectors.rankings``:
    empty tables for a user who may not see the round's results). Read as plain values, not model instances
    (10,000 units and their 80,000 component results in well under a second): 1 query for the previous round,
    then 3 queries per group, 4 when the previous round is published (the group's baselines through lineage)."""
    tables = []
    previous = previous_round(round)
    compared = previous is not None and previous.state == RoundState.PUBLISHED
    for group in groups:
        ranked = rankings(user=user, round=round, group=group).prefetch_related(None)
        results = list(
            ranked.values_list("pk", "unit__name", "total", "par_index", "grade", "rank", "unit_id")
        )
        found = baseline.baselines(previous=previous, units=ranked.values("unit_id")) if results else {}
        component_rows = list(
            ComponentResult.objects.filter(result__in=ranked.values("pk")).values_list(
                "result_id", "field_id", "index_percent"
            )
        )
        fields = _fields(round, group, component_rows)
        positions = {field_id: i for i, (field_id, _, _) in enumerate(fields)}
        by_result: dict[int, list[Decimal | None]] = {pk: [None] * len(fields) for pk, *_ in results}
        for result_id, field_id, index in component_rows:
            i = positions.get(field_id)
            if i is not None:
                by_result[result_id][i] = index
        table = RankingTable(
            group=group,
            fields=[(code, title) for _, code, title in fields],
            compared_year=previous.year if compared and previous is not None else None,
        )
        table.rows = [
            RankingRow(
                number=n,
                unit=name,
                components=by_result[pk],
                total=total,
                par_index=index,
                grade=grade,
                rank=rank,
                previous_index=None if b is None else b.index,
                change=None if b is None else b.change(index),
                compared_with="" if b is None else b.note,
            )
            for n, (pk, name, total, index, grade, rank, unit_id) in enumerate(results, start=1)
            for b in [found.get(unit_id)]
        ]
        tables.append(table)
    return tables


def headers(table: RankingTable) -> list[str]:
    """Column titles of a table: STT, Đơn vị, "<code>. <field> (%)" per field, then the totals."""
    return [
        "STT",
        "Đơn vị",
        *(f"{code}. {title} (%)" for code, title in table.fields),
        "Tổng điểm",
        "Chỉ số CCHC (%)",
        "Xếp loại",
        "Xếp hạng",
        *(
            ()
            if table.compared_year is None
            else (f"Chỉ số năm {table.compared_year} (%)", "Δ Chỉ số (điểm %)", "So sánh với")
        ),
    ]


def _sheet_title(group: UnitGroup, taken: set[str]) -> str:
    """A valid, unique sheet name (≤ 31 characters, none of []:*?/\\) from the group's name."""
    base = re.sub(r"[\[\]:*?/\\]", " ", group.name).strip()[:31] or group.code[:31]
    title, n = base, 1
    while title.lower() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]} {n}"
    taken.add(title.lower())
    return title


def _status_line(round: AssessmentRound) -> str:
    exported = f"Ngày xuất: {timezone.localtime():%d/%m/%Y %H:%M}"
    if round.state != RoundState.PUBLISHED:
        return f"Kết quả tạm tính (đợt đánh giá chưa công bố) · {exported}"
    return exported


def rankings_workbook(
    tables: list[RankingTable], *, round: AssessmentRound, progress: Progress | None = None
) -> bytes:
    """``tables`` as an .xlsx workbook (bytes): one sheet per table, named after its group.

    Each sheet: the title block (province, title with the round's year, group name, provisional / export date
    line), a header row, one row per unit — component indices, total (points), PAR Index (%) as numeric cells
    with number format ``0.00``, grade and rank as text and integer — the header row frozen and repeated on
    printed pages (A4 landscape, fitted to the width). Written in openpyxl's write-only mode (streamed rows:
    10,000 units in a few seconds). ``progress`` is called with the share of rows written (0–1) every 500 rows.
    """
    wb = Workbook(write_only=True)
    border = xlsx.THIN_BORDER
    header_font, bold = Font(bold=True), Font(bold=True)
    header_fill = PatternFill("solid", fgColor=xlsx.HEADER_FILL)
    header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    center = Alignment(horizontal="center")
    total_rows = sum(len(t.rows) for t in tables) or 1
    written = 0
    taken: set[str] = set()
    year_title = TITLE.format(year=round.year)
    if not tables:
        wb.create_sheet("Xếp hạng").append(["Không có nhóm đơn vị nào được xếp hạng trong đợt này."])
    for table in tables:
        ws = wb.create_sheet(_sheet_title(table.group, taken))
        titles = headers(table)
        n_cols = len(titles)
        n_fields = len(table.fields)
        yoy_widths = [] if table.compared_year is None else [12, 11, 45]
        for col, width in enumerate([6, 45, *([14] * n_fields), 11, 12, 9, 9, *yoy_widths], start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        last_col = get_column_letter(n_cols)
        header_row = 6  # after the 4 title rows and a blank one
        # a write-only sheet writes its views and columns with its first row: set them before
        ws.freeze_panes = f"C{header_row + 1}"
        xlsx.print_setup(ws, header_row)

        def title_cell(text, font, ws=ws):
            cell = xlsx.text_cell(ws, text)
            cell.font = font
            cell.alignment = Alignment(horizontal="center")
            return cell

        block = [
            (province_title(), bold),
            (year_title, Font(bold=True, size=14)),
            (table.group.name.upper(), bold),
            (_status_line(round), Font(italic=True)),
        ]
        for i, (text, font) in enumerate(block, start=1):
            ws.append([title_cell(text, font)])
            ws.merged_cells.add(f"A{i}:{last_col}{i}")
        ws.append([])
        row = []
        for text in titles:
            cell = xlsx.text_cell(ws, text)
            cell.font, cell.fill, cell.border, cell.alignment = header_font, header_fill, border, header_align
            row.append(cell)
        ws.append(row)

        # One styled template cell per kind of data cell; each data cell shares its template's style array
        # (read-only once built) instead of having fonts and borders looked up again: 3× faster on 10,000 rows.
        number_style = WriteOnlyCell(ws)
        number_style.number_format, number_style.border = NUMBER_FORMAT, border
        text_style = WriteOnlyCell(ws)
        text_style.border = border
        center_style = WriteOnlyCell(ws)
        center_style.border, center_style.alignment = border, center

        def number(value, ws=ws, style=number_style._style):
            cell = WriteOnlyCell(ws, value=None if value is None else float(value))
            cell._style = style
            return cell

        def plain(value, template, ws=ws):
            cell = xlsx.text_cell(ws, value)
            cell._style = template._style
            return cell

        for r in table.rows:
            ws.append(
                [
                    plain(r.number, center_style),
                    plain(r.unit, text_style),
                    *(number(v) for v in r.components),
                    number(r.total),
                    number(r.par_index),
                    plain(r.grade or None, center_style),
                    plain(r.rank, center_style),
                    *(
                        ()
                        if table.compared_year is None
                        else (
                            number(r.previous_index),
                            number(r.change),
                            plain(r.compared_with or None, text_style),
                        )
                    ),
                ]
            )
            written += 1
            if progress is not None and written % 500 == 0:
                progress(written / total_rows)
        if not table.rows:
            ws.append([None, "Chưa có kết quả."])
    data = xlsx.workbook_bytes(wb)
    if progress is not None:
        progress(1.0)
    return data


def _decimal2(value) -> str:
    """2 decimals with a Vietnamese decimal comma ("87,25"); "—" for no value."""
    return "—" if value is None else f"{Decimal(value):.2f}".replace(".", ",")


def _signed2(value) -> str:
    """A change with its sign and a decimal comma ("+1,50", "−2,00", "0,00"); "—" for no value."""
    if value is None:
        return "—"
    text = _decimal2(abs(Decimal(value)))
    return f"+{text}" if value > 0 else (f"\u2212{text}" if value < 0 else text)


def _pdf_widths(n_fields: int, compared: bool = False) -> list[str]:
    """Column widths (%) of the PDF table: fixed, so a long field name wraps in its header instead of squeezing
    the unit names into many lines (and the layout is faster: no measuring of every cell)."""
    fixed = [4, 24 if not compared else 18]  # STT, Đơn vị
    tail = [6.5, 6.5, 4.5, 4.5]  # Tổng điểm, Chỉ số CCHC, Xếp loại, Xếp hạng
    if compared:
        tail += [6, 5.5, 14]  # Chỉ số năm trước, Δ, So sánh với
    field = (100 - sum(fixed) - sum(tail)) / n_fields if n_fields else 0
    return [f"{w:.2f}%" for w in (*fixed, *([field] * n_fields), *tail)]


#: The issuing body of the rankings (Phụ lục I: the superior body above, the issuer in bold under it).
ISSUER = "SỞ NỘI VỤ"
RECIPIENTS = (
    "UBND tỉnh (để báo cáo);",
    "Các sở, ban, ngành tỉnh; UBND các huyện, thị xã, thành phố;",
    "Lưu: VT, CCHC.",
)
PROVISIONAL = "KẾT QUẢ TẠM TÍNH: đợt đánh giá chưa công bố, số liệu còn có thể thay đổi."


def rankings_document(round: AssessmentRound):
    """The official header and signature of the rankings (``parindex.printing``): issued by Sở Nội vụ under the
    province's committee, today's place and date, the signer's position from ``settings.PRINT_SIGNER`` (lines
    separated by newlines), "Nơi nhận" and, while the round is not published, the "Kết quả tạm tính" warning."""
    from parindex import printing

    return printing.document(
        superior=province_title(),
        issuer=ISSUER,
        title=TITLE.format(year=round.year),
        subtitle=[f"Đợt đánh giá: {round.name}"],
        signer=settings.PRINT_SIGNER.split("\n"),
        recipients=RECIPIENTS,
        provisional="" if round.state == RoundState.PUBLISHED else PROVISIONAL,
    )


def rankings_html(
    tables: list[RankingTable], *, round: AssessmentRound, for_pdf: bool = True, **extra
) -> str:
    """The HTML the PDF is printed from (template ``reports/exports/rankings_pdf.html``, built on
    ``templates/print/base.html``: the official header, place and date, signature and "Nơi nhận"): one section per
    table, numbers formatted with 2 decimals and a decimal comma. ``for_pdf=False`` with ``back_url`` and
    ``pdf_url`` in ``extra``: the printable page, with its toolbar."""
    sections = [
        {
            "group": t.group,
            "headers": headers(t),
            "widths": _pdf_widths(len(t.fields), t.compared_year is not None),
            "compared": t.compared_year is not None,
            "rows": [
                (
                    r.number,
                    r.unit,
                    [_decimal2(v) for v in r.components],
                    _decimal2(r.total),
                    _decimal2(r.par_index),
                    r.grade,
                    r.rank or "",
                    (_decimal2(r.previous_index), _signed2(r.change), r.compared_with),
                )
                for r in t.rows
            ],
        }
        for t in tables
    ]
    return render_to_string(
        "reports/exports/rankings_pdf.html",
        {
            "doc": rankings_document(round),
            "round": round,
            "sections": sections,
            "for_pdf": for_pdf,
            **extra,
        },
    )


class _LayoutProgress(logging.Handler):
    """Turns WeasyPrint's "Step 5 - Creating layout - Page N" progress records into ``progress`` calls: layout
    is most of a PDF's time (2,000 units ≈ 70 pages ≈ 30 s), so the bar moves page by page."""

    def __init__(self, progress: Progress, pages: int, start: float, end: float):
        super().__init__(logging.INFO)
        self.progress, self.pages, self.start, self.end, self.done = progress, max(pages, 1), start, end, 0

    def emit(self, record):
        if record.msg.startswith("Step 5 - Creating layout - Page") and record.args:
            page = record.args[0]
            if isinstance(page, int) and page > self.done:
                self.done = page
                self.progress(self.start + (self.end - self.start) * min(page / self.pages, 1.0))


def rankings_pdf(
    tables: list[RankingTable], *, round: AssessmentRound, progress: Progress | None = None
) -> bytes:
    """``tables`` as a PDF (bytes, A4 landscape, a Times-like serif: DejaVu Serif on Debian) printed by WeasyPrint
    from ``rankings_html``.
    ``progress`` gets 0.05 once the HTML is rendered, up to 0.9 page by page as it is laid out (≈ 28 units a
    page), 1 when written. Needs pango (Debian libpango-1.0-0, libpangoft2-1.0-0: ``make system``); raises
    ``OSError`` when it is missing."""
    from weasyprint import HTML

    html = rankings_html(tables, round=round)
    if progress is None:
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    progress(0.05)
    pages = sum(len(t.rows) for t in tables) // UNITS_PER_PAGE + len(tables)
    logger = logging.getLogger("weasyprint.progress")
    handler = _LayoutProgress(progress, pages, 0.05, 0.9)
    level, propagate = logger.level, logger.propagate
    # the records go to our handler only, not to the log (settings keep them below WARNING there)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)
    try:
        document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    progress(0.9)
    data = document.write_pdf()
    progress(1.0)
    return data
