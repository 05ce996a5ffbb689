"""Benchmark of the refusal of an oversized workbook (``parindex.xlsx.open_xlsx``, issue 14); not part of the tests.

Builds, in memory, a survey results workbook (``surveys.workbook``'s "Kết quả" sheet, its headers) with
1,000,000 data rows of small numbers — a few hundred KB once zipped — and, as the floor, the same workbook with 10
rows. Each case runs in a fresh subprocess (``resource.getrusage``'s peak RSS is per process): the subprocess
imports Django and the reader, then times ``surveys.workbook.read_results`` on the bytes and reports its wall time
and the process's peak RSS at the end. Cases:

* ``floor``: the 10-row workbook (read and checked: the cheapest import);
* ``refusal``: the 1,000,000-row workbook, refused by the streaming row count before openpyxl loads it;
* ``lying``: the same rows under a ``dimension`` tag claiming ``A1:F10``;
* ``bomb``: 1,000,000 rows of text, 101 MB unzipped: refused by the sum of the zip's declared sizes;
* the largest imports the limits allow, read in full (``--largest``): survey results at ``MAX_ROWS`` (20,000
  rows × 6 columns), raw responses at ``MAX_CELLS`` (6,600 questionnaires × 30 questions), a criteria workbook at
  ``MAX_ROWS`` (5,000 tree rows × 10 columns);
* ``--full-load``: what the portal did before: ``openpyxl.load_workbook`` of the 1,000,000-row workbook (≈ 25 s,
  ≈ 1.2 GB).

    DJANGO_SETTINGS_MODULE=parindex.settings SECRET_KEY=x .venv/bin/python bench/xlsx_refusal.py [--repeat 3] \\
        [--largest] [--full-load]

It prints, per case, the median wall time and peak RSS over ``--repeat`` subprocesses and their ratios to the
floor. Target: the refusal within 2× the floor's time and memory.
"""

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT

HEADERS = ("Mã đơn vị", "Mã tiêu chí", "Điểm", "Tỷ lệ hài lòng (%)", "Tên đơn vị", "Nội dung tiêu chí")

CHILD = """
import io, json, os, resource, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from criteria.workbook import read_workbook
from surveys.responses import read_responses
from surveys.workbook import read_results
from openpyxl import load_workbook
readers = {{"results": read_results, "responses": read_responses, "criteria": read_workbook,
           "load": lambda data: load_workbook(io.BytesIO(data))}}
data = open({path!r}, "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
start = time.perf_counter()
result = readers[{reader!r}](data)
elapsed = time.perf_counter() - start
problems = [str(p) for p in getattr(result, "problems", [])][:2]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": elapsed, "rss": rss, "growth": rss - before, "problems": problems}}))
"""


def _inline(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _xlsx(sheets: list[tuple[str, object]]) -> bytes:
    """A minimal .xlsx package: ``sheets`` as ``(title, chunks of sheet XML)``, each part deflated as it is
    written (the sheet XML of 1,000,000 rows is never held whole)."""
    out = io.BytesIO()
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            f'main+xml"/>{overrides}</Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{rel_ns}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        entries = "".join(
            f'<sheet name="{title}" sheetId="{i}" r:id="rId{i}"/>' for i, (title, _) in enumerate(sheets, 1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel_ns}"><sheets>{entries}</sheets>'
            "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{rel_ns}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships">{rels}</Relationships>',
        )
        for i, (_title, chunks) in enumerate(sheets, 1):
            with z.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}>'.encode())
                for chunk in chunks:
                    part.write(chunk.encode())
                part.write(b"</sheetData></worksheet>")
    return out.getvalue()


NUMBERS = "<row><c><v>1</v></c><c><v>2</v></c></row>"
TEXT = '<row><c t="inlineStr"><is><t>SCT</t></is></c><c t="inlineStr"><is><t>8.1</t></is></c><c><v>1</v></c></row>'


def results_sheet(rows: int, dimension: str | None = None, row: str = NUMBERS):
    """Chunks of a "Kết quả" sheet: the header row and ``rows`` identical rows ``row``, without row or cell
    references (as some generators write them): 1,000,000 rows deflate to a few hundred KB, like the upload of
    issue 14 (``NUMBERS``: 41 MB unzipped, under ``MAX_UNZIPPED_BYTES``; ``TEXT``: 101 MB, over it)."""
    yield f'<dimension ref="{dimension or f"A1:F{rows + 1}"}"/><sheetData>'
    yield (
        '<row r="1">'
        + "".join(_inline(f"{c}1", h) for c, h in zip("ABCDEF", HEADERS, strict=True))
        + "</row>"
    )
    for start in range(0, rows, 10000):
        yield row * min(10000, rows - start)


def largest_results():
    """Survey results at the row limit: 20,000 rows, all six columns filled."""
    from surveys.workbook import MAX_ROWS

    def chunks():
        yield f'<dimension ref="A1:F{MAX_ROWS}"/><sheetData>'
        yield (
            '<row r="1">'
            + "".join(_inline(f"{c}1", h) for c, h in zip("ABCDEF", HEADERS, strict=True))
            + "</row>"
        )
        for r in range(2, MAX_ROWS + 1):
            yield (
                f'<row r="{r}">{_inline(f"A{r}", f"DV{r % 97}")}{_inline(f"B{r}", f"{r % 9 + 1}.1")}'
                f'<c r="C{r}"><v>{r % 3}</v></c><c r="D{r}"/>{_inline(f"E{r}", "Sở Công Thương")}'
                f"{_inline(f'F{r}', 'Nội dung tiêu chí')}</row>"
            )

    return _xlsx([("Kết quả", chunks())])


