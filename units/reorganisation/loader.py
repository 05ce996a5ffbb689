"""Loading the shipped structures (issue 13 §3): the units of ``fixtures/units.json`` (the 2024 map) and the events
of ``fixtures/reorganisation-2025.json`` (built by ``manage.py build_reorganisation_fixture``), for
``setup_portal``. Both idempotent: what exists is left as it is (an admin's later changes are kept).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from django.core import serializers
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Reorganisation, ReorganisationUnit, Unit, UnitGroup
from . import services


class FixtureProblem(Exception):
    """The fixture cannot be loaded as shipped; ``str()`` says why (Vietnamese)."""


@transaction.atomic
def units_fixture_load(path: Path) -> tuple[int, int]:
    """Create the unit groups and units of fixture ``path`` (Django JSON, natural keys) that do not exist yet;
    (created, kept). Existing rows are not overwritten: a unit closed or renamed since keeps its state. Raises
    ``FixtureProblem`` — nothing stored — for a new unit whose parent does not cover its validity
    (``Unit.parent_validity_problem``: e.g. a commune imported under a district closed before it ends)."""
    created = kept = 0
    existing_groups = set(UnitGroup.objects.values_list("code", flat=True))
    existing_units = set(Unit.objects.values_list("code", flat=True))
    with path.open(encoding="utf-8") as f:
        for obj in serializers.deserialize("json", f, handle_forward_references=True):
            code = obj.object.code
            if code in (existing_groups if isinstance(obj.object, UnitGroup) else existing_units):
                kept += 1
                continue
            obj.object.pk = None
            problem = isinstance(obj.object, Unit) and obj.object.parent_validity_problem()
            if problem:  # the transaction is rolled back: nothing of the fixture stays
                raise FixtureProblem(f"Đơn vị «{code}» ({obj.object.name}): {problem}")
            obj.save()
            created += 1
    return created, kept


def _applied(kind: str, effective: datetime.date, first: str) -> bool:
    return Reorganisation.objects.filter(
        kind=kind, effective=effective, links__role=ReorganisationUnit.SOURCE, links__unit__code=first
    ).exists()


def _unit(code: str | None) -> Unit:
    try:
        return Unit.objects.get(code=code)
    except Unit.DoesNotExist as exc:
        raise FixtureProblem(f"Không có đơn vị mã «{code}».") from exc


@transaction.atomic
def reorganisations_load(path: Path, *, by) -> tuple[int, int]:
    """Apply the events of fixture ``path`` through the services (``units.reorganisation.services``), in order;
    (applied, already there). An event already recorded (same kind, date and first source) is skipped. Raises
    ``FixtureProblem`` — nothing stored — when the fixture lists names it could not match (``unmatched``) or an
    event is refused (the service's message)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("unmatched"):
        raise FixtureProblem("Tên đơn vị chưa ghép được: " + "; ".join(data["unmatched"]))
    applied = skipped = 0
    for group in data["groups"]:
        effective = datetime.date.fromisoformat(group["effective"])
        basis = group.get("basis", "")
        for e in group["events"]:
            kind = e["kind"]
            first = (e.get("sources") or [e.get("unit")])[0]
            if _applied(kind, effective, first):
                skipped += 1
                continue
            common = {"effective": effective, "by": by, "basis": basis, "note": e.get("note", "")}
            try:
                if kind == "merge":
                    into = _unit(e["into"]) if isinstance(e["into"], str) else e["into"]
                    services.reorganisation_merge(
                        sources=[_unit(c) for c in e["sources"]], into=into, **common
                    )
                elif kind == "rename":
                    services.reorganisation_rename(
                        unit=_unit(e["unit"]),
                        new_code=e["new_code"],
                        new_name=e.get("new_name", ""),
                        new_short_name=e.get("new_short_name"),
                        **common,
                    )
                elif kind == "move":
                    parent = _unit(e["new_parent"]) if e.get("new_parent") else None
                    services.reorganisation_move(
                        unit=_unit(e["unit"]), new_parent=parent, new_code=e["new_code"], **common
                    )
                elif kind == "dissolve":
                    services.reorganisation_dissolve(unit=_unit(e["unit"]), **common)
                else:
                    raise FixtureProblem(f"Loại sắp xếp không hợp lệ: «{kind}».")
            except ValidationError as exc:
                raise FixtureProblem(
                    f"{kind} {first} ({effective:%d/%m/%Y}): " + "; ".join(exc.messages)
                ) from exc
            applied += 1
    return applied, skipped
