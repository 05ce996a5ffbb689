"""The PAR Index computation — the one place it is made (shared/DESIGN.md §5; issue 6).

``results_compute(round=...)`` writes the round's snapshot (``Result`` and ``ComponentResult`` rows);
pages, exports, the API and tasks read the snapshot and never compute an index themselves. Anything that
changes a score, a not-applicable decision, a survey result or a round's state sends
``assessments.signals.scores_changed``, which ``reports.receivers`` turns into
``results_recompute_later(round_id, assessment_id)`` so the snapshot follows (only the changed assessment's
figures and the round's ranks when one unit's scores changed).
"""

import logging
import uuid
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DecimalField,
    ExpressionWrapper,
    Func,
    Max,
    Min,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Abs, Cast, NullIf, Round
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, RoundState, Score
from assessments.scoring_rules import NOT_APPLICABLE
from criteria.models import (
    DEFAULT_BANDS,
    EXTRA_KINDS,
    MAX_FIELDS,
    POINTS,
    SLOT_BONUS,
    SLOT_PENALTY,
    CriteriaSet,
    GradeBand,
    Source,
)
from criteria.selectors import set_layouts

from ..models import ComponentResult, PendingRecompute, Result
from ..models.results import PERCENT

logger = logging.getLogger(__name__)

#: Cache key that marks a recompute as queued (``results_recompute_later``): of a round ({0}) and one of its
#: assessments ({1}), or of the whole round ({1} = "all").
QUEUED_KEY = "reports:recompute-queued:{}:{}"
QUEUED_SECONDS = 600


# ---------------------------------------------------------------- expressions


def _cents(points) -> Cast:
    """Points (2 decimals) as a whole number of hundredths, so the division below is exact integer arithmetic
    on every database (SQLite keeps decimals as floats)."""
    return Cast(
        Round(ExpressionWrapper(points * Value(100), output_field=DecimalField(**POINTS))), BigIntegerField()
    )


def hundredths_of_percent(points, maximum) -> ExpressionWrapper:
    """``points / maximum × 100`` in hundredths of a percent, rounded half up: floor((20000·p + m) / 2m) with p and
    m in hundredths of a point. NULL when ``maximum`` is 0."""
    p, m = _cents(points), _cents(maximum)
    return ExpressionWrapper(
        (Value(20000) * p + m) / NullIf(Value(2) * m, Value(0)), output_field=BigIntegerField()
    )


def percent_of(points, maximum) -> Decimal | None:
    """``points / maximum × 100`` as a percentage, rounded half up to 2 decimals — in Python, exactly what
    ``hundredths_of_percent`` (ORM) and ``hundredths_sql`` (the computation's SQL) give: floor((20000·p + m) / 2m)
    hundredths of a percent, p and m in whole hundredths of a point. None when ``maximum`` is 0. For points ≥ 0 (what
    the computation divides: a total is never below 0); like the SQL, the division truncates toward 0."""
    p, m = to_cents(points), to_cents(maximum)
    if not m:
        return None
    numerator, denominator = 20000 * p + m, 2 * m
    quotient = abs(numerator) // abs(denominator)  # SQL's integer division truncates toward 0
    return Decimal(quotient if (numerator < 0) == (denominator < 0) else -quotient) / 100


def as_percent(hundredths) -> Func:
    """Hundredths of a percent as a percentage with 2 decimals (``/ 100.0``: numeric on PostgreSQL, float on
    SQLite; either way exactly the 2-decimal value once stored)."""
    return Func(hundredths, template="(%(expressions)s / 100.0)", output_field=DecimalField(**PERCENT))


