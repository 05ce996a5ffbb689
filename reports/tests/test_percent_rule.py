"""The percent rounding (``reports.results.services.percent_of``) is the one of the computation's ORM expression and
SQL: half up to 2 decimals, exactly; hand-computed cases."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import DecimalField, Value

from criteria.models import POINTS
from reports.results.services import as_percent, hundredths_of_percent, hundredths_sql, percent_of
from units.models import Unit

D = Decimal

CASES = [
    (D("66.67"), D("100"), D("66.67")),
    (D("1"), D("3"), D("33.33")),
    (D("2"), D("3"), D("66.67")),
    (D("12.5"), D("80"), D("15.63")),  # 15.625: half up (half-even would give 15.62)
    (D("0.01"), D("0.08"), D("12.50")),
    (D("81.5"), D("95.75"), D("85.12")),  # 85.1175…
    (D("0"), D("10"), D("0")),
    (D("10"), D("10"), D("100")),
    (D("5"), D("0"), None),
]


@pytest.mark.parametrize(("points", "maximum", "expected"), CASES)
def test_percent_of(points, maximum, expected):
    assert percent_of(points, maximum) == expected


@pytest.mark.django_db
def test_percent_of_agrees_with_the_orm_and_the_sql(units):
    for points, maximum, expected in CASES:
        p, m = (
            Value(points, output_field=DecimalField(**POINTS)),
            Value(maximum, output_field=DecimalField(**POINTS)),
        )
        row = (
            Unit.objects.annotate(h=hundredths_of_percent(p, m), pct=as_percent(hundredths_of_percent(p, m)))
            .values_list("h", "pct")
            .first()
        )
        hundredths, pct = row
        assert (None if hundredths is None else D(hundredths) / 100) == expected, (points, maximum)
        assert (None if pct is None else D(str(pct)).quantize(D("0.01"))) == expected, (points, maximum)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + hundredths_sql(str(int(points * 100)), str(int(maximum * 100))))
            (raw,) = cursor.fetchone()
        assert (None if raw is None else D(raw) / 100) == expected, (points, maximum)
