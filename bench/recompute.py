"""Benchmark of the PAR Index computation (``reports.results.services.results_compute``); not part of the test suite.

PostgreSQL only. Fills the database named by ``DATABASE_URL`` — which must be a dedicated benchmark database
whose name contains "bench", e.g. ``createdb -h 127.0.0.1 -U postgres parindex_bench_c`` — with 5 unit
groups × 2,000 units (10,000 units; ``--units`` to change), one criteria set per group of 8 fields ×
(15 appraisal leaves + 1 survey leaf) + 1 bonus + 1 penalty leaf = 130 leaves, and one round with every
unit's 130 score rows (1.3 million rows, written with COPY; about 1 % of leaves claimed not applicable, half of
those accepted, 2.5 % not appraised, 2 % without survey results, bonus and penalty over their caps a third of the
time). The data stays for the next run (``--rebuild`` to start again). Then it times, interleaved, ``--repeat``
times each:

* the plain SQL aggregate over the same score rows that any computation must at least make
  (``SELECT assessment_id, SUM(...) FROM assessments_score GROUP BY 1``, rows fetched);
* ``results_compute(round=..., assessment_ids=[a])`` right after one of assessment ``a``'s appraised scores
  changed — what the Celery task does after an edit: that unit's figures, then the round's grades and ranks;
* ``results_compute(round=...)`` right after one appraised score changed — the whole round recomputed (an
  import, publication): every score row summed, the changed unit refigured, the ranks of its group;
* (the first ``--first-repeat`` times) ``results_compute(round=...)`` right after one appraised score of every
  unit changed: every result refigured; and ``results_compute`` on an empty snapshot: every row inserted (a
  round's first computation);

and, for comparison, a hand-written per-(assessment, field) aggregate with the same joins; it prints the
median / min / max of each and the ratio of the medians to the plain aggregate (target ≤ 1.5).
``--no-covering-index`` drops the ``score_compute_idx`` index for the run (and rebuilds it at the end), to time
the computation reading the table itself.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parindex_bench_c \\
      DJANGO_SETTINGS_MODULE=parindex.settings SECRET_KEY=x .venv/bin/python bench/recompute.py [--repeat 7]
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

YEAR = 2099  # the benchmark's round; no real round will have it
GROUPS = ("SO", "DVSN", "TW", "HUYEN", "XA")
FIELDS = 8
SUBS = 5  # sub-criteria per criterion, 3 criteria per field
APPRAISAL_LEAVES = 3 * SUBS  # per field
SURVEY_FIELDS = frozenset(range(1, FIELDS + 1))  # the fields with a survey leaf
LEAF_MAX = Decimal("0.5")  # 8 × 15 × 0.5 = 60 appraisal points
SURVEY_MAX = Decimal("5")  # 8 × 5 = 40 survey points
EXTRA_MAX = Decimal("3")  # one bonus leaf in field 1, one penalty leaf in field 5; caps 2 and 2
PLAIN_SQL = (
    "SELECT assessment_id, SUM(COALESCE(appraised_value, 0) + COALESCE(survey_value, 0)) "
    "FROM assessments_score GROUP BY 1"
)
#: For comparison, the least any per-field breakdown must do, written by hand: the same score rows joined to their
#: leaf and grouped by (assessment, field), with the N/A and bonus/penalty conditions.
FIELD_SQL = """
SELECT s.assessment_id, split_part(c.code, '.', 1),
       SUM(CASE WHEN c.source = 'survey' THEN s.survey_value ELSE s.appraised_value END) FILTER (WHERE ok),
       SUM(c.max_points) FILTER (WHERE ok)
FROM assessments_score s
JOIN assessments_assessment a ON a.id = s.assessment_id
JOIN criteria_criterion c ON c.id = s.criterion_id
CROSS JOIN LATERAL (SELECT c.kind NOT IN ('bonus', 'penalty')
                           AND NOT (s.self_not_applicable AND s.na_accepted IS TRUE) AS ok) f
