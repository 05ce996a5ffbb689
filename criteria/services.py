"""Writes of criteria sets: import from a workbook, clone to a new year, freeze (shared/DESIGN.md §3).

Every service takes the acting user as ``by`` (``None`` = the command line, run by the server's
administrator) and refuses others than admins and the coordinator with ``PermissionDenied``. A frozen
set (used by a started round) is never changed: ``InvalidTransition``.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from parindex.audit import audit_stamp
from parindex.exceptions import InvalidTransition, WorkbookInvalid
from parindex.xlsx import sort_problems
from units.models import Unit, UnitGroup
from units.permissions import require_perm

from .models import DEFAULT_BANDS, CriteriaSet, Criterion, GradeBand
from .rules import MANAGE_SETS_REFUSED
from .scope import owner_refusal, set_scope_refusal
from .selectors import criteria_set_spec
from .tree import COLUMN_LETTERS, NodeSpec, Problem, SetSpec, validate_tree
from .workbook import SHEET_TREE, ReadResult, read_workbook


def criteria_workbook_check(
    *, data: bytes, max_bytes: int | None = None, year: int | None = None, parent_unit: Unit | None = None
) -> ReadResult:
    """Read and validate a workbook without writing anything (the import preview / ``--dry-run``).

    Owner codes are checked against the units in the database and, with ``year``, against who may appraise a set
    of that year issued by ``parent_unit`` (None: province-wide) — ``criteria.scope.owner_refusal``, one problem
    per refused row (column J). See ``criteria.workbook.read_workbook``.
    """
    from django.conf import settings

    known = set(Unit.objects.values_list("code", flat=True))
    result = read_workbook(
        data,
        known_owner_codes=known,
        max_bytes=max_bytes if max_bytes is not None else settings.CRITERIA_WORKBOOK_MAX_BYTES,
    )
    if year is not None and result.spec is not None:
        problems = owner_problems(result.spec.nodes, year=year, parent_unit=parent_unit)
        if problems:
            result.problems = sort_problems([*result.problems, *problems])
    return result


def owner_problems(nodes, *, year: int, parent_unit: Unit | None) -> list[Problem]:
    """A problem (sheet "Tiêu chí", the node's row, column J) for every node of ``nodes`` (``NodeSpec``) naming
    an existing owner that ``criteria.scope.owner_refusal`` refuses for a set of ``year`` issued by
    ``parent_unit``; unknown codes are ``validate_tree``'s. One query."""
    codes = {n.owner_code for n in nodes if n.owner_code}
    owners = {u.code: u for u in Unit.objects.filter(code__in=codes).select_related("group")}
    problems = []
    for node in nodes:
        owner = owners.get(node.owner_code)
        message = owner and owner_refusal(owner=owner, year=year, parent_unit=parent_unit)
        if message:
            problems.append(
                Problem(SHEET_TREE, node.row, COLUMN_LETTERS["owner"], f"Mã {node.code}: {message}")
            )
    return problems


def _max_points(node: NodeSpec) -> Decimal:
    """A validated node's maximum (points); ``ValueError`` for a node without one, which ``validate_tree`` refuses
    before anything is written."""
    if node.max_points is None:
        raise ValueError(f"{node.code}: no maximum points (the tree was not validated)")
    return node.max_points


def _write_tree(criteria_set: CriteriaSet, spec: SetSpec, *, by, reason: str) -> None:
    """Replace the set's nodes and bands by ``spec`` (already validated). One insert per tree level."""
    owners = {
        u.code: u for u in Unit.objects.filter(code__in={n.owner_code for n in spec.nodes if n.owner_code})
    }
    criteria_set.nodes.all().delete()
    criteria_set.bands.all().delete()
    # Print order = pre-order walk with siblings in the order given.
    children: dict[str | None, list] = {}
    for node in spec.nodes:
        children.setdefault(node.parent_code, []).append(node)
    order: dict[str, int] = {}

    def walk(code):
        for child in children.get(code, []):
            order[child.code] = len(order) + 1
            walk(child.code)

    walk(None)
    saved: dict[str | None, Criterion] = {}  # by code; a root's parent code is None (no parent)
    for level in sorted({n.level for n in spec.nodes}):
        objs = [
            Criterion(
                criteria_set=criteria_set,
                parent=saved.get(n.parent_code),
                level=n.level,
                code=n.code,
                order=order[n.code],
                title=n.title,
                guidance=n.guidance,
                evidence_hint=n.evidence_hint,
                max_points=_max_points(n),
                source=n.source,
                kind=n.kind,
                step=n.step,
                scale=n.scale,
                owner=owners.get(n.owner_code),
            )
            for n in spec.nodes
            if n.level == level
        ]
        created = bulk_create_with_history(objs, Criterion, default_user=by, default_change_reason=reason)
        if any(o.pk is None for o in created):  # backends that do not return ids
            created = list(criteria_set.nodes.filter(level=level))
        saved.update({o.code: o for o in created})
    bands = spec.bands or []
    GradeBand.objects.bulk_create(
        [
            GradeBand(criteria_set=criteria_set, code=b.code, label=b.label, min_percent=b.min_percent)
            for b in bands
        ]
        or [
            GradeBand(criteria_set=criteria_set, code=c, label=lbl, min_percent=m)
            for c, lbl, m in DEFAULT_BANDS
        ]
    )


@transaction.atomic
def criteria_set_import(
    *,
    group: UnitGroup,
    year: int,
    data: bytes,
    filename: str = "",
    by,
    replace: bool = False,
    parent_unit: Unit | None = None,
) -> CriteriaSet:
    """Import a workbook as the set of ``group`` for ``year`` — the province-wide one, or with ``parent_unit``
    the set that unit issues for its subordinate units of the group (a district's set for its communes); all or
    nothing.

    Raises ``ValidationError`` when ``parent_unit`` may not issue it (``criteria.scope.set_scope_refusal``: closed
    before the end of the year, or one of the group's own units), or when that set already exists and
    ``replace`` is false; ``WorkbookInvalid`` (with every problem by sheet/row/column) when the workbook has any
    problem, owners that may not appraise such a set included (``criteria.scope.owner_refusal``);
    ``InvalidTransition`` when the existing set is frozen; ``PermissionDenied`` for non-managers.
    """
    require_perm(by, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    if not group.is_assessed:
        raise ValidationError(f"Nhóm '{group.name}' không được đánh giá nên không có bộ chỉ số.")
    refusal = set_scope_refusal(group=group, year=year, parent_unit=parent_unit)
    if refusal:
        raise ValidationError(refusal)
    result = criteria_workbook_check(data=data, year=year, parent_unit=parent_unit)
    spec = result.spec
    if not result.ok or spec is None:  # ``ok`` implies a spec
        raise WorkbookInvalid(result.problems)
    existing = (
        CriteriaSet.objects.select_for_update()
        .filter(group=group, year=year, parent_unit=parent_unit)
        .first()
    )
    of_whom = f" của {parent_unit.name}" if parent_unit else ""
    if existing and existing.is_frozen:
        raise InvalidTransition(
            f"Bộ chỉ số nhóm '{group.name}'{of_whom} năm {year} đang được dùng cho đợt đánh giá đã bắt đầu; "
            "không thể thay thế. Hãy sao chép sang năm mới để chỉnh sửa."
        )
    if existing and not replace:
        raise ValidationError(
            f"Nhóm '{group.name}' đã có bộ chỉ số{of_whom} năm {year}. Chọn 'Thay thế bộ chỉ số hiện có' để ghi đè."
        )
    criteria_set = existing or CriteriaSet(group=group, year=year, parent_unit=parent_unit)
    criteria_set.name = spec.name
    criteria_set.bonus_cap = spec.bonus_cap
    criteria_set.penalty_cap = spec.penalty_cap
    criteria_set.source_filename = filename[:255]
    reason = f"Nhập từ tệp {filename}".strip()
    audit_stamp(criteria_set, by, reason)
    criteria_set.save()
    _write_tree(criteria_set, spec, by=by, reason=reason)
    return criteria_set


@transaction.atomic
def criteria_set_clone(
    *, source: CriteriaSet, year: int, by, group: UnitGroup | None = None, name: str | None = None
) -> CriteriaSet:
    """Copy ``source`` (nodes, bands, caps, issuing parent unit) to a new, unfrozen set for ``year`` (and
    ``group``, default the same) so it can be edited. Raises ``ValidationError`` when the target group already has
    that set that year or the parent unit may not issue it then (``criteria.scope.set_scope_refusal``);
    ``WorkbookInvalid`` when an owner may not appraise it that year (``criteria.scope.owner_refusal``)."""
    require_perm(by, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    group = group or source.group
    parent_unit = source.parent_unit
    if CriteriaSet.objects.filter(group=group, year=year, parent_unit=parent_unit).exists():
        of_whom = f" của {parent_unit.name}" if parent_unit else ""
        raise ValidationError(f"Nhóm '{group.name}' đã có bộ chỉ số{of_whom} năm {year}.")
    refusal = set_scope_refusal(group=group, year=year, parent_unit=parent_unit)
    if refusal:
        raise ValidationError(refusal)
    spec = criteria_set_spec(source)
    problems = validate_tree(spec.nodes) + owner_problems(spec.nodes, year=year, parent_unit=parent_unit)
    if problems:
        raise WorkbookInvalid(problems)
    clone = CriteriaSet(
        group=group,
        year=year,
        parent_unit=parent_unit,
        name=name or spec.name.replace(str(source.year), str(year)),
        bonus_cap=spec.bonus_cap,
        penalty_cap=spec.penalty_cap,
        cloned_from=source,
    )
    reason = f"Sao chép từ bộ chỉ số năm {source.year}"
    audit_stamp(clone, by, reason)
    clone.save()
    _write_tree(clone, spec, by=by, reason=reason)
    return clone


@transaction.atomic
def criteria_set_freeze(*, criteria_set: CriteriaSet, by) -> CriteriaSet:
    """Freeze the set (a round using it has started). Idempotent; returns the set."""
    require_perm(by, "criteria.manage_sets", message=MANAGE_SETS_REFUSED)
    locked = CriteriaSet.objects.select_for_update().get(pk=criteria_set.pk)
    if locked.frozen_at is None:
        locked.frozen_at = timezone.now()
        audit_stamp(locked, by, "Khóa bộ chỉ số: đợt đánh giá đã bắt đầu")
        locked.save(update_fields=["frozen_at", "updated_at"])
    return locked
