"""Writes of survey scores (điểm điều tra XHH; shared/DESIGN.md §6, issue 5).

Units never score survey leaves; the coordinator (Sở Nội vụ) or an admin brings the results in, one cell
at a time (``survey_score_set``), a row or page of the grid at once (``survey_values_set``), as a workbook of aggregated results (``survey_results_import``) or as a
workbook of raw questionnaire responses (``survey_responses_import``, points by ``surveys.scoring``; the
population N of each unit for the sample size is set by ``survey_population_set``). All three
write ``Score.survey_value`` (points, 0..leaf max, 2 decimals) and leave history with the user and the
reason. Errors: ``PermissionDenied`` (not coordinator/admin), ``InvalidTransition`` (round published),
``ValidationError`` (bad value, appraisal leaf), ``StaleEdit`` (edited since the version shown),
``Score.DoesNotExist`` (a leaf of another set). Nothing is stored when one is raised.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from assessments import signals
from assessments.models import Assessment, AssessmentRound, RoundState, Score
from assessments.services.scoring import stale_score
from criteria import scales
from criteria.models import Criterion, Source
from criteria.tree import Problem
from parindex.audit import audit_stamp
from parindex.exceptions import InvalidTransition, StaleEdit
from units.models import Unit
from units.permissions import require_perm

from . import responses, scoring, selectors, workbook
from .models import ResponseImport, ResponseTally, SurveyPopulation
from .rules import MANAGE_RESULTS_REFUSED

REASON = "Nhập điểm điều tra XHH"
REASON_IMPORT = "Nhập điểm điều tra XHH từ tệp Excel"
REASON_RESPONSES = "Tính điểm điều tra XHH từ phiếu khảo sát"
REASON_POPULATION = "Cập nhật tổng thể khảo sát N"
#: Largest population N accepted (people): above any province's population.
MAX_POPULATION = 100_000_000
CENT = Decimal("0.01")


def _require_not_published(rnd: AssessmentRound, what: str = "sửa điểm điều tra XHH") -> None:
    if rnd.state == RoundState.PUBLISHED:
        raise InvalidTransition(f"Đợt đánh giá đã công bố; không thể {what}.")


def percent_to_points(percent: Decimal, max_points: Decimal) -> Decimal:
    """Satisfaction % (0–100) → points of a leaf whose max is ``max_points``: % × max / 100, rounded to
    2 decimals half up (e.g. 87,5 % of 2 points → 1,75; 33,33 % of 1,5 → 0,5 from 0,499995)."""
    return (Decimal(percent) * Decimal(max_points) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _points(value, criterion: Criterion) -> Decimal | None:
    """The posted value as points: None when blank (clears the score); ``ValidationError`` when it is not
    a number with ≤ 2 decimals or lies outside 0..max."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        points = value if isinstance(value, Decimal) else scales.parse_decimal(value, what="Điểm")
    except scales.ScaleError as exc:
        raise ValidationError(str(exc)) from exc
    if not points.is_finite() or abs(points) > scales.MAX_NUMBER:
        raise ValidationError(f"Điểm '{value}' không phải là số hợp lệ.")
    if points != points.quantize(CENT):
        raise ValidationError(f"Điểm '{scales.format_decimal(points)}' có quá 2 chữ số thập phân.")
    if points < 0:
        raise ValidationError("Điểm không được âm.")
    if points > criterion.max_points:
        raise ValidationError(
            f"Điểm {scales.format_decimal(points)} vượt điểm tối đa "
            f"{scales.format_decimal(criterion.max_points)} của tiêu chí {criterion.code}."
        )
    return scales.plain(points)


def _checked_points(score: Score, value, expected_version: int) -> Decimal | None:
    """The rule of a survey cell, shared by the single save and the batch: ``score`` (with its criterion)
    must be a survey leaf's row still at ``expected_version``; ``value`` is read by ``_points``. Returns
    the points to store (None clears). Raises ``ValidationError`` (appraisal leaf, bad value) and
    ``StaleEdit`` (saved by someone else since ``expected_version``; ``current`` is ``score``)."""
    criterion = score.criterion
    if criterion.source != Source.SURVEY:
        raise ValidationError(
            f"Tiêu chí {criterion.code} là tiêu chí thẩm định, không nhận điểm điều tra XHH."
        )
    if score.version != expected_version:
        current = (
            "chưa có điểm"
            if score.survey_value is None
            else f"{scales.format_decimal(score.survey_value)} điểm"
        )
        raise stale_score(score, current=current, subject="Điểm tiêu chí")
    return _points(value, criterion)


