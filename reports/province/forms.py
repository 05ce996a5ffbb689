"""Forms of the province results pages: parse input only (text as typed); ``reports.province.services`` decides."""

from django import forms

from ..models.province import CURRENT_FIELDS, FIELD_NAMES, ONE_STOP_FIELD, default_provinces_ranked

NUMBER = {"required": False, "max_length": 20}


def _number_widget(placeholder=""):
    return forms.TextInput(attrs={"inputmode": "decimal", "placeholder": placeholder, "autocomplete": "off"})


class ProvinceResultForm(forms.Form):
    """A year's figures. ``year`` only when adding; components 1–8, plus the 2016-only 9 when the year has
    it (``fields``), labelled with the year's recorded ``names`` where given. Blank = not known (NULL)."""

    year = forms.CharField(label="Năm", max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    overall_percent = forms.CharField(label="Chỉ số CCHC (%)", **NUMBER, widget=_number_widget("ví dụ 85,12"))
    rank = forms.CharField(label="Xếp hạng", **NUMBER, widget=_number_widget("ví dụ 14"))
    provinces_ranked = forms.CharField(
        label="Số tỉnh, thành phố được xếp hạng",
        **NUMBER,
        widget=_number_widget(),
        help_text="Để trống khi có xếp hạng: 63 với các năm trước 2025, 34 từ kết quả năm 2025 (sau sắp xếp tỉnh).",
    )
    source = forms.CharField(
        label="Nguồn số liệu",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Văn bản công bố (số, ngày) của Bộ Nội vụ hoặc tài liệu trích dẫn.",
    )
    note = forms.CharField(
        label="Ghi chú", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, year: int | None = None, fields=CURRENT_FIELDS, names=None, **kwargs):
        super().__init__(*args, **kwargs)
        if year is not None:  # editing: the year is fixed
            del self.fields["year"]
            self.fields["provinces_ranked"].widget.attrs["placeholder"] = str(default_provinces_ranked(year))
        for n in fields:
            label = f"{n}. {(names or {}).get(n) or FIELD_NAMES.get(n, '')} (%)"
            help_text = "Chỉ đánh giá riêng trong năm 2016 (004 §2.1)." if n == ONE_STOP_FIELD else ""
            self.fields[f"component_{n}"] = forms.CharField(
                label=label, help_text=help_text, **NUMBER, widget=_number_widget()
            )
        order = ["year", "overall_percent", "rank", "provinces_ranked"] + [f"component_{n}" for n in fields]
        self.order_fields(order + ["source", "note"])

    @property
    def component_fields(self):
        return [self[name] for name in self.fields if name.startswith("component_")]

    @property
    def main_fields(self):
        return [
            self[name]
            for name in ("year", "overall_percent", "rank", "provinces_ranked")
            if name in self.fields
        ]

    @property
    def text_fields(self):
        return [self["source"], self["note"]]


class ResultsUploadForm(forms.Form):
    file = forms.FileField(label="Tệp kết quả của tỉnh (.xlsx, tối đa 2 MB)", allow_empty_file=True)


class ConfirmForm(forms.Form):
    token = forms.UUIDField(widget=forms.HiddenInput)
