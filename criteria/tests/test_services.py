"""Import, clone and freeze of criteria sets: what ends up in the database, who may do it, and what is
refused (all or nothing)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from criteria.models import CriteriaSet, Criterion, GradeBand
from criteria.selectors import criteria_set_spec
from criteria.services import criteria_set_clone, criteria_set_freeze, criteria_set_import
from criteria.workbook import read_workbook, write_workbook
from parindex.exceptions import InvalidTransition, WorkbookInvalid
from units.models import UnitGroup
from units.services import system_user

from .workbooks import ROW, SET_NAME, TREE, broken, set_cell, valid_bytes, valid_spec


@pytest.fixture
def group(units):
    return UnitGroup.objects.get(code="SO")


@pytest.fixture
def imported(group):
    return criteria_set_import(
        group=group, year=2024, data=valid_bytes(), filename="bo-chi-so-2024.xlsx", by=system_user()
    )


def _state(criteria_set):
    """Everything a user sees of a set: its fields and its nodes and bands, in print order."""
    criteria_set = CriteriaSet.objects.get(pk=criteria_set.pk)
    return (
        (
            criteria_set.name,
            criteria_set.bonus_cap,
            criteria_set.penalty_cap,
            criteria_set.frozen_at,
            criteria_set.source_filename,
        ),
        list(
            criteria_set.nodes.order_by("order").values_list(
                "code",
                "level",
                "order",
                "title",
                "max_points",
                "source",
                "kind",
                "step",
                "scale",
                "owner__code",
                "parent__code",
                "guidance",
                "evidence_hint",
            )
        ),
        list(criteria_set.bands.values_list("code", "label", "min_percent")),
    )


# ---------------------------------------------------------------------------------------------- import


def test_import_writes_the_tree(imported):
    assert imported.name == SET_NAME and imported.year == 2024 and imported.group.code == "SO"
    assert imported.bonus_cap == Decimal("2") and imported.penalty_cap == Decimal("1.5")
    assert imported.source_filename == "bo-chi-so-2024.xlsx"
    assert imported.frozen_at is None and imported.cloned_from is None

    nodes = {n.code: n for n in imported.nodes.select_related("parent", "owner")}
    assert set(nodes) == set(ROW)
    assert {code: n.level for code, n in nodes.items()} == {code: code.count(".") + 1 for code in ROW}
    assert {code: n.parent.code if n.parent else None for code, n in nodes.items()} == {
        code: code.rpartition(".")[0] or None for code in ROW
    }
    # order = print order (pre-order), which for this workbook is the row order
    assert [n.code for n in imported.nodes.order_by("order")] == list(ROW)
    assert sorted(n.order for n in nodes.values()) == list(range(1, len(ROW) + 1))
    # owners: fields name theirs, 2.1 overrides; nodes that name none stay empty (inherit on display)
    assert {code: n.owner.code for code, n in nodes.items() if n.owner} == {
        "1": "SNV",
        "2": "STP",
        "2.1": "STC",
    }
    # scales parsed into the stored form, points and steps as numbers
    assert nodes["1.1"].kind == "options" and nodes["1.1"].scale == [
        {"label": "Ban hành kịp thời", "points": "2"},
        {"label": "Ban hành chậm", "points": "1"},
        {"label": "Không ban hành", "points": "0"},
    ]
    assert nodes["2.2"].scale[1] == {"label": "Chưa đầy đủ", "points": "0.5"}
    assert nodes["1.2.1"].kind == "ratio" and nodes["1.2.1"].scale == [
        {"min": "90", "points": "3"},
        {"min": "70", "points": "2"},
        {"min": "0", "points": "0"},
    ]
    assert nodes["1.2.1"].scale_text == "≥ 90%: 3; 70–<90%: 2; <70%: 0"
    assert (nodes["1.2.2"].kind, nodes["1.2.2"].step) == ("range", Decimal("0.5"))
    assert (nodes["2.1.2"].kind, nodes["2.1.2"].step) == ("range", Decimal("0.25"))
    assert (nodes["1.3"].source, nodes["1.3"].kind, nodes["1.3"].scale) == ("appraisal", "yes_no", [])
    assert (nodes["1.4"].source, nodes["1.4"].kind, nodes["1.4"].step) == ("survey", "", None)
    assert (nodes["1.2"].source, nodes["1.2"].kind) == ("", "")
    assert nodes["1"].max_points == 10 and nodes["1.2"].max_points == 5 and nodes["2"].max_points == 5
    assert nodes["1.1"].guidance.startswith("Kế hoạch ban hành") and nodes["1.1"].evidence_hint
    assert list(imported.bands.values_list("code", "label", "min_percent")) == [
        ("A", "Xuất sắc", 90),
        ("B", "Tốt", 80),
        ("C", "Khá", 70),
        ("D", "Trung bình", 0),
    ]


def test_order_is_print_order_even_when_rows_interleave(group):
    """Rows may list field 2 before field 1's children (parents still above children); order follows the tree."""

    def move_field_2_up(wb):
        ws = wb[TREE]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
        by_code = {r[0]: r for r in rows}
        new = [
            by_code[c]
            for c in ("1", "2", "1.1", "2.1", "1.2", "2.1.1", "1.2.1", "2.2", "1.2.2", "2.1.2", "1.3", "1.4")
        ]
        for i, values in enumerate(new, start=2):
            for j, value in enumerate(values, start=1):
                ws.cell(row=i, column=j).value = value  # (cell(value=None) would keep the old value)

    criteria_set = criteria_set_import(group=group, year=2025, data=broken(move_field_2_up), by=system_user())
    assert [n.code for n in criteria_set.nodes.order_by("order")] == [
        "1",
        "1.1",
        "1.2",
        "1.2.1",
        "1.2.2",
        "1.3",
        "1.4",
        "2",
        "2.1",
        "2.1.1",
        "2.1.2",
        "2.2",
    ]


