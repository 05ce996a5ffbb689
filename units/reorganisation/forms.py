"""Forms of the "Sắp xếp đơn vị" page: one per kind; each parses its input and calls its service
(``units.reorganisation.services``), whose errors are shown next to the field they concern."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError

from parindex.dates import day_first_date_field

from ..models import Reorganisation, Unit, UnitGroup
from . import services

SPLIT_PARTS = 3


def _units():
    return Unit.objects.select_related("group").order_by("group__order", "order", "code")


class _Base(forms.Form):
    effective = day_first_date_field("Ngày hiệu lực")
    basis = forms.CharField(
        label="Căn cứ pháp lý", max_length=500, required=False, help_text="Ví dụ: Nghị quyết số …"
    )
    note = forms.CharField(label="Ghi chú", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    #: service error key → form field (keys not listed go to the field of the same name, else the whole form)
    error_fields: dict[str, str] = {}
    #: each kind's form calls its service: ``call(by=user, common={"effective", "basis", "note"})`` → the event
    call: Callable[..., Reorganisation]

    def perform(self, *, by):
        """Call the service with the cleaned data; ``None`` (errors added to the form) when it refuses."""
        try:
            return self.call(by=by, common={k: self.cleaned_data[k] for k in ("effective", "basis", "note")})
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                field = self.error_fields.get(key, key)
                self.add_error(field if field in self.fields else None, messages)
            return None


class MergeForm(_Base):
    sources = forms.ModelMultipleChoiceField(label="Các đơn vị được sáp nhập", queryset=_units())
    into = forms.ModelChoiceField(
        label="Sáp nhập vào đơn vị đã có",
        queryset=_units(),
        required=False,
        help_text="Để trống để lập đơn vị mới.",
    )
    code = forms.CharField(label="Mã đơn vị mới", max_length=30, required=False)
    name = forms.CharField(label="Tên đơn vị mới", max_length=255, required=False)
    short_name = forms.CharField(label="Tên viết tắt", max_length=100, required=False)
    group = forms.ModelChoiceField(label="Nhóm", queryset=UnitGroup.objects.all(), required=False)
    parent = forms.ModelChoiceField(label="Đơn vị cấp trên", queryset=_units(), required=False)

    def call(self, *, by, common):
        d = self.cleaned_data
        self.error_fields = {"into": "into" if d["into"] else "code"}
        into = d["into"] or {
            "code": d["code"],
            "name": d["name"],
            "short_name": d["short_name"],
            **({"group": d["group"]} if d["group"] else {}),
            "parent": d["parent"],
        }
        return services.reorganisation_merge(sources=list(d["sources"]), into=into, by=by, **common)


class SplitForm(_Base):
    source = forms.ModelChoiceField(label="Đơn vị được chia tách", queryset=_units())
    error_fields = {"into": "code_1", "shares": "share_1"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(1, SPLIT_PARTS + 1):
            self.fields[f"code_{i}"] = forms.CharField(
                label=f"Mã đơn vị mới {i}", max_length=30, required=i <= 2
            )
            self.fields[f"name_{i}"] = forms.CharField(
                label=f"Tên đơn vị mới {i}", max_length=255, required=i <= 2
            )
            self.fields[f"share_{i}"] = forms.DecimalField(
                label=f"Tỷ lệ {i} (%)", required=False, max_digits=5
            )

    def call(self, *, by, common):
        d = self.cleaned_data
        into = [
            ({"code": d[f"code_{i}"], "name": d[f"name_{i}"]}, d[f"share_{i}"])
            for i in range(1, SPLIT_PARTS + 1)
            if d.get(f"code_{i}") or d.get(f"name_{i}")
        ]
        return services.reorganisation_split(source=d["source"], into=into, by=by, **common)


class RenameForm(_Base):
    unit = forms.ModelChoiceField(label="Đơn vị", queryset=_units())
    new_code = forms.CharField(label="Mã mới", max_length=30)
    new_name = forms.CharField(
        label="Tên mới", max_length=255, required=False, help_text="Để trống: giữ tên."
    )
    new_short_name = forms.CharField(label="Tên viết tắt mới", max_length=100, required=False)

    def call(self, *, by, common):
        d = self.cleaned_data
        return services.reorganisation_rename(
            unit=d["unit"],
            new_code=d["new_code"],
            new_name=d["new_name"],
            new_short_name=d["new_short_name"] or None,
            by=by,
            **common,
        )


class MoveForm(_Base):
    unit = forms.ModelChoiceField(label="Đơn vị", queryset=_units())
    new_parent = forms.ModelChoiceField(
        label="Đơn vị cấp trên mới", queryset=_units(), required=False, help_text="Để trống: trực thuộc tỉnh."
    )
    new_code = forms.CharField(label="Mã mới của đơn vị", max_length=30)

    def call(self, *, by, common):
        d = self.cleaned_data
        return services.reorganisation_move(
            unit=d["unit"], new_parent=d["new_parent"], new_code=d["new_code"], by=by, **common
        )


class DissolveForm(_Base):
    unit = forms.ModelChoiceField(label="Đơn vị giải thể", queryset=_units())

    def call(self, *, by, common):
        return services.reorganisation_dissolve(unit=self.cleaned_data["unit"], by=by, **common)


#: kind → form, in the order of the page's tabs
FORMS: dict[str, type[_Base]] = {
    "merge": MergeForm,
    "split": SplitForm,
    "rename": RenameForm,
    "move": MoveForm,
    "dissolve": DissolveForm,
}
