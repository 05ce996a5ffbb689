"""The commune-level sets the portal ships (``fixtures/criteria/XA-2024.xlsx``, ``XA.xlsx``) and the one rule of
which loads for a year (issue 13 item 4; 004 Phần III §III.1).

Both are SAMPLES ("Bộ chỉ số mẫu — thay bằng quyết định … qua chức năng nhập"): 8 fields on the national method's
pattern, 100 points, to be replaced by the real decisions through the importer (README "Criteria sets").

- Until 2024 (``DISTRICT_SETS_UNTIL``; the district level ended on 1 July 2025, so the 2025 round is on the new
  map) each district issued and appraised its communes' set: ``XA-2024.xlsx`` is loaded once per district that has
  communes that year, as the set that district issues (``CriteriaSet.parent_unit``). The district's offices are not
  units in the data, so the district itself owns every field: the workbook names ``HTD`` (Trần Đề, whose communes
  the units fixture has always held) and each district's copy names that district instead, with the district's
  name added to the set's (``with_owner``).
- From 2025 the province issues and appraises the communes' set: ``XA.xlsx``, one province-wide set owned by the
  departments after the mergers of 2025.
"""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from units.models import Unit, UnitGroup

from .models import CriteriaSet
from .scope import valid_at_year_end
from .services import criteria_set_import
from .workbook import read_workbook, write_workbook

COMMUNE_GROUP = "XA"
#: The last year whose communes' set each district issued.
DISTRICT_SETS_UNTIL = 2024


def _path(name: str) -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "criteria" / name


def with_owner(data: bytes, *, owner_code: str, name: str) -> bytes:
    """The criteria workbook ``data`` with every owner code replaced by ``owner_code`` and the set named ``name``
    (a district's copy of the district template), as .xlsx bytes. ``ValueError`` for an unreadable workbook (the
    shipped one always reads)."""
    result = read_workbook(data)
    if result.spec is None:
        raise ValueError("; ".join(map(str, result.problems)))
    spec = result.spec
    spec.name = name
    for node in spec.nodes:
        if node.owner_code:
            node.owner_code = owner_code
    return write_workbook(spec)


def successor_in(unit: Unit, year: int, *, depth: int = 8) -> Unit | None:
    """The unit that carries ``unit``'s work at the end of ``year``: ``unit`` itself when valid on 31 December
    of ``year``, else its one successor that is (followed through lineage, ``Unit.successors``, at most ``depth``
    steps), None when there is none or more than one (a split: no single heir)."""
    seen = set()
    while depth >= 0 and unit.pk not in seen:
        if valid_at_year_end(unit, year):
            return unit
        seen.add(unit.pk)
        heirs = list(unit.successors.all()[:2])
        if len(heirs) != 1:
            return None
        unit, depth = heirs[0], depth - 1
    return None


def shipped_set(code: str, year: int) -> tuple[bytes, str, list[str]]:
    """The shipped workbook ``fixtures/criteria/<code>.xlsx`` as it applies to ``year``: (.xlsx bytes, file name,
    the replacements made, e.g. "STTTT → SKHCN"). The shipped sets name the agencies of 2024; an owner closed
    before the end of ``year`` by a reorganisation is replaced by the unit that carries its work then
    (``successor_in``: Sở Thông tin và Truyền thông's fields go to Sở Khoa học và Công nghệ from 2025), so a later
    year's import passes the importer's rule that owners exist that year (``criteria.scope``). An owner with no
    single heir is left for the importer to refuse. ``ValueError`` for an unreadable workbook (the shipped ones
    read)."""
    path = _path(f"{code}.xlsx")
    data = path.read_bytes()
    result = read_workbook(data)
    if result.spec is None:
        raise ValueError("; ".join(map(str, result.problems)))
    codes = {n.owner_code for n in result.spec.nodes if n.owner_code}
    owners = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    heirs = {c: successor_in(u, year) for c, u in owners.items() if not valid_at_year_end(u, year)}
    heirs = {c: h for c, h in heirs.items() if h is not None}
    if not heirs:
        return data, path.name, []
    for node in result.spec.nodes:
        if node.owner_code in heirs:
            node.owner_code = heirs[node.owner_code].code
    return write_workbook(result.spec), path.name, [f"{c} → {h.code}" for c, h in sorted(heirs.items())]


def commune_districts(year: int) -> list[Unit]:
    """The units that issue their communes' set in ``year`` (≤ ``DISTRICT_SETS_UNTIL``): parents of the commune
    group's units valid that year, themselves existing at its end (``criteria.scope.valid_at_year_end``), in order."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    communes = Unit.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=end),
        Q(valid_to__isnull=True) | Q(valid_to__gte=start),
        group__code=COMMUNE_GROUP,
        parent__isnull=False,
    )
    parents = Unit.objects.filter(pk__in=communes.values("parent_id")).select_related("group")
    return [u for u in parents.order_by("order", "code") if valid_at_year_end(u, year)]


def commune_sets_load(year: int, *, by) -> list[str]:
    """Import the shipped commune set(s) of ``year`` through ``criteria_set_import`` unless present (idempotent):
    a district's copy of ``XA-2024.xlsx`` for each of ``commune_districts(year)`` up to ``DISTRICT_SETS_UNTIL``,
    ``XA.xlsx`` province-wide after. Returns one line per set for the command's output; nothing when the portal
    has no commune group. Raises what the importer raises (``WorkbookInvalid``, ``ValidationError``)."""
    group = UnitGroup.objects.filter(code=COMMUNE_GROUP).first()
    if group is None:
        return []
    lines = []
    if year > DISTRICT_SETS_UNTIL:
        path = _path("XA.xlsx")
        if CriteriaSet.objects.filter(group=group, year=year, parent_unit__isnull=True).exists():
            return [f"Bộ chỉ số {COMMUNE_GROUP} {year}: đã có, giữ nguyên."]
        criteria_set_import(group=group, year=year, data=path.read_bytes(), filename=path.name, by=by)
        return [f"Bộ chỉ số {COMMUNE_GROUP} {year} (mẫu, của tỉnh): đã nhập từ {path.name}."]
    path = _path("XA-2024.xlsx")
    template = path.read_bytes()
    name = read_workbook(template).spec.name  # type: ignore[union-attr]  # the shipped workbook reads
    have = set(
        CriteriaSet.objects.filter(group=group, year=year, parent_unit__isnull=False).values_list(
            "parent_unit_id", flat=True
        )
    )
    for district in commune_districts(year):
        if district.pk in have:
            lines.append(f"Bộ chỉ số {COMMUNE_GROUP} {year} của {district.code}: đã có, giữ nguyên.")
            continue
        data = with_owner(template, owner_code=district.code, name=f"{name} — {district.name}")
        criteria_set_import(
            group=group, year=year, data=data, filename=path.name, by=by, parent_unit=district
        )
        lines.append(f"Bộ chỉ số {COMMUNE_GROUP} {year} (mẫu) của {district.code}: đã nhập từ {path.name}.")
    return lines