def test_round_trip_import_export_read(imported):
    spec = criteria_set_spec(imported)
    assert spec == valid_spec()
    again = read_workbook(write_workbook(spec))
    assert again.ok and again.warnings == []
    assert again.spec == valid_spec()


def test_reimport_of_the_export_with_replace_keeps_the_same_data(group, imported):
    before = _state(imported)
    exported = write_workbook(criteria_set_spec(imported))
    again = criteria_set_import(
        group=group, year=2024, data=exported, filename="bo-chi-so-2024.xlsx", by=system_user(), replace=True
    )
    assert again.pk == imported.pk
    assert CriteriaSet.objects.count() == 1
    assert Criterion.objects.count() == len(ROW) and GradeBand.objects.count() == 4
    assert _state(again) == before


def test_replace_writes_the_new_tree(group, imported):
    data = broken(set_cell("1.1", "title", "Ban hành kế hoạch CCHC (sửa)"))
    criteria_set_import(
        group=group, year=2024, data=data, filename="sua.xlsx", by=system_user(), replace=True
    )
    imported.refresh_from_db()
    assert imported.nodes.get(code="1.1").title == "Ban hành kế hoạch CCHC (sửa)"
    assert imported.source_filename == "sua.xlsx"
    assert Criterion.objects.count() == len(ROW)


def test_second_import_without_replace_is_refused_and_keeps_the_first(group, imported):
    before = _state(imported)
    other = broken(lambda wb: wb["Thông tin"].__setitem__("B2", "Bộ chỉ số khác"))
    with pytest.raises(ValidationError) as info:
        criteria_set_import(group=group, year=2024, data=other, filename="khac.xlsx", by=system_user())
    assert not isinstance(info.value, WorkbookInvalid | InvalidTransition)
    assert "đã có bộ chỉ số năm 2024" in " ".join(info.value.messages)
    assert "Thay thế" in " ".join(info.value.messages)
    assert CriteriaSet.objects.count() == 1
    assert _state(imported) == before


