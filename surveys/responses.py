"""The raw-response workbook of the sociological survey (phiếu điều tra XHH): reading it and writing the
per-round template (issue 5 item 4; README "Raw questionnaire responses").

Layout: exactly two sheets, headers in row 1.

- "Phiếu" — one questionnaire per row: ``A Mã đơn vị | B Nhóm người trả lời | C, D, … one column per
  question`` (row 1 holds the question codes, e.g. "C1", "C2"). An answer is a whole number 1–5 or one of
  the labels of ``scoring.LABELS`` (case, spacing and Unicode form do not matter); an empty cell is an
  unanswered question. A row with a unit code only (as in the template) is skipped.
- "Ánh xạ" — one question per row: ``A Mã câu hỏi | B Mã tiêu chí`` (a survey leaf code) then optional
  weight columns, one per respondent group (row 1 = the group's name, cells = weight ≥ 0, at most 2
  decimals). Without weight columns every group weighs 1; with them, every respondent's group must have
  a column and every cell a weight.

``read_responses`` checks the file, both sheets' shape and every cell that needs no database (answers,
weights, duplicates, unmapped questions, unknown groups) and never raises on bad input: it returns every
``Problem`` (sheet, row, column, Vietnamese message). Units and leaves are checked by ``surveys.services``.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from criteria.scales import ScaleError, format_decimal, parse_decimal
from criteria.tree import Problem
from parindex.xlsx import (
    CellCheck,
    SheetLimits,
    check_headers,
    code_text,
    first_row,
    is_blank,
    open_xlsx,
    sort_problems,
    style_header,
    workbook_bytes,
)

from .scoring import LABELS
from .workbook import MAX_BYTES, MAX_ROWS

SHEET_ANSWERS = "Phiếu"
SHEET_MAPPING = "Ánh xạ"
ANSWER_HEADERS = ("Mã đơn vị", "Nhóm người trả lời")
MAPPING_HEADERS = ("Mã câu hỏi", "Mã tiêu chí")
LABEL_LIST = ", ".join(f"'{label}'" for label in LABELS)


def text_key(value) -> str:
    """How free text is compared: NFC, inner spaces collapsed, case-folded ("  hài  LÒNG" → "hài lòng")."""
    return " ".join(unicodedata.normalize("NFC", str(value)).split()).casefold()


def _tidy(value) -> str:
    return " ".join(unicodedata.normalize("NFC", str(value)).split())


_ANSWER_BY_LABEL = {text_key(label): i for i, label in enumerate(LABELS, start=1)}


def parse_answer(value) -> int:
    """One answer cell (not blank) → 1..5. Raises ``ScaleError`` (Vietnamese) for anything else."""
    if isinstance(value, str):
        by_label = _ANSWER_BY_LABEL.get(text_key(value))
        if by_label:
            return by_label
        if not re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*", value):
            raise ScaleError(
                f"Câu trả lời '{_tidy(value)}' không hợp lệ: ghi số nguyên từ 1 đến 5 hoặc một "
                f"trong các mức {LABEL_LIST}."
            )
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ScaleError(f"Câu trả lời '{value}' không hợp lệ: ghi số nguyên từ 1 đến 5.")
    try:
        number = parse_decimal(value, what="Câu trả lời")
    except ScaleError as exc:
        raise ScaleError(f"Câu trả lời '{value}' không hợp lệ: ghi số nguyên từ 1 đến 5.") from exc
    if not 1 <= number <= 5:
        raise ScaleError(f"Câu trả lời {format_decimal(number)} nằm ngoài thang 1–5.")
    if number != number.to_integral_value():
        raise ScaleError(f"Câu trả lời {format_decimal(number)} không phải số nguyên từ 1 đến 5.")
    return int(number)


@dataclass
class Respondent:
    """One questionnaire: its row, unit code, group as written (``group``) and compared (``group_key``),
    and ``answers`` = ``{question code: 1..5}`` for the answered cells only."""

    row: int
    unit_code: str
    group: str
    group_key: str
    answers: dict[str, int] = field(default_factory=dict)


@dataclass
class Mapping:
    """One row of "Ánh xạ": the question, its leaf code and ``weights`` = ``{group key: weight}`` (empty
    when the sheet has no weight columns)."""

    row: int
    question: str
    leaf_code: str
    weights: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class ReadResponses:
    """What ``read_responses`` found.

    ``questions``: ``{question code: column letter in "Phiếu"}`` in column order. ``mappings``:
    ``{question code: Mapping}``. ``groups``: ``{group key: name as written}`` of the weight columns
    (empty = no weights, every group weighs 1). ``respondents``: questionnaires with at least one answer.
    ``warnings`` never block the import.
    """

    respondents: list[Respondent] = field(default_factory=list)
    questions: dict[str, str] = field(default_factory=dict)
    mappings: dict[str, Mapping] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def weight(self, question: str, group_key: str) -> Decimal | None:
        """Weight of an answer to ``question`` by someone of ``group_key``: 1 without weight columns, None
        when the cell is missing or bad (then a problem names it)."""
        if not self.groups:
            return Decimal(1)
        return self.mappings[question].weights.get(group_key)


def _sheets(wb, problems: list[Problem]):
    found = {}
    wanted = {SHEET_ANSWERS.casefold(): SHEET_ANSWERS, SHEET_MAPPING.casefold(): SHEET_MAPPING}
    for sheet in wb.worksheets:
        name = unicodedata.normalize("NFC", sheet.title).strip()
        canonical = wanted.get(name.casefold())
        if canonical and canonical not in found:
            found[canonical] = sheet
        else:
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    f"Trang tính '{name}' không thuộc mẫu; tệp chỉ gồm hai trang "
                    f"'{SHEET_ANSWERS}' và '{SHEET_MAPPING}'.",
                )
            )
    for name in (SHEET_ANSWERS, SHEET_MAPPING):
        if name not in found:
            problems.append(Problem(name, None, None, f"Thiếu trang tính '{name}'."))
    return found


def _check_shape(ws, sheet: str, headers: tuple[str, ...], problems: list[Problem], cells: CellCheck) -> bool:
    """Report wrong headers of ``headers`` and formulas (each read by its cached value); too many rows were
    refused before loading (``open_xlsx``). Returns whether the sheet's rows can be read (headers right)."""
    ok = check_headers(first_row(ws, len(headers)), sheet, headers, problems, read=_tidy)
    cells.check(ws, sheet, problems, merged=False)
    return ok


