"""Who may issue a criteria set and who may appraise its fields (004 Phần III §III.1; issue 13 item 4).

Rules only (no writes, no permission checks); the importer (``criteria.services``), the clone, the field-owners
page and ``assessments.services.appraisal.field_owner_set`` all apply them.

- A set is appraised after its year ends, so its issuing unit and the agencies that appraise it must still exist
  on 31 December of the set's year (``valid_at_year_end``: by the units' validity dates; ``is_active`` says
  whether a unit exists today, not then). A district closed on 30 June 2025 may issue and appraise its communes'
  2024 set, not a 2025 one.
- A set issued by a parent unit (``CriteriaSet.parent_unit``: a district's set for its communes) is appraised by
  units of the parent's own level (the district level: the district, or another district), never by a
  department; a province-wide set (no parent unit) by any unit valid that year (in practice the departments).
"""

from datetime import date

from django.db.models import Q, QuerySet

from units.models import Unit, UnitGroup

#: Groups whose units appraise the fields of a province-wide set (the field-owners page's choices).
PROVINCE_OWNER_GROUPS = ("SO", "TINH")


def valid_at_year_end(unit: Unit, year: int) -> bool:
    """True when ``unit``'s validity dates include 31 December of ``year`` (empty dates are open)."""
    end = date(year, 12, 31)
    return (unit.valid_from is None or unit.valid_from <= end) and (
        unit.valid_to is None or unit.valid_to >= end
    )


def _closed_text(unit: Unit, year: int) -> str:
    if unit.valid_to is not None and unit.valid_to < date(year, 12, 31):
        return f"hết hiệu lực từ sau ngày {unit.valid_to:%d/%m/%Y}"
    return f"chỉ có hiệu lực từ ngày {unit.valid_from:%d/%m/%Y}" if unit.valid_from else "không có hiệu lực"


def set_scope_refusal(*, group: UnitGroup, year: int, parent_unit: Unit | None) -> str | None:
    """Why ``parent_unit`` cannot issue a set of ``group`` for ``year`` (Vietnamese), or None when it can (or
    when there is no parent unit): it must exist at the end of the year and stand above the group (not be one of
    its units)."""
    if parent_unit is None:
        return None
    if parent_unit.group_id == group.pk:
        return (
            f"Đơn vị ban hành '{parent_unit.name}' thuộc chính nhóm '{group.name}'; bộ chỉ số của đơn vị cấp trên "
            "áp dụng cho các đơn vị trực thuộc nó."
        )
    if not valid_at_year_end(parent_unit, year):
        return (
            f"Đơn vị ban hành '{parent_unit.name}' ({parent_unit.code}) {_closed_text(parent_unit, year)}, không "
            f"còn hoạt động đến cuối năm {year}; không thể ban hành bộ chỉ số năm {year} cho các đơn vị trực thuộc."
        )
    return None


def owner_refusal(*, owner: Unit, year: int, parent_unit: Unit | None) -> str | None:
    """Why ``owner`` cannot appraise a field of a set of ``year`` issued by ``parent_unit`` (None: province-wide),
    in Vietnamese naming the owner's code, or None when it can. ``owner.group`` is read only for the message
    (load it with ``select_related``)."""
    if parent_unit is not None and owner.group_id != parent_unit.group_id:
        return (
            f"Cơ quan thẩm định '{owner.code}' ({owner.name}) không thuộc nhóm '{parent_unit.group.name}' (cùng "
            f"cấp với {parent_unit.name}): bộ chỉ số do {parent_unit.name} ban hành cho các đơn vị trực thuộc chỉ "
            "do các đơn vị cấp này thẩm định."
        )
    if not valid_at_year_end(owner, year):
        return (
            f"Cơ quan thẩm định '{owner.code}' ({owner.name}) {_closed_text(owner, year)}, không còn hoạt động "
            f"đến cuối năm {year}; chọn cơ quan còn hiệu lực năm {year}."
        )
    return None


def owner_candidates(*, year: int, parent_unit: Unit | None) -> QuerySet[Unit]:
    """The units the field-owners page offers for a set of ``year`` issued by ``parent_unit``: units of the
    parent's level (districts) for an issued set, else the departments and the provincial committee; all valid
    at the end of the year (``owner_refusal`` accepts each)."""
    end = date(year, 12, 31)
    qs = Unit.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=end), Q(valid_to__isnull=True) | Q(valid_to__gte=end)
    )
    if parent_unit is not None:
        return qs.filter(group_id=parent_unit.group_id).order_by("order", "name")
    return qs.filter(group__code__in=PROVINCE_OWNER_GROUPS).order_by("group__order", "order", "name")