#: Leaves that count toward achieved points and the applicable maximum (bonus and penalty never do; a leaf not
#: applicable leaves both: ``assessments.scoring_rules.NOT_APPLICABLE``).
COUNTED = (
    Q(criterion__source__in=[Source.APPRAISAL, Source.SURVEY])
    & ~Q(criterion__kind__in=EXTRA_KINDS)
    & ~NOT_APPLICABLE
)


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _round_layout(set_ids: list[int]) -> tuple[int, str, str]:
    """The round's sets as SQL rows for the statements of ``results_compute``: (N = the most fields of a set,
    ``fields(set_id, k, field_id, max_cents)`` and ``caps(set_id, max_cents, bonus_cents, penalty_cents)`` as
    ``VALUES`` lists of integers — hundredths of a point). Static maxima are before any leaf is not applicable."""
    layouts = set_layouts(set_ids)
    caps = {
        pk: (bonus, penalty)
        for pk, bonus, penalty in CriteriaSet.objects.filter(pk__in=set_ids).values_list(
            "pk", "bonus_cap", "penalty_cap"
        )
    }
    fields, sets = [], []
    for set_id in set_ids:
        layout = layouts[set_id]
        fields += [
            f"({set_id}, {k}, {field_id}, {to_cents(maximum)})" for k, field_id, maximum in layout.fields
        ]
        bonus, penalty = caps[set_id]
        sets.append(
            f"({set_id}, {sum(to_cents(m) for _k, _f, m in layout.fields)}, {to_cents(bonus)}, "
            f"{to_cents(penalty)})"
        )
    n = max((len(layouts[pk].fields) for pk in set_ids), default=0)
    # A round without fields still gives valid (empty) lists.
    return n, ", ".join(fields) or "(0, 0, 0, 0)", ", ".join(sets) or "(0, 0, 0, 0)"


def to_cents(points) -> int:
    """Points as whole hundredths of a point (as ``_cents`` in SQL: points have 2 decimals)."""
    return int((Decimal(points) * 100).to_integral_value())


def hundredths_sql(points: str, maximum: str) -> str:
    """SQL of ``points / maximum × 100`` in hundredths of a percent, rounded half up, from integer hundredths of a
    point: floor((20000·p + m) / 2m); NULL when ``maximum`` is 0 (see ``hundredths_of_percent``)."""
    return f"((20000 * ({points}) + ({maximum})) / NULLIF(2 * ({maximum}), 0))"


#: Part of every ``Result.sums``: a change to the rules below must change it, so that results figured by the old
#: rules are figured again (their sums no longer match).
RULES_VERSION = "1"
#: Temporary tables of one computation (created and dropped in its transaction).
PIVOT_TABLE, NA_TABLE = "reports_compute_pivot", "reports_compute_na"