def test_a_frozen_set_cannot_be_replaced(group, imported):
    frozen = criteria_set_freeze(criteria_set=imported, by=system_user())
    assert frozen.is_frozen
    before = _state(imported)
    other = broken(set_cell("1.1", "title", "Tiêu đề mới"))
    with pytest.raises(InvalidTransition) as info:
        criteria_set_import(group=group, year=2024, data=other, by=system_user(), replace=True)
    assert "sao chép sang năm mới" in " ".join(info.value.messages)
    assert _state(imported) == before


def test_freeze_is_idempotent(imported):
    first = criteria_set_freeze(criteria_set=imported, by=system_user()).frozen_at
    assert first is not None
    assert criteria_set_freeze(criteria_set=imported, by=system_user()).frozen_at == first


def test_the_same_workbook_imports_into_other_years_and_groups(group, imported):
    criteria_set_import(group=group, year=2025, data=valid_bytes(), by=system_user())
    criteria_set_import(
        group=UnitGroup.objects.get(code="HUYEN"), year=2024, data=valid_bytes(), by=system_user()
    )
    assert CriteriaSet.objects.count() == 3
    assert Criterion.objects.count() == 3 * len(ROW)
    assert _state(imported)[1] == _state(CriteriaSet.objects.get(group=group, year=2025))[1]


# ---------------------------------------------------------------------------------------------- clone


def test_clone_copies_nodes_bands_and_caps_to_a_new_year(imported):
    criteria_set_freeze(criteria_set=imported, by=system_user())
    imported.refresh_from_db()
    clone = criteria_set_clone(source=imported, year=2025, by=system_user())
    clone.refresh_from_db()
    assert clone.pk != imported.pk and clone.year == 2025 and clone.group_id == imported.group_id
    assert clone.cloned_from_id == imported.pk
    assert clone.frozen_at is None and not clone.is_frozen
    assert clone.name == SET_NAME.replace("2024", "2025")
    assert (clone.bonus_cap, clone.penalty_cap) == (imported.bonus_cap, imported.penalty_cap)
    source_state, clone_state = _state(imported), _state(clone)
    assert clone_state[1] == source_state[1]  # same codes, levels, order, points, scales, owners, parents
    assert clone_state[2] == source_state[2]
    # the clone's tree is its own: parents are the clone's nodes, and the source is untouched
    assert not clone.nodes.exclude(parent__isnull=True).exclude(parent__criteria_set=clone).exists()
    assert imported.nodes.count() == len(ROW)
    expected = valid_spec()
    expected.name = SET_NAME.replace("2024", "2025")
    assert criteria_set_spec(clone) == expected


def test_clone_to_another_group_with_a_name(imported):
    other = UnitGroup.objects.get(code="HUYEN")
    clone = criteria_set_clone(
        source=imported, year=2024, by=system_user(), group=other, name="Bộ chỉ số cấp huyện"
    )
    assert (clone.group, clone.year, clone.name) == (other, 2024, "Bộ chỉ số cấp huyện")
    assert clone.nodes.count() == len(ROW)


def test_clone_refuses_an_existing_group_and_year(group, imported):
    criteria_set_import(group=group, year=2025, data=valid_bytes(), by=system_user())
    before = (CriteriaSet.objects.count(), Criterion.objects.count(), GradeBand.objects.count())
    with pytest.raises(ValidationError) as info:
        criteria_set_clone(source=imported, year=2025, by=system_user())
    assert "đã có bộ chỉ số năm 2025" in " ".join(info.value.messages)
    with pytest.raises(ValidationError):
        criteria_set_clone(source=imported, year=2024, by=system_user())  # onto itself
    assert (CriteriaSet.objects.count(), Criterion.objects.count(), GradeBand.objects.count()) == before


# ---------------------------------------------------------------------------------------------- permissions


def test_services_refuse_a_user_without_the_manage_permission(group, imported, make_user):
    officer = make_user("officer", "SCT")
    before = _state(imported)
    counts = (CriteriaSet.objects.count(), Criterion.objects.count(), GradeBand.objects.count())
    with pytest.raises(PermissionDenied):
        criteria_set_import(group=group, year=2025, data=valid_bytes(), by=officer)
    with pytest.raises(PermissionDenied):
        criteria_set_import(group=group, year=2024, data=valid_bytes(), by=officer, replace=True)
    with pytest.raises(PermissionDenied):
        criteria_set_clone(source=imported, year=2025, by=officer)
    with pytest.raises(PermissionDenied):
        criteria_set_freeze(criteria_set=imported, by=officer)
    assert (CriteriaSet.objects.count(), Criterion.objects.count(), GradeBand.objects.count()) == counts
    assert _state(imported) == before


