"""Writes of reorganisations (sắp xếp đơn vị; issue 13 §1): merge, split, rename, move, dissolve.

Every operation is one transaction and one ``Reorganisation`` event (audited by simple-history, as are the units
it touches), effective from ``effective``:

* the **sources** end the day before: ``valid_to = effective − 1 day``, and ``is_active = False`` when
  ``effective`` is today or earlier (a future event leaves them active until then; rounds read the dates);
* the **results** are new unit records valid from ``effective`` (merge into an existing unit: that unit continues,
  its record unchanged), each listing its sources in ``predecessors`` (``successor.predecessors`` ∋ source);
  a rename or a move makes a new record too (with its own code), so the rounds before keep showing the name, code
  and parent the unit had;
* **nothing already assessed moves**: assessments, results, evidence stay with the unit that was assessed;
* **memberships**: the sources' users get the same roles in the result (merge, rename, move) and keep their roles
  in the source, so they still reach its past and unfinished assessments; the admin removes the old roles when no
  longer needed. A split or a dissolution copies nobody: the admin assigns the users of the new units;
* **children**: a merged, renamed or moved unit's units still valid on ``effective`` are attached to the result
  (in place: a commune keeps its record); a split or dissolved unit must have none left (move them first).

Refused with ``ValidationError`` (Vietnamese, keyed by the parameter's name), nothing written: a source already
closed before ``effective`` or not yet valid on it; a source assessed in a round of ``effective``'s year or later
that is not published yet (a round of year Y assesses the units valid on 31/12/Y, so the source would leave a
round it is in: record the reorganisation from 1/1/Y+1, or after the round is published); a unit merged into
itself; a link that would make a cycle in the lineage; a split whose shares do not add up to 100 %; a parent that
is not valid on ``effective``; a code already used. ``PermissionDenied`` unless ``by`` may reorganise
(``units.reorganise``: admins and the coordinator).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from parindex.audit import audit_stamp

from ..models import Membership, Reorganisation, ReorganisationKind, ReorganisationUnit, Unit, UnitGroup
from ..permissions import require_perm
from .selectors import ancestors_of, unit_valid_on

#: Message of ``PermissionDenied`` for a user who may not reorganise.
REORGANISE_REFUSED = "Chỉ quản trị hệ thống và Sở Nội vụ (điều phối) được sắp xếp đơn vị."

#: The keys a new unit's data may hold (``into=`` of merge and split).
UNIT_DATA_KEYS = ("code", "name", "short_name", "group", "parent", "order")

UnitData = Mapping[str, Any]


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


class _Errors:
    """Collects ``{field: [messages]}`` and raises them together (a form shows each next to its field)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _locked(units: Iterable[Unit]) -> list[Unit]:
    """The units re-read under a row lock, in the order given."""
    ids = [u.pk for u in units]
    by_id = Unit.objects.select_for_update().in_bulk(ids)
    return [by_id[i] for i in ids]


def _check_effective(effective: Any, errors: _Errors) -> bool:
    if not isinstance(effective, date):
        errors.add("effective", "Nhập ngày hiệu lực.")
        return False
    return True


def _check_sources(sources: Sequence[Unit], effective: date, errors: _Errors, key: str = "sources") -> None:
    """Each source must be valid the day before ``effective`` and not in an unpublished round of that year or
    later (see the module docstring)."""
    for u in sources:
        if u.valid_to is not None and u.valid_to < effective:
            errors.add(
                key,
                f"Đơn vị «{u.name}» đã hết hiệu lực từ sau ngày {_d(u.valid_to)}, trước ngày hiệu lực "
                f"{_d(effective)}: không thể sắp xếp lại.",
            )
        elif u.valid_to is None and not u.is_active:
            errors.add(key, f"Đơn vị «{u.name}» đã ngừng hoạt động: không thể sắp xếp lại.")
        if u.valid_from is not None and u.valid_from >= effective:
            errors.add(
                key,
                f"Đơn vị «{u.name}» chỉ có hiệu lực từ ngày {_d(u.valid_from)}: ngày hiệu lực của việc sắp xếp "
                "phải sau ngày đó.",
            )
    Assessment = apps.get_model("assessments", "Assessment")
    busy = (
        Assessment.objects.filter(unit__in=sources, round__year__gte=effective.year)
        .exclude(round__state="published")
        .select_related("unit", "round")
        .order_by("round__year", "unit__code")
    )
    for a in busy:
        y = a.round.year
        errors.add(
            "effective",
            f"Đơn vị «{a.unit.name}» đang được đánh giá trong đợt năm {y} (chưa công bố); đợt năm {y} đánh giá "
            f"các đơn vị có hiệu lực ngày 31/12/{y}. Chọn ngày hiệu lực từ 01/01/{y + 1} trở đi, hoặc sắp xếp sau "
            "khi đợt đã công bố.",
        )