def _extra_columns(
    ws, sheet: str, first: int, what: str, problems: list[Problem], read=code_text
) -> dict[int, str]:
    """Headers of columns ``first``.. as ``{column index: read(header)}``; a column with data but no header
    is a problem (``what`` names what row 1 should hold)."""
    headers = {}
    for col in range(first, ws.max_column + 1):
        value = ws.cell(row=1, column=col).value
        if not is_blank(value):
            headers[col] = read(value)
            continue
        if any(
            not is_blank(v) for (v,) in ws.iter_rows(min_row=2, min_col=col, max_col=col, values_only=True)
        ):
            problems.append(
                Problem(
                    sheet,
                    1,
                    get_column_letter(col),
                    f"Cột {get_column_letter(col)} có dữ liệu nhưng dòng 1 chưa ghi {what}.",
                )
            )
    return headers


def _read_mapping(ws, result: ReadResponses) -> None:
    problems = result.problems
    sheet = SHEET_MAPPING
    group_columns = {}
    seen_groups: dict[str, str] = {}
    for col, name in _extra_columns(
        ws, sheet, len(MAPPING_HEADERS) + 1, "tên nhóm người trả lời", problems, read=_tidy
    ).items():
        key = text_key(name)
        if key in seen_groups:
            problems.append(
                Problem(
                    sheet,
                    1,
                    get_column_letter(col),
                    f"Nhóm người trả lời '{name}' bị lặp (đã có ở cột {seen_groups[key]}).",
                )
            )
            continue
        seen_groups[key] = get_column_letter(col)
        group_columns[col] = key
        result.groups[key] = name
    width = max([len(MAPPING_HEADERS), *group_columns])
    for number, values in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        values = list(values) + [None] * (width - len(values))
        if all(is_blank(v) for v in values):
            continue
        item = Mapping(row=number, question=code_text(values[0]), leaf_code=code_text(values[1]))
        if not item.question:
            problems.append(Problem(sheet, number, "A", "Thiếu mã câu hỏi."))
        if not item.leaf_code:
            problems.append(Problem(sheet, number, "B", "Thiếu mã tiêu chí."))
        for col, key in group_columns.items():
            value, letter, name = values[col - 1], get_column_letter(col), result.groups[key]
            if is_blank(value):
                problems.append(
                    Problem(
                        sheet,
                        number,
                        letter,
                        f"Thiếu trọng số của nhóm '{name}' (ghi 0 nếu không tính câu trả lời của nhóm này).",
                    )
                )
                continue
            try:
                weight = parse_decimal(value, what=f"Trọng số của nhóm '{name}'")
            except ScaleError as exc:
                problems.append(Problem(sheet, number, letter, str(exc)))
                continue
            if weight < 0:
                problems.append(
                    Problem(
                        sheet,
                        number,
                        letter,
                        f"Trọng số của nhóm '{name}' không được âm (đang là {format_decimal(weight)}).",
                    )
                )
                continue
            item.weights[key] = weight
        if not item.question:
            continue
        if item.question in result.mappings:
            problems.append(
                Problem(
                    sheet,
                    number,
                    "A",
                    f"Mã câu hỏi '{item.question}' bị lặp (đã có ở dòng "
                    f"{result.mappings[item.question].row}).",
                )
            )
            continue
        result.mappings[item.question] = item
    if not result.mappings and not any(p.sheet == sheet for p in problems):
        problems.append(Problem(sheet, None, None, "Trang không có dòng ánh xạ câu hỏi nào."))


