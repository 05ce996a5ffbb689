"""Demo data for ``manage.py setup_portal --demo`` (issue 6 item 8): a living dashboard on the first run.

What ``demo_data_load(year, by=...)`` makes, every round it creates or fills named "(dữ liệu mẫu)" and every note it
writes marked the same way:

* rounds ``year − 2`` and ``year − 1``, published: the shipped workbooks (``fixtures/criteria/<GROUP>.xlsx``)
  imported for those years through ``criteria.services.criteria_set_import``, the round created by
  ``assessments.services.rounds.round_create``, one assessment per unit of each shipped group valid that year, self,
  appraised and survey scores on every leaf, every appraisal part final, and the results snapshot written by
  ``reports.results.services.results_compute`` (through ``assessments.signals.results_due``);
* the current round (``year``, opened by ``setup_portal``): every unit submitted and fully appraised (every part
  final), the provisional snapshot recomputed — except the units where someone holds an officer or head account (the
  demo officer's Sở Công Thương), which stay untouched drafts. So the only thing between the round and its
  publication is the demo unit's own cycle, which a new user can run with the printed accounts: the officer scores,
  the head submits, each owner agency's demo appraiser appraises its fields, the coordinator publishes (issue 12
  item 11; ``tests/test_demo_cycle.py``). A round with other units left half-way could never be published by them.

The numbers are made up but plausible, and the same on every run: each unit has a hidden quality q in 0.65–0.97
(``random.Random`` seeded with its code) and a yearly gain of −0.01…+0.05 (so the later year is better on
average); a leaf's points are q × max ± noise (``random.Random`` seeded with unit code and year), snapped to what
the leaf's kind accepts (``options`` / ``ratio``: the points of its options / bands, with a matching label or
numerator and denominator; ``yes_no``: 0 or max; ``range``: its step, default 0.25) and clamped to 0..max; survey
leaves get q × max ± noise to 2 decimals. Bonus and penalty leaves stay empty. A few appraisal leaves per unit are
claimed not applicable and accepted.

Writes of scores, parts and states bypass the per-score services and their audit (``bulk_create`` /
``bulk_update``, states set directly): acceptable ONLY for demo data, which no person entered. Round creation,
set import and set freezing go through their services; published rounds then get ``results_compute``.
Idempotent: a year that already has a round is left as it is (whoever made it), and the current round gets its
progress only while it is a demo round that nobody has moved beyond draft.
"""

import datetime
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from math import ceil
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from criteria.models import EXTRA_KINDS, CriteriaSet, Criterion, Kind, Source
from criteria.selectors import leaf_slots
from criteria.services import criteria_set_freeze, criteria_set_import
from criteria.shipped import COMMUNE_GROUP, commune_sets_load, shipped_set
from parindex.audit import audit_stamp
from parindex.exceptions import WorkbookInvalid
from units.models import Membership, Role, Unit, UnitGroup

from . import signals
from .models import (
    APPRAISAL_FIELDS,
    SELF_FIELDS,
    Assessment,
    AssessmentRound,
    AssessmentState,
    FieldAppraisal,
    PartState,
    RoundState,
    Score,
)
from .selectors.appraisal import leaf_parts
from .selectors.rounds import round_set_for_unit, round_sets_index
from .services.rounds import round_create, units_in_year
from .services.scoring import DEFAULT_STEP

#: Marks every demo round name and every demo note.
DEMO_MARK = "(dữ liệu mẫu)"
#: Unit groups whose criteria workbook ships in ``fixtures/criteria/<code>.xlsx``.
SHIPPED_GROUPS = ("SO", "DVSN", "TW", "HUYEN", COMMUNE_GROUP)
SEED = "parindex-demo"
QUALITY = (0.65, 0.97)
GAIN = (-0.01, 0.05)
#: Standard deviation of a leaf's achieved fraction around the unit's quality.
NOISE = 0.18

NA_NOTE = f"Đơn vị không phát sinh nhiệm vụ này trong năm đánh giá {DEMO_MARK}."
EXPLANATION = f"Tài liệu kiểm chứng lưu tại đơn vị, xuất trình khi thẩm định {DEMO_MARK}."
QUESTION = f"Đề nghị đơn vị bổ sung tài liệu kiểm chứng cho kết quả tự chấm {DEMO_MARK}."
CUT_COMMENT = f"Tài liệu kiểm chứng chưa chứng minh đủ mức tự chấm {DEMO_MARK}."