@transaction.atomic
def survey_score_set(
    *, assessment: Assessment, criterion: Criterion, value, by, expected_version: int
) -> Score:
    """Set (or, with a blank ``value``, clear) the survey score of one survey leaf of ``assessment``.

    ``value``: points as Decimal, number or text ("1,5" or "1.5"), 0..leaf max, ≤ 2 decimals.
    ``expected_version``: the row's version the user saw. Returns the score (unchanged when the value is
    the same). Raises ``PermissionDenied`` (not coordinator/admin), ``Score.DoesNotExist`` (the leaf is not
    in this assessment's set), ``ValidationError`` (appraisal leaf, bad value), ``InvalidTransition``
    (round published), ``StaleEdit`` (saved by someone else since ``expected_version``).
    """
    require_perm(by, "surveys.manage_results", message=MANAGE_RESULTS_REFUSED)
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion", "assessment__round")
        .get(assessment_id=assessment.pk, criterion_id=criterion.pk)
    )
    if score.criterion.source == Source.SURVEY:  # an appraisal leaf is refused as such, published or not
        _require_not_published(score.assessment.round)
    points = _checked_points(score, value, expected_version)
    if points == score.survey_value:
        return score
    score.survey_value = points
    score.version += 1
    score.updated_at = timezone.now()
    score.updated_by = by
    audit_stamp(score, by, REASON)
    score.save(update_fields=["survey_value", "version", "updated_at", "updated_by"])
    signals.recompute_later(score.assessment.round_id, score.assessment_id)
    return score


SAVED, UNCHANGED, REFUSED = "saved", "unchanged", "refused"


@dataclass
class CellOutcome:
    """One cell of a batch: ``score`` as stored after the batch (the new value when saved, the stored one
    otherwise); ``state`` SAVED, UNCHANGED or REFUSED; ``message`` the Vietnamese reason of a refusal
    ("" otherwise); ``stale`` True when it was refused because someone else saved the cell meanwhile."""

    score: Score
    state: str
    message: str = ""
    stale: bool = False


@dataclass
class BatchResult:
    """What ``survey_values_set`` did: ``cells`` ``{(assessment id, criterion id): CellOutcome}``."""

    cells: dict = field(default_factory=dict)

    def count(self, state: str) -> int:
        return sum(1 for c in self.cells.values() if c.state == state)

    @property
    def saved(self) -> int:
        return self.count(SAVED)

    @property
    def refused(self) -> int:
        return self.count(REFUSED)

    @property
    def summary(self) -> str:
        """ "Đã lưu 3 ô; 1 ô chưa lưu được (xem thông báo cạnh ô)." — or "Không có thay đổi nào để lưu."."""
        if not self.saved and not self.refused:
            return "Không có thay đổi nào để lưu."
        text = f"Đã lưu {self.saved} ô"
        if self.refused:
            text += f"; {self.refused} ô chưa lưu được (xem thông báo cạnh ô)"
        return text + "."


