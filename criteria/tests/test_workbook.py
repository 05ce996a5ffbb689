"""The criteria workbook importer as its user meets it: every kind of bad upload is refused with a message
that names the sheet, row and column, and nothing is written; harmless quirks are read with a warning."""

import io
import unicodedata
import zipfile
from decimal import Decimal

import pytest

from criteria import workbook
from criteria.models import CriteriaSet, Criterion, GradeBand
from criteria.services import criteria_set_import, criteria_workbook_check
from criteria.workbook import read_workbook
from parindex import xlsx
from parindex.exceptions import WorkbookInvalid
from units.models import UnitGroup
from units.services import system_user

from .workbooks import (
    BAND_ROW,
    BANDS,
    HELP,
    INFO,
    ROW,
    SET_NAME,
    TREE,
    append_row,
    broken,
    combine,
    leaf_row,
    load_sheet_names,
    mutate,
    set_cell,
    valid_bytes,
    valid_spec,
    with_cached_values,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NEW_ROW = len(ROW) + 2  # the row ``append_row`` writes to


# ---------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def group(units):
    return UnitGroup.objects.get(code="SO")


@pytest.fixture
def existing(group):
    """A valid 2024 set already imported, so a refused upload can be seen to leave it untouched."""
    return criteria_set_import(
        group=group, year=2024, data=valid_bytes(), filename="2024.xlsx", by=system_user()
    )


def _snapshot():
    return (
        CriteriaSet.objects.count(),
        Criterion.objects.count(),
        GradeBand.objects.count(),
        list(CriteriaSet.objects.values_list("year", "name", "bonus_cap", "penalty_cap", "source_filename")),
        list(
            Criterion.objects.order_by("criteria_set", "order").values_list(
                "code",
                "title",
                "max_points",
                "source",
                "kind",
                "step",
                "scale",
                "owner__code",
                "parent__code",
            )
        ),
        list(GradeBand.objects.order_by("min_percent").values_list("code", "label", "min_percent")),
    )


@pytest.fixture
def refuse(existing, group):
    """``refuse(data)`` → the problems the import reports for ``data``.

    The upload is tried twice — replacing the existing 2024 set and as a new 2025 set — and both times the
    import must raise ``WorkbookInvalid`` and leave every set, node and band as it was.
    """

    def run(data: bytes):
        before = _snapshot()
        problems = None
        for year, replace in ((2024, True), (2025, False)):
            with pytest.raises(WorkbookInvalid) as info:
                criteria_set_import(
                    group=group, year=year, data=data, filename="bad.xlsx", by=system_user(), replace=replace
                )
            assert _snapshot() == before, "a refused workbook changed the database"
            assert info.value.problems, "WorkbookInvalid without problems"
            assert info.value.messages == [str(p) for p in info.value.problems]
            if problems is not None:
                assert info.value.problems == problems
            problems = info.value.problems
        return problems

    return run


def only(problems, sheet, row, column, fragment):
    """Exactly one problem, at (sheet, row, column), whose message contains ``fragment``."""
    assert [(p.sheet, p.row, p.column) for p in problems] == [(sheet, row, column)], problems
    assert fragment in problems[0].message, problems[0].message
    return problems[0]


def file_problem(problems, fragment):
    """A whole-file problem (no sheet, row or column) — the only one."""
    return only(problems, "", None, None, fragment)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ---------------------------------------------------------------------------------------------- baseline


def test_the_valid_workbook_reads_without_problems_and_imports(group):
    result = read_workbook(valid_bytes())
    assert result.ok and result.problems == [] and result.warnings == []
    assert result.spec == valid_spec()
    criteria_set = criteria_set_import(
        group=group, year=2025, data=valid_bytes(), filename="ok.xlsx", by=system_user()
    )
    assert criteria_set.nodes.count() == len(valid_spec().nodes)


# ---------------------------------------------------------------------------------------------- not a workbook


def test_empty_file(refuse):
    file_problem(refuse(b""), "Tệp rỗng (0 byte)")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
        "Mã,Nội dung,Điểm tối đa\n1,Công tác chỉ đạo,10\n".encode(),
    ],
    ids=["pdf", "csv-text"],
)
def test_not_an_xlsx(refuse, data):
    file_problem(refuse(data), "không phải là bảng tính Excel .xlsx")


def test_zip_that_is_not_a_workbook(refuse):
    docx = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    file_problem(refuse(docx), "Tệp nén không phải là bảng tính Excel .xlsx")