def results_compute(*, round: AssessmentRound, assessment_ids: list[int] | None = None) -> int:
    """Recompute the snapshot of ``round``: one ``Result`` per assessment and one ``ComponentResult`` per field of
    it, in one transaction and a constant number of queries whatever the number of units (see
    ``test_it_runs_a_constant_number_of_queries``). Returns the number of results of the round.

    ``assessment_ids``: recompute only these assessments (the pivot of step 2 reads only their score rows), then the
    ranks of their groups — what a change to one unit's scores needs: the same rules and statements, restricted;
    None (default) = every assessment of the round.

    Rules (shared/DESIGN.md §5, issue 6):

    * achieved points of a leaf: appraisal leaves → the appraised score, survey leaves → the survey score,
      0 when not set; the unit's self score never counts;
    * a leaf claimed not applicable by the unit and accepted by its appraiser leaves both the achieved sum and
      the applicable maximum (a refused claim counts as any other leaf);
    * bonus / penalty leaves (``criteria.models.EXTRA_KINDS``) are in no maximum and no component: their appraised
      points (≥ 0; a penalty's are the points deducted) are summed over the whole set and capped by the set's
      ``bonus_cap`` / ``penalty_cap``. They change the overall total only — a component index measures the field's
      own criteria (our choice; the method does not place bonus points in a field);
    * component index of a field (level-1 node) = Σ achieved / Σ applicable max of its appraisal and survey
      leaves × 100 (%), empty when nothing in the field is applicable;
    * total = Σ achieved + capped bonus − capped penalty, never below 0 (points);
      PAR Index = total / Σ applicable max × 100 (%), 0 when nothing is applicable; may exceed 100 with bonus;
    * every percentage is rounded half up to 2 decimals once, exactly (integer arithmetic in hundredths), and the
      grade and rank use that rounded value — what users see;
    * grade: the set's highest ``GradeBand`` whose ``min_percent`` ≤ index (004 §2.1; default A ≥ 90, B ≥ 80,
      C ≥ 70, D below when the set has none);
    * rank: SQL ``RANK()`` by index descending within the unit group (the assessment's set's group) and round —
      ties share a rank (1, 2, 2, 4).

    How — all arithmetic in the database, exact, in integer hundredths of a point; Python only assembles the
    statements (PostgreSQL and SQLite ≥ 3.33 both accept them):
    (1) insert a result row for each assessment that has none; mark the round's rows provisional or not;
    (2) one pass over the round's score rows grouped by assessment only, summing each row's ``points_cents`` into
    the column of its field (``Score.slot``: no join to the leaves; PostgreSQL runs it in parallel), with the maxima
    of the leaves accepted not applicable (read from a partial index) beside them, into a temporary table;
    (3) select the results to refigure: new ones and those whose sums differ from the ``Result.sums`` they were last
    figured from — a frozen set's maxima, caps and bands never change, so equal sums mean equal figures;
    for those only: (4) update the component results whose figures changed — static field maximum minus the
    maxima not applicable —, (5) insert those of new results, (6) per result: Σ fields, capped bonus and penalty,
    total, index, grade, sums; (7) ``RANK()`` in their groups from the stored index. A row whose figures did not
    change is not written; ``computed_at`` is when a row's figures were last written. No row is deleted: results
    cascade with their assessment and a frozen set's fields do not change. bench/README.md gives the timings.

    Raises ``AssessmentRound.DoesNotExist`` when the round no longer exists.
    """
    with transaction.atomic():
        rnd = AssessmentRound.objects.select_for_update().get(
            pk=round.pk
        )  # one recompute of a round at a time
        now = timezone.now()
        spans = list(
            Assessment.objects.filter(round=rnd)
            .order_by()
            .values_list("criteria_set_id")
            .annotate(lo=Min("pk"), hi=Max("pk"), count=Count("pk"))
        )
        set_ids = sorted(set_id for set_id, *_ in spans)
        bands_by_set: dict[int, list[tuple[str, Decimal]]] = {s: [] for s in set_ids}
        for set_id, code, minimum in (
            GradeBand.objects.filter(criteria_set_id__in=set_ids)
            .order_by("criteria_set_id", "-min_percent")
            .values_list("criteria_set_id", "code", "min_percent")
        ):
            bands_by_set[set_id].append((code, minimum))
        for bands in bands_by_set.values():
            bands[:] = bands or [(code, minimum) for code, _label, minimum in DEFAULT_BANDS]
        n, fields_sql, sets_sql = _round_layout(set_ids)

        q = connection.ops.quote_name
        r, c, a = (q(m._meta.db_table) for m in (Result, ComponentResult, Assessment))
        ids = [] if assessment_ids is None else [int(pk) for pk in assessment_ids]
        only_a = "" if assessment_ids is None else f" AND a.id IN ({', '.join(map(str, ids)) or '0'})"
        only_r = (
            "" if assessment_ids is None else f" AND r.assessment_id IN ({', '.join(map(str, ids)) or '0'})"
        )
        provisional = rnd.state != RoundState.PUBLISHED
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The pivot's groups hold ~2 N sums each: let them hash in memory; compiling it (JIT) costs more
                # than it saves.
                cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
            # 1. A result row for each assessment without one; the round's rows follow its state.
            cursor.execute(
                f"SELECT COUNT(*), SUM(CASE WHEN provisional <> %s THEN 1 ELSE 0 END), "
                f"(SELECT MAX(id) FROM {r}) FROM {r} WHERE round_id = %s",
                (provisional, rnd.pk),
            )
            existing, stale, last_id = cursor.fetchone()  # new rows get higher ids (identity / autoincrement)
            new_results = 0
            if existing < sum(count for *_, count in spans):
                cursor.execute(
                    f"INSERT INTO {r} (round_id, assessment_id, unit_id, group_id, achieved, bonus, penalty, total, "
                    f"applicable_max, par_index, grade, provisional, computed_at, sums) "
                    f"SELECT a.round_id, a.id, a.unit_id, cs.group_id, 0, 0, 0, 0, 0, 0, '', %s, %s, '' FROM {a} a "
                    f"INNER JOIN {q(CriteriaSet._meta.db_table)} cs ON cs.id = a.criteria_set_id WHERE a.round_id = %s"
                    f"{only_a} AND NOT EXISTS (SELECT 1 FROM {r} x WHERE x.assessment_id = a.id)",
                    (provisional, now, rnd.pk),
                )
                new_results = cursor.rowcount
                if connection.vendor == "postgresql" and new_results > existing:
                    # Most of the round's rows are new (its first computation): the planner needs to know.
                    cursor.execute(f"ANALYZE {r}")
            if stale:
                cursor.execute(
                    f"UPDATE {r} SET provisional = %s, computed_at = %s WHERE round_id = %s "
                    f"AND provisional <> %s",
                    (provisional, now, rnd.pk, provisional),
                )

            # 2. Σ points per (assessment, field) in one pass over the score rows, one column per field.
            # The round's assessments' ids span [lo, hi] (made together when it opened): a range the planner can
            # weigh against the table's size (a sequential scan in parallel, or the index for a small part). Rows
            # of another round's assessments in that span are summed too and then ignored: steps 3–5 read the
            # pivot through this round's results.
            id_range = (
                (min(ids, default=0), max(ids, default=0))
                if assessment_ids is not None
                else (
                    min((lo for _s, lo, _hi, _n in spans), default=0),
                    max((hi for _s, _lo, hi, _n in spans), default=0),
                )
            )
            in_span = Q(assessment_id__gte=id_range[0], assessment_id__lte=id_range[1])
            # The leaves accepted not applicable (the partial index's few rows): Σ max points (hundredths) per
            # assessment and field number.
            na = (
                Score.objects.filter(in_span, NOT_APPLICABLE, slot__gte=-MAX_FIELDS, slot__lte=MAX_FIELDS)
                .order_by()
                .values("assessment_id", k=Abs("slot"))
                .annotate(cents=Cast(Round(Sum("criterion__max_points") * Value(100)), BigIntegerField()))
            )
            na_sql, na_params = _sql(na)
            cursor.execute(f"CREATE TEMPORARY TABLE {NA_TABLE} AS {na_sql}", na_params)
            # Per assessment: f1…fN = Σ achieved points of field k (``points_cents`` is NULL on N/A leaves),
            # bonus, penalty (before the caps), n1…nN = Σ max points of field k's leaves accepted not applicable.
            sums = {f"f{k}": Sum("points_cents", filter=Q(field_no=k)) for k in range(1, n + 1)}
            pivot = (
                Score.objects.filter(in_span)
                .alias(field_no=Abs("slot"))
                .order_by()
                .values("assessment_id")
                .annotate(
                    **sums,
                    bonus=Sum("points_cents", filter=Q(slot=SLOT_BONUS)),
                    penalty=Sum("points_cents", filter=Q(slot=SLOT_PENALTY)),
                )
            )
            sql, params = _sql(pivot)
            na_wide = ", ".join(
                f"CAST(SUM(CASE WHEN k = {k} THEN cents END) AS BIGINT) AS n{k}" for k in range(1, n + 1)
            )
            na_cols = "".join(f", na.n{k}" for k in range(1, n + 1))
            columns = [
                f"COALESCE({col}, 0)"
                for col in (
                    *(f"s.f{k}" for k in range(1, n + 1)),
                    *(f"na.n{k}" for k in range(1, n + 1)),
                    "s.bonus",
                    "s.penalty",
                )
            ]
            key = (
                f"concat_ws(',', {', '.join(columns)})"
                if connection.vendor == "postgresql"  # one call: cheaper
                else " || ',' || ".join(f"CAST({col} AS TEXT)" for col in columns)
            )
            cursor.execute(
                f"CREATE TEMPORARY TABLE {PIVOT_TABLE} AS SELECT s.*{na_cols}, %s || {key} AS sums FROM ({sql}) s "
                + (
                    f"LEFT JOIN (SELECT assessment_id, {na_wide} FROM {NA_TABLE} GROUP BY assessment_id) na "
                    f"ON na.assessment_id = s.assessment_id"
                    if n
                    else "LEFT JOIN (SELECT 0 AS x) na ON 1 = 0"
                ),
                (f"{RULES_VERSION}:", *params),
            )
            if connection.vendor == "postgresql":  # a new table has no statistics: the joins below need them
                cursor.execute(f"ANALYZE {PIVOT_TABLE} (assessment_id)")

            # 3. The results to refigure: those made in step 1 and those whose sums changed since they were last
            #    figured (``Result.sums``) — after one unit's change, that unit only.
            cursor.execute(
                f"SELECT r.assessment_id FROM {r} r LEFT JOIN {PIVOT_TABLE} t "
                f"ON t.assessment_id = r.assessment_id WHERE r.round_id = %s{only_r} "
                f"AND (r.id > %s OR r.sums <> COALESCE(t.sums, %s))",
                (rnd.pk, last_id or 0, f"{RULES_VERSION}:"),
            )
            todo = sorted(pk for (pk,) in cursor.fetchall())
            only_r = f" AND r.assessment_id IN ({', '.join(map(str, todo))})"

            if todo:
                _refigure(
                    cursor,
                    rnd=rnd,
                    only_r=only_r,
                    new_after=last_id or 0,
                    n=n,
                    fields_sql=fields_sql,
                    sets_sql=sets_sql,
                    bands_by_set=bands_by_set,
                    now=now,
                )
            cursor.execute(f"DROP TABLE {PIVOT_TABLE}")
            cursor.execute(f"DROP TABLE {NA_TABLE}")
        count = existing + new_results
    logger.info("Đã tính lại Chỉ số CCHC đợt %s: %s kết quả.", rnd.year, count)
    return count


