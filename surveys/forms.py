"""Forms of the survey pages: parse input only; services decide."""

from django import forms


class ResultsUploadForm(forms.Form):
    file = forms.FileField(label="Tệp kết quả điều tra XHH (.xlsx, tối đa 5 MB)", allow_empty_file=True)


class ConfirmForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)


class CellForm(forms.Form):
    """One grid cell: points as typed ("1,5" or "1.5"; blank clears) and the version shown."""

    value = forms.CharField(label="Điểm", required=False, max_length=20)
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class ResponsesUploadForm(forms.Form):
    file = forms.FileField(
        label="Tệp phiếu điều tra XHH (.xlsx gồm trang 'Phiếu' và 'Ánh xạ', tối đa 5 MB)",
        allow_empty_file=True,
    )


class PopulationForm(forms.Form):
    """Population N as typed ("500", "1.500"); the service validates it."""

    size = forms.CharField(label="Tổng thể N", required=False, max_length=20)
