"""Benchmark of the rankings export (``reports.exports.builders``, issue 6 item 6); not part of the test suite.

PostgreSQL only. Fills the database named by ``DATABASE_URL`` — a dedicated benchmark database whose name contains
"bench", e.g. ``createdb -h 127.0.0.1 -U postgres parindex_bench_export`` — with 5 unit groups × 2,000 units
(10,000 units; ``--units`` to change), one criteria set per group of 8 fields, one round, and its results snapshot
written directly (10,000 ``Result`` and 80,000 ``ComponentResult`` rows: the export reads only the snapshot, so
no score rows are needed). The data stays for the next run (``--rebuild`` to start again). Then it times,
``--repeat`` times each, as the coordinator:

* the whole round as .xlsx (5 sheets), what ``reports.tasks.export_run`` does: read the rankings
  (``ranking_tables``), write the workbook (``rankings_workbook``, openpyxl write-only), with a progress callback
  that stores the job's progress; the two phases timed apart;
* once, the whole task path (``reports.exports.services.export_build``: the same plus storing the file);
* with ``--pdf``, one group (2,000 units) as PDF (WeasyPrint).

Target: the 10,000-unit xlsx in ≤ 10 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parindex_bench_export \\
      DJANGO_SETTINGS_MODULE=parindex.settings SECRET_KEY=x .venv/bin/python bench/export.py [--repeat 5] [--pdf]
"""

import argparse
import datetime
import io
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_database, bench_round
from django.db import connection, transaction
from django.utils import timezone

YEAR = 2098  # the benchmark's round; no real round will have it
GROUPS = ("SO", "DVSN", "TW", "HUYEN", "XA")
FIELDS = 8
FIELD_TITLES = (
    "Công tác chỉ đạo, điều hành cải cách hành chính",
    "Xây dựng và tổ chức thực hiện văn bản QPPL",
    "Cải cách thủ tục hành chính",
    "Cải cách tổ chức bộ máy hành chính nhà nước",
    "Xây dựng và nâng cao chất lượng đội ngũ cán bộ, công chức, viên chức",
    "Cải cách tài chính công",
    "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số",
    "Tác động của cải cách hành chính đến người dân, tổ chức",
)


