"""Pages of the units' results (issue 6 items 2–4; shared/DESIGN.md §5, §7).

``results_index``: the rounds whose results the user may see, with a link per unit group. ``rankings``: a group's
ranking in a round (sortable, filterable, 50 a page; component indices coloured by band: the heatmap of units ×
fields) with the bar chart of the indices (the first ``CHART_UNITS`` by rank) and the grade distribution; for the
commune group, by area too (``reports.results.areas``: a "Khu vực" select and the per-area summary).
``unit_result``: one unit's result — components against the group, the leaves where it lost most points, its trend
over the years. ``weak_criteria``: the group's leaves by points lost.

Reads go through ``reports.results.selectors`` (visibility: ``reports.permissions.results_visible_to``): a round, group or
result the user may not see — provisional for a non-manager, anything for a user without a role, a forged id —
is a 404. Pages are read-only (GET only).

``rankings_print``: a group's rankings as a printable page (issue 12 item 12) — the official layout of the PDF
export (Nghị định 30/2020/NĐ-CP; ``reports.exports.builders.rankings_html``) with a print button; who sees it is
exactly as the rankings page; "Kết quả tạm tính" is printed while the round is not published.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from assessments.models import AssessmentRound, RoundState
from parindex import params

from ..exports import builders
from ..models import Result
from . import areas, selectors


def _round(user, round_pk) -> AssessmentRound:
    try:
        return selectors.visible_round(user=user, round_pk=round_pk)
    except AssessmentRound.DoesNotExist:
        raise Http404("Không có kết quả của đợt đánh giá này.") from None


def _group(request, rnd):
    """The ``?group=<code>`` of the request among the round's visible groups (the first one when absent); 404 when
    the code names no visible group. Returns (group, groups)."""
    groups = selectors.visible_groups(user=request.user, round=rnd)
    code = params.code_param(request.GET, "group")
    group = next((g for g in groups if g.code == code), None) if code else (groups[0] if groups else None)
    if group is None:
        raise Http404("Không có kết quả của nhóm đơn vị này.")
    return group, groups


def _context(rnd, group, groups, **extra) -> dict:
    return {
        "round": rnd,
        "group": group,
        "groups": groups,
        "provisional": rnd.state != RoundState.PUBLISHED,
        **extra,
    }


#: Rows of the weak criteria page when ``?top=`` is absent.
WEAK_TOP_DEFAULT = 20

#: Columns sorted descending on the first click (bigger is better); the others ascending.
DESCENDING_FIRST = ("index", "d_index", "d_rank")


def _columns(ranking, area=None) -> list[dict]:
    """Sortable header cells of the ranking table: ``key``, ``label``, ``title`` (full name), ``next`` (the sort
    value of a click on it) and ``direction`` ("asc" | "desc" | "" when not the applied sort). With an ``area``
    (``reports.results.areas``) the rank column holds the rank in the area and the rank in the group."""
    columns = [
        (
            ("rank", _("Hạng KV (nhóm)"), _("Hạng trong khu vực (hạng trong nhóm)"))
            if area is not None
            else ("rank", _("Hạng"), "")
        ),
        ("unit", _("Đơn vị"), ""),
        ("index", _("Chỉ số CCHC (%)"), ""),
        ("grade", _("Xếp loại"), ""),
    ]
    columns += [
        (f"f{f.pk}", f"{f.code}. {selectors.field_short_name(f)}", f"{f.code}. {f.title}")
        for f in ranking.fields
    ]
    columns += [
        ("d_index", _("Δ Chỉ số (điểm %)"), _("Thay đổi so với năm trước, điểm phần trăm")),
        ("d_rank", _("Δ Hạng"), _("Số bậc tăng (+) hoặc giảm (−) so với năm trước")),
    ]
    out = []
    for key, label, title in columns:
        first = f"-{key}" if key in DESCENDING_FIRST or key.startswith("f") else key
        direction = (
            ("desc" if ranking.sort.startswith("-") else "asc")
            if ranking.sort.removeprefix("-") == key
            else ""
        )
        applied_first = ranking.sort == first
        out.append(
            {
                "key": key,
                "label": label,
                "title": title,
                "direction": direction,
                "next": (first.removeprefix("-") if first.startswith("-") else f"-{first}")
                if applied_first
                else first,
            }
        )
    return out


@login_required
@require_GET
def results_index(request):
    """The rounds whose results the user may see (published; provisional ones too for the coordinator and
    admins), each with a link per unit group."""
    return render(
        request, "reports/results/index.html", {"rounds": selectors.visible_rounds(user=request.user)}
    )


@login_required
@require_GET
def rankings(request, round_pk):
    """A group's ranking (``?group=``, ``?sort=``, ``?q=``, ``?page=``); an HTMX request gets the table only. The
    commune group has ``?area=<district code>`` (the ranked table within that area, each unit's rank in the area
    beside its rank in the group) and the per-area summary (``reports.results.areas``)."""
    rnd = _round(request.user, round_pk)
    group, groups = _group(request, rnd)
    bands = by_area = area = None
    if areas.has_areas(group):  # the commune group: "Khu vực" (?area=<district code>), 404 for another code
        bands = selectors.grade_bands(round=rnd, group=group)
        by_area = areas.commune_areas(user=request.user, round=rnd, group=group, bands=bands)
        code = params.code_param(request.GET, "area")
        area = by_area.find(code) if code else None
        if code and area is None:
            raise Http404("Không có khu vực này.")
    ranking = selectors.ranked_results(
        user=request.user,
        round=rnd,
        group=group,
        sort=params.code_param(request.GET, "sort", "rank"),
        search=params.text_param(request.GET, "q"),
        units=None if area is None or by_area is None else by_area.units_in(area),
    )
    paginator = Paginator(ranking.results, selectors.RANKING_PAGE_SIZE)
    paginator.count = ranking.count.count()  # without the rank and sort annotations
    page = paginator.get_page(params.int_param(request.GET, "page"))
    page.object_list = selectors.with_changes(selectors.with_cells(page.object_list, ranking.fields), ranking)
    if by_area is not None:
        for r in page.object_list:
            r.area_rank = by_area.rank_in_area.get(r.pk)
    pending = None
    if rnd.state != RoundState.PUBLISHED:  # units not yet appraised, listed apart (their own ?cho= page)
        pending = Paginator(ranking.pending, selectors.RANKING_PAGE_SIZE).get_page(
            params.int_param(request.GET, "cho")
        )
    context = _context(
        rnd,
        group,
        groups,
        ranking=ranking,
        page=page,
        columns=_columns(ranking, area=area),
        pending=pending,
        by_area=by_area,
        area=area,
    )
    if request.htmx and not request.htmx.boosted:
        return render(request, "reports/results/_ranking_table.html", context)
    top = list(
        ranking.all_results.values_list("unit__name", "unit__short_name", "par_index")[
            : selectors.CHART_UNITS + 1
        ]
    )
    context.update(
        grades=selectors.grade_distribution(round=rnd, group=group, results=ranking.all_results, bands=bands),
        chart_truncated=len(top) > selectors.CHART_UNITS,
        chart_units=selectors.CHART_UNITS,
        chart={
            "labels": [short or name for name, short, _ in top[: selectors.CHART_UNITS]],
            "names": [name for name, _, _ in top[: selectors.CHART_UNITS]],
            "values": [float(index) for _, _, index in top[: selectors.CHART_UNITS]],
        },
    )
    return render(request, "reports/results/rankings.html", context)


@login_required
@require_GET
def unit_result(request, result_pk):
    """One unit's result: index, grade, rank x / n, components against the group average, top lost leaves, trend."""
    try:
        result = selectors.visible_result(user=request.user, pk=result_pk)
    except Result.DoesNotExist:
        raise Http404("Không có kết quả này.") from None
    components = selectors.components_vs_group(user=request.user, result=result)
    trend = selectors.unit_trend(user=request.user, result=result)
    rank, group_size = selectors.rank_in_group(user=request.user, result=result)
    return render(
        request,
        "reports/results/unit.html",
        {
            "result": result,
            "round": result.round,
            "provisional": result.round.state != RoundState.PUBLISHED,
            "rank": rank,
            "group_size": group_size,
            "components": components,
            "lost": selectors.top_lost_leaves(result=result),
            "trend": trend,
            "chart": {
                "labels": [f"{c.field.code}" for c in components],
                "names": [f"{c.field.code}. {c.field.title}" for c in components],
                "unit": [None if c.percent is None else float(c.percent) for c in components],
                "group": [None if c.group_average is None else float(c.group_average) for c in components],
                "years": [t.year for t in trend],
                "trend": [float(t.index) for t in trend if t.index is not None],
            },
        },
    )


