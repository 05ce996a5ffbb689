"""Dates as Vietnamese users type them (dd/mm/yyyy, day first), shared by every form of the portal."""

from django import forms

#: Dates as typed, day first (05/01/2040 is 5 January 2040); ISO last, for scripts and old pages.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


#: How a date is written back into a text input (and everywhere on the pages): dd/mm/yyyy.
DATE_FORMAT = "%d/%m/%Y"


class DayFirstDateInput(forms.DateInput):
    """A text input for a date written dd/mm/yyyy (not ``type="date"``, whose display follows the browser's
    language, e.g. 11/26/2026 in an English Chromium)."""

    def __init__(self, attrs=None):
        super().__init__(
            attrs={"placeholder": "dd/mm/yyyy", "autocomplete": "off", **(attrs or {})}, format=DATE_FORMAT
        )


def day_first_date_field(label: str, *, required: bool = True) -> forms.DateField:
    """A ``DateField`` read day first (``DATE_INPUT_FORMATS``) with Vietnamese messages."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUT_FORMATS,
        widget=DayFirstDateInput(),
        error_messages={
            "required": f"Nhập {label.lower()} (dd/mm/yyyy).",
            "invalid": f"{label} không hợp lệ; ghi ngày/tháng/năm (dd/mm/yyyy), ví dụ 15/03/2026.",
        },
    )
