"""The PAR Index computation — the one place it is made (shared/DESIGN.md §5; issue 6).

``results_compute(round=...)`` writes the round's snapshot (``Result`` and ``ComponentResult`` rows);
pages, exports, the API and tasks read the snapshot and never compute an index themselves. Anything that
changes a score, a not-applicable decision, a survey result or a round's state calls
``results_recompute_later(round_id, assessment_id)`` so the snapshot follows (only the changed assessment's
figures and the round's ranks when one unit's scores changed).
"""

import logging
from decimal import Decimal

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    Q,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Left, NullIf, Rank, Round, StrIndex
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, RoundState, Score
from criteria.models import DEFAULT_BANDS, EXTRA_KINDS, POINTS, Criterion, GradeBand, Kind, Source

from .models import PERCENT, ComponentResult, Result

logger = logging.getLogger(__name__)

ZERO = Value(Decimal(0), output_field=DecimalField(**POINTS))
#: Cache key that marks a recompute as queued (``results_recompute_later``): of a round ({0}) and one of its
#: assessments ({1}), or of the whole round ({1} = "all").
QUEUED_KEY = "reports:recompute-queued:{}:{}"
QUEUED_SECONDS = 600


# ---------------------------------------------------------------- expressions

def _cents(points) -> ExpressionWrapper:
    """Points (2 decimals) as a whole number of hundredths, so the division below is exact integer arithmetic
    on every database (SQLite keeps decimals as floats)."""
    return Cast(Round(ExpressionWrapper(points * Value(100), output_field=DecimalField(**POINTS))),
                BigIntegerField())


def _hundredths_of_percent(points, maximum) -> ExpressionWrapper:
    """``points / maximum × 100`` in hundredths of a percent, rounded half up: floor((20000·p + m) / 2m) with p and
    m in hundredths of a point. NULL when ``maximum`` is 0."""
    p, m = _cents(points), _cents(maximum)
    return ExpressionWrapper((Value(20000) * p + m) / NullIf(Value(2) * m, Value(0)), output_field=BigIntegerField())


def _as_percent(hundredths) -> Func:
    """Hundredths of a percent as a percentage with 2 decimals (``/ 100.0``: numeric on PostgreSQL, float on
    SQLite; either way exactly the 2-decimal value once stored)."""
    return Func(hundredths, template="(%(expressions)s / 100.0)", output_field=DecimalField(**PERCENT))


#: The field (level-1 node) code of a leaf: its code up to the first "." ("3.2.1" → "3"; a field leaf "8" → "8").
FIELD_CODE = Case(
    When(criterion__code__contains=".",
         then=Left("criterion__code", ExpressionWrapper(StrIndex("criterion__code", Value(".")) - 1,
                                                        output_field=BigIntegerField()))),
    default=F("criterion__code"),
    output_field=CharField(),
)

#: A leaf that leaves both sums: the unit claimed it not applicable and its appraiser accepted.
NOT_APPLICABLE = Q(self_not_applicable=True, na_accepted=True)
#: Leaves that count toward achieved points and the applicable maximum (bonus and penalty never do).
COUNTED = (Q(criterion__source__in=[Source.APPRAISAL, Source.SURVEY]) & ~Q(criterion__kind__in=EXTRA_KINDS)
           & ~NOT_APPLICABLE)
#: A leaf's achieved points: the appraised score for appraisal leaves, the survey score for survey leaves; never the
#: self score. Unset is 0 (SUM skips NULL; the sums are wrapped in Coalesce).
ACHIEVED = Case(When(criterion__source=Source.SURVEY, then=F("survey_value")), default=F("appraised_value"),
                output_field=DecimalField(**POINTS))


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _capped(points, cap) -> Least:
    """min(Σ points or 0, cap) — bonus and penalty caps of the set (points)."""
    return Least(Coalesce(points, ZERO), cap, output_field=DecimalField(**POINTS))


def _grade(bands_by_set: dict[int, list[tuple[str, Decimal]]]) -> Case:
    """The code of the highest band whose ``min_percent`` ≤ the stored index, per the assessment's set; "" below
    every band. ``bands_by_set``: {set id: [(code, min %), …] highest first}."""
    whens = [When(assessment__criteria_set_id=set_id, par_index__gte=minimum, then=Value(code))
             for set_id, bands in bands_by_set.items() for code, minimum in bands]
    return Case(*whens, default=Value(""), output_field=CharField())


# ---------------------------------------------------------------- services