@login_required
@require_GET
def weak_criteria(request, round_pk):
    """The group's leaves by total points lost across its units in the round (``?group=``), those of one field only
    with ``?field=<field code>`` (an unknown code: all fields), the first ``?top=`` 10 | 20 | 50 rows or all
    (``top=all``; default 20, an unknown value too)."""
    rnd = _round(request.user, round_pk)
    group, groups = _group(request, rnd)
    fields = selectors.round_fields(round=rnd, group=group)
    code = params.code_param(request.GET, "field")
    field = next((f for f in fields if f.code == code), None)
    top_param = params.code_param(request.GET, "top", str(WEAK_TOP_DEFAULT))
    top = (
        None
        if top_param == "all"
        else (int(top_param) if top_param in {"10", "20", "50"} else WEAK_TOP_DEFAULT)
    )
    rows = selectors.weak_criteria(user=request.user, round=rnd, group=group, field=field, limit=top)
    return render(
        request,
        "reports/results/weak_criteria.html",
        _context(
            rnd,
            group,
            groups,
            rows=rows,
            fields=fields,
            field=field,
            top=top or "all",
            top_choices=[(str(n or "all"), str(n) if n else _("Tất cả")) for n in selectors.WEAK_TOP_CHOICES],
            unit_count=selectors.results_count(user=request.user, round_id=rnd.pk, group_id=group.pk),
        ),
    )


# ---------------------------------------------------------------- the printable rankings (issue 12 item 12)


@login_required
@require_GET
def rankings_print(request, round_pk):
    """A group's rankings (``?group=<code>``, default the first visible group) as a printable page."""
    rnd = _round(request.user, round_pk)
    group, _ = _group(request, rnd)
    tables = builders.ranking_tables(user=request.user, round=rnd, groups=[group])
    back = reverse("reports:rankings", args=[rnd.pk]) + "?" + urlencode({"group": group.code})
    return HttpResponse(
        builders.rankings_html(
            tables, round=rnd, for_pdf=False, back_url=back, pdf_url=reverse("reports:export", args=[rnd.pk])
        )
    )
