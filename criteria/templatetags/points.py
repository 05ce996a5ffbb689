"""``{{ value|points }}``: points and percents as Vietnamese write them — 5,5 · 0,25 · 63 (no trailing zeros)."""

from django import template

from criteria.scales import format_decimal

register = template.Library()


@register.filter
def points(value):
    """Decimal/number → "5,5"; None or "" → "—"."""
    if value is None or value == "":
        return "—"
    return format_decimal(value)