def _read_answers(ws, result: ReadResponses) -> None:
    problems = result.problems
    sheet = SHEET_ANSWERS
    columns = {}
    for col, code in _extra_columns(ws, sheet, len(ANSWER_HEADERS) + 1, "mã câu hỏi", problems).items():
        letter = get_column_letter(col)
        if code in result.questions:
            problems.append(
                Problem(
                    sheet, 1, letter, f"Mã câu hỏi '{code}' bị lặp (đã có ở cột {result.questions[code]})."
                )
            )
            continue
        result.questions[code] = letter
        columns[col] = code
    if not result.questions:
        problems.append(
            Problem(sheet, 1, "C", "Trang chưa có cột câu hỏi nào (mã câu hỏi ghi ở dòng 1, từ cột C).")
        )
        return
    width = max(columns)
    for number, values in enumerate(ws.iter_rows(min_row=2, max_col=width, values_only=True), start=2):
        values = list(values) + [None] * (width - len(values))
        unit, group = code_text(values[0]), "" if is_blank(values[1]) else _tidy(values[1])
        cells = {col: values[col - 1] for col in columns if not is_blank(values[col - 1])}
        if not group and not cells:
            continue  # blank row, or a template row with the unit code only
        item = Respondent(row=number, unit_code=unit, group=group, group_key=text_key(group))
        if not unit:
            problems.append(Problem(sheet, number, "A", "Thiếu mã đơn vị."))
        if not group:
            problems.append(Problem(sheet, number, "B", "Thiếu nhóm người trả lời."))
        elif result.groups and item.group_key not in result.groups:
            known = ", ".join(f"'{name}'" for name in result.groups.values())
            problems.append(
                Problem(
                    sheet,
                    number,
                    "B",
                    f"Nhóm người trả lời '{group}' không có cột trọng số trong "
                    f"trang '{SHEET_MAPPING}' (các nhóm có trọng số: {known}).",
                )
            )
        for col, value in cells.items():
            try:
                item.answers[columns[col]] = parse_answer(value)
            except ScaleError as exc:
                problems.append(Problem(sheet, number, get_column_letter(col), str(exc)))
        if not cells:
            result.warnings.append(
                Problem(sheet, number, None, "Phiếu không có câu trả lời nào; không được tính.")
            )
            continue
        result.respondents.append(item)


