"""Forms of the round pages (coordinator): parse input only; ``services.rounds.round_create`` / ``round_update``
decide (dates in order, one round a year, a group's own set, no set change once open)."""

from django import forms
from django.utils import timezone

from criteria.models import CriteriaSet
from parindex.dates import day_first_date_field
from units.models import UnitGroup

from ..models import DEADLINES, AssessmentRound, RoundState

DATE_FIELDS = ("opens_on",) + tuple(f for f, _ in DEADLINES)
NAME_TEMPLATE = "Đánh giá Chỉ số cải cách hành chính năm {year}"


def default_name(year: int) -> str:
    """The round's usual name for ``year``: "Đánh giá Chỉ số cải cách hành chính năm 2026"."""
    return NAME_TEMPLATE.format(year=year)


def _date_field(label: str) -> forms.DateField:
    # dd/mm/yyyy text, read day first (05/01/2040 = 5 January): a date picker shows the browser's format.
    return day_first_date_field(label)


def set_field_name(group: UnitGroup) -> str:
    """Name of the set select of ``group`` in the round forms: "set_<group code>" (e.g. "set_SO")."""
    return f"set_{group.code}"


class _RoundForm(forms.Form):
    """Name, the six dates and one criteria-set select per assessed unit group (``groups``)."""

    name = forms.CharField(label="Tên đợt đánh giá", max_length=255, required=False)
    opens_on = _date_field("Ngày mở")
    self_assessment_deadline = _date_field("Hạn tự đánh giá")
    appraisal_1_deadline = _date_field("Hạn thẩm định vòng 1")
    explanation_deadline = _date_field("Hạn giải trình")
    appraisal_2_deadline = _date_field("Hạn thẩm định vòng 2")
    publication_date = _date_field("Ngày công bố")

    def __init__(
        self,
        *args,
        groups: list[UnitGroup],
        set_initial: dict[int, CriteriaSet | None],
        sets_locked: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.groups = groups
        self.sets_locked = sets_locked
        for group in groups:
            field = forms.ModelChoiceField(
                label=f"Bộ chỉ số — {group.name}",
                # the group-wide sets; the sets a parent unit issued join the round by themselves
                # (``services.rounds.round_create``: every such set of the round's year)
                queryset=CriteriaSet.objects.filter(group=group, parent_unit__isnull=True).order_by("-year"),
                required=False,
                empty_label="— Không đánh giá nhóm này trong đợt —",
                initial=set_initial.get(group.pk),
                help_text="Đã khóa: đợt đánh giá đã mở." if sets_locked else "",
            )
            # Once the round is open the sets are shown but not editable (the browser does not send them).
            field.disabled = sets_locked
            self.fields[set_field_name(group)] = field

    def clean(self):
        data = super().clean()
        if self.sets_locked:
            for group in self.groups:
                key = self.add_prefix(set_field_name(group))
                if key in self.data:
                    initial = self.fields[set_field_name(group)].initial
                    if (self.data.get(key) or "") != (str(initial.pk) if initial else ""):
                        self.add_error(set_field_name(group), "Đợt đánh giá đã mở; không thể đổi bộ chỉ số.")
        return data

    def sets(self) -> dict[UnitGroup, CriteriaSet]:
        """The chosen set of each group; groups left empty are not assessed in the round."""
        chosen = {}
        for group in self.groups:
            criteria_set = self.cleaned_data.get(set_field_name(group))
            if criteria_set is not None:
                chosen[group] = criteria_set
        return chosen

    def dates(self) -> dict:
        """``{field: date}`` of the opening day and the five deadlines, as ``services.round_*`` take them."""
        return {f: self.cleaned_data[f] for f in DATE_FIELDS}


class RoundCreateForm(_RoundForm):
    """A new round: the year first; an empty name becomes "Đánh giá Chỉ số cải cách hành chính năm <year>"."""

    year = forms.IntegerField(
        label="Năm đánh giá",
        min_value=2000,
        max_value=2100,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "required": "Nhập năm đánh giá.",
            "invalid": "Năm đánh giá phải là một số, ví dụ 2026.",
            "min_value": "Năm đánh giá phải từ 2000 đến 2100.",
            "max_value": "Năm đánh giá phải từ 2000 đến 2100.",
        },
    )
    field_order = ["year", "name", *DATE_FIELDS]

    def __init__(self, *args, groups: list[UnitGroup], **kwargs):
        year = self.next_year()
        initial = {"year": year, "name": default_name(year)} | kwargs.pop("initial", {})
        sets = {
            s.group_id: s
            for s in CriteriaSet.objects.filter(
                group__in=groups, year=initial["year"], parent_unit__isnull=True
            )
        }
        super().__init__(*args, groups=groups, set_initial=sets, initial=initial, **kwargs)
        self.fields[
            "name"
        ].help_text = "Để trống: “Đánh giá Chỉ số cải cách hành chính năm …” theo năm đánh giá."

    @staticmethod
    def next_year() -> int:
        """This year, or the year after the latest round when this year already has one."""
        this_year = timezone.localdate().year
        latest = AssessmentRound.objects.order_by("-year").values_list("year", flat=True).first()
        return max(this_year, latest + 1) if latest else this_year

    def clean(self):
        data = super().clean()
        if data.get("year") and not (data.get("name") or "").strip():
            data["name"] = default_name(data["year"])
        return data


class RoundEditForm(_RoundForm):
    """Name and dates of a round (with the reason kept in its history) and, while it is in preparation,
    its sets. The reason is required once the round is open: units plan against its deadlines."""

    reason = forms.CharField(
        label="Lý do thay đổi",
        max_length=255,
        required=False,
        help_text="Được lưu trong lịch sử của đợt đánh giá.",
    )

    def __init__(self, *args, round: AssessmentRound, **kwargs):
        self.round = round
        groups = kwargs.pop("groups")
        current = {
            rs.group_id: rs.criteria_set
            for rs in round.round_sets.filter(parent_unit__isnull=True).select_related("criteria_set")
        }
        initial = {"name": round.name} | {f: getattr(round, f) for f in DATE_FIELDS}
        super().__init__(
            *args,
            groups=groups,
            set_initial=current,
            sets_locked=round.state != RoundState.DRAFT,
            initial=initial,
            **kwargs,
        )
        self.fields["name"].required = True
        if self.sets_locked:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Nhập lý do thay đổi: đợt đánh giá đã mở, mọi thay đổi ngày hạn phải có lý do."
            )
