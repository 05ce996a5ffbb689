"""Forms of the criteria pages: parse input only; services decide."""

from django import forms
from django.utils import timezone

from units.models import UnitGroup


def _year_field():
    return forms.IntegerField(
        label="Năm", min_value=2000, max_value=2100, initial=lambda: timezone.localdate().year
    )


class ImportForm(forms.Form):
    group = forms.ModelChoiceField(
        label="Nhóm đơn vị", queryset=UnitGroup.objects.filter(is_assessed=True), empty_label=None
    )
    year = _year_field()
    file = forms.FileField(
        label="Tệp Excel (.xlsx, tối đa 5 MB)", allow_empty_file=True
    )  # the importer explains
    replace = forms.BooleanField(label="Thay thế bộ chỉ số hiện có (nếu chưa khóa)", required=False)


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
