"""The default grade bands (``criteria.models.DEFAULT_BANDS``) are the one source of the heat map's bands, the
province page's band labels and the results pages' legend; hand-written expected texts."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from criteria.models import band_of
from reports.province.selectors import BAND_LABELS

D = Decimal


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (D("100"), "A"),
        (D("90"), "A"),
        (D("89.99"), "B"),
        (D("80"), "B"),
        (D("79.99"), "C"),
        (D("70"), "C"),
        (D("69.99"), "D"),
        (D("0"), "D"),
        (None, None),
    ],
)
def test_band_of(percent, band):
    assert band_of(percent) == band


def test_a_set_s_own_bands():
    bands = (("Tốt", "Tốt", D("75")), ("Khá", "Khá", D("50")))
    assert [band_of(D(p), bands) for p in ("80", "50", "49.99")] == ["Tốt", "Khá", None]


def test_the_province_page_s_band_labels():
    assert BAND_LABELS == {
        "A": "từ 90% trở lên",
        "B": "từ 80% đến dưới 90%",
        "C": "từ 70% đến dưới 80%",
        "D": "dưới 70%",
    }


def test_the_legend_of_the_results_pages():
    html = Template("{% load results %}{% band_legend %}").render(Context())
    assert html == (
        '<span class="badge text-bg-success">A</span> ≥ 90 % · '
        '<span class="badge text-bg-primary">B</span> 80–&lt;90 % · '
        '<span class="badge text-bg-warning">C</span> 70–&lt;80 % · '
        '<span class="badge text-bg-danger">D</span> &lt; 70 %'
    )