def _check_parent(parent: Unit | None, effective: date, errors: _Errors, key: str = "parent") -> None:
    if parent is not None and not unit_valid_on(parent, effective):
        errors.add(
            key,
            f"Đơn vị cấp trên «{parent.name}» không còn hiệu lực vào ngày {_d(effective)}: chọn đơn vị cấp trên "
            "đang có hiệu lực.",
        )


def _refuse_with_children(unit: Unit, effective: date, errors, *, key: str, action: str) -> None:
    """Add to ``errors`` under ``key`` the refusal to ``action`` ("chia tách", "giải thể") ``unit`` while units
    of its own are valid on ``effective`` (they are moved or merged first: a district is dissolved after its
    communes were reorganised)."""
    children = _open_children([unit], effective)
    if children:
        errors.add(
            key,
            f"Đơn vị «{unit.name}» còn {len(children)} đơn vị trực thuộc có hiệu lực vào ngày {_d(effective)}: "
            f"sắp xếp các đơn vị này trước khi {action}.",
        )


def _open_children(units: Sequence[Unit], effective: date) -> list[Unit]:
    """The children of ``units`` still valid on ``effective`` (they outlive their parent's record)."""
    return [
        c
        for c in Unit.objects.filter(parent__in=units).order_by("code")
        if c.valid_to is None and c.is_active or c.valid_to is not None and c.valid_to >= effective
    ]


def _unit_from(
    data: UnitData, *, like: Unit | None, effective: date, errors: _Errors, key: str, seen: set[str]
):
    """An unsaved ``Unit`` from ``data`` (keys ``UNIT_DATA_KEYS``; ``group`` and ``parent`` as instances or codes;
    missing ``group``/``parent``/``order``/``short_name`` are taken from ``like``), valid from ``effective``."""
    unknown = set(data) - set(UNIT_DATA_KEYS)
    if unknown:
        errors.add(key, f"Thông tin đơn vị không hợp lệ: {', '.join(sorted(unknown))}.")
    code = str(data.get("code") or "").strip()
    name = " ".join(str(data.get("name") or "").split())
    if not code:
        errors.add(key, "Nhập mã của đơn vị mới (mỗi bản ghi đơn vị có mã riêng).")
    elif code in seen or Unit.objects.filter(code=code).exists():
        errors.add(key, f"Mã đơn vị «{code}» đã được dùng.")
    seen.add(code)
    if not name:
        errors.add(key, "Nhập tên của đơn vị mới.")
    group = data.get("group", like.group if like else None)
    if isinstance(group, str):
        group = UnitGroup.objects.filter(code=group).first()
    if group is None:
        errors.add(key, "Chọn nhóm của đơn vị mới.")
    parent = data.get("parent", like.parent if like else None)
    if isinstance(parent, str):
        code_ = parent
        parent = Unit.objects.filter(code=code_).first()
        if parent is None:
            errors.add(key, f"Không có đơn vị cấp trên mã «{code_}».")
    _check_parent(parent, effective, errors, key)
    return Unit(
        code=code,
        name=name,
        short_name=str(data.get("short_name", like.short_name if like else "") or ""),
        group=group,
        parent=parent,
        order=int(data.get("order", like.order if like else 0) or 0),
        is_active=True,  # "not closed"; a future unit waits for its valid_from (the rounds read the dates)
        valid_from=effective,
    )