@pytest.mark.parametrize("who", ["admin_user", "coordinator"])
def test_services_succeed_for_admin_and_coordinator(request, group, who):
    user = request.getfixturevalue(who)
    created = criteria_set_import(group=group, year=2024, data=valid_bytes(), by=user)
    replaced = criteria_set_import(group=group, year=2024, data=valid_bytes(), by=user, replace=True)
    assert replaced.pk == created.pk
    clone = criteria_set_clone(source=created, year=2025, by=user)
    assert clone.nodes.count() == len(ROW)
    assert criteria_set_freeze(criteria_set=created, by=user).is_frozen


# ---------------------------------------------------------------------------------------------- history


def test_import_records_history_per_node_with_the_acting_user(group, coordinator):
    criteria_set = criteria_set_import(
        group=group, year=2024, data=valid_bytes(), filename="a.xlsx", by=coordinator
    )
    added = Criterion.history.filter(history_type="+", criteria_set_id=criteria_set.pk)
    assert sorted(added.values_list("code", flat=True)) == sorted(ROW)
    assert {h.history_user_id for h in added} == {coordinator.pk}
    assert {h.history_change_reason for h in added} == {"Nhập từ tệp a.xlsx"}
    set_history = criteria_set.history.all()
    assert [(h.history_type, h.history_user_id) for h in set_history] == [("+", coordinator.pk)]


def test_clone_and_freeze_record_history(imported, coordinator):
    clone = criteria_set_clone(source=imported, year=2025, by=coordinator)
    added = Criterion.history.filter(history_type="+", criteria_set_id=clone.pk)
    assert added.count() == len(ROW)
    assert {h.history_user_id for h in added} == {coordinator.pk}
    criteria_set_freeze(criteria_set=clone, by=coordinator)
    latest = clone.history.first()
    assert (latest.history_type, latest.history_user_id) == ("~", coordinator.pk)
    assert latest.frozen_at is not None


# ---------------------------------------------------------------------------------------------- Criterion.clean


def _leaf(criteria_set, **fields):
    base = {
        "criteria_set": criteria_set,
        "level": 2,
        "code": "1.9",
        "order": 99,
        "title": "Tiêu chí thử",
        "max_points": Decimal(1),
        "source": "appraisal",
        "kind": "options",
        "scale": [{"label": "Có", "points": "1"}, {"label": "Không", "points": "0"}],
    }
    return Criterion(**(base | fields))


def test_clean_accepts_a_valid_node(imported):
    _leaf(imported, parent=imported.nodes.get(code="1")).clean()


def test_clean_refuses_option_points_above_max(imported):
    node = _leaf(imported, scale=[{"label": "Có", "points": "2"}, {"label": "Không", "points": "0"}])
    with pytest.raises(ValidationError) as info:
        node.clean()
    assert any("Lựa chọn 'Có' có điểm 2 ngoài khoảng 0–1" in m for m in info.value.messages)


def test_clean_refuses_a_parent_in_another_set(group, imported):
    other = criteria_set_import(group=group, year=2025, data=valid_bytes(), by=system_user())
    node = _leaf(imported, parent=other.nodes.get(code="1"))
    with pytest.raises(ValidationError) as info:
        node.clean()
    assert info.value.message_dict["parent"] == ["Tiêu chí cha phải thuộc cùng bộ chỉ số."]


def test_clean_refuses_a_scored_parent(imported):
    parent = imported.nodes.get(code="1.2")
    parent.kind, parent.source = "yes_no", "appraisal"
    with pytest.raises(ValidationError) as info:
        parent.clean()
    assert any("không được chấm trực tiếp" in m for m in info.value.messages)