@transaction.atomic
def survey_values_set(
    *, round: AssessmentRound, group, values: dict, by, reason: str = REASON
) -> BatchResult:
    """Save many cells of the survey grid of ``group`` (a ``UnitGroup``) in ``round`` at once (a row or a
    page of the grid).

    ``values``: ``{(assessment id, criterion id): (value, expected_version)}`` — the value as typed (as for
    ``survey_score_set``: "0,75" or "0.75", 0..leaf max, ≤ 2 decimals, blank clears) and the row's version
    the user saw. Every cell goes through the single save's rule (``_checked_points``). Decision (issue 12
    §1/§3, "no lost value, no silent refusal"): the cells are independent — every valid changed cell is
    saved even when others of the batch are refused, and each refusal is returned for the page to show
    next to its cell with the stored value; cells whose value equals the stored one are left untouched (no
    version bump, no history). All writes happen in one transaction, one history row per changed cell
    with ``by`` and ``reason``; the results are recomputed once for the batch (the unit's when one unit
    changed, the round's otherwise).
    Raises, storing nothing: ``PermissionDenied`` (not coordinator/admin), ``InvalidTransition`` (round
    published), ``Score.DoesNotExist`` (a key that is not a score row of a unit of ``group`` in ``round``).
    """
    require_perm(by, "surveys.manage_results", message=MANAGE_RESULTS_REFUSED)
    rnd = AssessmentRound.objects.get(pk=round.pk)
    _require_not_published(rnd)
    keys = set(values)
    rows = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion", "updated_by")
        .filter(
            assessment__round=rnd,
            assessment__unit__group=group,
            assessment_id__in={a for a, _ in keys},
            criterion_id__in={c for _, c in keys},
        )
    )
    scores = {(s.assessment_id, s.criterion_id): s for s in rows if (s.assessment_id, s.criterion_id) in keys}
    if len(scores) != len(keys):
        raise Score.DoesNotExist("Có ô không thuộc lưới điểm điều tra XHH của nhóm đơn vị này.")
    result = BatchResult()
    writes: dict[int, Decimal | None] = {}
    for key, (value, expected_version) in values.items():
        score = scores[key]
        try:
            points = _checked_points(score, value, expected_version)
        except StaleEdit as exc:
            result.cells[key] = CellOutcome(score, REFUSED, " ".join(exc.messages), stale=True)
            continue
        except ValidationError as exc:
            result.cells[key] = CellOutcome(score, REFUSED, " ".join(exc.messages))
            continue
        if points == score.survey_value:
            result.cells[key] = CellOutcome(score, UNCHANGED)
            continue
        writes[score.pk] = points
        result.cells[key] = CellOutcome(score, SAVED)
    if writes:
        _store_survey_values(writes, by=by, reason=reason)
        stored = Score.objects.select_related("criterion").in_bulk(writes)
        for outcome in result.cells.values():
            if outcome.state == SAVED:
                outcome.score = stored[outcome.score.pk]
        changed = {o.score.assessment_id for o in result.cells.values() if o.state == SAVED}
        signals.recompute_later(rnd.pk, changed.pop() if len(changed) == 1 else None)
    return result


