"""Official print formats of a unit's score sheet (issue 12 item 12): the self-assessment and the appraised sheet as
printable pages and as PDF (WeasyPrint, built in the request: one unit's sheet takes well under a few seconds), in
the layout of Nghị định 30/2020/NĐ-CP (``templates/print/``, ``parindex.printing``).

Who: exactly as the xlsx sheets — the self-assessment to whoever ``selectors.scoring.assessment_get`` gives it (404 for
anyone else, like ``home.export_self``); the appraised sheet also passes ``permissions.appraised_sheet_check``
(403, like ``appraisal.appraised_sheet``), and its index, grade, components and survey figures follow
``exports.appraised_visibility`` (the results rule: not shown to appraisers or units before publication; an
appraiser reads only the fields its agency appraises until then).
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from parindex import printing
from units.models import Membership, Role

from ..exports import APPRAISED_TITLE, TITLE, appraised_print, self_print_rows
from ..models import Assessment, AssessmentState
from ..permissions import appraised_sheet_check
from ..selectors import scoring as scoring_reads
from .lookups import assessment_or_404

SELF_HEADERS = ("STT/Mã", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Ghi chú", "Số tài liệu kiểm chứng")
SELF_WIDTHS = (10, 41, 9, 9, 23, 8)
APPRAISED_HEADERS = (
    "STT/Mã",
    "Nội dung",
    "Điểm tối đa",
    "Tự chấm",
    "Thẩm định",
    "Điểm đạt",
    "Ghi chú, nhận xét",
)
APPRAISED_WIDTHS = (9, 35, 8, 8, 9, 8, 23)
PROVISIONAL = "KẾT QUẢ TẠM TÍNH: đợt đánh giá chưa công bố, số liệu còn có thể thay đổi."


def head_name(unit) -> str:
    """The full name of the unit's head when it has exactly one head membership (and the user has a name);
    "" otherwise, leaving the line blank for a handwritten name."""
    heads = list(Membership.objects.filter(unit=unit, role=Role.HEAD).select_related("user")[:2])
    return heads[0].user.get_full_name().strip() if len(heads) == 1 else ""


def superior_of(unit) -> str:
    """The superior body printed above the unit: its parent unit, else the province's committee ("UBND TỈNH …");
    nothing above the province's committee itself."""
    if unit.parent_id:
        return unit.parent.name
    province = settings.PROVINCE_NAME.upper()
    if unit.name.upper() in (
        f"ỦY BAN NHÂN DÂN TỈNH {province}",
        f"UỶ BAN NHÂN DÂN TỈNH {province}",
        printing.province_body(),
    ):
        return ""
    return printing.province_body()


def _document(assessment, title: str, recipients: list[str], provisional: str = "") -> printing.Document:
    a = assessment
    return printing.document(
        superior=superior_of(a.unit),
        issuer=a.unit.name,
        title=f"{title} NĂM {a.round.year}",
        subtitle=[
            f"Đơn vị: {a.unit.name}",
            f"Đợt đánh giá: {a.round.name} · Bộ chỉ số: {a.criteria_set.name}",
        ],
        signer=["THỦ TRƯỞNG ĐƠN VỊ"],
        signer_name=head_name(a.unit),
        recipients=recipients,
        provisional=provisional,
    )


def self_sheet_html(request, assessment: Assessment, *, for_pdf: bool = False) -> str:
    """The printed self-assessment of ``assessment`` (template ``print/score_sheet.html``)."""
    sheet = scoring_reads.scoring_sheet(assessment)
    evidence = sum(len(r.evidence) for r in sheet.rows if r.is_leaf)
    totals = [
        ("", ""),
        ("Tổng điểm tự chấm / điểm tối đa phần thẩm định", ""),
        (printing.number(sheet.appraisal_max), "num"),
        (printing.number(sheet.self_total), "num"),
        (f"Đã chấm {sheet.scored}/{sheet.leaves} tiêu chí", "note"),
        (str(evidence), "c"),
    ]
    return render_to_string(
        "print/score_sheet.html",
        {
            "doc": _document(assessment, TITLE, ["Sở Nội vụ (để thẩm định);", "Lưu: VT."]),
            "variant": "self",
            "headers": SELF_HEADERS,
            "widths": SELF_WIDTHS,
            "rows": self_print_rows(sheet),
            "totals": totals,
            "for_pdf": for_pdf,
            "back_url": reverse("assessments:scoring", args=[assessment.pk]),
            "pdf_url": reverse("assessments:self_pdf", args=[assessment.pk]),
        },
        request=request,
    )


