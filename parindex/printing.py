"""Official print formats (issue 12 item 12): the parts every printed document shares, in the layout of Vietnamese
administrative documents (Nghị định 30/2020/NĐ-CP, Phụ lục I).

``document(...)`` gives the context of ``templates/print/_header.html`` and ``_signature.html`` (included by
``templates/print/base.html``): the issuing body (its superior body above in regular caps, itself in bold caps),
the national motto block, "<place>, ngày dd tháng mm năm yyyy", the title, the signer's position and name and
"Nơi nhận:". ``pdf(html)`` prints a rendered page with WeasyPrint (needs pango, see README "Exports").
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_LINE = "Độc lập - Tự do - Hạnh phúc"
PDF = "application/pdf"


def province_body() -> str:
    """ "UBND TỈNH SÓC TRĂNG": the province's committee, from ``settings.PROVINCE_NAME``."""
    return f"UBND TỈNH {settings.PROVINCE_NAME}".upper()


def date_words(day: datetime.date) -> str:
    """ "ngày 05 tháng 3 năm 2026": the date as the decree writes it (Phụ lục I §II.5.b: a day below 10 and the
    months 1 and 2 take a leading zero, the other months do not)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def place_date(day: datetime.date | None = None) -> str:
    """ "Sóc Trăng, ngày 05 tháng 3 năm 2026": ``settings.PRINT_PLACE`` (default the province's name) and ``day``
    (default today, Asia/Ho_Chi_Minh)."""
    return f"{settings.PRINT_PLACE}, {date_words(day or timezone.localdate())}"


def number(value, decimals: int = 2) -> str:
    """Points or a percentage as printed: 2 decimals and a decimal comma ("0,75", "87,25"); "" for None."""
    return "" if value is None else f"{Decimal(value):.{decimals}f}".replace(".", ",")


@dataclass
class Document:
    """What the shared header and signature print. ``superior``: the superior body's name in caps ("" when the
    issuer has none to print); ``issuer``: the issuing body in caps; ``title`` in caps and ``subtitle`` lines
    under it; ``signer``: the signer's position, one entry per line ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC");
    ``signer_name`` ("" leaves the line blank for a handwritten name); ``recipients`` of "Nơi nhận:";
    ``provisional``: a warning printed under the title when the figures are not published."""

    issuer: str
    title: str
    superior: str = ""
    subtitle: list[str] = field(default_factory=list)
    signer: list[str] = field(default_factory=list)
    signer_name: str = ""
    recipients: list[str] = field(default_factory=list)
    provisional: str = ""
    place_date: str = field(default_factory=place_date)


def document(
    *,
    issuer: str,
    title: str,
    superior: str = "",
    subtitle=(),
    signer=(),
    signer_name: str = "",
    recipients=(),
    provisional: str = "",
) -> Document:
    """A ``Document`` with the names upper-cased as the decree prints them and today's place and date."""
    return Document(
        issuer=issuer.upper(),
        superior=superior.upper(),
        title=title.upper(),
        subtitle=list(subtitle),
        signer=[line.upper() for line in signer],
        signer_name=signer_name,
        recipients=list(recipients),
        provisional=provisional,
    )


def pdf(html: str) -> bytes:
    """``html`` (a page built on ``templates/print/base.html``) printed as PDF bytes by WeasyPrint. Raises
    ``OSError`` when pango is missing."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