def _refigure(
    cursor,
    *,
    rnd,
    only_r: str,
    new_after: int,
    n: int,
    fields_sql: str,
    sets_sql: str,
    bands_by_set: dict[int, list[tuple[str, Decimal]]],
    now,
) -> None:
    """Steps 4–7 of ``results_compute`` for the results selected by ``only_r`` (SQL condition on ``r``), from the
    temporary pivot: their components (updated, or inserted for results of id > ``new_after``), their figures,
    grades and sums, then the round's ranks. All in integer hundredths (points, percent)."""
    q = connection.ops.quote_name
    r, c, a = (q(m._meta.db_table) for m in (Result, ComponentResult, Assessment))

    def by_field(column: str) -> str:
        return (
            f"CASE fld.k {' '.join(f'WHEN {k} THEN t.{column}{k}' for k in range(1, n + 1))} END"
            if n
            else "NULL"
        )

    # Per (result, field): p = achieved, m = applicable max.
    p = f"COALESCE({by_field('f')}, 0)"
    m = f"(fld.max_cents - COALESCE({by_field('n')}, 0))"
    joins = (
        f"INNER JOIN fld ON 1 = 1 LEFT JOIN {PIVOT_TABLE} t ON t.assessment_id = r.assessment_id "
        f"WHERE r.round_id = %s{only_r}"
    )
    fld = f"WITH fld(set_id, k, field_id, max_cents) AS (VALUES {fields_sql}) "
    # 4. Component results whose figures changed.
    cursor.execute(
        fld + f"UPDATE {c} SET achieved = {p} / 100.0, applicable_max = {m} / 100.0, "
        f"index_percent = {hundredths_sql(p, m)} / 100.0 FROM {r} r {joins} "
        f"AND {c}.result_id = r.id AND {c}.field_id = fld.field_id "
        f"AND (ROUND({c}.achieved * 100) <> {p} OR ROUND({c}.applicable_max * 100) <> {m} "
        f"OR COALESCE(ROUND({c}.index_percent * 100), -1) <> COALESCE({hundredths_sql(p, m)}, -1))",
        (rnd.pk,),
    )
    # 5. Those of new results (a result's components are made with it: its set's fields never change).
    cursor.execute(
        fld + f"INSERT INTO {c} (result_id, field_id, achieved, applicable_max, index_percent) "
        f"SELECT r.id, fld.field_id, {p} / 100.0, {m} / 100.0, {hundredths_sql(p, m)} / 100.0 "
        f"FROM {r} r INNER JOIN {a} a ON a.id = r.assessment_id {joins} AND fld.set_id = a.criteria_set_id "
        f"AND r.id > %s",
        (rnd.pk, new_after),
    )

    # 6. Per result: Σ of its fields, capped bonus and penalty, total, index, grade, and the sums they come from.
    fields_total = " + ".join(f"COALESCE(t.f{k}, 0)" for k in range(1, n + 1)) or "0"
    na_total = "(" + (" + ".join(f"COALESCE(t.n{k}, 0)" for k in range(1, n + 1)) or "0") + ")"
    bonus = (
        "CASE WHEN COALESCE(t.bonus, 0) < cap.bonus_cents THEN COALESCE(t.bonus, 0) ELSE cap.bonus_cents END"
    )
    penalty = (
        "CASE WHEN COALESCE(t.penalty, 0) < cap.penalty_cents THEN COALESCE(t.penalty, 0) "
        "ELSE cap.penalty_cents END"
    )
    grades = [
        (set_id, to_cents(minimum), code) for set_id, bands in bands_by_set.items() for code, minimum in bands
    ]
    grade = (
        (
            "CASE "
            + " ".join(
                f"WHEN v.set_id = {set_id} AND v.h >= {minimum} THEN %s" for set_id, minimum, _code in grades
            )
            + " ELSE '' END"
        )
        if grades
        else "''"
    )
    cursor.execute(
        f"WITH cap(set_id, max_cents, bonus_cents, penalty_cents) AS (VALUES {sets_sql}), "
        f"y AS (SELECT r.id AS id, a.criteria_set_id AS set_id, {fields_total} AS p, {bonus} AS b, {penalty} AS pen, "
        f"cap.max_cents - {na_total} AS m, COALESCE(t.sums, %s) AS sums "
        f"FROM {r} r INNER JOIN {a} a ON a.id = r.assessment_id INNER JOIN cap ON cap.set_id = a.criteria_set_id "
        f"LEFT JOIN {PIVOT_TABLE} t ON t.assessment_id = r.assessment_id WHERE r.round_id = %s{only_r}), "
        f"z AS (SELECT y.*, CASE WHEN p + b - pen > 0 THEN p + b - pen ELSE 0 END AS tot FROM y), "
        f"v AS (SELECT z.*, COALESCE({hundredths_sql('z.tot', 'z.m')}, 0) AS h FROM z), "
        f"w AS (SELECT v.*, {grade} AS grade_code FROM v) "
        f"UPDATE {r} SET achieved = w.p / 100.0, bonus = w.b / 100.0, penalty = w.pen / 100.0, "
        f"total = w.tot / 100.0, applicable_max = w.m / 100.0, par_index = w.h / 100.0, grade = w.grade_code, "
        f"sums = w.sums, computed_at = %s "
        f"FROM w WHERE {r}.id = w.id AND (ROUND({r}.achieved * 100) <> w.p OR ROUND({r}.bonus * 100) <> w.b "
        f"OR ROUND({r}.penalty * 100) <> w.pen OR ROUND({r}.total * 100) <> w.tot "
        f"OR ROUND({r}.applicable_max * 100) <> w.m OR ROUND({r}.par_index * 100) <> w.h "
        f"OR {r}.grade <> w.grade_code OR {r}.sums <> w.sums)",
        (f"{RULES_VERSION}:", rnd.pk, *(code for _s, _m, code in grades), now),
    )

    # 7. The ranks in the groups of those results, from the stored (rounded) indices.
    cursor.execute(
        f"UPDATE {r} SET rank = s.rank_no, computed_at = %s FROM (SELECT x.id AS id, RANK() OVER "
        f"(PARTITION BY x.group_id ORDER BY x.par_index DESC) AS rank_no FROM {r} x WHERE x.round_id = %s "
        f"AND x.group_id IN (SELECT r.group_id FROM {r} r WHERE r.round_id = %s{only_r})) s "
        f"WHERE {r}.id = s.id AND ({r}.rank IS NULL OR {r}.rank <> s.rank_no)",
        (now, rnd.pk, rnd.pk),
    )