@dataclass
class ImportResult:
    """What an import found (and, when ``imported``, wrote).

    ``problems``/``warnings``: ``criteria.tree.Problem`` lists (Vietnamese, by sheet/row/column).
    ``summary``: ``{"rows": n, "units": n, "leaves": n, "changed": n}`` — data rows, distinct units and
    distinct leaf codes in the file, score rows whose value differs from the stored one.
    ``values``: ``{(unit code, leaf code): points}`` as they will be (or were) stored.
    """

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def survey_results_check(*, round: AssessmentRound, data: bytes) -> tuple[ImportResult, dict]:
    """Validate a results workbook against ``round`` without writing. Returns the result and, for the
    writer, ``{score pk: points}``. Queries: a fixed number whatever the number of rows."""
    read = workbook.read_results(data)
    result = ImportResult(problems=list(read.problems))
    if not read.rows:  # the file or the sheet's shape is wrong: row checks would only add noise
        return result, {}
    units = {u.code: u for u in Unit.objects.all()}
    assessments = {a.unit_id: a for a in Assessment.objects.filter(round=round).select_related("unit")}
    leaves = {}
    for c in Criterion.objects.filter(
        criteria_set_id__in={a.criteria_set_id for a in assessments.values()}
    ).annotate(n_children=Count("children")):
        leaves[(c.criteria_set_id, c.code)] = c
    scores = {
        (s.assessment_id, s.criterion_id): s.pk
        for s in Score.objects.filter(assessment__round=round, criterion__source=Source.SURVEY).only(
            "pk", "assessment_id", "criterion_id"
        )
    }
    current = dict(Score.objects.filter(pk__in=scores.values()).values_list("pk", "survey_value"))
    seen: dict[tuple[str, str], int] = {}
    writes: dict[int, Decimal] = {}
    problems = result.problems

    def bad(row, column, message):
        problems.append(Problem(workbook.SHEET, row, column, message))

    for item in read.rows:
        if not item.unit_code or not item.leaf_code:
            continue  # already reported by the reader
        key = (item.unit_code, item.leaf_code)
        if key in seen:
            bad(
                item.row,
                "A",
                f"Đơn vị {item.unit_code}, tiêu chí {item.leaf_code} bị lặp (đã có ở dòng {seen[key]}).",
            )
            continue
        seen[key] = item.row
        unit = units.get(item.unit_code)
        if unit is None:
            bad(item.row, "A", f"Không có đơn vị mã '{item.unit_code}'.")
            continue
        assessment = assessments.get(unit.pk)
        if assessment is None:
            bad(
                item.row,
                "A",
                f"Đơn vị {unit.code} ({unit.name}) không có bản đánh giá trong đợt {round.year}.",
            )
            continue
        leaf = leaves.get((assessment.criteria_set_id, item.leaf_code))
        if leaf is None or leaf.n_children:
            what = "không có" if leaf is None else "không phải tiêu chí được chấm (có tiêu chí con)"
            bad(item.row, "B", f"Tiêu chí '{item.leaf_code}' {what} trong bộ chỉ số của đơn vị {unit.code}.")
            continue
        if leaf.source != Source.SURVEY:
            bad(item.row, "B", f"Tiêu chí {leaf.code} là tiêu chí thẩm định, không nhận điểm điều tra XHH.")
            continue
        fmt = scales.format_decimal
        if item.has_points and not item.has_percent and item.points is not None:
            if item.points < 0:
                bad(item.row, "C", "Điểm không được âm.")
                continue
            if item.points > leaf.max_points:
                bad(
                    item.row,
                    "C",
                    f"Điểm {fmt(item.points)} vượt điểm tối đa {fmt(leaf.max_points)} "
                    f"của tiêu chí {leaf.code}.",
                )
                continue
            points = item.points
        elif item.has_percent and not item.has_points and item.percent is not None:
            if not 0 <= item.percent <= 100:
                bad(item.row, "D", f"Tỷ lệ hài lòng {fmt(item.percent)}% phải trong khoảng 0–100.")
                continue
            points = percent_to_points(item.percent, leaf.max_points)
        else:
            continue  # both / neither / unreadable: reported by the reader
        pk = scores[(assessment.pk, leaf.pk)]
        result.values[key] = scales.plain(points)
        if current.get(pk) != points:
            writes[pk] = scales.plain(points)
    if problems:
        return result, {}
    with_results = {code for code, _ in seen}
    for a in sorted(assessments.values(), key=lambda a: (a.unit.order, a.unit.name)):
        if a.unit.code not in with_results:
            result.warnings.append(
                Problem(
                    workbook.SHEET,
                    None,
                    None,
                    f"Đơn vị {a.unit.name} chưa có kết quả điều tra XHH nào trong tệp.",
                )
            )
    result.summary = {
        "rows": len(read.rows),
        "units": len(with_results),
        "leaves": len({leaf for _, leaf in seen}),
        "changed": len(writes),
    }
    return result, writes


@transaction.atomic
def survey_results_import(*, round: AssessmentRound, data: bytes, by, dry_run: bool = False) -> ImportResult:
    """Check a workbook of aggregated survey results and, unless ``dry_run``, store every row's points.

    ``data``: .xlsx bytes in the layout of ``surveys.workbook``. A row gives points (0..max) or a
    satisfaction % (0–100 → ``percent_to_points``). All or nothing: when any row has a problem, nothing is
    written and ``result.problems`` lists them all (by row and column); ``imported`` tells whether the
    values were stored. Warnings (the round's units without any result) never block.
    Raises ``PermissionDenied`` (not coordinator/admin) and ``InvalidTransition`` (round published).
    """
    require_perm(by, "surveys.manage_results", message=MANAGE_RESULTS_REFUSED)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    _require_not_published(rnd)
    result, writes = survey_results_check(round=rnd, data=data)
    if dry_run or not result.ok:
        return result
    _store_survey_values(writes, by=by, reason=REASON_IMPORT)
    signals.recompute_later(rnd.pk)
    result.imported = True
    return result