CENT = Decimal("0.01")


@dataclass
class DemoSummary:
    """What ``demo_data_load`` did. ``created`` / ``kept``: years of past rounds made now / left as found;
    ``sets_imported``: criteria sets imported for those years; ``assessments``, ``scores``, ``results``: rows written
    for the created rounds; ``progress``: current-round assessments by state after the demo progress (empty when the
    current round was left as found); ``seconds``: wall time."""

    year: int
    created: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)
    sets_imported: int = 0
    assessments: int = 0
    scores: int = 0
    results: int = 0
    progress: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def __str__(self) -> str:
        parts = []
        if self.created:
            years = ", ".join(map(str, self.created))
            parts.append(
                f"đã tạo đợt {years} (đã công bố; {self.sets_imported} bộ chỉ số, {self.assessments} bản, "
                f"{self.scores} điểm, {self.results} kết quả)"
            )
        if self.kept:
            parts.append(f"đợt {', '.join(map(str, self.kept))} đã có, giữ nguyên")
        if self.progress:
            labels = dict(AssessmentState.choices)
            states = ", ".join(f"{n} {labels[s].lower()}" for s, n in self.progress.items() if s != "draft")
            drafts = self.progress.get("draft", 0)
            parts.append(f"đợt {self.year}: {states}; {drafts} bản nháp chờ tài khoản mẫu tự chấm")
        else:
            parts.append(f"đợt {self.year}: giữ nguyên")
        seconds = f"{self.seconds:.1f}".replace(".", ",")
        return "Dữ liệu mẫu: " + "; ".join(parts) + f" ({seconds} giây)."


def demo_data_load(year: int, *, by, group_codes: Sequence[str] = SHIPPED_GROUPS) -> DemoSummary:
    """Load the demo rounds around ``year`` (see the module docstring), in one transaction; returns a ``DemoSummary``.

    ``by``: the coordinator the rounds are created by (needs ``assessments.manage_rounds``). ``group_codes``: the
    unit groups with a shipped workbook. Call it after the current round is opened (``setup_portal --demo``).
    Raises ``PermissionDenied`` when ``by`` may not manage rounds, ``UnitGroup.DoesNotExist`` for an unknown group,
    ``WorkbookInvalid`` when a shipped workbook does not import; nothing is stored then.
    """
    started = time.monotonic()
    summary = DemoSummary(year=year)
    with transaction.atomic():
        for past in (year - 2, year - 1):
            if AssessmentRound.objects.filter(year=past).exists():
                summary.kept.append(past)
                continue
            sets = _sets_for(past, group_codes, summary, by)
            _past_round(past, sets, by=by, current_year=year, summary=summary)
            summary.created.append(past)
        current = AssessmentRound.objects.filter(year=year).first()
        if current is not None:
            _current_progress(current, summary)
    summary.seconds = time.monotonic() - started
    return summary


# ---------------------------------------------------------------- sets and rounds


def _sets_for(
    year: int, group_codes: Sequence[str], summary: DemoSummary, by
) -> dict[UnitGroup, CriteriaSet]:
    """Each group's set for ``year``, imported from its shipped workbook when the group has none that year."""
    base = Path(settings.BASE_DIR) / "fixtures" / "criteria"
    sets = {}
    for code in group_codes:
        group = UnitGroup.objects.get(code=code)
        if code == COMMUNE_GROUP:
            # the communes' sample sets of the year's period (each district's before July 2025, the province's
            # after: ``criteria.shipped.commune_sets_load``); a district's set joins the round by itself
            summary.sets_imported += sum("đã nhập" in line for line in commune_sets_load(year, by=by))
            cs = CriteriaSet.objects.filter(group=group, year=year, parent_unit__isnull=True).first()
            if cs is not None:
                sets[group] = cs
            continue
        cs = CriteriaSet.objects.filter(group=group, year=year).first()
        if cs is None:
            path = base / f"{code}.xlsx"
            data, filename, _replaced = shipped_set(code, year)
            try:
                cs = criteria_set_import(group=group, year=year, data=data, filename=filename, by=by)
            except WorkbookInvalid as exc:
                exc.add_note(str(path))
                raise
            summary.sets_imported += 1
        sets[group] = cs
    return sets