def largest_responses():
    """Raw responses at the cell limit: 30 questions, as many questionnaires as ``MAX_CELLS`` allows."""
    from openpyxl.utils import get_column_letter

    from parindex.xlsx import MAX_CELLS

    questions = 30
    mapping_rows = questions + 1
    rows = (MAX_CELLS - 2 * mapping_rows) // (questions + 2) - 1
    letters = [get_column_letter(i) for i in range(1, questions + 3)]

    def answers():
        yield "<sheetData>"
        head = ["Mã đơn vị", "Nhóm người trả lời", *(f"C{q}" for q in range(1, questions + 1))]
        yield (
            '<row r="1">'
            + "".join(_inline(f"{c}1", h) for c, h in zip(letters, head, strict=True))
            + "</row>"
        )
        for r in range(2, rows + 2):
            cells = _inline(f"A{r}", f"DV{r % 97}") + _inline(f"B{r}", "Người dân")
            cells += "".join(f'<c r="{c}{r}"><v>{(r + i) % 5 + 1}</v></c>' for i, c in enumerate(letters[2:]))
            yield f'<row r="{r}">{cells}</row>'

    def mapping():
        yield "<sheetData>"
        yield f'<row r="1">{_inline("A1", "Mã câu hỏi")}{_inline("B1", "Mã tiêu chí")}</row>'
        for q in range(1, questions + 1):
            yield f'<row r="{q + 1}">{_inline(f"A{q + 1}", f"C{q}")}{_inline(f"B{q + 1}", f"8.{q}")}</row>'

    return _xlsx([("Phiếu", answers()), ("Ánh xạ", mapping())]), rows


def largest_criteria():
    """A criteria workbook at the row limit: 5,000 leaves under 10 fields, every column filled."""
    from criteria.tree import BandSpec, NodeSpec, SetSpec
    from criteria.workbook import MAX_ROWS, write_workbook

    nodes = []
    leaves = (MAX_ROWS - 1 - 10) // 10
    for f in range(1, 11):
        nodes.append(NodeSpec(code=str(f), title=f"Lĩnh vực {f}", max_points=leaves, owner_code="SNV"))
        for n in range(1, leaves + 1):
            nodes.append(
                NodeSpec(
                    code=f"{f}.{n}",
                    title=f"Tiêu chí {f}.{n} về cải cách hành chính",
                    max_points=1,
                    source="appraisal",
                    kind="yes_no",
                    guidance="Có: 1 điểm; không: 0 điểm.",
                    evidence_hint="Quyết định, báo cáo",
                )
            )
    bands = [BandSpec(code="A", label="Tốt", min_percent=80), BandSpec(code="B", label="Khá", min_percent=0)]
    return write_workbook(SetSpec(name="Bộ chỉ số đo", nodes=nodes, bands=bands)), len(nodes)


def run(reader: str, data: bytes) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as fh:
        fh.write(data)
        path = fh.name
    try:
        code = CHILD.format(root=str(ROOT), path=path, reader=reader)
        out = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=os.environ.copy()
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--largest", action="store_true", help="also the largest imports the limits allow")
    parser.add_argument(
        "--full-load", action="store_true", help="also openpyxl's full load of 1,000,000 rows"
    )
    args = parser.parse_args()

    floor = _xlsx([("Kết quả", results_sheet(10, row=TEXT))])
    million = _xlsx([("Kết quả", results_sheet(1_000_000))])
    lying = _xlsx([("Kết quả", results_sheet(1_000_000, dimension="A1:F10"))])
    bomb = _xlsx([("Kết quả", results_sheet(1_000_000, row=TEXT))])
    cases = [
        ("floor: 10 rows, read", "results", floor),
        ("refusal: 1,000,000 rows (streamed count)", "results", million),
        ("refusal: the same, dimension says A1:F10", "results", lying),
        ("refusal: 1,000,000 rows of text (unzipped size)", "results", bomb),
    ]
    if args.largest:
        cases.append(("largest survey results: 20,000 rows × 6", "results", largest_results()))
        responses, n = largest_responses()
        cases.append((f"largest responses: {n:,} questionnaires × 30", "responses", responses))
        criteria, n = largest_criteria()
        cases.append((f"largest criteria set: {n:,} rows × 10", "criteria", criteria))
    if args.full_load:
        cases.append(("before: openpyxl full load of 1,000,000 rows", "load", million))
    print(f"1,000,000-row workbook: {len(million) / 1024:.0f} KiB zipped")
    print(
        f"{'case':50} {'median s':>9} {'peak RSS MiB':>13} {'growth MiB':>11} {'× time':>8} {'× RSS':>7}"
        "  file KiB  first problem"
    )
    base = None
    for label, reader, data in cases:
        runs = [run(reader, data) for _ in range(args.repeat)]
        seconds = statistics.median(r["seconds"] for r in runs)
        rss = statistics.median(r["rss"] for r in runs)
        growth = statistics.median(r["growth"] for r in runs)
        if base is None:
            base = (seconds, rss)
        problem = (runs[0]["problems"] or ["—"])[0]
        print(
            f"{label:50} {seconds:9.3f} {rss / 1048576:13.1f} {growth / 1048576:11.1f} {seconds / base[0]:8.2f}"
            f" {rss / base[1]:7.2f}"
            f"  {len(data) / 1024:8.0f}  {problem[:90]}"
        )


if __name__ == "__main__":
    main()
