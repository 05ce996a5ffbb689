"""The printable page of a group's rankings (issue 12 item 12): the official layout of the PDF export (Nghị định
30/2020/NĐ-CP; ``reports.exports.rankings_html``) with a print button, for the browser's print.

Who: exactly as the rankings page (``views._round`` and ``views._group`` on ``reports.selectors``; the table through
``exports.ranking_tables``, itself on ``selectors.rankings``): a round or group the user may not see — provisional
for a non-manager, anything for a user without a role, a forged id — is a 404; "Kết quả tạm tính" is printed while
the round is not published.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from . import exports
from .views import _group, _round


@login_required
@require_GET
def rankings_print(request, round_pk):
    """A group's rankings (``?group=<code>``, default the first visible group) as a printable page."""
    rnd = _round(request.user, round_pk)
    group, _ = _group(request, rnd)
    tables = exports.ranking_tables(user=request.user, round=rnd, groups=[group])
    back = reverse("reports:rankings", args=[rnd.pk]) + "?" + urlencode({"group": group.code})
    return HttpResponse(exports.rankings_html(tables, round=rnd, for_pdf=False, back_url=back,
                                              pdf_url=reverse("reports:export", args=[rnd.pk])))