def _store_survey_values(writes: dict[int, Decimal | None], *, by, reason: str) -> None:
    """Write ``{score pk: points or None (cleared)}`` to ``Score.survey_value`` in bulk (rows locked, version + 1), one
    history row per score with ``by`` and ``reason``. Call inside a transaction."""
    now = timezone.now()
    scores = list(Score.objects.select_for_update().filter(pk__in=writes))
    for score in scores:
        score.survey_value = writes[score.pk]
        score.version += 1
        score.updated_at = now
        score.updated_by = by
    bulk_update_with_history(
        scores,
        Score,
        ["survey_value", "version", "updated_at", "updated_by"],
        batch_size=500,
        default_user=by,
        default_change_reason=reason,
    )


# --- Raw questionnaire responses (issue 5 item 4) -------------------------------------------------------


@dataclass
class UnitResponses:
    """One unit of the round in a raw-response import.

    ``respondents``: questionnaires with at least one answer; ``answers``: answered cells; ``groups``:
    ``{respondent group: questionnaires}``; ``points``: ``[(survey leaf, points or None)]`` in print
    order (None: no answer, no points); ``population``: N (people) or None; ``required``: the sample size
    n for N (``scoring.sample_size``) or None.
    """

    assessment: Assessment
    respondents: int = 0
    answers: int = 0
    groups: dict = field(default_factory=dict)
    points: list = field(default_factory=list)
    population: int | None = None
    required: int | None = None

    @property
    def enough(self) -> bool | None:
        """Whether the respondents reach n; None while N is not entered."""
        return None if self.required is None else self.respondents >= self.required

    @property
    def total(self) -> Decimal:
        """Σ computed points of the unit's survey leaves (points)."""
        return sum((p for _, p in self.points if p is not None), Decimal(0))


@dataclass
class ResponsesResult:
    """What a raw-response import found (and, when ``imported``, wrote).

    ``problems``/``warnings``: ``criteria.tree.Problem`` lists (Vietnamese, by sheet/row/column).
    ``units``: one ``UnitResponses`` per unit of the round (group order), empty when there are problems.
    ``summary``: ``{"respondents", "answers", "units", "questions", "changed"}`` (counts; ``units`` = units
    with at least one questionnaire, ``changed`` = scores whose value differs from the stored one).
    ``values``: ``{(unit code, leaf code): points}`` of the leaves that get points. ``record``: the
    ``ResponseImport`` written by a real import.
    """

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    units: list[UnitResponses] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    imported: bool = False
    record: ResponseImport | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _round_leaves(assessments) -> tuple[dict, dict]:
    """``({set id: {code: survey leaf}}, {code: [nodes of any set]})`` for the sets of ``assessments``;
    leaves in print order. One query."""
    survey_leaves: dict[int, dict[str, Criterion]] = defaultdict(dict)
    by_code: dict[str, list[Criterion]] = defaultdict(list)
    for c in (
        Criterion.objects.filter(criteria_set_id__in={a.criteria_set_id for a in assessments})
        .annotate(n_children=Count("children"))
        .order_by("order")
    ):
        by_code[c.code].append(c)
        if c.source == Source.SURVEY and not c.n_children:
            survey_leaves[c.criteria_set_id][c.code] = c
    return survey_leaves, by_code


