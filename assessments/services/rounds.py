"""Writes of rounds (shared/DESIGN.md §4; issue 3): create, edit (dates, name, sets) and open a round —
opening freezes its sets and makes one assessment per unit and one score row per leaf.

The services' contract (actor, locks, history, errors): ``assessments.services``.
"""

from collections.abc import Iterable
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
from ..selectors.rounds import round_set_for_unit, round_sets_index, round_sets_of


def _round_set_rows(
    rnd: AssessmentRound, sets: dict[UnitGroup, CriteriaSet], unit_sets: Iterable[CriteriaSet] | None
) -> list[RoundSet]:
    """The round's ``RoundSet`` rows: each group's chosen set, and the sets issued by a parent unit for the
    round's year (``unit_sets``; None = every such set of the year, of an assessed group — a district's set for
    its communes). Raises ``ValidationError`` for a set of another group or another year's issued set, or two
    sets for the same (group, parent unit)."""
    for group, criteria_set in sets.items():
        if criteria_set.group_id != group.pk:
            raise ValidationError(f"Bộ chỉ số '{criteria_set}' không thuộc nhóm '{group.name}'.")
    if unit_sets is None:
        unit_sets = CriteriaSet.objects.filter(
            year=rnd.year, parent_unit__isnull=False, group__is_assessed=True
        ).select_related("group", "parent_unit")
    rows: dict[tuple[int, int | None], RoundSet] = {}
    chosen = [(g, s) for g, s in sets.items()]
    for cs in unit_sets:
        if cs.year != rnd.year:
            raise ValidationError(
                f"Bộ chỉ số '{cs}' của {cs.parent_unit} là của năm {cs.year}, không phải năm {rnd.year}."
            )
        chosen.append((cs.group, cs))
    for group, cs in chosen:
        key = (group.pk, cs.parent_unit_id)
        if key in rows and rows[key].criteria_set_id != cs.pk:
            raise ValidationError(f"Nhóm '{group.name}' có hai bộ chỉ số cho cùng đơn vị áp dụng trong đợt.")
        rows[key] = RoundSet(round=rnd, group=group, criteria_set=cs, parent_unit_id=cs.parent_unit_id)
    return list(rows.values())


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
    unit_sets: Iterable[CriteriaSet] | None = None,
) -> AssessmentRound:
    """Create a round in preparation (``draft``) with the set each group uses (``sets``) and the sets issued by a
    parent unit for its subordinate units (``unit_sets``; None = every such set of the round's year: the
    districts' sets for their communes). Which one a unit uses: ``selectors.rounds.round_set_for_unit``.

    Raises ``ValidationError`` for dates out of order, a year that already has a round, a set of another
    group or year (``_round_set_rows``); ``PermissionDenied`` for users other than the coordinator and admins.
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
    rows = _round_set_rows(rnd, sets, unit_sets)
    audit_stamp(rnd, by, "Tạo đợt đánh giá")
    rnd.save()
    RoundSet.objects.bulk_create(rows)
    return rnd


@transaction.atomic
def round_update(
    *,
    round: AssessmentRound,
    by,
    reason: str = "",
    sets: dict[UnitGroup, CriteriaSet] | None = None,
    unit_sets: Iterable[CriteriaSet] | None = None,
    **fields,
) -> AssessmentRound:
    """Change a round's name or dates (any time before publication, audited with ``reason``) and, while it is
    still in preparation, the sets (``sets`` and ``unit_sets`` as in ``round_create``; ``sets`` None keeps them).
    Raises ``InvalidTransition`` for a published round or for set changes of an
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
        rows = _round_set_rows(rnd, sets, unit_sets)
        rnd.round_sets.all().delete()
        RoundSet.objects.bulk_create(rows)
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
    """Open a round: freeze its sets, create one assessment per unit of each group with a set (the units valid
    on 31 December of the round's year, ``units_in_year``), on the set ``selectors.rounds.round_set_for_unit``
    gives it (its parent's issued set, else the group's), and one score row per leaf. Raises
    ``InvalidTransition`` unless the round is in preparation and has at least one set."""
    require_perm(by, "assessments.manage_rounds", message=MANAGE_ROUNDS_REFUSED)
    rnd = AssessmentRound.objects.select_for_update().get(pk=round.pk)
    if rnd.state != RoundState.DRAFT:
        raise InvalidTransition("Đợt đánh giá đã được mở.")
    round_sets = round_sets_of(rnd)
    if not round_sets:
        raise InvalidTransition("Đợt đánh giá chưa có bộ chỉ số nào cho các nhóm đơn vị.")
    index = round_sets_index(round_sets)
    existing = set(rnd.assessments.values_list("unit_id", flat=True))
    by_set: dict[int, list[Assessment]] = {}
    for group_id in dict.fromkeys(rs.group_id for rs in round_sets):
        for u in units_in_year(group_id, rnd.year):
            rs = round_set_for_unit(index, u)
            if rs is not None and u.pk not in existing:
                by_set.setdefault(rs.criteria_set_id, []).append(
                    Assessment(round=rnd, unit=u, criteria_set=rs.criteria_set)
                )
    for rs in round_sets:
        criteria_set_freeze(criteria_set=rs.criteria_set, by=by)
        created = bulk_create_with_history(
            by_set.pop(rs.criteria_set_id, []),
            Assessment,
            default_user=by,
            default_change_reason="Mở đợt đánh giá",
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