def read_responses(data: bytes, *, max_bytes: int | None = MAX_BYTES) -> ReadResponses:
    """Read a raw-response workbook (layout in the module docstring).

    ``data``: the file's bytes. Problems found here: not an .xlsx / empty / too big (``sniff_xlsx``),
    missing or extra sheets, wrong headers of A–B, formulas, too many rows, columns with data but no
    header, duplicated question codes (in either sheet) or weight columns, missing codes, answers not in
    1–5 or unknown labels, missing / non-numeric / negative weights, a respondent group without a weight
    column (when weights are given), question columns of "Phiếu" not mapped, no questionnaire or mapping at
    all. Warnings: mapped questions without a column in "Phiếu", questionnaires without any answer.
    Never raises for bad input.

    All in one pass, sorted by sheet, row and column (``parindex.xlsx.problem_order``): an extra
    sheet does not stop the reading; a missing sheet, or one with wrong headers, leaves only its own rows
    (and the checks across both sheets) unread; a formula is reported and its cell read by the value Excel
    stored for it (``parindex.xlsx.CellCheck``). A sheet over ``MAX_ROWS`` rows (or a file over
    ``parindex.xlsx.SheetLimits``' columns and cells) is refused before it is loaded, with that problem alone.
    """
    wb, refused = open_xlsx(data, max_bytes, SheetLimits(max_rows=MAX_ROWS))
    if refused:
        return ReadResponses(problems=refused)
    result = ReadResponses()
    problems = result.problems
    sheets = _sheets(wb, problems)
    cells = CellCheck(data)
    readable = {
        name: ws
        for name, headers in ((SHEET_MAPPING, MAPPING_HEADERS), (SHEET_ANSWERS, ANSWER_HEADERS))
        if (ws := sheets.get(name)) is not None and _check_shape(ws, name, headers, problems, cells)
    }
    if SHEET_MAPPING in readable:
        _read_mapping(readable[SHEET_MAPPING], result)
    if SHEET_ANSWERS in readable:
        _read_answers(readable[SHEET_ANSWERS], result)
    if len(readable) == 2:  # checks across the two sheets
        for code, letter in result.questions.items():
            if code not in result.mappings:
                problems.append(
                    Problem(
                        SHEET_ANSWERS,
                        1,
                        letter,
                        f"Câu hỏi '{code}' chưa được ánh xạ tới tiêu chí nào trong trang '{SHEET_MAPPING}'.",
                    )
                )
        for code, item in result.mappings.items():
            if result.questions and code not in result.questions:
                result.warnings.append(
                    Problem(
                        SHEET_MAPPING,
                        item.row,
                        "A",
                        f"Câu hỏi '{code}' không có cột trong trang '{SHEET_ANSWERS}'; không được tính.",
                    )
                )
    if (
        SHEET_ANSWERS in readable
        and result.questions
        and not result.respondents
        and not any(p.sheet == SHEET_ANSWERS for p in problems)
    ):  # else the sheet's own problems tell why
        problems.append(Problem(SHEET_ANSWERS, None, None, "Trang không có phiếu nào có câu trả lời."))
    result.problems = cells.finish(problems)
    result.warnings = sort_problems(result.warnings)
    return result


def write_template(units, leaves) -> bytes:
    """The round's raw-response workbook as .xlsx bytes.

    ``units``: ``(code, name)`` of the round's units → one placeholder row each in "Phiếu" (the code; the
    name as a cell comment). ``leaves``: ``(code, title)`` of the survey leaves of the round's sets →
    question columns "C1".."Cn" in "Phiếu" and one mapping row each in "Ánh xạ" (Ck → leaf code, the
    title as a comment), no weight columns (every group weighs 1). Codes are written as text.
    """
    wb = Workbook()
    answers = wb.active
    answers.title = SHEET_ANSWERS
    questions = [f"C{i}" for i in range(1, len(leaves) + 1)]
    answers.append(ANSWER_HEADERS + tuple(questions))
    for code, name in units:
        answers.append((code,))
        cell = answers.cell(row=answers.max_row, column=1)
        cell.number_format = "@"
        cell.comment = Comment(name, "parindex")
    mapping = wb.create_sheet(SHEET_MAPPING)
    mapping.append(MAPPING_HEADERS)
    for question, (code, title) in zip(questions, leaves, strict=True):
        mapping.append((question, code))
        for col in (1, 2):
            mapping.cell(row=mapping.max_row, column=col).number_format = "@"
        mapping.cell(row=mapping.max_row, column=2).comment = Comment(title, "parindex")
    for ws, widths, freeze in ((answers, (12, 26), "C2"), (mapping, (14, 14), "A2")):
        style_header(
            ws,
            [widths[col - 1] if col <= len(widths) else 8 for col in range(1, ws.max_column + 1)],
            freeze=freeze,
        )
    return workbook_bytes(wb)