WHERE a.round_id = %s GROUP BY 1, 2"""


def build_set(group, year):
    """One group's set: 8 fields of 3 criteria × 5 range sub-criteria and 1 survey criterion, plus a bonus
    leaf (under field 1) and a penalty leaf (under field 5). Returns the set."""
    from criteria.models import DEFAULT_BANDS, CriteriaSet, Criterion, GradeBand

    cset = CriteriaSet.objects.create(
        group=group,
        year=year,
        name=f"Bộ chỉ số đo hiệu năng {group.code}",
        bonus_cap=Decimal(2),
        penalty_cap=Decimal(2),
    )
    GradeBand.objects.bulk_create(
        [GradeBand(criteria_set=cset, code=c, label=label, min_percent=m) for c, label, m in DEFAULT_BANDS]
    )
    nodes, order = [], 0

    def node(parent, code, **kw):
        nonlocal order
        order += 1
        n = Criterion(
            criteria_set=cset,
            parent=parent,
            level=code.count(".") + 1,
            code=code,
            order=order,
            title=f"Tiêu chí {code}",
            **kw,
        )
        n.save()
        nodes.append(n)
        return n

    for f in range(1, FIELDS + 1):
        survey = f in SURVEY_FIELDS
        field = node(None, str(f), max_points=LEAF_MAX * APPRAISAL_LEAVES + (SURVEY_MAX if survey else 0))
        for c in range(1, 4):
            crit = node(field, f"{f}.{c}", max_points=LEAF_MAX * SUBS)
            for s in range(1, SUBS + 1):
                node(
                    crit,
                    f"{f}.{c}.{s}",
                    max_points=LEAF_MAX,
                    source="appraisal",
                    kind="range",
                    step=Decimal("0.25"),
                )
            if c == 1 and f in (1, 5):
                node(
                    crit,
                    f"{f}.{c}.{SUBS + 1}",
                    max_points=EXTRA_MAX,
                    source="appraisal",
                    kind="bonus" if f == 1 else "penalty",
                )
        if survey:
            node(field, f"{f}.4", max_points=SURVEY_MAX, source="survey")
    return cset


def build(n_units: int) -> None:
    """Units, sets, the round, its assessments and every score row (COPY)."""
    from assessments.models import Assessment, RoundSet, RoundState
    from criteria.models import Criterion
    from criteria.selectors import set_layouts
    from units.models import Unit, UnitGroup

    rnd = bench_round(YEAR, "Đợt đo hiệu năng", RoundState.OPEN)
    per_group = n_units // len(GROUPS)
    leaves_by_set = {}
    assessments = []
    for g, code in enumerate(GROUPS):
        group = UnitGroup.objects.get(code=code)
        cset = build_set(group, YEAR)
        RoundSet.objects.create(round=rnd, group=group, criteria_set=cset)
        leaves_by_set[cset.pk] = list(
            Criterion.objects.filter(criteria_set=cset, children__isnull=True).order_by("order")
        )
        units = Unit.objects.bulk_create(
            [
                Unit(code=f"B{g}-{i:05d}", name=f"Đơn vị đo hiệu năng {code} {i}", group=group, order=i)
                for i in range(per_group)
            ]
        )
        assessments += Assessment.objects.bulk_create(
            [Assessment(round=rnd, unit=u, criteria_set=cset) for u in units]
        )
    slots = {
        leaf: slot
        for layout in set_layouts(list(leaves_by_set)).values()
        for leaf, slot in layout.slots.items()
    }
    columns = (
        "assessment_id",
        "criterion_id",
        "slot",
        "self_value",
        "self_option",
        "survey_value",
        "note",
        "explanation",
        "self_not_applicable",
        "appraised_value",
        "appraised_option",
        "appraisal_comment",
        "na_accepted",
        "needs_explanation",
        "question",
        "answer",
        "version",
    )
    buf = io.StringIO()
    for a in assessments:
        for i, leaf in enumerate(leaves_by_set[a.criteria_set_id]):
            h = (a.pk * 7919 + i * 104729) % 1000  # deterministic, spread values
            self_value = appraised = survey = na_accepted = r"\N"
            na = "f"
            note = "Đã đối chiếu với báo cáo năm của đơn vị." if h % 3 else ""
            if leaf.source == "survey":
                survey = f"{Decimal(h % 501) / 100:.2f}" if h % 50 else r"\N"  # 2 % without survey results
            elif leaf.kind in ("bonus", "penalty"):
                appraised = f"{Decimal(h % 13) / 4:.2f}"  # 0..3 points, over the cap of 2 a third of the time
            else:
                self_value = f"{Decimal(h % 3) / 4:.2f}"
                appraised = f"{Decimal((h // 3) % 3) / 4:.2f}" if h % 40 else r"\N"
                if h % 97 == 0:  # about 1 % claimed not applicable, accepted half of the time
                    na, na_accepted = "t", "t" if h % 2 else "f"
            buf.write(
                "\t".join(
                    (
                        str(a.pk),
                        str(leaf.pk),
                        str(slots[leaf.pk]),
                        self_value,
                        "",
                        survey,
                        note,
                        "",
                        na,
                        appraised,
                        "",
                        "",
                        na_accepted,
                        "f",
                        "",
                        "",
                        "1",
                    )
                )
                + "\n"
            )
    buf.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY assessments_score ({', '.join(columns)}) FROM STDIN", buf)
        cursor.execute("VACUUM ANALYZE assessments_score")


def clear() -> None:
    from assessments.models import AssessmentRound
    from criteria.models import CriteriaSet
    from units.models import Unit

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_componentresult")
            cursor.execute("DELETE FROM reports_result")
            cursor.execute(
                "DELETE FROM assessments_score WHERE assessment_id IN (SELECT a.id FROM "
                "assessments_assessment a JOIN assessments_assessmentround r ON r.id = a.round_id "
                "WHERE r.year = %s)",
                [YEAR],
            )
        AssessmentRound.objects.filter(year=YEAR).delete()
        CriteriaSet.objects.filter(year=YEAR).delete()
        Unit.objects.filter(code__startswith="B", name__startswith="Đơn vị đo hiệu năng").delete()


def check(rnd, sample: int = 25) -> None:
    """Compare ``sample`` units' stored results with the rules applied in Python to their score rows."""
    from assessments.models import Score
    from assessments.scoring_rules import achieved_points, is_not_applicable
    from reports.models import Result
    from reports.results.services import percent_of

    for result in (
        Result.objects.filter(round=rnd).select_related("assessment__criteria_set").order_by("?")[:sample]
    ):
        cset = result.assessment.criteria_set
        achieved = maximum = bonus = penalty = Decimal(0)
        for s in Score.objects.filter(assessment_id=result.assessment_id).select_related("criterion"):
            if is_not_applicable(s):
                continue
            kind, points = s.criterion.kind, achieved_points(s) or Decimal(0)
            if kind in ("bonus", "penalty"):
                bonus += points if kind == "bonus" else 0
                penalty += points if kind == "penalty" else 0
                continue
            achieved += points
            maximum += s.criterion.max_points
        total = max(achieved + min(bonus, cset.bonus_cap) - min(penalty, cset.penalty_cap), Decimal(0))
        index = percent_of(total, maximum)
        assert (result.total, result.applicable_max, result.par_index) == (total, maximum, index), result


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--first-repeat", type=int, default=2, help="how many of the runs also time a first compute"
    )
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--no-covering-index",
        action="store_true",
        help="time the computation without the score_compute_idx index (rebuilt at the end)",
    )
    parser.add_argument(
        "--communes",
        action="store_true",
        help="the commune level's shape: every unit in the commune group (XA), 100 leaves a unit "
        "(8 fields × 3 criteria × 4 sub-criteria, survey leaves in fields 7 and 8, a bonus and a penalty leaf); "
        "use a database of its own",
    )
    args = parser.parse_args()
    if args.communes:
        global GROUPS, SUBS, APPRAISAL_LEAVES, SURVEY_FIELDS
        GROUPS, SUBS, SURVEY_FIELDS = ("XA",), 4, frozenset({7, 8})
        APPRAISAL_LEAVES = 3 * SUBS
    bench_database()
    from assessments.models import AssessmentRound, Score

    if args.rebuild:
        clear()
    if not AssessmentRound.objects.filter(year=YEAR).exists():
        start = time.perf_counter()
        build(args.units)
        print(f"built in {time.perf_counter() - start:.0f} s")
    rnd = AssessmentRound.objects.get(year=YEAR)
    n_scores = Score.objects.filter(assessment__round=rnd).count()
    n_assessments = rnd.assessments.count()
    print(
        f"{n_assessments} units, {n_scores} score rows ({n_scores / n_assessments:.0f} leaves each), "
        f"PostgreSQL {connection.pg_version // 10000}, {datetime.date.today()}"
    )

    def plain():
        with connection.cursor() as cursor:
            cursor.execute(PLAIN_SQL)
            assert len(cursor.fetchall()) == n_assessments

    def by_field():
        with connection.cursor() as cursor:
            cursor.execute(FIELD_SQL, [rnd.pk])
            assert len(cursor.fetchall()) == n_assessments * 8

    def change_one_score() -> int:
        """What triggers a recompute: one appraised score changes (alternately up and down). Returns its
        assessment's id."""
        score = Score.objects.filter(assessment__round=rnd, criterion__kind="range").order_by("pk").first()
        score.appraised_value = Decimal("0.5") if score.appraised_value != Decimal("0.5") else Decimal("0.25")
        score.save(update_fields=["appraised_value"])
        return score.assessment_id

    def change_every_unit():
        """One appraised score of every unit changes (a survey import or a bulk correction): every result is
        refigured."""
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_score s SET appraised_value = CASE WHEN s.appraised_value = 0.5 THEN 0.25 "
                "ELSE 0.5 END FROM (SELECT DISTINCT ON (x.assessment_id) x.id FROM assessments_score x "
                "JOIN criteria_criterion c ON c.id = x.criterion_id WHERE c.kind = 'range' "
                "ORDER BY x.assessment_id, x.id) f WHERE s.id = f.id"
            )

    def clear_results():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM reports_componentresult")
            cursor.execute("DELETE FROM reports_result")
            cursor.execute("VACUUM ANALYZE reports_result")
            cursor.execute("VACUUM ANALYZE reports_componentresult")

    if args.no_covering_index:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX score_compute_idx")
    try:
        run(args, rnd, n_assessments, plain, by_field, change_one_score, change_every_unit, clear_results)
    finally:
        if args.no_covering_index:
            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE INDEX score_compute_idx ON assessments_score (assessment_id, slot, points_cents)"
                )