def results_recompute_later(round_id: int, assessment_id: int | None = None) -> None:
    """Have the snapshot recomputed after the current transaction commits: of assessment ``assessment_id`` and
    its group's ranks when given — a change to one unit's scores —, of the whole round ``round_id`` otherwise
    (an import, publication).

    What counts is recorded in the database, in the caller's transaction (``PendingRecompute``, one row per
    round and assessment or whole round, updated by a burst of changes): the recompute happens even if the
    broker is down, the task is lost or the worker dies — the beat sweep (``results_pending_run``) does it.
    After the commit one attempt is made to enqueue ``reports.tasks.results_recompute`` at once; a failure
    (broker or cache unreachable) is logged, never raised into the caller's already committed work. Calls made
    while the same recompute is already queued are not enqueued again (a flag in the cache, shared with the
    workers, that the task clears when it starts): an optimisation only."""
    PendingRecompute.objects.bulk_create(
        [
            PendingRecompute(
                round_id=round_id,
                assessment_id=assessment_id,
                scope=assessment_id or 0,
                token=uuid.uuid4(),
                requested_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["round", "scope"],
        update_fields=["token", "requested_at"],
    )

    def enqueue_recompute() -> None:
        results_recompute_enqueue(round_id, assessment_id)

    transaction.on_commit(enqueue_recompute, robust=True)


def results_recompute_enqueue(round_id: int, assessment_id: int | None = None) -> bool:
    """Enqueue ``reports.tasks.results_recompute`` unless the same recompute is already queued (the cache flag);
    True when a task was published. A broker or cache outage is logged and gives False: the recorded
    ``PendingRecompute`` row stays for the sweep."""
    key = QUEUED_KEY.format(round_id, "all" if assessment_id is None else assessment_id)
    try:
        fresh = cache.add(key, True, QUEUED_SECONDS)
    except Exception:  # the cache is Redis too: when it is down, try the broker anyway
        logger.warning(
            "Bộ nhớ đệm không dùng được; vẫn thử gửi việc tính lại đợt %s", round_id, exc_info=True
        )
        fresh = True
    if not fresh:
        return False
    from ..tasks import results_recompute

    try:
        results_recompute.delay(round_id, assessment_id)
    except Exception:
        logger.warning(
            "Không gửi được việc tính lại kết quả (đợt %s, bản đánh giá %s) tới broker; lượt quét định kỳ sẽ "
            "tính lại.",
            round_id,
            assessment_id,
            exc_info=True,
        )
        results_queued_clear(round_id, assessment_id)
        return False
    return True


def results_queued_clear(round_id: int, assessment_id: int | None = None) -> None:
    """Clear the "recompute queued" cache flag (``results_recompute_enqueue``); a cache outage is ignored (the
    flag expires after ``QUEUED_SECONDS``)."""
    try:
        cache.delete(QUEUED_KEY.format(round_id, "all" if assessment_id is None else assessment_id))
    except Exception:
        logger.warning("Không xoá được cờ tính lại của đợt %s trong bộ nhớ đệm", round_id, exc_info=True)


def results_recompute_recorded(*, round_id: int, assessment_ids: list[int] | None = None) -> int:
    """Recompute round ``round_id`` (only ``assessment_ids`` and their groups' ranks when given; the whole round
    when None) with ``results_compute``, and delete, in the same transaction, the ``PendingRecompute`` rows this
    covers as they were before the recompute started (a row changed since — a later change — stays, and so does
    one a transaction in flight holds). Returns
    the number of results written (``results_compute``), 0 when the round no longer exists or none of the
    assessments does (their rows are deleted with them)."""
    pending = PendingRecompute.objects.filter(round_id=round_id)
    if assessment_ids is not None:
        pending = pending.filter(scope__in=assessment_ids)
    with transaction.atomic():
        seen = list(pending.values_list("pk", "token"))
        rnd = AssessmentRound.objects.filter(pk=round_id).first()
        written = 0
        if rnd is not None:
            if assessment_ids is None:
                written = results_compute(round=rnd)
            else:
                present = list(rnd.assessments.filter(pk__in=assessment_ids).values_list("pk", flat=True))
                written = results_compute(round=rnd, assessment_ids=present) if present else 0
        if seen:
            covered = Q()
            for pk, token in seen:
                covered |= Q(pk=pk, token=token)
            # A row locked now is being changed by a transaction in flight (a newer change): skip it rather
            # than wait for it (never a deadlock with a change that holds the row and waits for the round).
            free = PendingRecompute.objects.filter(covered).select_for_update(skip_locked=True)
            PendingRecompute.objects.filter(covered, pk__in=list(free.values_list("pk", flat=True))).delete()
    return written


def results_pending_run() -> int:
    """The sweep (Celery beat every minute, and at a worker's start): recompute every ``PendingRecompute`` left —
    per round, the whole round when one is owed, else the assessments owed — each round in its own transaction
    (``results_recompute_recorded``). A round whose recompute fails is logged and left for the next sweep.
    Returns the number of pending rows there were."""
    owed: dict[int, list[int] | None] = {}
    rows = 0
    for round_id, scope in PendingRecompute.objects.order_by("round_id", "scope").values_list(
        "round_id", "scope"
    ):
        rows += 1
        if scope == 0:
            owed[round_id] = None
        elif round_id not in owed:
            owed[round_id] = [scope]
        else:
            owed_ids = owed[round_id]
            if owed_ids is not None:
                owed_ids.append(scope)
    for round_id, assessment_ids in owed.items():
        try:
            results_recompute_recorded(round_id=round_id, assessment_ids=assessment_ids)
        except Exception:
            logger.exception("Tính lại kết quả của đợt %s thất bại; lượt quét sau sẽ thử lại", round_id)
    if rows:
        logger.info("Đã tính lại kết quả còn chờ: %s yêu cầu, %s đợt", rows, len(owed))
    return rows
