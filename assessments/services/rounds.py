"""Writes of rounds (shared/DESIGN.md §4; issue 3): create, edit (dates, name, sets) and open a round —
opening freezes its sets and makes one assessment per unit and one score row per leaf.

The services' contract (actor, locks, history, errors): ``assessments.services``.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from criteria.models import CriteriaSet
from criteria.selectors import leaf_slots
from criteria.services import criteria_set_freeze
from parindex.audit import audit_stamp
from parindex.exceptions import InvalidTransition
from units.models import UnitGroup
from units.permissions import require_perm
from units.reorganisation.selectors import units_of_round_year

from ..models import (
    DEADLINES,
    Assessment,
    AssessmentRound,
    RoundSet,
    RoundState,
    Score,
)
from ..rules import MANAGE_ROUNDS_REFUSED


def _check_round_sets(sets: dict[UnitGroup, CriteriaSet]) -> None:
    for group, criteria_set in sets.items():
        if criteria_set.group_id != group.pk:
            raise ValidationError(f"Bộ chỉ số '{criteria_set}' không thuộc nhóm '{group.name}'.")


@transaction.atomic
def round_create(
    *,
    year: int,
    name: str,
    opens_on: date,
    self_assessment_deadline: date,
    appraisal_1_deadline: date,
    explanation_deadline: date,
    appraisal_2_deadline: date,
    publication_date: date,
    sets: dict[UnitGroup, CriteriaSet],
    by,
) -> AssessmentRound:
    """Create a round in preparation (``draft``) with the set each group uses.

    Raises ``ValidationError`` for dates out of order, a year that already has a round, or a set of another
    group; ``PermissionDenied`` for users other than the coordinator and admins.
    """
    require_perm(by, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    if AssessmentRound.objects.filter(year=year).exists():
        raise ValidationError(f"Năm {year} đã có đợt đánh giá.")
    rnd = AssessmentRound(
        year=year,
        name=name,
        opens_on=opens_on,
        self_assessment_deadline=self_assessment_deadline,
        appraisal_1_deadline=appraisal_1_deadline,
        explanation_deadline=explanation_deadline,
        appraisal_2_deadline=appraisal_2_deadline,
        publication_date=publication_date,
    )
    rnd.full_clean()
    _check_round_sets(sets)
    audit_stamp(rnd, by, "Tạo đợt đánh giá")
    rnd.save()
    RoundSet.objects.bulk_create([RoundSet(round=rnd, group=g, criteria_set=s) for g, s in sets.items()])
    return rnd


@transaction.atomic
def round_update(
    *,
    round: AssessmentRound,
    by,
    reason: str = "",
    sets: dict[UnitGroup, CriteriaSet] | None = None,
    **fields,
) -> AssessmentRound:
    """Change a round's name or dates (any time before publication, audited with ``reason``) and, while it is
    still in preparation, the sets. Raises ``InvalidTransition`` for a published round or for set changes of an
    open round; ``ValidationError`` for dates out of order."""
    require_perm(by, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if rnd.state == RoundState.PUBLISHED:
        raise InvalidTransition("Đợt đánh giá đã công bố; không thể sửa.")
    allowed = {"name", "opens_on"} | {f for f, _ in DEADLINES}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"Không sửa được: {', '.join(sorted(unknown))}.")
    for key, value in fields.items():
        setattr(rnd, key, value)
    rnd.full_clean()
    if sets is not None:
        if rnd.state != RoundState.DRAFT:
            raise InvalidTransition("Đợt đánh giá đã mở; không thể đổi bộ chỉ số.")
        _check_round_sets(sets)
        rnd.round_sets.all().delete()
        RoundSet.objects.bulk_create([RoundSet(round=rnd, group=g, criteria_set=s) for g, s in sets.items()])
    audit_stamp(rnd, by, reason or "Sửa đợt đánh giá")
    rnd.save()
    return rnd


def units_in_year(group_id: int, year: int):
    """The units of group ``group_id`` a round of ``year`` assesses: those valid on 31 December of ``year`` (the
    rule of ``units.reorganisation.selectors.round_units_day``: a unit merged away during the year is not assessed
    for it, its successor is)."""
    return units_of_round_year(group_id, year)


def blank_scores(assessments, criteria_set_id: int) -> list[Score]:
    """Unsaved empty score rows, one per leaf of set ``criteria_set_id`` for each of ``assessments`` (all of that
    set), each with its leaf's computation slot (``criteria.selectors.set_layouts``), as opening a round makes them
    (the demo data sets the same slots); the caller saves them with ``bulk_create``. One query."""
    slots = leaf_slots(criteria_set_id)
    return [
        Score(assessment=a, criterion_id=leaf, slot=slot) for a in assessments for leaf, slot in slots.items()
    ]


@transaction.atomic
def round_open(*, round: AssessmentRound, by) -> AssessmentRound:
    """Open a round: freeze its sets, create one assessment per unit of each group with a set (the units
    valid on 31 December of the round's year, ``units_in_year``) and one score row per leaf. Raises ``InvalidTransition`` unless the
    round is in preparation and has at least one set."""
    require_perm(by, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if rnd.state != RoundState.DRAFT:
        raise InvalidTransition("Đợt đánh giá đã được mở.")
    round_sets = list(rnd.round_sets.select_related("criteria_set"))
    if not round_sets:
        raise InvalidTransition("Đợt đánh giá chưa có bộ chỉ số nào cho các nhóm đơn vị.")
    for rs in round_sets:
        criteria_set_freeze(criteria_set=rs.criteria_set, by=by)
        existing = set(rnd.assessments.values_list("unit_id", flat=True))
        assessments = [
            Assessment(round=rnd, unit=u, criteria_set=rs.criteria_set)
            for u in units_in_year(rs.group_id, rnd.year)
            if u.pk not in existing
        ]
        created = bulk_create_with_history(
            assessments, Assessment, default_user=by, default_change_reason="Mở đợt đánh giá"
        )
        if any(a.pk is None for a in created):  # pragma: no cover — backends without RETURNING
            created = list(Assessment.objects.filter(round=rnd, criteria_set=rs.criteria_set))
        Score.objects.bulk_create(blank_scores(created, rs.criteria_set_id), batch_size=2000)
    rnd.state = RoundState.OPEN
    rnd.opened_at = timezone.now()
    rnd.opened_by = by
    audit_stamp(rnd, by, "Mở đợt đánh giá")
    rnd.save(update_fields=["state", "opened_at", "opened_by"])
    return rnd