def _event(kind: str, effective: date, basis: str, note: str, by) -> Reorganisation:
    event = Reorganisation(
        kind=kind, effective=effective, basis=basis.strip(), note=note.strip(), created_by=by
    )
    audit_stamp(event, by, f"{ReorganisationKind(kind).label}: {event.basis}".rstrip(": "))
    event.save()
    return event


def _reason(event: Reorganisation) -> str:
    return f"{event.get_kind_display()} từ ngày {_d(event.effective)}" + (
        f" ({event.basis})" if event.basis else ""
    )


def _close(sources: Sequence[Unit], event: Reorganisation, by) -> None:
    for u in sources:
        u.valid_to = event.effective - timedelta(days=1)
        if event.effective <= timezone.localdate():
            u.is_active = False
        audit_stamp(u, by, _reason(event))
        u.save(update_fields=["valid_to", "is_active"])
    ReorganisationUnit.objects.bulk_create(
        [ReorganisationUnit(reorganisation=event, unit=u, role=ReorganisationUnit.SOURCE) for u in sources]
    )


def _result(
    unit: Unit, sources: Sequence[Unit], event: Reorganisation, by, share: Decimal | None = None
) -> Unit:
    if unit.pk is None:
        audit_stamp(unit, by, _reason(event))
        unit.save()
    unit.predecessors.add(*sources)
    ReorganisationUnit.objects.create(
        reorganisation=event, unit=unit, role=ReorganisationUnit.RESULT, share=share
    )
    return unit


def _copy_memberships(sources: Sequence[Unit], to: Unit) -> None:
    rows = Membership.objects.filter(unit__in=sources).values_list("user_id", "role").distinct()
    Membership.objects.bulk_create(
        [Membership(user_id=user, unit=to, role=role) for user, role in rows], ignore_conflicts=True
    )


def _adopt_children(sources: Sequence[Unit], to: Unit, event: Reorganisation, by) -> None:
    for child in _open_children(sources, event.effective):
        child.parent = to
        audit_stamp(child, by, _reason(event))
        child.save(update_fields=["parent"])


def _start(by, effective: Any) -> _Errors:
    require_perm(by, "units.reorganise", message=REORGANISE_REFUSED)
    errors = _Errors()
    _check_effective(effective, errors)
    errors.raise_any()
    return errors


@transaction.atomic
def reorganisation_merge(
    *,
    sources: Sequence[Unit],
    into: Unit | UnitData,
    effective: date,
    by,
    basis: str = "",
    note: str = "",
) -> Reorganisation:
    """Merge ``sources`` into ``into`` from ``effective`` (A + B → C); returns the event.

    ``into``: an existing unit, which absorbs the sources and continues (at least one source), or the data of a new
    unit (``UNIT_DATA_KEYS``; ``group``/``parent`` default to the first source's; at least two sources). The sources
    close on ``effective`` − 1 day, the result lists them as predecessors, their users get the same roles in it and
    their units still valid on ``effective`` move under it. Errors: see the module docstring.
    """
    errors = _start(by, effective)
    sources = _locked(dict.fromkeys(sources))
    if isinstance(into, Unit):
        target = _locked([into])[0]
        if target.pk in {s.pk for s in sources}:
            errors.add("into", f"Không thể sáp nhập đơn vị «{target.name}» vào chính nó.")
        elif target.pk in ancestors_of({s.pk for s in sources}):
            errors.add(
                "into",
                f"«{target.name}» là đơn vị tiền thân của đơn vị được sáp nhập: sáp nhập sẽ tạo vòng lặp trong "
                "lịch sử sắp xếp.",
            )
        if not unit_valid_on(target, effective):
            errors.add("into", f"Đơn vị «{target.name}» không có hiệu lực vào ngày {_d(effective)}.")
        if not sources:
            errors.add("sources", "Chọn ít nhất một đơn vị được sáp nhập.")
    else:
        if len(sources) < 2:
            errors.add(
                "sources",
                "Sáp nhập thành đơn vị mới cần ít nhất hai đơn vị; một đơn vị thì dùng «Đổi tên, đổi mã».",
            )
        target = _unit_from(
            into,
            like=sources[0] if sources else None,
            effective=effective,
            errors=errors,
            key="into",
            seen=set(),
        )
    _check_sources(sources, effective, errors)
    errors.raise_any()
    event = _event(ReorganisationKind.MERGE, effective, basis, note, by)
    _close(sources, event, by)
    _result(target, sources, event, by)
    _copy_memberships(sources, target)
    _adopt_children(sources, target, event, by)
    return event