def build(n_units: int) -> None:
    """Units, sets (8 fields each), the round and its results snapshot (bulk inserts)."""
    from assessments.models import Assessment, RoundSet, RoundState
    from criteria.models import CriteriaSet, Criterion, band_of
    from reports.models import ComponentResult, Result
    from reports.results.services import percent_of
    from units.models import Unit, UnitGroup

    now = timezone.now()
    rnd = bench_round(YEAR, "Đợt đo hiệu năng xuất kết quả", RoundState.PUBLISHED)
    per_group = n_units // len(GROUPS)
    for g, code in enumerate(GROUPS):
        group = UnitGroup.objects.get(code=code)
        cset = CriteriaSet.objects.create(group=group, year=YEAR, name=f"Bộ chỉ số đo hiệu năng {code}")
        fields = [
            Criterion.objects.create(
                criteria_set=cset,
                level=1,
                code=str(f),
                order=f,
                title=FIELD_TITLES[f - 1],
                max_points=Decimal(10),
            )
            for f in range(1, FIELDS + 1)
        ]
        RoundSet.objects.create(round=rnd, group=group, criteria_set=cset)
        units = Unit.objects.bulk_create(
            [
                Unit(
                    code=f"E{g}-{i:05d}", name=f"Đơn vị đo hiệu năng xuất {code} số {i}", group=group, order=i
                )
                for i in range(per_group)
            ]
        )
        assessments = Assessment.objects.bulk_create(
            [Assessment(round=rnd, unit=u, criteria_set=cset) for u in units]
        )
        results, components = [], []
        for a in assessments:
            points = [Decimal((a.pk * 7919 + f * 104729) % 1001) / 100 for f in range(FIELDS)]  # 0–10.00
            total = sum(points)
            index = percent_of(total, FIELDS * 10)
            grade = band_of(index)
            results.append(
                Result(
                    round=rnd,
                    assessment=a,
                    unit=a.unit,
                    group=group,
                    achieved=total,
                    bonus=0,
                    penalty=0,
                    total=total,
                    applicable_max=FIELDS * 10,
                    par_index=index,
                    grade=grade,
                    provisional=False,
                    computed_at=now,
                )
            )
            components.append(points)
        results = Result.objects.bulk_create(results, batch_size=2000)
        order = sorted(results, key=lambda r: -r.par_index)
        rank = 0
        for n, r in enumerate(order, start=1):
            rank = rank if n > 1 and r.par_index == order[n - 2].par_index else n
            r.rank = rank
        Result.objects.bulk_update(results, ["rank"], batch_size=2000)
        ComponentResult.objects.bulk_create(
            [
                ComponentResult(
                    result=r, field=f, achieved=p, applicable_max=Decimal(10), index_percent=p * 10
                )
                for r, points in zip(results, components, strict=True)
                for f, p in zip(fields, points, strict=True)
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE reports_result")
        cursor.execute("VACUUM ANALYZE reports_componentresult")


def clear() -> None:
    from assessments.models import AssessmentRound
    from criteria.models import CriteriaSet
    from reports.models import Result
    from units.models import Unit

    with transaction.atomic():
        Result.objects.filter(round__year=YEAR).delete()
        AssessmentRound.objects.filter(year=YEAR).delete()
        CriteriaSet.objects.filter(year=YEAR).delete()
        Unit.objects.filter(code__startswith="E", name__startswith="Đơn vị đo hiệu năng xuất").delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pdf", action="store_true", help="also time one group (2,000 units) as PDF")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    bench_database()
    from openpyxl import Workbook, load_workbook

    from assessments.models import AssessmentRound
    from reports.exports import builders as exports
    from reports.models import ExportJob
    from units.models import Membership, Role, Unit, UnitGroup

    if args.rebuild:
        clear()
    if not AssessmentRound.objects.filter(year=YEAR).exists():
        start = time.perf_counter()
        build(args.units)
        print(f"built in {time.perf_counter() - start:.0f} s")
    rnd = AssessmentRound.objects.get(year=YEAR)
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench-export-coordinator")
    Membership.objects.get_or_create(user=user, unit=Unit.objects.get(code="SNV"), role=Role.COORDINATOR)
    job = ExportJob.objects.create(requested_by=user, round=rnd, format="xlsx")
    n_results = rnd.results.count()
    print(
        f"{n_results} units in {len(GROUPS)} groups, PostgreSQL {connection.pg_version // 10000}, "
        f"{datetime.date.today()}"
    )

    def progress(share):
        ExportJob.objects.filter(pk=job.pk).update(progress=int(share * 100))

    def plain_write(sheets) -> bytes:
        """The floor: the same cells' values written by openpyxl's write-only mode with no style, no header,
        no progress — what any xlsx export of these rows must at least cost."""
        book = Workbook(write_only=True)
        for title, rows in sheets:
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    first = exports.rankings_workbook(
        exports.ranking_tables(user=user, round=rnd, groups=exports.export_groups(rnd)), round=rnd
    )
    cells = load_workbook(io.BytesIO(first), read_only=True)
    sheets = [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in cells.worksheets]
    read, write, whole, floor, size = [], [], [], [], 0
    for _ in range(
        args.repeat
    ):  # the floor interleaved with the export, so that the host's drift touches both
        t0 = time.perf_counter()
        plain_write(sheets)
        floor.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        tables = exports.ranking_tables(user=user, round=rnd, groups=exports.export_groups(rnd))
        t1 = time.perf_counter()
        data = exports.rankings_workbook(tables, round=rnd, progress=progress)
        t2 = time.perf_counter()
        read.append(t1 - t0)
        write.append(t2 - t1)
        whole.append(t2 - t0)
        size = len(data)
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = sum(
        1 for ws in wb.worksheets for row in ws.iter_rows(min_row=7, max_col=1, values_only=True) if row[0]
    )
    assert rows == n_results, (rows, n_results)
    print(f"xlsx: {len(wb.sheetnames)} sheets, {rows} unit rows, {size / 1024:.0f} KiB")
    for name, t in (
        ("floor: plain write", floor),
        ("read rankings", read),
        ("write xlsx", write),
        ("whole xlsx export", whole),
    ):
        print(
            f"{name:>18}: median {statistics.median(t):6.2f} s  min {min(t):6.2f} s  max {max(t):6.2f} s"
            f"  (n={len(t)})  ratio to the floor (medians) {statistics.median(t) / statistics.median(floor):5.2f}"
        )
    from reports.exports.services import export_build

    job.file = ""
    job.state = "queued"
    job.save()
    t0 = time.perf_counter()
    job = export_build(job=job)
    print(
        f"{'task (export_build)':>18}: {time.perf_counter() - t0:6.2f} s, one run: read, write with progress "
        f"updates, store the file ({job.state}, {job.progress} %)"
    )
    assert job.state == "done", job.error
    job.file.delete(save=False)
    if args.pdf:
        group = UnitGroup.objects.get(code=GROUPS[0])
        t0 = time.perf_counter()
        tables = exports.ranking_tables(user=user, round=rnd, groups=[group])
        pdf = exports.rankings_pdf(tables, round=rnd)
        print(
            f"pdf of one group ({len(tables[0].rows)} units): {time.perf_counter() - t0:.1f} s, "
            f"{len(pdf) / 1024:.0f} KiB"
        )
    job.delete()


if __name__ == "__main__":
    main()