def _usable_questions(read, by_code: dict, year: int, bad) -> set:
    """The questions mapped to a survey leaf of at least one of the round's sets; ``bad(...)`` for the others'
    mapping rows (unknown leaf, appraisal leaf, parent node)."""
    usable = set()
    for question, mapping in read.mappings.items():
        if not mapping.leaf_code:
            continue
        nodes = by_code.get(mapping.leaf_code, [])
        if any(c.source == Source.SURVEY and not c.n_children for c in nodes):
            usable.add(question)
            continue
        if not nodes:
            message = f"Tiêu chí '{mapping.leaf_code}' không có trong bộ chỉ số nào của đợt {year}."
        elif any(not c.n_children for c in nodes):
            message = f"Tiêu chí {mapping.leaf_code} là tiêu chí thẩm định, không nhận điểm điều tra XHH."
        else:
            message = f"Tiêu chí '{mapping.leaf_code}' không phải tiêu chí được chấm (có tiêu chí con)."
        bad(responses.SHEET_MAPPING, mapping.row, "B", message)
    return usable


def _pooled_answers(read, usable: set, units: dict, by_unit: dict, survey_leaves: dict, year: int, bad):
    """``({(assessment pk, leaf pk): [(answer, weight)]}, {(assessment pk, group key): [group, questionnaires,
    answers]})`` over the respondents; ``bad(...)`` for unknown units, units without an assessment and answers
    to a question whose leaf is not a survey leaf of the unit's set."""
    pooled: dict[tuple[int, int], list] = defaultdict(list)
    tallies: dict[tuple[int, str], list] = {}
    for r in read.respondents:
        if not r.unit_code:
            continue  # reported by the reader
        unit = units.get(r.unit_code)
        if unit is None:
            bad(responses.SHEET_ANSWERS, r.row, "A", f"Không có đơn vị mã '{r.unit_code}'.")
            continue
        a = by_unit.get(unit.pk)
        if a is None:
            bad(
                responses.SHEET_ANSWERS,
                r.row,
                "A",
                f"Đơn vị {unit.code} ({unit.name}) không có bản đánh giá trong đợt {year}.",
            )
            continue
        leaves = survey_leaves.get(a.criteria_set_id, {})
        for question, answer in r.answers.items():
            if question not in usable:
                continue  # unmapped or mapped to a wrong leaf: reported once, on the question
            code = read.mappings[question].leaf_code
            leaf = leaves.get(code)
            if leaf is None:
                bad(
                    responses.SHEET_ANSWERS,
                    r.row,
                    read.questions[question],
                    f"Câu hỏi '{question}' ánh xạ tới tiêu chí {code}, không phải tiêu chí điều tra XHH trong bộ "
                    f"chỉ số của đơn vị {unit.code}.",
                )
                continue
            weight = read.weight(question, r.group_key)
            if weight is not None:
                pooled[(a.pk, leaf.pk)].append((answer, weight))
        tally = tallies.setdefault((a.pk, r.group_key), [read.groups.get(r.group_key, r.group), 0, 0])
        tally[1] += 1
        tally[2] += len(r.answers)
    return pooled, tallies


def _unit_points(
    result: ResponsesResult,
    a: Assessment,
    item: UnitResponses,
    leaves: dict,
    pooled: dict,
    scores: dict,
    writes: dict,
) -> None:
    """Points of ``a``'s survey leaves into ``item`` and ``result.values``, changed ones into ``writes``
    ({score pk: points}); warnings for a unit without questionnaires, leaves without answers, too few
    respondents for n."""

    def warn(message):  # about a unit, not a cell
        result.warnings.append(Problem("", None, None, message))

    result.units.append(item)
    if not item.respondents:
        warn(f"Đơn vị {a.unit.name} chưa có phiếu nào trong tệp; điểm điều tra XHH của đơn vị giữ nguyên.")
        return
    missing = []
    for leaf in leaves.values():
        points = scoring.leaf_points(pooled.get((a.pk, leaf.pk), ()), leaf.max_points)
        item.points.append((leaf, points))
        if points is None:
            missing.append(leaf.code)
            continue
        result.values[(a.unit.code, leaf.code)] = scales.plain(points)
        score = scores.get((a.pk, leaf.pk))
        if score is not None and score.survey_value != points:
            writes[score.pk] = scales.plain(points)
    if missing:
        warn(
            f"Đơn vị {a.unit.name}: tiêu chí {', '.join(missing)} chưa có câu trả lời nào nên không được "
            "tính điểm (điểm hiện có, nếu có, giữ nguyên)."
        )
    if item.enough is False:
        warn(
            f"Đơn vị {a.unit.name} có {item.respondents} phiếu, chưa đủ cỡ mẫu cần thiết n = {item.required} "
            f"(tổng thể N = {item.population})."
        )