def appraised_sheet_html(request, assessment: Assessment, *, for_pdf: bool = False) -> str:
    """The printed appraised sheet of ``assessment`` as ``request.user`` may read it."""
    data = appraised_print(assessment, request.user)
    result = data.result
    totals = [
        ("", ""),
        ("Tổng điểm thẩm định (chưa gồm điểm điều tra XHH, điểm thưởng, điểm trừ)", ""),
        ("", ""),
        ("", ""),
        (printing.number(data.appraised_total), "num"),
        ("", ""),
        ("", "note"),
    ]
    if result is not None:
        summary = [
            f"Tổng điểm: {printing.number(result.total)} / điểm tối đa áp dụng "
            f"{printing.number(result.applicable_max)} (gồm điểm thưởng {printing.number(result.bonus)}, "
            f"điểm trừ {printing.number(result.penalty)})",
            f"Chỉ số CCHC: {printing.number(result.par_index)}%"
            + (f" · Xếp loại: {result.grade}" if result.grade else "")
            + (f" · Xếp hạng: {result.rank}" if result.rank else ""),
        ]
    else:
        summary = [data.no_result]
    if not data.survey:
        summary.append("Điểm điều tra xã hội học: chưa công bố.")
    published = assessment.state == AssessmentState.PUBLISHED
    return render_to_string(
        "print/score_sheet.html",
        {
            "doc": _document(
                assessment,
                APPRAISED_TITLE,
                ["Sở Nội vụ (để tổng hợp);", "Lưu: VT."],
                provisional="" if published else PROVISIONAL,
            ),
            "variant": "appraised",
            "headers": APPRAISED_HEADERS,
            "widths": APPRAISED_WIDTHS,
            "rows": data.rows,
            "totals": totals,
            "summary": summary,
            "for_pdf": for_pdf,
            "back_url": reverse("assessments:scoring", args=[assessment.pk]),
            "pdf_url": reverse("assessments:appraised_pdf", args=[assessment.pk]),
        },
        request=request,
    )


def _pdf_response(html: str, filename: str) -> HttpResponse:
    response = HttpResponse(printing.pdf(html), content_type=printing.PDF)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _appraised(request, pk) -> Assessment:
    assessment = assessment_or_404(request, pk)
    appraised_sheet_check(request.user, assessment)
    return assessment


def _sheet_views(sheet_html, lookup, file_prefix: str, what: str):
    """The two views of one score sheet: the printable page and the PDF built in the request.

    ``sheet_html(request, assessment, for_pdf=False) -> str``; ``lookup(request, pk) -> Assessment`` (the
    sheet's 404/403); the PDF is named ``<file_prefix>-<unit code>-<year>.pdf`` and opens inline."""

    @login_required
    @require_GET
    def page(request, pk):
        return HttpResponse(sheet_html(request, lookup(request, pk)))

    @login_required
    @require_GET
    def pdf(request, pk):
        a = lookup(request, pk)
        return _pdf_response(
            sheet_html(request, a, for_pdf=True), f"{file_prefix}-{a.unit.code}-{a.round.year}.pdf"
        )

    page.__doc__ = (
        f"{what} as a printable page (the official layout; the browser's print gives the document)."
    )
    pdf.__doc__ = f"{what} as PDF, built in the request."
    return page, pdf


self_print, self_pdf = _sheet_views(self_sheet_html, assessment_or_404, "tu-danh-gia", "The self-assessment")
appraised_print_page, appraised_pdf = _sheet_views(
    appraised_sheet_html, _appraised, "diem-tham-dinh", "The appraised sheet"
)


urlpatterns = [
    path("assessments/<int:pk>/in/", self_print, name="self_print"),
    path("assessments/<int:pk>/phieu-tu-cham.pdf", self_pdf, name="self_pdf"),
    path("assessments/<int:pk>/tham-dinh/in/", appraised_print_page, name="appraised_print"),
    path("assessments/<int:pk>/phieu-tham-dinh.pdf", appraised_pdf, name="appraised_pdf"),
]