def _shares(shares: list[Any], errors: _Errors) -> list[Decimal | None]:
    if all(s in (None, "") for s in shares):
        return [None] * len(shares)
    try:
        values: list[Decimal | None] = [Decimal(str(s)) for s in shares]
    except (InvalidOperation, ValueError):
        errors.add("shares", "Tỷ lệ phải là số (%), cho mọi đơn vị sau chia tách hoặc để trống tất cả.")
        return [None] * len(shares)
    if any(v is None or v <= 0 or v >= 100 for v in values):
        errors.add("shares", "Mỗi tỷ lệ phải lớn hơn 0% và nhỏ hơn 100%.")
    total = sum((v for v in values if v is not None), Decimal(0))
    if total != 100:
        errors.add(
            "shares", f"Tổng tỷ lệ các đơn vị sau chia tách phải bằng 100% (đang là {total.normalize():f}%)."
        )
    return list(values)


@transaction.atomic
def reorganisation_split(
    *,
    source: Unit,
    into: Sequence[tuple[UnitData, Any]],
    effective: date,
    by,
    basis: str = "",
    note: str = "",
) -> Reorganisation:
    """Split ``source`` into new units from ``effective`` (A → B + C); returns the event.

    ``into``: ``[(unit data, share)]``, at least two; ``share`` in % (a number or ``None``): all empty, or all given
    and adding up to 100 (e.g. the population or staff that each part takes over; kept on the event for the
    year-over-year rule). ``source`` must have no units of its own left valid on ``effective``. Nobody's role is
    copied. Errors: see the module docstring.
    """
    errors = _start(by, effective)
    (source,) = _locked([source])
    if len(into) < 2:
        errors.add("into", "Chia tách cần ít nhất hai đơn vị mới.")
    seen: set[str] = set()
    units = [
        _unit_from(data, like=source, effective=effective, errors=errors, key="into", seen=seen)
        for data, _ in into
    ]
    shares = _shares([s for _, s in into], errors)
    _check_sources([source], effective, errors, key="source")
    _refuse_with_children(source, effective, errors, key="source", action="chia tách")
    errors.raise_any()
    event = _event(ReorganisationKind.SPLIT, effective, basis, note, by)
    _close([source], event, by)
    for unit, share in zip(units, shares, strict=True):
        _result(unit, [source], event, by, share=share)
    return event


def _successor(
    kind: str,
    unit: Unit,
    data: dict[str, Any],
    *,
    effective: date,
    by,
    basis: str,
    note: str,
    errors: _Errors,
) -> Reorganisation:
    """A rename or a move: ``unit`` closes, a new record from ``data`` (the rest copied from ``unit``) follows it."""
    (unit,) = _locked([unit])
    successor = _unit_from(data, like=unit, effective=effective, errors=errors, key="new_code", seen=set())
    _check_sources([unit], effective, errors, key="unit")
    errors.raise_any()
    event = _event(kind, effective, basis, note, by)
    _close([unit], event, by)
    _result(successor, [unit], event, by)
    _copy_memberships([unit], successor)
    _adopt_children([unit], successor, event, by)
    return event


