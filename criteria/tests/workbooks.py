"""Criteria workbooks built in memory for tests.

``valid_spec()`` is a small but complete set; ``valid_bytes()`` is that set written with the project's own
writer; ``mutate(data, fn)`` opens a workbook with openpyxl, lets ``fn(wb)`` break one thing and returns
the saved bytes. ``ROW`` gives the "Tiêu chí" sheet row of each code of the valid set (header = row 1),
so tests can say which row a problem must be reported on.
"""

import io
from decimal import Decimal

from openpyxl import load_workbook

from criteria.tree import BandSpec, NodeSpec, SetSpec
from criteria.workbook import write_workbook

SET_NAME = "Bộ chỉ số cải cách hành chính các sở, ban, ngành năm 2024"

D = Decimal


def valid_spec() -> SetSpec:
    """Two fields (owners SNV and STP), criteria and sub-criteria, every scored kind, one survey leaf.

    1 (10)   = 1.1 options 2 + 1.2 (5 = 1.2.1 ratio 3 + 1.2.2 range 2, step 0,5) + 1.3 yes/no 1 + 1.4 survey 2
    2 (5)    = 2.1 (3, owner STC = 2.1.1 yes/no 1 + 2.1.2 range 2, step 0,25) + 2.2 options 2 (0,5 option)
    """
    appraisal, survey = "appraisal", "survey"
    nodes = [
        NodeSpec("1", "Công tác chỉ đạo, điều hành cải cách hành chính", D(10), owner_code="SNV"),
        NodeSpec(
            "1.1",
            "Ban hành kế hoạch cải cách hành chính năm",
            D(2),
            source=appraisal,
            kind="options",
            scale=[
                {"label": "Ban hành kịp thời", "points": "2"},
                {"label": "Ban hành chậm", "points": "1"},
                {"label": "Không ban hành", "points": "0"},
            ],
            guidance="Kế hoạch ban hành trước ngày 31/12 năm trước.",
            evidence_hint="Quyết định ban hành kế hoạch",
        ),
        NodeSpec("1.2", "Thực hiện kế hoạch cải cách hành chính", D(5)),
        NodeSpec(
            "1.2.1",
            "Tỷ lệ nhiệm vụ hoàn thành đúng hạn",
            D(3),
            source=appraisal,
            kind="ratio",
            scale=[{"min": "90", "points": "3"}, {"min": "70", "points": "2"}, {"min": "0", "points": "0"}],
        ),
        NodeSpec(
            "1.2.2", "Mức độ hoàn thành báo cáo định kỳ", D(2), source=appraisal, kind="range", step=D("0.5")
        ),
        NodeSpec("1.3", "Có tổ chức kiểm tra cải cách hành chính", D(1), source=appraisal, kind="yes_no"),
        NodeSpec("1.4", "Mức độ hài lòng của người dân về chỉ đạo, điều hành", D(2), source=survey),
        NodeSpec("2", "Xây dựng và tổ chức thực hiện văn bản quy phạm pháp luật", D(5), owner_code="STP"),
        NodeSpec("2.1", "Rà soát, hệ thống hóa văn bản", D(3), owner_code="STC"),
        NodeSpec("2.1.1", "Ban hành kế hoạch rà soát", D(1), source=appraisal, kind="yes_no"),
        NodeSpec("2.1.2", "Xử lý kết quả rà soát", D(2), source=appraisal, kind="range", step=D("0.25")),
        NodeSpec(
            "2.2",
            "Công bố danh mục văn bản hết hiệu lực",
            D(2),
            source=appraisal,
            kind="options",
            scale=[
                {"label": "Đầy đủ, kịp thời", "points": "2"},
                {"label": "Chưa đầy đủ", "points": "0.5"},
                {"label": "Không công bố", "points": "0"},
            ],
        ),
    ]
    bands = [
        BandSpec("A", "Xuất sắc", D(90)),
        BandSpec("B", "Tốt", D(80)),
        BandSpec("C", "Khá", D(70)),
        BandSpec("D", "Trung bình", D(0)),
    ]
    return SetSpec(name=SET_NAME, bonus_cap=D(2), penalty_cap=D("1.5"), bands=bands, nodes=nodes)


#: "Tiêu chí" sheet row of each code in ``valid_spec()`` (row 1 is the header).
ROW = {node.code: i for i, node in enumerate(valid_spec().nodes, start=2)}
#: "Xếp loại" sheet row of each band code.
BAND_ROW = {band.code: i for i, band in enumerate(valid_spec().bands, start=2)}
#: Column letters of the "Tiêu chí" sheet.
COL = {
    "code": "A",
    "title": "B",
    "max": "C",
    "source": "D",
    "kind": "E",
    "scale": "F",
    "step": "G",
    "guidance": "H",
    "evidence": "I",
    "owner": "J",
}

TREE, INFO, BANDS, HELP = "Tiêu chí", "Thông tin", "Xếp loại", "Hướng dẫn"


def valid_bytes() -> bytes:
    return write_workbook(valid_spec())


def mutate(data: bytes, fn) -> bytes:
    """Load ``data`` with openpyxl, call ``fn(wb)`` and return the saved workbook's bytes."""
    wb = load_workbook(io.BytesIO(data))
    fn(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def load_sheet_names(data: bytes) -> list[str]:
    """The sheet names of a workbook, in order."""
    return load_workbook(io.BytesIO(data)).sheetnames


def broken(fn) -> bytes:
    """The valid workbook with ``fn(wb)`` applied."""
    return mutate(valid_bytes(), fn)


def set_cell(code: str, attr: str, value):
    """A mutation: on the row of ``code``, write ``value`` into the column of ``attr`` (see ``COL``)."""

    def fn(wb):
        wb[TREE][f"{COL[attr]}{ROW[code]}"] = value

    return fn


def append_row(*values):
    """A mutation: append a row to the "Tiêu chí" sheet (values in column order A–J)."""

    def fn(wb):
        wb[TREE].append(values)

    return fn


def leaf_row(code: str, title: str = "Tiêu chí thêm", max_points=1):
    """Values of a valid yes/no appraisal leaf row with ``code``."""
    return (code, title, max_points, "Thẩm định", "Có/Không", None, None, None, None, None)


def combine(*fns):
    def fn(wb):
        for f in fns:
            f(wb)

    return fn


def with_cached_values(data: bytes, values: dict) -> bytes:
    """``data`` with the value Excel would have stored for some formula cells (openpyxl writes none).

    ``values``: ``{(sheet index, "C5"): "2"}`` — the n-th sheet of the workbook (0-based, as openpyxl writes
    them: ``xl/worksheets/sheet<n+1>.xml``) and the cell, whose formula must already be there.
    """
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    for (index, coordinate), value in values.items():
        name = f"xl/worksheets/sheet{index + 1}.xml"
        xml = parts[name].decode()
        pattern = re.compile(rf'(<c r="{coordinate}"[^>]*><f>[^<]*</f>)<v\s*(?:/>|>\s*</v>)')
        assert pattern.search(xml), f"no formula in {coordinate} of {name}"
        parts[name] = pattern.sub(lambda m, value=value: f"{m.group(1)}<v>{value}</v>", xml).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, content in parts.items():
            target.writestr(name, content)
    return out.getvalue()
