"""Reads of the self-assessment: the scoring sheet, what blocks submission, the unit's assessments, a
leaf's history and the progress aggregates. Visibility always goes through
``permissions.assessments_visible_to``.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, DecimalField, Field, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from criteria.models import EXTRA_KINDS, POINTS, Criterion, Source
from criteria.scales import format_decimal
from units.models import Role
from units.permissions import units_of

from .. import scoring_rules
from ..models import APPRAISAL_FIELDS, SELF_FIELDS, Assessment, Evidence, EvidenceLink, Score
from ..permissions import assessments_visible_to

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


def assessment_get(*, user, pk) -> Assessment:
    """An assessment ``user`` may see, with round, unit and set; ``Assessment.DoesNotExist`` otherwise (404)."""
    return (
        assessments_visible_to(user).select_related("round", "unit", "unit__group", "criteria_set").get(pk=pk)
    )


@dataclass
class Row:
    """One node on the scoring page. ``score`` and ``evidence`` only on leaves; ``self_total`` (points) is
    the sum of the unit's self scores below a parent (appraisal leaves, bonus/penalty excluded)."""

    node: Criterion
    depth: int
    is_leaf: bool
    score: Score | None = None
    evidence: list = field(default_factory=list)
    self_total: Decimal = Decimal(0)
    appraisal_max: Decimal = Decimal(0)
    scored: int = 0
    leaves: int = 0

    @property
    def is_survey(self) -> bool:
        return self.node.source == Source.SURVEY

    @property
    def is_checked(self) -> bool:
        """A leaf the submission check looks at (``submission_problems``): an appraisal leaf, bonus and penalty
        aside."""
        return self.is_leaf and not self.is_survey and self.node.kind not in EXTRA_KINDS

    @property
    def is_unscored(self) -> bool:
        """Blocks submission as not scored: a checked leaf without a self score nor a not-applicable claim."""
        return self.is_checked and not (self.score and self.score.is_scored)

    @property
    def needs_explanation(self) -> bool:
        """Blocks submission for want of evidence: a checked leaf scored above 0 without evidence nor explanation
        (``scoring_rules.lacks_evidence``, the rule of ``submission_problems``)."""
        return bool(
            self.is_checked
            and self.score
            and scoring_rules.lacks_evidence(self.score, evidence=len(self.evidence))
        )


@dataclass
class ScoringSheet:
    """The whole page: rows in print order, field rows, totals (points) and progress."""

    assessment: Assessment
    rows: list[Row]
    documents: list[Evidence]
    self_total: Decimal
    appraisal_max: Decimal
    scored: int
    leaves: int
    without_evidence: int
    survey_total: Decimal = Decimal(0)
    survey_max: Decimal = Decimal(0)

    @property
    def fields(self) -> list[Row]:
        return [r for r in self.rows if r.depth == 0]

    @property
    def progress_percent(self) -> int:
        return int(self.scored * 100 / self.leaves) if self.leaves else 0


def scoring_sheet(assessment: Assessment) -> ScoringSheet:
    """The unit's tree with its scores and evidence, totals per node and progress, in 3 queries whatever
    the size of the set (nodes; scores; evidence links with their documents)."""
    nodes = list(Criterion.objects.filter(criteria_set_id=assessment.criteria_set_id).order_by("order"))
    scores = {
        s.criterion_id: s for s in Score.objects.filter(assessment=assessment).select_related("updated_by")
    }
    links = (
        EvidenceLink.objects.filter(score__assessment=assessment)
        .select_related("evidence")
        .order_by("created_at")
    )
    by_score = defaultdict(list)
    documents = {}
    for link in links:
        by_score[link.score_id].append(link.evidence)
        documents[link.evidence_id] = link.evidence
    parent_codes = {n.code.rpartition(".")[0] for n in nodes}
    rows = {}
    for n in nodes:
        leaf = n.code not in parent_codes
        score = scores.get(n.pk) if leaf else None
        rows[n.code] = Row(
            node=n,
            depth=n.level - 1,
            is_leaf=leaf,
            score=score,
            evidence=by_score.get(score.pk, []) if score else [],
        )
    total, maximum, scored, leaves, without = Decimal(0), Decimal(0), 0, 0, 0
    survey_total = survey_max = Decimal(0)
    for row in rows.values():
        n = row.node
        if row.is_leaf and row.is_survey:
            survey_max += n.max_points
            survey_total += (row.score.survey_value or 0) if row.score else 0
        if not row.is_leaf or row.is_survey or n.kind in EXTRA_KINDS:
            continue
        value = row.score.self_value if row.score else None
        done = bool(row.score and row.score.is_scored)
        leaves += 1
        scored += done
        without += not row.evidence
        total += value or 0
        maximum += n.max_points
        code = n.code.rpartition(".")[0]
        while code:
            parent = rows[code]
            parent.self_total += value or 0
            parent.appraisal_max += n.max_points
            parent.leaves += 1
            parent.scored += done
            code = code.rpartition(".")[0]
    return ScoringSheet(
        assessment=assessment,
        rows=list(rows.values()),
        documents=list(documents.values()),
        self_total=total,
        appraisal_max=maximum,
        scored=scored,
        leaves=leaves,
        without_evidence=without,
        survey_total=survey_total,
        survey_max=survey_max,
    )