@transaction.atomic
def reorganisation_rename(
    *,
    unit: Unit,
    new_code: str,
    new_name: str = "",
    new_short_name: str | None = None,
    effective: date,
    by,
    basis: str = "",
    note: str = "",
) -> Reorganisation:
    """Rename and/or re-code ``unit`` from ``effective``; returns the event.

    The unit's record keeps its name and code for the rounds before (they show the name the unit had); a new record
    ``new_code`` (required, not used yet) named ``new_name`` (default: the same name) follows it, with the same
    group, parent and order, and the same users. Errors: see the module docstring; ``new_name`` equal to the old
    name with the same short name is still a re-code.
    """
    errors = _start(by, effective)
    data: dict[str, Any] = {"code": new_code, "name": new_name or unit.name}
    if new_short_name is not None:
        data["short_name"] = new_short_name
    return _successor(
        ReorganisationKind.RENAME,
        unit,
        data,
        effective=effective,
        by=by,
        basis=basis,
        note=note,
        errors=errors,
    )


@transaction.atomic
def reorganisation_move(
    *,
    unit: Unit,
    new_parent: Unit | None,
    new_code: str,
    effective: date,
    by,
    basis: str = "",
    note: str = "",
) -> Reorganisation:
    """Put ``unit`` under ``new_parent`` (``None``: directly under the province) from ``effective``; returns the
    event. A new record ``new_code`` (same name, group and users) follows the unit, so the rounds before keep its
    old parent (a commune ranked within its former district). ``new_parent`` must be valid on ``effective`` and
    not the unit itself or one of its units. Errors: see the module docstring.
    """
    errors = _start(by, effective)
    if new_parent is not None:
        below: set[int] = {unit.pk}
        frontier = {unit.pk}
        while frontier:
            frontier = set(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - below
            below |= frontier
        if new_parent.pk in below:
            errors.add(
                "new_parent",
                f"Không thể chuyển đơn vị «{unit.name}» vào chính nó hoặc vào một đơn vị trực thuộc của nó.",
            )
    if (new_parent.pk if new_parent else None) == unit.parent_id:
        errors.add("new_parent", f"Đơn vị «{unit.name}» đã trực thuộc đơn vị cấp trên này.")
    _check_parent(new_parent, effective, errors, key="new_parent")
    return _successor(
        ReorganisationKind.MOVE,
        unit,
        {"code": new_code, "name": unit.name, "parent": new_parent},
        effective=effective,
        by=by,
        basis=basis,
        note=note,
        errors=errors,
    )


@transaction.atomic
def reorganisation_dissolve(
    *, unit: Unit, effective: date, by, basis: str = "", note: str = ""
) -> Reorganisation:
    """Dissolve ``unit`` from ``effective`` (it closes the day before; no successor); returns the event.

    Refused while the unit has units of its own valid on ``effective`` (move or merge them first: a district is
    dissolved after its communes were reorganised). Its users keep their roles (for its past assessments).
    Errors: see the module docstring.
    """
    errors = _start(by, effective)
    (unit,) = _locked([unit])
    _check_sources([unit], effective, errors, key="unit")
    _refuse_with_children(unit, effective, errors, key="unit", action="giải thể")
    errors.raise_any()
    event = _event(ReorganisationKind.DISSOLVE, effective, basis, note, by)
    _close([unit], event, by)
    return event


def units_activity_sync(*, by, today: date | None = None) -> int:
    """Switch off ``is_active`` of the units whose validity ended before ``today`` (default: the local date):
    a reorganisation recorded ahead of its effective date closes its sources' dates at once but their activity
    only when the day has come (``_close``); this nightly step (``units.tasks.units_activity_sync``, Celery beat)
    catches up. Each change is audited ("Hết hiệu lực theo sắp xếp đơn vị"). A unit switched off by hand is never
    switched on. Returns how many units were switched off."""
    today = today or timezone.localdate()
    ended = list(Unit.objects.filter(is_active=True, valid_to__lt=today))
    for u in ended:
        u.is_active = False
        audit_stamp(u, by, "Hết hiệu lực theo sắp xếp đơn vị")
        u.save(update_fields=["is_active"])
    return len(ended)
