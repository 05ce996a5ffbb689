"""Writes of survey scores (điểm điều tra XHH; shared/DESIGN.md §6, issue 5).

Units never score survey leaves; the coordinator (Sở Nội vụ) or an admin brings the results in, one cell
at a time (``survey_score_set``) or as a workbook of aggregated results (``survey_results_import``). Both
write ``Score.survey_value`` (points, 0..leaf max, 2 decimals) and leave history with the user and the
reason. Errors: ``PermissionDenied`` (not coordinator/admin), ``InvalidTransition`` (round published),
``ValidationError`` (bad value, appraisal leaf), ``StaleEdit`` (edited since the version shown),
``Score.DoesNotExist`` (a leaf of another set). Nothing is stored when one is raised.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from assessments.models import Assessment, AssessmentRound, RoundState, Score
from criteria import scales
from criteria.models import Criterion, Source
from criteria.tree import Problem
from parindex.exceptions import InvalidTransition, StaleEdit
from units.models import Unit

from . import workbook

REASON = "Nhập điểm điều tra XHH"
REASON_IMPORT = "Nhập điểm điều tra XHH từ tệp Excel"
CENT = Decimal("0.01")


def _require_manager(by) -> None:
    if not by.has_perm("surveys.manage_results"):
        raise PermissionDenied("Chỉ Sở Nội vụ (điều phối) và quản trị viên được nhập điểm điều tra XHH.")


def _require_not_published(rnd: AssessmentRound) -> None:
    if rnd.state == RoundState.PUBLISHED:
        raise InvalidTransition("Đợt đánh giá đã công bố; không thể sửa điểm điều tra XHH.")


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
        raise ValidationError(f"Điểm {scales.format_decimal(points)} vượt điểm tối đa "
                              f"{scales.format_decimal(criterion.max_points)} của tiêu chí {criterion.code}.")
    return scales.plain(points)


@transaction.atomic
def survey_score_set(*, assessment: Assessment, criterion: Criterion, value, by, expected_version: int) -> Score:
    """Set (or, with a blank ``value``, clear) the survey score of one survey leaf of ``assessment``.

    ``value``: points as Decimal, number or text ("1,5" or "1.5"), 0..leaf max, ≤ 2 decimals.
    ``expected_version``: the row's version the user saw. Returns the score (unchanged when the value is
    the same). Raises ``PermissionDenied`` (not coordinator/admin), ``Score.DoesNotExist`` (the leaf is not
    in this assessment's set), ``ValidationError`` (appraisal leaf, bad value), ``InvalidTransition``
    (round published), ``StaleEdit`` (saved by someone else since ``expected_version``).
    """
    _require_manager(by)
    score = (Score.objects.select_for_update(of=("self",)).select_related("criterion", "assessment__round")
             .get(assessment_id=assessment.pk, criterion_id=criterion.pk))
    criterion = score.criterion
    if criterion.source != Source.SURVEY:
        raise ValidationError(f"Tiêu chí {criterion.code} là tiêu chí thẩm định, không nhận điểm điều tra XHH.")
    _require_not_published(score.assessment.round)
    if score.version != expected_version:
        current = ("chưa có điểm" if score.survey_value is None
                   else f"{scales.format_decimal(score.survey_value)} điểm")
        who = (score.updated_by.get_full_name() or score.updated_by.username) if score.updated_by else "người khác"
        when = timezone.localtime(score.updated_at).strftime("%H:%M %d/%m/%Y") if score.updated_at else ""
        raise StaleEdit(f"Điểm tiêu chí {criterion.code} vừa được {who} cập nhật lúc {when} (hiện là {current}). "
                        "Giá trị của bạn chưa được lưu; hãy xem giá trị hiện tại rồi lưu lại.", current=score)
    points = _points(value, criterion)
    if points == score.survey_value:
        return score
    score.survey_value = points
    score.version += 1
    score.updated_at = timezone.now()
    score.updated_by = by
    score._history_user = by
    score._change_reason = REASON
    score.save(update_fields=["survey_value", "version", "updated_at", "updated_by"])
    return score


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
    for c in (Criterion.objects.filter(criteria_set_id__in={a.criteria_set_id for a in assessments.values()})
              .annotate(n_children=Count("children"))):
        leaves[(c.criteria_set_id, c.code)] = c
    scores = {(s.assessment_id, s.criterion_id): s.pk
              for s in Score.objects.filter(assessment__round=round, criterion__source=Source.SURVEY)
              .only("pk", "assessment_id", "criterion_id")}
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
            bad(item.row, "A", f"Đơn vị {item.unit_code}, tiêu chí {item.leaf_code} bị lặp (đã có ở dòng {seen[key]}).")
            continue
        seen[key] = item.row
        unit = units.get(item.unit_code)
        if unit is None:
            bad(item.row, "A", f"Không có đơn vị mã '{item.unit_code}'.")
            continue
        assessment = assessments.get(unit.pk)
        if assessment is None:
            bad(item.row, "A", f"Đơn vị {unit.code} ({unit.name}) không có bản đánh giá trong đợt {round.year}.")
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
                bad(item.row, "C", f"Điểm {fmt(item.points)} vượt điểm tối đa {fmt(leaf.max_points)} "
                                   f"của tiêu chí {leaf.code}.")
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
            result.warnings.append(Problem(workbook.SHEET, None, None,
                                           f"Đơn vị {a.unit.name} chưa có kết quả điều tra XHH nào trong tệp."))
    result.summary = {"rows": len(read.rows), "units": len(with_results),
                      "leaves": len({leaf for _, leaf in seen}), "changed": len(writes)}
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
    _require_manager(by)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    _require_not_published(rnd)
    result, writes = survey_results_check(round=rnd, data=data)
    if dry_run or not result.ok:
        return result
    now = timezone.now()
    scores = list(Score.objects.select_for_update().filter(pk__in=writes))
    for score in scores:
        score.survey_value = writes[score.pk]
        score.version += 1
        score.updated_at = now
        score.updated_by = by
    bulk_update_with_history(scores, Score, ["survey_value", "version", "updated_at", "updated_by"],
                             batch_size=500, default_user=by, default_change_reason=REASON_IMPORT)
    result.imported = True
    return result

