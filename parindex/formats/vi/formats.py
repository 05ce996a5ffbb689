"""Vietnamese date and number formats of the portal (``FORMAT_MODULE_PATH``), over Django's own ``vi``.

Django's vi locale writes short dates "26-11-2026" and long ones "Ngày 26 tháng 11 năm 2026", and reads
dates only in the default (month-first) input formats. The portal writes and reads dd/mm/yyyy, day first
(05/01/2040 is 5 January 2040), as Vietnamese administrative documents do.
"""

from django.conf.locale.vi.formats import *  # noqa: F403 — decimal comma, thousands dot, time "H:i"

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "H:i d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
]
