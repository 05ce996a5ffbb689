"""Forms of the criteria pages: parse input only; services decide."""

from django import forms
from django.utils import timezone

from units.models import Unit, UnitGroup


def _year_field():
    return forms.IntegerField(
        label="Năm", min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )


class ImportForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Nhóm đơn vị", queryset=UnitGroup.objects.filter(is_assessed=True), empty_label=None
    )
    year = _year_field()
    parent_unit = forms.ModelChoiceField(
        label="Đơn vị ban hành (áp dụng cho đơn vị trực thuộc)",
        queryset=Unit.objects.filter(children__isnull=False).distinct().select_related("group"),
        required=False,
        empty_label="— Bộ chỉ số của tỉnh cho cả nhóm —",
        help_text="Chọn một UBND cấp huyện cho bộ chỉ số cấp xã do huyện ban hành (trước 01/7/2025).",
    )
    file = forms.FileField(
        label="Tệp Excel (.xlsx, tối đa 5 MB)", allow_empty_file=True
    )  # the importer explains
    replace = forms.BooleanField(label="Thay thế bộ chỉ số hiện có (nếu chưa khóa)", required=False)

    def clean(self):
        """Refuse a parent unit that may not issue the set (``criteria.scope.set_scope_refusal``)."""
        from criteria.scope import set_scope_refusal

        data = super().clean()
        if data.get("group") and data.get("year"):
            refusal = set_scope_refusal(
                group=data["group"], year=data["year"], parent_unit=data.get("parent_unit")
            )
            if refusal:
                self.add_error("parent_unit", refusal)
        return data


class ConfirmImportForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)


class CloneForm(forms.Form):
    year = _year_field()
    group = forms.ModelChoiceField(
        label="Nhóm đơn vị (để trống: giữ nguyên)",
        queryset=UnitGroup.objects.filter(is_assessed=True),
        required=False,
    )
    name = forms.CharField(
        label="Tên bộ chỉ số mới (để trống: đổi năm trong tên cũ)", required=False, max_length=255
    )