def survey_responses_check(*, round: AssessmentRound, data: bytes) -> tuple[ResponsesResult, dict, dict]:
    """Validate a raw-response workbook against ``round`` and compute the points, without writing.

    Returns the result, ``{score pk: points}`` to write and the tallies ``{(assessment pk, group key):
    [group as written, questionnaires, answers]}``. Checks beyond ``responses.read_responses``: unit codes
    (unknown, or without an assessment in the round), mapped leaf codes (unknown in the round's sets,
    appraisal leaf, parent node) and answers to a question whose leaf is not a survey leaf of the
    respondent's unit's set. Points per ``scoring.leaf_points``. A fixed number of queries.
    """
    read = responses.read_responses(data)
    result = ResponsesResult(problems=list(read.problems), warnings=list(read.warnings))
    if not read.respondents and not read.mappings:  # the file or the sheets' shape is wrong
        return result, {}, {}
    writes, tallies = responses_points(round=round, read=read, result=result)
    return result, writes, tallies


def responses_points(
    *, round: AssessmentRound, read: responses.ReadResponses, result: ResponsesResult, unit_ids=None
) -> tuple[dict, dict]:
    """The points of ``read``'s questionnaires (from a workbook, or the online answers of
    ``surveys.online``) into ``result`` (problems, warnings, per-unit points, summary), without writing.

    ``unit_ids``: only these units' assessments are listed (None: every unit of the round). Returns
    ``({score pk: points} to write, {(assessment pk, group key): [group, questionnaires, answers]})``, both
    empty when ``result`` has problems. One rule for both sources: ``scoring.leaf_points``.
    """
    units = {u.code: u for u in Unit.objects.all()}
    assessments = list(
        Assessment.objects.filter(round=round)
        .filter(**({} if unit_ids is None else {"unit_id__in": unit_ids}))
        .select_related("unit", "survey_population")
        .order_by("unit__group__order", "unit__group__code", "unit__order", "unit__name")
    )
    by_unit = {a.unit_id: a for a in assessments}
    survey_leaves, by_code = _round_leaves(assessments)

    def bad(sheet, row, column, message):
        result.problems.append(Problem(sheet, row, column, message))

    usable = _usable_questions(read, by_code, round.year, bad)
    pooled, tallies = _pooled_answers(read, usable, units, by_unit, survey_leaves, round.year, bad)
    if result.problems:
        return {}, {}

    scores = {
        (s.assessment_id, s.criterion_id): s
        for s in Score.objects.filter(assessment__round=round, criterion__source=Source.SURVEY).only(
            "pk", "assessment_id", "criterion_id", "survey_value"
        )
    }
    writes: dict[int, Decimal] = {}
    per_unit: dict[int, UnitResponses] = {}
    for a in assessments:
        population = selectors.population_of(a)
        per_unit[a.pk] = UnitResponses(
            assessment=a,
            population=population,
            required=scoring.sample_size(population) if population else None,
        )
    for (assessment_pk, _), (group, n, k) in tallies.items():
        item = per_unit[assessment_pk]
        item.respondents += n
        item.answers += k
        item.groups[group] = n
    for a in assessments:
        _unit_points(
            result, a, per_unit[a.pk], survey_leaves.get(a.criteria_set_id, {}), pooled, scores, writes
        )
    counted = [u for u in result.units if u.respondents]
    result.summary = {
        "respondents": sum(u.respondents for u in counted),
        "answers": sum(u.answers for u in counted),
        "units": len(counted),
        "questions": len(read.mappings),
        "changed": len(writes),
    }
    return writes, tallies


