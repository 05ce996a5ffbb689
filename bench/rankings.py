"""Benchmark of the rankings page (``reports:rankings``, issue 6 item 2); not part of the test suite.

PostgreSQL only. Fills the database named by ``DATABASE_URL`` — a dedicated benchmark database whose name contains
"bench", e.g. ``createdb -h 127.0.0.1 -U postgres parindex_bench_rankings`` — with **one unit group of 10,000
units** (``--units``; the hardest case: every row of the page's group), its criteria set of 8 fields, a published
round with its results snapshot (10,000 results, 80,000 component results, built by ``bench/export.py``'s
``build``) and the previous year's published round with a result for every unit, so the page computes the change
from the previous year. The data stays for the next run (``--rebuild`` to start again). Then it requests, as a
leader, with Django's test Client (whole request: middleware, session, queries, template), ``--repeat`` times each
after 2 warm-ups:

* the full page, first page of 50 (heatmap, bar chart and grade distribution of the group included);
* the full page sorted by the index, page 100;
* the table only, as HTMX asks for it when sorting, filtering or paging;
* the full page filtered by a unit name;
* the table sorted by the change from the previous year, and by a field's component index, page 100 (the sorts
  that need a subquery for every row).

It prints median / p95 / min / max (ms), the SQL queries and the page size. Target: ≤ 300 ms (paged).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parindex_bench_rankings \\
      DJANGO_SETTINGS_MODULE=parindex.settings SECRET_KEY=x .venv/bin/python bench/rankings.py [--repeat 20]
"""

import argparse
import datetime
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export as export_bench
from common import bench_database, bench_round
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

YEAR = export_bench.YEAR  # 2098, the benchmark's round; the previous one is 2097
GROUP = "SO"


def build_previous(rnd) -> None:
    """The previous year's published round: the same units, each index moved by a deterministic −5…+5 points,
    ranked in SQL (no score rows: the page reads only the snapshot)."""
    from assessments.models import RoundState

    prev = bench_round(YEAR - 1, "Đợt đo hiệu năng năm trước", RoundState.PUBLISHED)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO assessments_roundset (round_id, group_id, criteria_set_id)
            SELECT %s, group_id, criteria_set_id FROM assessments_roundset WHERE round_id = %s""",
            [prev.pk, rnd.pk],
        )
        cursor.execute(
            """
            INSERT INTO assessments_assessment (round_id, unit_id, criteria_set_id, state, created_at, updated_at)
            SELECT %s, unit_id, criteria_set_id, 'published', now(), now()
            FROM assessments_assessment WHERE round_id = %s""",
            [prev.pk, rnd.pk],
        )
        cursor.execute(
            """
            INSERT INTO reports_result (round_id, assessment_id, unit_id, group_id, achieved, bonus, penalty, total,
                                        applicable_max, par_index, grade, rank, provisional, computed_at, sums)
            SELECT %s, a.id, r.unit_id, r.group_id, r.achieved, 0, 0, r.total, r.applicable_max,
                   LEAST(100, GREATEST(0, r.par_index + ((r.unit_id * 7919) %% 1001 - 500) / 100.0)), r.grade, NULL,
                   false, now(), ''
            FROM reports_result r JOIN assessments_assessment a ON a.unit_id = r.unit_id AND a.round_id = %s
            WHERE r.round_id = %s""",
            [prev.pk, prev.pk, rnd.pk],
        )
        cursor.execute(
            """
            UPDATE reports_result r SET rank = s.rank_no FROM (
                SELECT id, RANK() OVER (PARTITION BY group_id ORDER BY par_index DESC) AS rank_no
                FROM reports_result WHERE round_id = %s) s
            WHERE r.id = s.id""",
            [prev.pk],
        )
        cursor.execute("VACUUM ANALYZE reports_result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--group",
        default="SO",
        help="the unit group holding every unit (XA: the commune level); a database of its own",
    )
    args = parser.parse_args()
    global GROUP
    GROUP = args.group
    bench_database()
    from django.contrib.auth import get_user_model

    from assessments.models import AssessmentRound
    from units.models import Membership, Role, Unit

    if args.rebuild:
        AssessmentRound.objects.filter(year=YEAR - 1).delete()
        export_bench.clear()
    if not AssessmentRound.objects.filter(year=YEAR).exists():
        start = time.perf_counter()
        export_bench.GROUPS = (GROUP,)  # every unit in one group: the page's group holds them all
        export_bench.build(args.units)
        build_previous(AssessmentRound.objects.get(year=YEAR))
        print(f"built in {time.perf_counter() - start:.0f} s")
    rnd = AssessmentRound.objects.get(year=YEAR)
    leader, _ = get_user_model().objects.get_or_create(username="bench-rankings-leader")
    Membership.objects.get_or_create(user=leader, unit=Unit.objects.get(code="UBNDT"), role=Role.LEADER)
    n = rnd.results.filter(group__code=GROUP).count()
    print(
        f"{n} units in group {GROUP}, previous year's round too; PostgreSQL {connection.pg_version // 10000}, "
        f"{datetime.date.today()}"
    )

    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(leader)
    url = f"/ket-qua/{rnd.pk}/xep-hang/"
    from criteria.models import Criterion

    field_pk = Criterion.objects.get(criteria_set__year=YEAR, criteria_set__group__code=GROUP, code="3").pk
    deep = min(100, (n + 49) // 50)  # a page far in (page 100 of 10,000 units; the last of fewer)
    cases = (
        ("full page, page 1", {"group": GROUP}, {}),
        (f"full page, by index, page {deep}", {"group": GROUP, "sort": "-index", "page": deep}, {}),
        (
            f"table only (HTMX), page {deep}",
            {"group": GROUP, "sort": "-index", "page": deep},
            {"HTTP_HX_REQUEST": "true"},
        ),
        ("full page, name filter", {"group": GROUP, "q": "số 12"}, {}),
        (
            f"table by Δ index, page {deep}",
            {"group": GROUP, "sort": "-d_index", "page": deep},
            {"HTTP_HX_REQUEST": "true"},
        ),
        (
            f"table by field 3, page {deep}",
            {"group": GROUP, "sort": f"-f{field_pk}", "page": deep},
            {"HTTP_HX_REQUEST": "true"},
        ),
    )
    floor_url = "/"  # the floor: the same leader's home page (session, authentication, the base template)
    assert client.get(floor_url).status_code == 200
    for name, params, headers in cases:
        for _ in range(2):
            assert client.get(url, params, **headers).status_code == 200
        times, floor = [], []
        for _ in range(args.repeat):  # interleaved with the floor, so that the host's drift touches both
            start = time.perf_counter()
            assert client.get(floor_url).status_code == 200
            floor.append((time.perf_counter() - start) * 1000)
            reset_queries()
            start = time.perf_counter()
            response = client.get(url, params, **headers)
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, params, **headers)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"{name:>30}: median {statistics.median(times):7.1f} ms  p95 {p95:7.1f}  min {times[0]:7.1f}  "
            f"max {times[-1]:7.1f}  queries {len(queries)}  page {len(response.content) / 1024:.0f} KiB  "
            f"× floor {statistics.median(times) / statistics.median(floor):4.1f}"
        )


if __name__ == "__main__":
    main()