def submission_problems(assessment: Assessment) -> list[tuple[Score, str]]:
    """What blocks submission, as ``[(score, Vietnamese message)]`` in print order: appraisal leaves not
    scored, and leaves scored above 0 without evidence nor explanation (issue 3 §4–5). Two queries."""
    scores = (
        Score.objects.filter(assessment=assessment, criterion__source=Source.APPRAISAL)
        .exclude(criterion__kind__in=EXTRA_KINDS)
        .select_related("criterion")
        .annotate(n_evidence=Count("evidence_links"))
        .order_by("criterion__order")
    )
    problems: list[tuple[Score, str]] = []
    for s in scores:
        code = s.criterion.code
        if not s.is_scored:
            problems.append((s, f"Tiêu chí {code} chưa được chấm điểm."))
        elif scoring_rules.lacks_evidence(s, evidence=s.n_evidence):
            problems.append(
                (
                    s,
                    f"Tiêu chí {code} có điểm {format_decimal(s.self_value)} nhưng chưa có tài liệu "
                    "kiểm chứng; hãy tải tài liệu lên hoặc ghi giải trình.",
                )
            )
    return problems


def assessments_for_units(*, user) -> "QuerySet[WithAnnotations[Assessment, Progress]]":
    """The assessments of the units where ``user`` is officer or head, newest round first, annotated as
    ``with_progress`` (``n_leaves``, ``n_scored``, ``self_total``, ``appraisal_max``). One query."""
    return with_progress(
        Assessment.objects.filter(unit_id__in=units_of(user, Role.OFFICER, Role.HEAD)).select_related(
            "round", "unit", "criteria_set"
        )
    ).order_by("-round__year", "unit__name")


@dataclass
class HistoryEntry:
    """One line of ``leaf_history``: when (aware datetime), who (a name or "hệ thống"), what ("Điểm", "Gắn tài
    liệu"…), the changes as ``(field label, old, new)`` texts, and the reason recorded with the change."""

    when: datetime.datetime
    who: str
    what: str
    changes: list[tuple[str, str, str]]  # (field label, old, new)
    reason: str


#: The columns a leaf's history shows (``leaf_history``), in this order.
_SCORE_FIELDS = (*SELF_FIELDS, "survey_value", *APPRAISAL_FIELDS, "answer")


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, Decimal):
        return format_decimal(value)
    return str(value)


def _score_column(name: str) -> Field:
    """The ``Score`` column ``name`` (one of ``_SCORE_FIELDS``: each is a concrete field, not a relation)."""
    column = Score._meta.get_field(name)
    assert isinstance(column, Field), name
    return column


def leaf_history(score: Score) -> list[HistoryEntry]:
    """Every change of a leaf's score, note, explanation and evidence, newest first: who, when, old → new."""
    entries = []
    records = list(score.history.select_related("history_user").order_by("history_date", "history_id"))
    columns = {f: _score_column(f) for f in _SCORE_FIELDS}
    labels = {f: str(column.verbose_name) for f, column in columns.items()}
    # Score rows are created empty (without history) when the round opens: compare the first record to that.
    empty = {f: column.get_default() for f, column in columns.items()}
    previous = empty
    for record in records:
        now = {f: getattr(record, f) for f in _SCORE_FIELDS}
        changes = [
            (labels[f], _show(previous[f]), _show(now[f])) for f in _SCORE_FIELDS if previous[f] != now[f]
        ]
        previous = now
        if changes:
            entries.append(
                HistoryEntry(
                    record.history_date, _who(record), "Điểm", changes, record.history_change_reason or ""
                )
            )
    link_records = list(
        EvidenceLink.history.filter(score_id=score.pk).select_related("history_user").order_by("history_date")
    )
    names = {}  # the document's name when first stored (it may since have been deleted): one query
    for doc in Evidence.history.filter(id__in={r.evidence_id for r in link_records}).order_by(
        "-history_date"
    ):
        names[doc.id] = doc.doc_number or doc.original_name
    for record in link_records:
        name = names.get(record.evidence_id, f"#{record.evidence_id}")
        action = {"+": "Gắn tài liệu", "-": "Gỡ tài liệu"}.get(record.history_type, "Sửa tài liệu")
        entries.append(
            HistoryEntry(
                record.history_date,
                _who(record),
                action,
                [
                    (
                        "Tài liệu kiểm chứng",
                        "—" if record.history_type == "+" else name,
                        name if record.history_type == "+" else "—",
                    )
                ],
                record.history_change_reason or "",
            )
        )
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _who(record) -> str:
    user = record.history_user
    return (user.get_full_name() or user.username) if user else "hệ thống"


class Progress(TypedDict):
    """The annotations of ``with_progress`` on an assessment (points as ``Decimal``)."""

    n_leaves: int
    n_scored: int
    self_total: Decimal
    appraisal_max: Decimal | None


def with_progress(assessments: QuerySet[Assessment]) -> "QuerySet[WithAnnotations[Assessment, Progress]]":
    """``assessments`` annotated with per-assessment aggregates over its score rows (one row per leaf):
    ``n_leaves`` (appraisal leaves, bonus/penalty excluded), ``n_scored``, ``self_total`` (points, 0 when
    nothing is scored) and ``appraisal_max`` (points)."""
    leaf = Q(scores__criterion__source=Source.APPRAISAL) & ~Q(scores__criterion__kind__in=EXTRA_KINDS)
    return assessments.annotate(
        n_leaves=Count("scores", filter=leaf),
        n_scored=Count("scores", filter=leaf & scoring_rules.scored("scores__")),
        self_total=Coalesce(
            Sum("scores__self_value", filter=leaf), Value(Decimal(0)), output_field=DecimalField(**POINTS)
        ),
        appraisal_max=Sum("scores__criterion__max_points", filter=leaf),
    )
