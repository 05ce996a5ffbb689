"""Template filters of the results pages (reports/templates/reports/results/)."""

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html_join

from criteria.models import band_ranges
from criteria.scales import format_decimal

register = template.Library()

#: Bootstrap classes of the bands of 004 §2.1 (the same colours as the province's results page).
BAND_CLASSES = {"A": "text-bg-success", "B": "text-bg-primary", "C": "text-bg-warning", "D": "text-bg-danger"}


@register.filter
def band_class(code) -> str:
    """ "A"–"D" → its Bootstrap colour class; any other code (a set's own grade names) → grey."""
    return BAND_CLASSES.get(code or "", "text-bg-secondary")


@register.simple_tag
def band_legend() -> str:
    """The legend of the band colours, from ``criteria.models.DEFAULT_BANDS``: "<badge A> ≥ 90 % · <badge B> 80–<90 %
    · … · <badge D> < 70 %"."""

    def text(low, high) -> str:
        if high is None:
            return f"≥ {format_decimal(low)} %"
        return (
            f"< {format_decimal(high)} %" if not low else f"{format_decimal(low)}–<{format_decimal(high)} %"
        )

    return format_html_join(
        " · ",
        '<span class="badge {}">{}</span> {}',
        ((band_class(code), code, text(low, high)) for code, low, high in band_ranges()),
    )


@register.filter
def signed(value, decimals=2) -> str:
    """A change with its sign: ``Decimal("1.5")`` → "+1,50", ``-2`` → "−2" (``decimals`` as floatformat's
    argument); "" for None."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    text = floatformat(abs(number), decimals)
    return f"+{text}" if number > 0 else (f"\u2212{text}" if number < 0 else text)


@register.filter
def part_owners(groups) -> list:
    """The appraising agencies of the parts on the coordinator's overview (``data.groups`` of
    assessments/appraisal/overview.html: each group's ``rows``, each row's ``parts`` {field code: [FieldAppraisal]}
    with ``owner`` loaded), each once, by code — the legend of the agency codes shown in its cells. No query."""
    owners = {
        p.owner.pk: p.owner for g in groups for row in g["rows"] for ps in row.parts.values() for p in ps
    }
    return sorted(owners.values(), key=lambda o: o.code)