def results_compute(*, round: AssessmentRound, assessment_ids: list[int] | None = None) -> int:  # noqa: A002
    """Recompute the snapshot of ``round``: one ``Result`` per assessment and one ``ComponentResult`` per field of
    it, in one transaction and 9 queries whatever the number of units (+2 for the transaction's savepoint when
    called inside another one). Returns the number of results of the round.

    ``assessment_ids``: recompute only these assessments' figures (steps 1–3 below read and write only their rows),
    then the grades and ranks of the whole round (step 4) — what a change to one unit's scores needs: the same
    rules and statements, restricted; None (default) = every assessment of the round.

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

    How — all arithmetic in the database, Python only assembles the statements (ORM querysets, compiled, inside
    ``INSERT … SELECT … ON CONFLICT`` / ``UPDATE … FROM`` that PostgreSQL and SQLite ≥ 3.33 both accept):
    (1) upsert one result per assessment with its capped bonus and penalty, reading only those leaves' score rows;
    (2) upsert the component results from one pass over the round's score rows grouped by (assessment, field),
    a leaf's field being the part of its code before the first "."; (3) per result, Σ of its components, + bonus,
    − penalty, ÷ applicable max; (4) grade and ``RANK()`` from the stored index. A row whose figures did not change
    is not written, so a recompute after one score change writes a handful of rows; ``computed_at`` is when a row's
    figures were last written. No row is deleted: results cascade with their assessment and a frozen set's fields
    do not change.

    Raises ``AssessmentRound.DoesNotExist`` when the round no longer exists.
    """
    with transaction.atomic():
        rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)  # one recompute of a round at a time
        now = timezone.now()
        set_ids = list(Assessment.objects.filter(round=rnd).order_by().values_list("criteria_set_id", flat=True)
                       .distinct())
        bands_by_set: dict[int, list[tuple[str, Decimal]]] = {s: [] for s in set_ids}
        for set_id, code, minimum in (GradeBand.objects.filter(criteria_set_id__in=set_ids)
                                      .order_by("criteria_set_id", "-min_percent")
                                      .values_list("criteria_set_id", "code", "min_percent")):
            bands_by_set[set_id].append((code, minimum))
        for bands in bands_by_set.values():
            bands[:] = bands or [(code, minimum) for code, _label, minimum in DEFAULT_BANDS]
        extras = list(Criterion.objects.filter(criteria_set_id__in=set_ids, kind__in=EXTRA_KINDS)
                      .values_list("id", "kind"))
        # 0 is no leaf's id: a set without bonus (penalty) leaves still gives a valid, always false, condition.
        bonus_ids = [pk for pk, kind in extras if kind == Kind.BONUS] or [0]
        penalty_ids = [pk for pk, kind in extras if kind == Kind.PENALTY] or [0]

        r, c = Result._meta.db_table, ComponentResult._meta.db_table
        q = connection.ops.quote_name
        with connection.cursor() as cursor:
            # 1. One result row per assessment with its capped bonus and penalty: only the bonus and penalty
            #    leaves' score rows are read (joined on the (assessment, criterion) index).
            extra = Q(scores__criterion_id__in=bonus_ids + penalty_ids) & ~Q(scores__self_not_applicable=True,
                                                                             scores__na_accepted=True)
            only = {} if assessment_ids is None else {"pk__in": list(assessment_ids)}
            heads = (Assessment.objects.filter(round=rnd, **only).order_by()
                     .annotate(extra=FilteredRelation("scores", condition=extra))
                     .values(a_id=F("pk"), u_id=F("unit_id"), g_id=F("criteria_set__group_id"))
                     .annotate(bonus_pts=_capped(Sum("extra__appraised_value",
                                                     filter=Q(extra__criterion_id__in=bonus_ids)),
                                                 F("criteria_set__bonus_cap")),
                               penalty_pts=_capped(Sum("extra__appraised_value",
                                                       filter=Q(extra__criterion_id__in=penalty_ids)),
                                                   F("criteria_set__penalty_cap"))))
            sql, params = _sql(heads)
            cursor.execute(
                f"INSERT INTO {q(r)} (round_id, assessment_id, unit_id, group_id, achieved, bonus, penalty, total, "
                f"applicable_max, par_index, grade, provisional, computed_at) "
                f"SELECT %s, s.a_id, s.u_id, s.g_id, 0, s.bonus_pts, s.penalty_pts, 0, 0, 0, '', %s, %s "
                f"FROM ({sql}) s WHERE true ON CONFLICT (assessment_id) DO UPDATE SET unit_id = excluded.unit_id, "
                f"group_id = excluded.group_id, bonus = excluded.bonus, penalty = excluded.penalty, "
                f"provisional = excluded.provisional, computed_at = excluded.computed_at "
                f"WHERE {q(r)}.unit_id <> excluded.unit_id OR {q(r)}.group_id <> excluded.group_id "
                f"OR {q(r)}.bonus <> excluded.bonus OR {q(r)}.penalty <> excluded.penalty "
                f"OR {q(r)}.provisional <> excluded.provisional",
                (rnd.pk, rnd.state != RoundState.PUBLISHED, now, *params))

            # 2. Component results: one pass over the round's score rows, grouped by (assessment, field).
            scores = (Score.objects.filter(assessment__round=rnd) if assessment_ids is None
                      else Score.objects.filter(assessment_id__in=list(assessment_ids)))
            fields = (scores.order_by()
                      .values(a_id=F("assessment_id"), set_id=F("criterion__criteria_set_id"), field_code=FIELD_CODE)
                      .annotate(points=Coalesce(Sum(ACHIEVED, filter=COUNTED), ZERO),
                                max_pts=Coalesce(Sum("criterion__max_points", filter=COUNTED), ZERO))
                      .annotate(pct=_as_percent(_hundredths_of_percent(F("points"), F("max_pts")))))
            sql, params = _sql(fields)
            cursor.execute(
                f"INSERT INTO {q(c)} (result_id, field_id, achieved, applicable_max, index_percent) "
                f"SELECT res.id, fld.id, s.points, s.max_pts, s.pct FROM ({sql}) s "
                f"INNER JOIN {q(r)} res ON res.assessment_id = s.a_id "
                f"INNER JOIN {q(Criterion._meta.db_table)} fld ON fld.criteria_set_id = s.set_id "
                f"AND fld.code = s.field_code AND fld.parent_id IS NULL "
                f"WHERE true ON CONFLICT (result_id, field_id) DO UPDATE SET achieved = excluded.achieved, "
                f"applicable_max = excluded.applicable_max, index_percent = excluded.index_percent "
                f"WHERE {q(c)}.achieved <> excluded.achieved OR {q(c)}.applicable_max <> excluded.applicable_max "
                f"OR COALESCE({q(c)}.index_percent, -1) <> COALESCE(excluded.index_percent, -1)",
                params)

            # 3. Per result: Σ of its fields, total with bonus and penalty, index.
            results = (Result.objects.filter(round=rnd) if assessment_ids is None
                       else Result.objects.filter(round=rnd, assessment_id__in=list(assessment_ids)))
            totals = (results.order_by().values("id")
                      .annotate(points=Coalesce(Sum("components__achieved"), ZERO),
                                max_pts=Coalesce(Sum("components__applicable_max"), ZERO))
                      .annotate(total_pts=Greatest(F("points") + F("bonus") - F("penalty"), ZERO,
                                                   output_field=DecimalField(**POINTS)))
                      .annotate(pct=_as_percent(Coalesce(_hundredths_of_percent(F("total_pts"), F("max_pts")),
                                                         Value(0), output_field=BigIntegerField()))))
            sql, params = _sql(totals)
            cursor.execute(
                f"UPDATE {q(r)} SET achieved = s.points, applicable_max = s.max_pts, total = s.total_pts, "
                f"par_index = s.pct, computed_at = %s FROM ({sql}) s WHERE {q(r)}.id = s.id "
                f"AND ({q(r)}.achieved <> s.points OR {q(r)}.applicable_max <> s.max_pts "
                f"OR {q(r)}.total <> s.total_pts OR {q(r)}.par_index <> s.pct)", (now, *params))

            # 4. Grade and rank from the stored (rounded) index.
            ranked = (Result.objects.filter(round=rnd).order_by()
                      .values("id", grade_code=_grade(bands_by_set),
                              rank_no=Window(Rank(), partition_by=[F("group_id")], order_by=F("par_index").desc())))
            sql, params = _sql(ranked)
            cursor.execute(f"UPDATE {q(r)} SET grade = s.grade_code, rank = s.rank_no, computed_at = %s "
                           f"FROM ({sql}) s WHERE {q(r)}.id = s.id AND ({q(r)}.grade <> s.grade_code "
                           f"OR {q(r)}.rank IS NULL OR {q(r)}.rank <> s.rank_no)", (now, *params))
        count = Result.objects.filter(round=rnd).count()
    logger.info("PAR Index of round %s recomputed: %s results", rnd.year, count)
    return count


def results_recompute_later(round_id: int, assessment_id: int | None = None) -> None:
    """Recompute the snapshot in the background once the current transaction commits
    (``reports.tasks.results_recompute``): of assessment ``assessment_id`` and the round's grades and ranks when
    given — a change to one unit's scores —, of the whole round ``round_id`` otherwise (an import, publication).
    Calls made while the same recompute is already queued are dropped (a flag in the cache, shared with the
    workers, that the task clears when it starts), so a burst of changes costs one recompute."""
    def enqueue():
        key = QUEUED_KEY.format(round_id, "all" if assessment_id is None else assessment_id)
        if cache.add(key, True, QUEUED_SECONDS):
            from .tasks import results_recompute  # noqa: PLC0415 — tasks import this module

            results_recompute.delay(round_id, assessment_id)

    transaction.on_commit(enqueue)