def _aware(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _past_round(
    year: int, sets: dict[UnitGroup, CriteriaSet], *, by, current_year: int, summary: DemoSummary
) -> AssessmentRound:
    """Create round ``year`` with every unit scored, appraised and surveyed, publish it and compute its results."""
    d = datetime.date
    rnd = round_create(
        year=year,
        name=f"Đánh giá Chỉ số cải cách hành chính năm {year} {DEMO_MARK}",
        sets=sets,
        by=by,
        opens_on=d(year, 11, 15),
        self_assessment_deadline=d(year + 1, 1, 10),
        appraisal_1_deadline=d(year + 1, 2, 10),
        explanation_deadline=d(year + 1, 2, 25),
        appraisal_2_deadline=d(year + 1, 3, 10),
        publication_date=d(year + 1, 3, 31),
    )
    appraised_at = _aware(rnd.appraisal_2_deadline)
    plan = []  # (assessment, set leaves, parts keys)
    slots: dict[int, int] = {}  # {leaf id: computation slot}
    round_sets = list(rnd.round_sets.select_related("criteria_set"))
    index = round_sets_index(round_sets)
    of_set: dict[int, tuple[list[Criterion], set]] = {}
    for rs in round_sets:
        cs = rs.criteria_set
        criteria_set_freeze(criteria_set=cs, by=by)
        of_set[cs.pk] = (_leaves(cs), set(leaf_parts(cs.pk).values()))
        slots.update(leaf_slots(cs.pk))
    for group_id in dict.fromkeys(rs.group_id for rs in round_sets):
        for unit in units_in_year(group_id, year).order_by("order", "code"):
            chosen = round_set_for_unit(index, unit)
            if chosen is None:
                continue
            cs = chosen.criteria_set
            leaves, keys = of_set[cs.pk]
            submitted = _aware(
                rnd.self_assessment_deadline - datetime.timedelta(days=_rng(unit, year).randint(0, 9))
            )
            plan.append(
                (
                    Assessment(
                        round=rnd,
                        unit=unit,
                        criteria_set=cs,
                        state=AssessmentState.PUBLISHED,
                        submitted_at=submitted,
                    ),
                    leaves,
                    keys,
                )
            )
    created = bulk_create_with_history(
        [a for a, _, _ in plan], Assessment, default_user=by, default_change_reason=f"Dữ liệu mẫu {DEMO_MARK}"
    )
    if any(a.pk is None for a in created):  # pragma: no cover — backends without RETURNING
        by_unit = {a.unit_id: a for a in Assessment.objects.filter(round=rnd)}
        created = [by_unit[a.unit_id] for a, _, _ in plan]
    scores, parts = [], []
    for a, (_, leaves, keys) in zip(created, plan, strict=True):
        rng = _rng(a.unit, year)
        q = quality(a.unit.code, year, current_year)
        na = _not_applicable(leaves, rng)
        for leaf in leaves:
            s = Score(
                assessment=a,
                criterion=leaf,
                slot=slots[leaf.pk],
                version=1,
                updated_at=a.submitted_at,
                appraised_at=appraised_at,
            )
            if leaf.source == Source.SURVEY:
                s.survey_value = _survey_points(leaf, q, rng)
            elif leaf.pk in na:
                _claim_not_applicable(s, accepted=True)
            elif leaf.kind not in EXTRA_KINDS:
                _score_leaf(s, leaf, q, rng, appraised=True)
                s.version = 2
            scores.append(s)
        parts += [
            FieldAppraisal(
                assessment=a,
                field_id=f,
                owner_id=o,
                state=PartState.FINAL,
                round_1_closed_at=appraised_at,
                finalised_at=appraised_at,
            )
            for f, o in sorted(keys)
            if o is not None
        ]
    Score.objects.bulk_create(scores, batch_size=2000)
    FieldAppraisal.objects.bulk_create(parts, batch_size=2000)
    rnd.state = RoundState.PUBLISHED
    rnd.opened_at = _aware(rnd.opens_on, 8)
    rnd.opened_by = by
    audit_stamp(rnd, by, f"Công bố kết quả {DEMO_MARK}")
    rnd.save(update_fields=["state", "opened_at", "opened_by"])
    summary.assessments += len(created)
    summary.scores += len(scores)
    summary.results += signals.results_now(rnd)
    return rnd


def _current_progress(rnd: AssessmentRound, summary: DemoSummary) -> None:
    """Take every unit of the open demo round ``rnd`` without a demo officer or head to "appraised" (see the module
    docstring); nothing when the round is not an open demo round or someone already moved an assessment beyond
    draft."""
    if DEMO_MARK not in rnd.name or rnd.state != RoundState.OPEN:
        return
    if rnd.assessments.exclude(state=AssessmentState.DRAFT).exists():
        return
    protected = set(
        Membership.objects.filter(role__in=[Role.OFFICER, Role.HEAD]).values_list("unit_id", flat=True)
    )
    appraiser_units = set(Membership.objects.filter(role=Role.APPRAISER).values_list("unit_id", flat=True))
    assessments = [
        a
        for a in rnd.assessments.select_related("unit", "unit__group", "criteria_set").order_by(
            "unit__group__order", "unit__order", "unit__code"
        )
        if a.unit_id not in protected
    ]
    leaves_of = {
        cs_id: {c.pk: c for c in _leaves(cs)}
        for cs_id, cs in {a.criteria_set_id: a.criteria_set for a in assessments}.items()
    }
    now = timezone.now()
    changed_scores, changed_assessments, parts = [], [], []
    for a in assessments:
        unit_rng = _rng(a.unit, rnd.year)
        q = quality(a.unit.code, rnd.year, rnd.year)
        leaves = leaves_of[a.criteria_set_id]
        scores = sorted(Score.objects.filter(assessment=a), key=lambda s: leaves[s.criterion_id].order)
        scorable = [
            s
            for s in scores
            if leaves[s.criterion_id].source == Source.APPRAISAL
            and leaves[s.criterion_id].kind not in EXTRA_KINDS
        ]
        target = "appraised"
        na = _not_applicable(list(leaves.values()), unit_rng)
        for s in scorable:
            if s.criterion_id in na:
                _claim_not_applicable(s, accepted=None)
            else:
                _score_leaf(s, leaves[s.criterion_id], q, unit_rng, appraised=False)
                s.explanation = EXPLANATION if s.self_value else ""
            s.version, s.updated_at = 1, now - datetime.timedelta(days=unit_rng.randint(3, 9))
        a.state, a.updated_at = AssessmentState(target), now
        a.submitted_at = now - datetime.timedelta(days=unit_rng.randint(1, 3), hours=unit_rng.randint(0, 8))
        changed_assessments.append(a)
        parts += _current_parts(a, target, scorable, leaves, appraiser_units, unit_rng, now)
        changed_scores += scorable
    _rows_update(
        changed_scores,
        [*SELF_FIELDS, *APPRAISAL_FIELDS, "appraised_at", "version", "updated_at"],
    )
    Assessment.objects.bulk_update(changed_assessments, ["state", "submitted_at", "updated_at"])
    FieldAppraisal.objects.bulk_create(parts)
    signals.results_now(rnd)
    counts: dict[str, int] = {}
    for state in rnd.assessments.values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    summary.progress = {s: counts[s] for s, _ in AssessmentState.choices if s in counts}


def _rows_update(scores: list[Score], fields: list[str]) -> None:
    """``UPDATE … WHERE id = %s`` once per row, in one ``executemany``: ``bulk_update`` builds a CASE per field and
    row, which takes seconds for a few thousand rows. Values go through each field's ``get_db_prep_save``."""
    opts, q = Score._meta, connection.ops.quote_name
    columns = [opts.get_field(f) for f in fields]
    sql = (
        f"UPDATE {q(opts.db_table)} SET {', '.join(f'{q(c.column)} = %s' for c in columns)} "
        f"WHERE {q(opts.pk.column)} = %s"
    )
    params = [
        [c.get_db_prep_save(getattr(s, c.attname), connection) for c in columns] + [s.pk] for s in scores
    ]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _current_parts(
    a: Assessment,
    target: str,
    scorable: list[Score],
    leaves: dict[int, Criterion],
    appraiser_units: set[int],
    rng: random.Random,
    now,
) -> list[FieldAppraisal]:
    """The parts of a submitted current-round assessment in states that give ``target`` (the assessment state
    ``services.appraisal``'s state sync would derive), with the appraised scores they imply set on ``scorable``.
    Parts of an agency with a demo appraiser stay open unless the whole assessment is appraised."""
    keys_of = leaf_parts(a.criteria_set_id)
    keys = sorted({k for k in keys_of.values() if k[1] is not None})
    if target == "submitted":
        states = [PartState.PENDING] * len(keys)
    elif target == "appraised":
        states = [PartState.FINAL] * len(keys)
    elif target == "explanation":
        states = [PartState.FINAL] * len(keys)
        states[rng.randrange(len(keys))] = PartState.EXPLANATION
    else:  # appraisal_1: some final, some started, some not; at least one started and one still in round 1
        states = [rng.choice([PartState.FINAL, PartState.IN_PROGRESS, PartState.PENDING]) for _ in keys]
        states[0] = PartState.FINAL
        states[-1] = PartState.IN_PROGRESS
        for i, (_, owner) in enumerate(keys):
            if owner in appraiser_units and states[i] == PartState.FINAL:
                states[i] = PartState.IN_PROGRESS
    parts = []
    for key, state in zip(keys, states, strict=True):
        if target == "explanation" and key[1] in appraiser_units and state == PartState.FINAL:
            state = PartState.EXPLANATION if rng.random() < 0.5 else state
        part_scores = [s for s in scorable if keys_of.get(s.criterion_id) == key]
        closed = now - datetime.timedelta(hours=rng.randint(2, 30))
        if state == PartState.FINAL:
            decide = part_scores
        elif state == PartState.IN_PROGRESS:
            decide = part_scores[: max(1, len(part_scores) // 2)]
        elif state == PartState.EXPLANATION:
            decide = part_scores
            flagged = [s for s in part_scores if s.self_value][:2] or part_scores[:1]
            for s in flagged:
                s.needs_explanation, s.question = True, QUESTION
        else:
            decide = []
        for s in decide:
            if s.needs_explanation:
                continue
            _appraise_from_self(s, leaves[s.criterion_id], rng)
            s.appraised_at, s.version = closed, 2
        parts.append(
            FieldAppraisal(
                assessment=a,
                field_id=key[0],
                owner_id=key[1],
                state=state,
                round_1_closed_at=closed if state in (PartState.FINAL, PartState.EXPLANATION) else None,
                finalised_at=closed if state == PartState.FINAL else None,
            )
        )
    return parts


# ---------------------------------------------------------------- points


def quality(unit_code: str, year: int, current_year: int) -> float:
    """A unit's hidden quality in ``year`` (0.65–0.97, a fraction of the maximum it tends to achieve): its quality
    of ``current_year − 1`` (uniform in 0.65–0.97, seeded with the code) minus its yearly gain (−0.01…+0.05) per
    year before, plus it per year after; clamped to 0.65–0.97. Deterministic."""
    rng = random.Random(f"{SEED}:{unit_code}")
    base, gain = rng.uniform(*QUALITY), rng.uniform(*GAIN)
    return min(max(base + gain * (year - (current_year - 1)), QUALITY[0]), QUALITY[1])


def _rng(unit: Unit, year: int) -> random.Random:
    return random.Random(f"{SEED}:{unit.code}:{year}")


def _leaves(cs: CriteriaSet) -> list[Criterion]:
    """The set's leaves in print order."""
    nodes = list(Criterion.objects.filter(criteria_set=cs).order_by("order"))
    parents = {n.parent_id for n in nodes}
    return [n for n in nodes if n.pk not in parents]


def valid_points(leaf: Criterion) -> list[Decimal]:
    """The points an appraisal leaf accepts, ascending, within 0..max (``assessments.services.scoring.self_points``):
    options / ratio bands → their points; yes/no → 0 and max; range, bonus, penalty → 0..max on the step."""
    mx = leaf.max_points
    if leaf.kind in (Kind.OPTIONS, Kind.RATIO):
        values = {Decimal(item["points"]) for item in leaf.scale}
    elif leaf.kind == Kind.YES_NO:
        values = {Decimal(0), mx}
    else:
        step = leaf.step or DEFAULT_STEP
        values = {step * i for i in range(int(mx / step) + 1)}
    return sorted(v for v in values if 0 <= v <= mx) or [Decimal(0)]


def _snap(leaf: Criterion, fraction: float) -> Decimal:
    target = Decimal(str(min(max(fraction, 0.0), 1.0))) * leaf.max_points
    return min(valid_points(leaf), key=lambda v: (abs(v - target), -v))


def _survey_points(leaf: Criterion, q: float, rng: random.Random) -> Decimal:
    fraction = min(max(q + rng.gauss(0, NOISE / 2), 0.0), 1.0)
    return (Decimal(str(fraction)) * leaf.max_points).quantize(CENT, rounding=ROUND_HALF_UP)


def _figures(leaf: Criterion, points: Decimal, rng: random.Random) -> tuple[Decimal, Decimal]:
    """A numerator and denominator whose percentage falls in the highest band of ``leaf`` worth ``points``."""
    bands = leaf.scale
    i = next(i for i, b in enumerate(bands) if Decimal(b["points"]) == points)
    low = Decimal(bands[i]["min"])
    high = Decimal(bands[i - 1]["min"]) if i else None
    for den in (rng.randint(12, 240), 100, 1000):
        lo = max(ceil(low * den / 100), 0)
        hi = den if high is None else ceil(high * den / 100) - 1
        if lo <= hi:
            return Decimal(rng.randint(lo, hi)), Decimal(den)
    return Decimal(ceil(low * 10)), Decimal(1000)  # pragma: no cover — a band narrower than 0.1 %


def _fields_for(
    leaf: Criterion, points: Decimal, rng: random.Random
) -> tuple[Decimal, str, Decimal | None, Decimal | None]:
    """(points, option label, numerator, denominator) as the scoring services store them for ``leaf``."""
    if leaf.kind == Kind.OPTIONS:
        label = next(o["label"] for o in leaf.scale if Decimal(o["points"]) == points)
        return points, label, None, None
    if leaf.kind == Kind.RATIO:
        return (points, "", *_figures(leaf, points, rng))
    return points, "", None, None


def _score_leaf(s: Score, leaf: Criterion, q: float, rng: random.Random, *, appraised: bool) -> None:
    """Set the unit's self score on ``s`` (q × max ± noise, snapped), and with ``appraised`` the appraiser's score
    (the self score, or one valid step below it now and then: units tend to claim a little more)."""
    points = _snap(leaf, q + rng.gauss(0, NOISE))
    values = valid_points(leaf)
    claimed = points
    if appraised and rng.random() < 0.25 and points != values[-1]:
        claimed = values[values.index(points) + 1]
    s.self_value, s.self_option, s.numerator, s.denominator = _fields_for(leaf, claimed, rng)
    if appraised:
        (s.appraised_value, s.appraised_option, s.appraised_numerator, s.appraised_denominator) = _fields_for(
            leaf, points, rng
        )
        if points != claimed:
            s.appraisal_comment = CUT_COMMENT
        s.explanation = EXPLANATION if claimed else ""


def _appraise_from_self(s: Score, leaf: Criterion, rng: random.Random) -> None:
    """The appraiser's decision on a current-round leaf: accept the N/A claim, or the self score (one valid step
    below it now and then)."""
    if s.self_not_applicable:
        s.na_accepted = True
        return
    values = valid_points(leaf)
    points = s.self_value
    if rng.random() < 0.2 and points in values and points != values[0]:
        points = values[values.index(points) - 1]
        s.appraisal_comment = CUT_COMMENT
    if points == s.self_value:
        s.appraised_value, s.appraised_option = s.self_value, s.self_option
        s.appraised_numerator, s.appraised_denominator = s.numerator, s.denominator
    else:
        (s.appraised_value, s.appraised_option, s.appraised_numerator, s.appraised_denominator) = _fields_for(
            leaf, points, rng
        )


def _not_applicable(leaves: list[Criterion], rng: random.Random) -> set[int]:
    """0–2 appraisal leaves (never bonus/penalty nor survey) the unit claims not applicable."""
    candidates = [
        c.pk
        for c in leaves
        if c.source == Source.APPRAISAL and c.kind not in EXTRA_KINDS and c.max_points > 0
    ]
    n = rng.choice((0, 0, 1, 1, 2))
    return set(rng.sample(candidates, min(n, len(candidates))))


def _claim_not_applicable(s: Score, *, accepted: bool | None) -> None:
    s.self_not_applicable, s.note, s.na_accepted = True, NA_NOTE, accepted