def test_truncated_xlsx(refuse):
    data = valid_bytes()
    file_problem(refuse(data[: len(data) // 2]), "bị hỏng")


def test_package_with_a_broken_workbook_part(refuse):
    data = _zip({"[Content_Types].xml": b"not xml", "xl/workbook.xml": b"<<<not xml"})
    file_problem(refuse(data), "bị hỏng hoặc không đúng định dạng")


def test_zip_that_unpacks_too_large(refuse, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNZIPPED_BYTES", 1000)
    file_problem(refuse(valid_bytes()), "giải nén quá lớn")


def test_legacy_xls(refuse):
    xls = OLE_MAGIC + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 512
    problem = file_problem(refuse(xls), "Excel 97–2003 (.xls) không được hỗ trợ")
    assert ".xlsx" in problem.message


def test_password_protected_xlsx(refuse):
    # Encrypted OOXML is an OLE compound file holding "EncryptionInfo" and "EncryptedPackage" streams.
    encrypted = (
        OLE_MAGIC
        + b"\x00" * 504
        + "EncryptionInfo".encode("utf-16-le")
        + b"\x00" * 64
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 512
    )
    problem = file_problem(refuse(encrypted), "được bảo vệ bằng mật khẩu")
    assert "gỡ mật khẩu" in problem.message
    assert "97–2003" not in problem.message


# ---------------------------------------------------------------------------------------------- size


def test_over_size_limit_with_read_workbook():
    data = valid_bytes()
    result = read_workbook(data, max_bytes=len(data) - 1)
    assert result.spec is None and not result.ok
    file_problem(result.problems, "vượt giới hạn")
    assert read_workbook(data, max_bytes=len(data)).ok  # exactly at the limit is fine


def test_over_size_limit_from_settings(settings, refuse):
    data = valid_bytes()
    settings.CRITERIA_WORKBOOK_MAX_BYTES = len(data) - 1
    file_problem(criteria_workbook_check(data=data).problems, "vượt giới hạn")
    file_problem(refuse(data), "vượt giới hạn")
    settings.CRITERIA_WORKBOOK_MAX_BYTES = len(data)
    assert criteria_workbook_check(data=data).ok


def test_too_many_rows(refuse):
    problems = refuse(broken(lambda wb: wb[TREE].cell(row=workbook.MAX_ROWS + 1, column=1, value="9")))
    only(problems, TREE, None, None, "vượt giới hạn 5.000 dòng")


# ---------------------------------------------------------------------------------------------- sheets


@pytest.mark.parametrize("sheet", [INFO, TREE, BANDS])
def test_missing_sheet(refuse, sheet):
    only(refuse(broken(lambda wb: wb.remove(wb[sheet]))), sheet, None, None, f"Thiếu trang tính '{sheet}'")


def test_extra_sheet(refuse):
    problem = only(
        refuse(broken(lambda wb: wb.create_sheet("Ghi chú"))),
        "Ghi chú",
        None,
        None,
        "Trang tính 'Ghi chú' không thuộc mẫu",
    )
    assert "Hướng dẫn" in problem.message  # tells the user the help sheet is allowed


def test_help_sheet_is_optional_and_ignored(group):
    def scribble_in_help(wb):
        ws = wb[HELP]
        ws["B1"] = "=1+1"  # a formula and merged cells are refused elsewhere, not here
        ws.merge_cells("C1:D2")
        ws["A40"] = "ghi chú riêng"

    with_help = broken(scribble_in_help)
    without_help = broken(lambda wb: wb.remove(wb[HELP]))
    for data in (with_help, without_help):
        result = read_workbook(data)
        assert result.ok, result.problems
        assert result.spec == valid_spec()
    criteria_set_import(group=group, year=2025, data=with_help, by=system_user())
    assert Criterion.objects.filter(criteria_set__year=2025).count() == len(valid_spec().nodes)


# ---------------------------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("sheet", "cell", "value", "column", "fragment"),
    [
        (TREE, "C1", "Điểm", "C", "Tiêu đề cột phải là 'Điểm tối đa' (đang là 'Điểm')"),
        (TREE, "J1", None, "J", "Tiêu đề cột phải là 'Cơ quan thẩm định' (đang là 'trống')"),
        (TREE, "K1", "Ghi chú", "K", "Cột thừa 'Ghi chú'"),
        (INFO, "B1", "Nội dung", "B", "Tiêu đề cột phải là 'Giá trị'"),
        (BANDS, "C1", "Ngưỡng", "C", "Tiêu đề cột phải là 'Từ (%)'"),
    ],
    ids=["wrong", "missing", "extra", "info", "bands"],
)
def test_wrong_or_missing_header(refuse, sheet, cell, value, column, fragment):
    def fn(wb):
        wb[sheet][cell] = value

    only(refuse(broken(fn)), sheet, 1, column, fragment)


def test_header_case_and_spacing_are_tolerated():
    def fn(wb):
        wb[TREE]["C1"] = "  điểm TỐI ĐA "

    assert read_workbook(broken(fn)).ok


# ---------------------------------------------------------------------------------------------- cells


def test_formula_cell(refuse):
    problem = only(
        refuse(broken(set_cell("1.3", "max", "=1+1"))), TREE, ROW["1.3"], "C", "chứa công thức '=1+1'"
    )
    assert f"C{ROW['1.3']}" in problem.message


def test_merged_cells(refuse):
    # The merge is reported and the values are still checked: the cell under the merge is empty (issue 12).
    rows = f"B{ROW['1.1']}:B{ROW['1.2']}"
    problems = refuse(broken(lambda wb: wb[TREE].merge_cells(rows)))
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        (TREE, ROW["1.1"], "B"),
        (TREE, ROW["1.2"], "B"),
    ]
    assert f"Ô gộp {rows}" in problems[0].message
    assert "Thiếu nội dung tiêu chí" in problems[1].message


# ---------------------------------------------------------------------------------------------- codes and tree shape


def test_missing_parent(refuse):
    problems = refuse(broken(append_row(*leaf_row("3.1"))))
    only(problems, TREE, NEW_ROW, "A", "Không tìm thấy tiêu chí cha '3'")


def test_child_listed_before_its_parent(refuse):
    def fn(wb):  # swap rows of 1.2 and 1.2.1
        ws = wb[TREE]
        for col in "ABCDEFGHIJ":
            a, b = ws[f"{col}{ROW['1.2']}"], ws[f"{col}{ROW['1.2.1']}"]
            a.value, b.value = b.value, a.value

    problems = refuse(broken(fn))
    assert (TREE, ROW["1.2"], "A") in [(p.sheet, p.row, p.column) for p in problems]
    assert any("Không tìm thấy tiêu chí cha '1.2'" in p.message for p in problems if p.row == ROW["1.2"])


def test_duplicate_code(refuse):
    only(
        refuse(broken(append_row(*leaf_row("1.1")))),
        TREE,
        NEW_ROW,
        "A",
        f"Mã '1.1' bị trùng (đã có ở dòng {ROW['1.1']})",
    )


@pytest.mark.parametrize("code", ["1.", "1..2", "a", "1.0", "01", "1 .2", "1,3", "-1"])
def test_bad_code_syntax(refuse, code):
    only(refuse(broken(append_row(*leaf_row(code)))), TREE, NEW_ROW, "A", f"Mã '{code}' không hợp lệ")


def test_code_too_deep(refuse):
    rows = combine(
        append_row("1.2.2.1", "Chi tiết", 2, None, None, None, None, None, None, None),
        append_row(*leaf_row("1.2.2.1.1", max_points=2)),
    )
    # 1.2.2 now has children, so it must drop its kind — do so, so the only problem is the depth
    data = broken(
        combine(
            set_cell("1.2.2", "source", None),
            set_cell("1.2.2", "kind", None),
            set_cell("1.2.2", "step", None),
            rows,
        )
    )
    problems = refuse(data)
    assert any(p.row == NEW_ROW + 1 and p.column == "A" and "sâu quá 4 cấp" in p.message for p in problems), (
        problems
    )


def test_empty_tree(refuse):
    problems = refuse(broken(lambda wb: wb[TREE].delete_rows(2, len(ROW))))
    only(problems, TREE, None, None, "chưa có tiêu chí nào")


# ---------------------------------------------------------------------------------------------- points


def test_parent_max_differs_from_sum_of_children(refuse):
    problem = only(
        refuse(broken(set_cell("1.2.2", "max", 1.5))),
        TREE,
        ROW["1.2"],
        "C",
        "Điểm tối đa 5 khác tổng điểm tối đa các tiêu chí con (4,5)",
    )
    assert problem.row != ROW["1.2.2"]  # reported on the parent, not the child that was changed


@pytest.mark.parametrize("value", ["abc", "1,2,3", "0,125", "1.005", "1 điểm"])
def test_bad_number(refuse, value):
    """One message on the bad cell; the parent's sum is not blamed and no 'must be > 0' follows."""
    problem = only(
        refuse(broken(set_cell("1.3", "max", value))), TREE, ROW["1.3"], "C", f"Điểm tối đa '{value}'"
    )
    assert "không phải là số hợp lệ" in problem.message or "quá 2 chữ số thập phân" in problem.message


def test_too_many_decimals_is_named_as_such(refuse):
    only(refuse(broken(set_cell("1.3", "max", "0,125"))), TREE, ROW["1.3"], "C", "có quá 2 chữ số thập phân")


def test_bad_number_on_a_parent_row(refuse):
    only(refuse(broken(set_cell("1.2", "max", "năm"))), TREE, ROW["1.2"], "C", "không phải là số hợp lệ")


@pytest.mark.parametrize("value", ["1" * 40, 1e30, 100000])
def test_number_too_large_is_a_problem_not_a_crash(refuse, value):
    """Points the database cannot store (max 99 999,99) are refused with a message, never a server error."""
    problems = refuse(broken(lambda wb: wb[INFO].__setitem__("B3", value)))
    only(problems, INFO, 3, "B", "Điểm thưởng tối đa")


def test_missing_max(refuse):
    only(refuse(broken(set_cell("1.3", "max", None))), TREE, ROW["1.3"], "C", "Thiếu điểm tối đa")


def test_leaf_max_zero(refuse):
    data = broken(combine(set_cell("1.3", "max", 0), set_cell("1", "max", 9)))
    only(refuse(data), TREE, ROW["1.3"], "C", "phải lớn hơn 0")


def test_missing_title(refuse):
    only(refuse(broken(set_cell("1.3", "title", "   "))), TREE, ROW["1.3"], "B", "Thiếu nội dung tiêu chí")


# ---------------------------------------------------------------------------------------------- source and kind


def test_unknown_kind(refuse):
    problem = only(
        refuse(broken(set_cell("1.3", "kind", "Chấm tay"))),
        TREE,
        ROW["1.3"],
        "E",
        "Cách chấm 'Chấm tay' không hợp lệ",
    )
    assert "Lựa chọn, Khoảng điểm, Tỷ lệ, Có/Không" in problem.message


def test_unknown_source(refuse):
    only(
        refuse(broken(set_cell("1.3", "source", "Tự chấm"))),
        TREE,
        ROW["1.3"],
        "D",
        "Nguồn điểm 'Tự chấm' không hợp lệ; dùng 'Thẩm định' hoặc 'Điều tra XHH'",
    )


def test_leaf_without_source(refuse):
    only(refuse(broken(set_cell("1.3", "source", None))), TREE, ROW["1.3"], "D", "phải ghi Nguồn điểm")


def test_appraisal_leaf_without_kind(refuse):
    only(refuse(broken(set_cell("1.3", "kind", None))), TREE, ROW["1.3"], "E", "phải ghi Cách chấm")


def test_parent_row_with_a_kind(refuse):
    only(
        refuse(broken(set_cell("1.2", "kind", "Có/Không"))),
        TREE,
        ROW["1.2"],
        "E",
        "Tiêu chí có tiêu chí con không được chấm trực tiếp",
    )


def test_parent_row_with_a_source(refuse):
    only(
        refuse(broken(set_cell("1", "source", "Thẩm định"))), TREE, ROW["1"], "E", "không được chấm trực tiếp"
    )


def test_survey_leaf_with_kind_and_scale(refuse):
    """A survey leaf gets its points from the survey; the unit cannot self-score it."""
    data = broken(
        combine(set_cell("1.4", "kind", "Lựa chọn"), set_cell("1.4", "scale", "Hài lòng: 2; Không: 0"))
    )
    only(refuse(data), TREE, ROW["1.4"], "E", "Tiêu chí điều tra XHH")


def test_survey_leaf_with_a_step(refuse):
    problem = only(refuse(broken(set_cell("1.4", "step", 0.5))), TREE, ROW["1.4"], "E", "đơn vị không")
    assert "Bước điểm" in problem.message


# ---------------------------------------------------------------------------------------------- scales


def test_option_without_colon(refuse):
    data = broken(set_cell("1.1", "scale", "Ban hành kịp thời 2; Ban hành chậm: 1; Không ban hành: 0"))
    only(refuse(data), TREE, ROW["1.1"], "F", "Lựa chọn 'Ban hành kịp thời 2' sai cú pháp")


def test_option_points_above_max(refuse):
    data = broken(set_cell("1.1", "scale", "Ban hành kịp thời: 3; Ban hành chậm: 1; Không ban hành: 0"))
    only(refuse(data), TREE, ROW["1.1"], "F", "Lựa chọn 'Ban hành kịp thời' có điểm 3 ngoài khoảng 0–2")


def test_option_repeated(refuse):
    only(refuse(broken(set_cell("1.1", "scale", "Có: 2; có: 1"))), TREE, ROW["1.1"], "F", "bị lặp")


def test_options_kind_without_scale(refuse):
    only(refuse(broken(set_cell("1.1", "scale", None))), TREE, ROW["1.1"], "F", "cần Thang điểm")


@pytest.mark.parametrize(
    ("scale", "fragment"),
    [
        ("≥ 90%: 3; 70–<80%: 2; <70%: 0", "Mức '70–<80%' không liền với mức trên (phải kết thúc ở 90%)"),
        ("≥ 90%: 3; 70–<90%: 2", "phải bắt đầu từ 0%"),
        ("<70%: 0; 70–<90%: 2; ≥ 90%: 3", "từ cao xuống thấp"),
        ("≥ 90%: 4; 70–<90%: 2; <70%: 0", "Mức từ 90% có điểm 4 ngoài khoảng 0–3"),
        ("khoảng 90: 3; <90%: 0", "không đọc được"),
    ],
    ids=["not-contiguous", "not-from-zero", "ascending", "above-max", "unreadable"],
)
def test_bad_ratio_bands(refuse, scale, fragment):
    only(refuse(broken(set_cell("1.2.1", "scale", scale))), TREE, ROW["1.2.1"], "F", fragment)


def test_yes_no_with_a_scale(refuse):
    only(
        refuse(broken(set_cell("1.3", "scale", "Có: 1; Không: 0"))),
        TREE,
        ROW["1.3"],
        "F",
        "Cách chấm 'Có/Không' không dùng Thang điểm",
    )


def test_range_without_step(refuse):
    only(
        refuse(broken(set_cell("1.2.2", "step", None))),
        TREE,
        ROW["1.2.2"],
        "G",
        "Cách chấm 'Khoảng điểm' cần Bước điểm",
    )


def test_range_step_that_does_not_divide_max(refuse):
    only(
        refuse(broken(set_cell("1.2.2", "step", 0.75))),
        TREE,
        ROW["1.2.2"],
        "G",
        "Điểm tối đa 2 không chia hết cho bước 0,75",
    )


def test_range_step_that_is_not_a_number(refuse):
    only(
        refuse(broken(set_cell("1.2.2", "step", "nửa điểm"))),
        TREE,
        ROW["1.2.2"],
        "G",
        "Bước điểm 'nửa điểm' không phải là số hợp lệ",
    )


def test_step_on_another_kind(refuse):
    only(refuse(broken(set_cell("1.3", "step", 0.5))), TREE, ROW["1.3"], "G", "không dùng Bước điểm")


# ---------------------------------------------------------------------------------------------- owners


def test_field_without_owner(refuse):
    only(
        refuse(broken(set_cell("1", "owner", None))),
        TREE,
        ROW["1"],
        "J",
        "Lĩnh vực phải ghi Cơ quan thẩm định",
    )


def test_owner_code_that_is_not_a_unit(refuse):
    only(
        refuse(broken(set_cell("2", "owner", "SOTUPHAP"))),
        TREE,
        ROW["2"],
        "J",
        "Không có đơn vị mã 'SOTUPHAP'",
    )


def test_owner_code_below_field_level_is_checked_too(refuse):
    only(refuse(broken(set_cell("2.1", "owner", "XYZ"))), TREE, ROW["2.1"], "J", "Không có đơn vị mã 'XYZ'")


def test_owner_codes_are_not_checked_without_a_unit_list():
    assert read_workbook(broken(set_cell("2", "owner", "XYZ"))).ok


# ---------------------------------------------------------------------------------------------- bands sheet


def test_bands_without_a_zero_band(refuse):
    only(
        refuse(broken(lambda wb: wb[BANDS].delete_rows(BAND_ROW["D"]))),
        BANDS,
        None,
        "C",
        "Phải có một mức xếp loại bắt đầu từ 0%",
    )


def test_duplicate_band_code(refuse):
    only(
        refuse(broken(lambda wb: wb[BANDS].__setitem__(f"A{BAND_ROW['C']}", "B"))),
        BANDS,
        BAND_ROW["C"],
        "A",
        f"Xếp loại 'B' bị trùng (đã có ở dòng {BAND_ROW['B']})",
    )


def test_duplicate_band_threshold(refuse):
    only(
        refuse(broken(lambda wb: wb[BANDS].__setitem__(f"C{BAND_ROW['C']}", 80))),
        BANDS,
        BAND_ROW["C"],
        "C",
        f"Ngưỡng 80% bị trùng (dòng {BAND_ROW['B']})",
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(120, "phải trong khoảng 0–100"), (None, "Thiếu ngưỡng"), ("chín mươi", "không phải là số hợp lệ")],
)
def test_bad_band_threshold(refuse, value, fragment):
    only(
        refuse(broken(lambda wb: wb[BANDS].__setitem__(f"C{BAND_ROW['A']}", value))),
        BANDS,
        BAND_ROW["A"],
        "C",
        fragment,
    )


def test_no_bands_at_all(refuse):
    only(
        refuse(broken(lambda wb: wb[BANDS].delete_rows(2, 4))), BANDS, None, None, "Chưa có mức xếp loại nào"
    )


# ---------------------------------------------------------------------------------------------- info sheet


def test_info_without_set_name_value(refuse):
    only(
        refuse(broken(lambda wb: wb[INFO].__setitem__("B2", None))), INFO, None, None, "Thiếu 'Tên bộ chỉ số'"
    )


def test_info_without_set_name_row(refuse):
    only(refuse(broken(lambda wb: wb[INFO].delete_rows(2))), INFO, None, None, "Thiếu 'Tên bộ chỉ số'")


def test_info_unknown_item(refuse):
    only(
        refuse(broken(lambda wb: wb[INFO].append(("Ghi chú", "x")))),
        INFO,
        5,
        "A",
        "Mục 'Ghi chú' không thuộc mẫu",
    )


def test_info_negative_cap(refuse):
    only(refuse(broken(lambda wb: wb[INFO].__setitem__("B4", -1))), INFO, 4, "B", "không được âm")


# ---------------------------------------------------------------------------------------------- all problems at once


def test_every_bad_row_is_listed(refuse):
    data = broken(
        combine(
            set_cell("1.1", "scale", "Kịp thời 2; Chậm: 1"),  # option syntax
            set_cell("2.1.2", "step", None),  # range without step
            append_row(*leaf_row("2.x")),  # bad code
        )
    )
    problems = refuse(data)
    assert sorted((p.sheet, p.row, p.column) for p in problems) == [
        (TREE, ROW["1.1"], "F"),
        (TREE, ROW["2.1.2"], "G"),
        (TREE, NEW_ROW, "A"),
    ]
    messages = {p.row: p.message for p in problems}
    assert "sai cú pháp" in messages[ROW["1.1"]]
    assert "cần Bước điểm" in messages[ROW["2.1.2"]]
    assert "Mã '2.x' không hợp lệ" in messages[NEW_ROW]


def test_problems_on_every_sheet_are_listed_together(refuse):
    data = broken(
        combine(
            lambda wb: wb[INFO].__setitem__("B3", "nhiều"),
            lambda wb: wb[BANDS].__setitem__(f"A{BAND_ROW['C']}", "B"),
            set_cell("1.3", "kind", "Chấm tay"),
            set_cell("2", "owner", None),
        )
    )
    where = {(p.sheet, p.row, p.column) for p in refuse(data)}
    assert where == {
        (INFO, 3, "B"),
        (BANDS, BAND_ROW["C"], "A"),
        (TREE, ROW["1.3"], "E"),
        (TREE, ROW["2"], "J"),
    }


# ---------------------------------------------------------------------------------------------- accepted with care


def test_codes_with_spaces_are_stripped_with_a_warning(group):
    data = broken(combine(set_cell("1.2", "code", " 1.2 "), set_cell("1.2.1", "code", "1.2.1\u0020\u0020")))
    result = criteria_workbook_check(data=data)
    assert result.ok, result.problems
    assert [(w.sheet, w.row, w.column) for w in result.warnings] == [
        (TREE, ROW["1.2"], "A"),
        (TREE, ROW["1.2.1"], "A"),
    ]
    assert all("khoảng trắng thừa" in w.message for w in result.warnings)
    criteria_set = criteria_set_import(group=group, year=2025, data=data, by=system_user())
    node = criteria_set.nodes.get(code="1.2.1")
    assert node.parent.code == "1.2"
    assert sorted(criteria_set.nodes.values_list("code", flat=True)) == sorted(ROW)


def test_numeric_code_is_accepted_with_a_warning(group):
    data = broken(set_cell("1.2", "code", 1.2))
    result = criteria_workbook_check(data=data)
    assert result.ok, result.problems
    warning = only(result.warnings, TREE, ROW["1.2"], "A", "dạng số")
    assert "Văn bản" in warning.message
    criteria_set = criteria_set_import(group=group, year=2025, data=data, by=system_user())
    assert criteria_set.nodes.get(code="1.2.2").parent.code == "1.2"
    assert criteria_set.nodes.get(code="1.2").max_points == 5


def test_integer_code_needs_no_warning():
    result = read_workbook(broken(set_cell("2", "code", 2)))
    assert result.ok and result.warnings == []


def test_nfd_text_is_stored_as_nfc(group):
    def decompose(wb):
        for ws in wb.worksheets:
            ws.title = nfd(ws.title)
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.value = nfd(cell.value)

    data = broken(decompose)
    # the sheets are really named and filled in NFD, so the test would notice a reader that ignores it
    from openpyxl import load_workbook

    titles = load_workbook(io.BytesIO(data)).sheetnames
    assert nfd(TREE) in titles and TREE not in titles

    criteria_set = criteria_set_import(group=group, year=2025, data=data, by=system_user())
    criteria_set.refresh_from_db()
    assert criteria_set.name == SET_NAME
    expected = {n.code: n for n in valid_spec().nodes}
    for node in criteria_set.nodes.all():
        assert node.title == expected[node.code].title
        assert unicodedata.is_normalized("NFC", node.title)
        assert node.kind == expected[node.code].kind and node.source == expected[node.code].source
        assert node.scale == expected[node.code].scale
    assert list(criteria_set.bands.values_list("label", flat=True)) == [b.label for b in valid_spec().bands]


def test_comma_decimals_in_text_are_read(group):
    data = broken(
        combine(
            set_cell("1.2.2", "step", "0,5"),
            set_cell("1.2.1", "max", "3,0"),
            set_cell("1.1", "scale", "Ban hành kịp thời: 2; Ban hành chậm: 1,25; Không ban hành: 0"),
            lambda wb: wb[INFO].__setitem__("B4", "1,5"),
            lambda wb: wb[BANDS].__setitem__(f"C{BAND_ROW['C']}", "70,5"),
        )
    )
    result = read_workbook(data)
    assert result.ok, result.problems
    criteria_set = criteria_set_import(group=group, year=2025, data=data, by=system_user())
    criteria_set.refresh_from_db()
    assert criteria_set.nodes.get(code="1.2.2").step == Decimal("0.5")
    assert criteria_set.nodes.get(code="1.2.1").max_points == Decimal("3")
    assert criteria_set.nodes.get(code="1.1").scale[1] == {"label": "Ban hành chậm", "points": "1.25"}
    assert criteria_set.penalty_cap == Decimal("1.5")
    assert criteria_set.bands.get(code="C").min_percent == Decimal("70.5")


def test_source_and_kind_words_ignore_case_and_accept_short_forms():
    data = broken(
        combine(
            set_cell("1.3", "source", "THẨM ĐỊNH"),
            set_cell("1.3", "kind", "có/không"),
            set_cell("1.4", "source", "XHH"),
        )
    )
    result = read_workbook(data)
    assert result.ok, result.problems
    assert result.spec == valid_spec()


def test_blank_rows_between_nodes_are_skipped():
    def fn(wb):
        wb[TREE].insert_rows(ROW["2"])

    result = read_workbook(broken(fn))
    assert result.ok, result.problems
    assert result.spec == valid_spec()
    assert [n.row for n in result.spec.nodes if n.code == "2"] == [ROW["2"] + 1]  # rows are the sheet's rows


def test_mutate_roundtrips_an_untouched_workbook():
    assert read_workbook(mutate(valid_bytes(), lambda wb: None)).spec == valid_spec()


# ---------------------------------------------------------------------------------------------- one pass (issue 12)


def _all_errors_at_once(wb):
    wb.create_sheet("Sheet2")
    wb.create_sheet("Ghi chú")
    wb[INFO]["B3"] = "x"  # bonus cap not a number
    tree = wb[TREE]
    tree["K1"] = "Ghi chú"  # extra column: reported, the rows still read
    tree[f"A{ROW['1.1']}"] = 1.1  # code as a number: a warning
    tree.merge_cells(f"H{ROW['1.1']}:H{ROW['1.2']}")  # merged cell
    tree[f"C{ROW['1.2.2']}"] = 1.5  # 1.2 = 3 + 1,5 ≠ 5
    tree[f"C{ROW['1.3']}"] = "=1+1"  # formula, no value stored: unreadable
    tree[f"E{ROW['1.4']}"] = "Có/Không"  # survey leaf with a scoring kind
    tree[f"J{ROW['2']}"] = "XYZ"  # unknown owner
    tree[f"C{ROW['2.1.1']}"] = "=1+1"  # formula, value 2 stored: 2.1 = 2 + 2 ≠ 3
    tree.append(leaf_row("1..2"))  # bad code
    bands = wb[BANDS]
    bands[f"A{BAND_ROW['C']}"] = "A"  # duplicate band
    bands[f"C{BAND_ROW['D']}"] = "không"  # bad threshold → no band from 0 %


def test_every_problem_of_a_workbook_is_listed_in_one_pass_sorted_by_sheet_row_and_column():
    data = broken(_all_errors_at_once)
    tree_index = load_sheet_names(data).index(TREE)
    data = with_cached_values(data, {(tree_index, f"C{ROW['2.1.1']}"): "2"})
    result = read_workbook(data, known_owner_codes={"SNV", "STP", "STC"})
    assert not result.ok
    where = [(p.sheet, p.row, p.column) for p in result.problems]
    assert where == [
        ("Ghi chú", None, None),
        ("Sheet2", None, None),
        (INFO, 3, "B"),
        (TREE, 1, "K"),
        (TREE, ROW["1.1"], "H"),
        (TREE, ROW["1.2"], "C"),
        (TREE, ROW["1.3"], "C"),
        (TREE, ROW["1.4"], "E"),
        (TREE, ROW["2"], "J"),
        (TREE, ROW["2.1"], "C"),
        (TREE, ROW["2.1.1"], "C"),
        (TREE, NEW_ROW, "A"),
        (BANDS, None, "C"),
        (BANDS, BAND_ROW["C"], "A"),
        (BANDS, BAND_ROW["D"], "C"),
    ], result.problems
    messages = [p.message for p in result.problems]
    for i, fragment in enumerate(
        [
            "Trang tính 'Ghi chú' không thuộc mẫu",
            "Trang tính 'Sheet2' không thuộc mẫu",
            "Điểm thưởng tối đa",
            "Cột thừa 'Ghi chú'",
            f"Ô gộp H{ROW['1.1']}:H{ROW['1.2']}",
            "khác tổng điểm tối đa các tiêu chí con (4,5)",
            "chứa công thức '=1+1'",
            "Tiêu chí điều tra XHH",
            "Không có đơn vị mã 'XYZ'",
            "khác tổng điểm tối đa các tiêu chí con (4)",
            "chứa công thức '=1+1'",
            "Mã '1..2' không hợp lệ",
            "bắt đầu từ 0%",
            "Xếp loại 'A' bị trùng",
            "không phải là số",
        ]
    ):
        assert fragment in messages[i], (i, messages[i])
    assert [(w.sheet, w.row, w.column) for w in result.warnings] == [(TREE, ROW["1.1"], "A")]


def test_a_missing_sheet_skips_only_its_own_checks():
    def fn(wb):
        wb.remove(wb[BANDS])
        wb[INFO]["B3"] = "x"
        wb[TREE][f"C{ROW['1.2.2']}"] = 1.5

    result = read_workbook(broken(fn))
    assert [(p.sheet, p.row, p.column) for p in result.problems] == [
        (INFO, 3, "B"),
        (TREE, ROW["1.2"], "C"),
        (BANDS, None, None),
    ]
    assert result.spec is None and not result.ok


def test_a_formula_is_checked_by_the_value_excel_stored_for_it(refuse):
    data = broken(set_cell("1.3", "max", "=1+1"))
    data = with_cached_values(data, {(load_sheet_names(data).index(TREE), f"C{ROW['1.3']}"): "1"})
    problems = refuse(data)
    only(problems, TREE, ROW["1.3"], "C", "chứa công thức '=1+1'")  # the value 1 is right: nothing else
    # A stored value that is wrong is checked like a typed one: 1 = 2 + 5 + 3 + 2 ≠ 10.
    tree = load_sheet_names(data).index(TREE)
    data = with_cached_values(broken(set_cell("1.3", "max", "=1+2")), {(tree, f"C{ROW['1.3']}"): "3"})
    problems = read_workbook(data).problems
    assert [(p.row, p.column) for p in problems] == [(ROW["1"], "C"), (ROW["1.3"], "C")], problems
    assert "khác tổng điểm tối đa các tiêu chí con (12)" in problems[0].message