@transaction.atomic
def survey_responses_import(
    *, round: AssessmentRound, data: bytes, filename: str, by, dry_run: bool = False
) -> ResponsesResult:
    """Check a workbook of raw questionnaire responses and, unless ``dry_run``, store the computed points.

    ``data``: .xlsx bytes in the layout of ``surveys.responses``; ``filename``: the uploaded file's name
    (kept in the import record). Points per survey leaf and unit follow ``scoring.leaf_points`` (weighted
    mean of (a − 1)/4 × leaf max, 2 decimals half up; DESIGN.md §6, issue 5 item 4). All or nothing: when
    any cell has a problem nothing is written and ``result.problems`` lists them all by sheet, row and
    column. A real import writes ``Score.survey_value`` of every leaf that gets points (history with
    ``by`` and "Tính điểm điều tra XHH từ phiếu khảo sát"), leaves without answers untouched, and records a
    ``ResponseImport`` with its per-unit tallies. Warnings (units without questionnaires, leaves without
    answers, too few respondents for n) never block.
    Raises ``PermissionDenied`` (not coordinator/admin) and ``InvalidTransition`` (round published).
    """
    require_perm(by, "surveys.manage_results", message=MANAGE_RESULTS_REFUSED)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    _require_not_published(rnd)
    result, writes, tallies = survey_responses_check(round=rnd, data=data)
    if dry_run or not result.ok:
        return result
    _store_survey_values(writes, by=by, reason=REASON_RESPONSES)
    signals.recompute_later(rnd.pk)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255] or "(không tên)"
    record = ResponseImport.objects.create(round=rnd, filename=name, imported_by=by, **result.summary)
    ResponseTally.objects.bulk_create(
        [
            ResponseTally(
                response_import=record,
                assessment_id=assessment_pk,
                respondent_group=group[:200],
                respondents=n,
                answers=k,
            )
            for (assessment_pk, _), (group, n, k) in tallies.items()
        ]
    )
    result.imported = True
    result.record = record
    return result


def _population(value) -> int:
    """Population N as typed: a whole number ≥ 1 ("500", "1.500" or "1 500" with thousands separators)."""
    if isinstance(value, bool):
        raise ValidationError(f"Tổng thể N '{value}' phải là số nguyên dương.")
    if isinstance(value, int):
        number = value
    else:
        text = scales.nfc(str(value or "")).strip()
        if not text:
            raise ValidationError("Hãy nhập tổng thể N (số người thuộc đối tượng khảo sát, số nguyên dương).")
        if not re.fullmatch(r"\d+|\d{1,3}(?:[.\s\u00a0]\d{3})+", text):
            raise ValidationError(f"Tổng thể N '{text}' phải là số nguyên dương, ví dụ 500 hoặc 1.500.")
        number = int(re.sub(r"\D", "", text))
    if number < 1:
        raise ValidationError("Tổng thể N phải lớn hơn 0.")
    if number > MAX_POPULATION:
        raise ValidationError(
            f"Tổng thể N {number:,} vượt giới hạn {MAX_POPULATION:,} người.".replace(",", ".")
        )
    return number


@transaction.atomic
def survey_population_set(*, assessment: Assessment, size, by) -> SurveyPopulation:
    """Set the population N (people) of ``assessment``'s unit for the round's survey; the page compares the
    unit's questionnaires with the sample size n = N / (1 + N·e²), e = 5 % (``scoring.sample_size``).

    ``size``: a whole number ≥ 1 as int or text ("1.500" accepted). Returns the row (unchanged when the
    value is the same); history keeps ``by`` and "Cập nhật tổng thể khảo sát N". Raises
    ``PermissionDenied`` (not coordinator/admin), ``ValidationError`` (blank, not a positive whole number,
    above ``MAX_POPULATION``), ``InvalidTransition`` (round published).
    """
    require_perm(by, "surveys.manage_results", message=MANAGE_RESULTS_REFUSED)
    a = Assessment.objects.select_for_update(of=("self",)).select_related("round").get(pk=assessment.pk)
    _require_not_published(a.round, "sửa tổng thể khảo sát")
    number = _population(size)
    row = SurveyPopulation.objects.filter(assessment=a).first() or SurveyPopulation(assessment=a)
    if row.pk and row.size == number:
        return row
    row.size = number
    row.updated_at = timezone.now()
    row.updated_by = by
    audit_stamp(row, by, REASON_POPULATION)
    row.save()
    return row