def run(
    args, rnd, n_assessments, plain, by_field, change_one_score, change_every_unit, clear_results
) -> None:
    """The timed runs (see the module's docstring) and the check of the stored results."""
    from reports.models import ComponentResult, Result
    from reports.results.services import results_compute

    timed(plain)  # warm the cache
    results_compute(round=rnd)
    baseline, fields, recompute, partial, first, every = [], [], [], [], [], []
    for i in range(args.repeat):
        baseline.append(timed(plain))
        fields.append(timed(by_field))
        changed = change_one_score()
        # What the task does after a change to one unit's scores: that assessment, then the round's ranks.
        partial.append(timed(lambda a=changed: results_compute(round=rnd, assessment_ids=[a])))
        change_one_score()
        recompute.append(timed(lambda: results_compute(round=rnd)))
        if i < args.first_repeat:
            change_every_unit()
            every.append(timed(lambda: results_compute(round=rnd)))
        if i < args.first_repeat:
            clear_results()
            first.append(timed(lambda: results_compute(round=rnd)))
    assert Result.objects.filter(round=rnd).count() == n_assessments
    check(rnd)
    print(
        f"results: {n_assessments}, component results: "
        f"{ComponentResult.objects.filter(result__round=rnd).count()}"
    )
    base = statistics.median(baseline)
    for name, t in (
        ("plain SQL aggregate", baseline),
        ("per-field SQL (hand)", fields),
        ("recompute, 1 change", recompute),
        ("that unit + ranks", partial),
        ("every unit changed", every),
        ("first compute", first),
    ):
        if not t:
            continue
        print(
            f"{name:>20}: median {statistics.median(t):6.0f} ms  min {min(t):6.0f} ms  max {max(t):6.0f} ms"
            f"  ratio to plain (medians) {statistics.median(t) / base:5.2f}  (n={len(t)})"
        )


if __name__ == "__main__":
    main()
