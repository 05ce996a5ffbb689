"""Grades at the band edges, rounding half up, ranks with ties (shared/DESIGN.md §5; bands per 004 §2.1).

One field of two range leaves of 100 points each (200 points): a unit's index is its points / 2 (%).
"""

from decimal import Decimal

import pytest

from reports.models import Result
from reports.results.services import results_compute

from .conftest import add_assessment, build_set, make_round, put, unit

D = Decimal
TWO_HUNDRED = (("1", 200, "", ""), ("1.1", 100, "appraisal", "range"), ("1.2", 100, "appraisal", "range"))


def scored(rnd, cset, points: dict[str, str]) -> None:
    """Each unit (code) gets 100 on 1.1 and the rest of ``points`` on 1.2."""
    for code, total in points.items():
        a = add_assessment(rnd, unit(code), cset)
        put(a, "1.1", appraised_value=D(100))
        put(a, "1.2", appraised_value=D(total) - 100)


def results(rnd) -> dict[str, tuple]:
    return {
        r.unit.code: (r.par_index, r.grade, r.rank)
        for r in Result.objects.filter(round=rnd).select_related("unit")
    }


@pytest.fixture
def default_bands_set(units):
    return build_set("SO", TWO_HUNDRED, bands=(("A", 90), ("B", 80), ("C", 70), ("D", 0)))


def test_band_edges_and_ties(default_bands_set):
    rnd = make_round([default_bands_set])
    scored(
        rnd,
        default_bands_set,
        {
            "SCT": "190",
            "STP": "180",
            "STC": "180",
            "SKHDT": "179.98",
            "SNV": "160",
            "SGTVT": "159.98",
            "STTTT": "140",
            "SXD": "139.98",
        },
    )
    results_compute(round=rnd)
    assert results(rnd) == {
        "SCT": (D("95.00"), "A", 1),
        "STP": (D("90.00"), "A", 2),  # exactly 90.00 is A
        "STC": (D("90.00"), "A", 2),  # tie: same rank
        "SKHDT": (D("89.99"), "B", 4),  # 179.98 / 200 = 89.99 is B; the rank after a tie of two is 4
        "SNV": (D("80.00"), "B", 5),
        "SGTVT": (D("79.99"), "C", 6),
        "STTTT": (D("70.00"), "C", 7),
        "SXD": (D("69.99"), "D", 8),
    }


def test_the_index_is_rounded_half_up_and_graded_as_shown(default_bands_set):
    rnd = make_round([default_bands_set])
    # 179.99 / 200 = 89.995 → 90.00 (A: the grade follows the index users see);
    # 179.97 / 200 = 89.985 → 89.99 (half up; half-even would give 89.98).
    scored(rnd, default_bands_set, {"SCT": "179.99", "STP": "179.97", "STC": "180"})
    results_compute(round=rnd)
    assert results(rnd) == {
        "SCT": (D("90.00"), "A", 1),
        "STC": (D("90.00"), "A", 1),
        "STP": (D("89.99"), "B", 3),
    }


def test_a_set_without_bands_uses_the_default_ones(units):
    cset = build_set("SO", TWO_HUNDRED)  # no GradeBand rows
    rnd = make_round([cset])
    scored(rnd, cset, {"SCT": "180", "STP": "179.98", "STC": "140", "SNV": "139.98"})
    results_compute(round=rnd)
    assert {code: grade for code, (_, grade, _) in results(rnd).items()} == {
        "SCT": "A",
        "STP": "B",
        "STC": "C",
        "SNV": "D",
    }


def test_the_sets_own_bands_are_used(units):
    # Another province's words and edges; nothing below 50 %: such a unit gets no grade.
    cset = build_set("SO", TWO_HUNDRED, bands=(("Tốt", 85), ("Khá", 70), ("Trung bình", 50)))
    rnd = make_round([cset])
    scored(rnd, cset, {"SCT": "170", "STP": "169.98", "STC": "100", "SNV": "100"})
    put(rnd.assessments.get(unit__code="SNV"), "1.1", appraised_value=D("99.98"))  # 99.98 + 0 → 49.99 %
    results_compute(round=rnd)
    assert results(rnd) == {
        "SCT": (D("85.00"), "Tốt", 1),
        "STP": (D("84.99"), "Khá", 2),
        "STC": (D("50.00"), "Trung bình", 3),
        "SNV": (D("49.99"), "", 4),
    }


def test_a_bonus_can_take_the_index_above_100(units):
    cset = build_set("SO", (*TWO_HUNDRED, ("1.3", 5, "appraisal", "bonus")), bonus_cap=4)
    rnd = make_round([cset])
    scored(rnd, cset, {"SCT": "200"})
    put(rnd.assessments.get(), "1.3", appraised_value=D(5))
    results_compute(round=rnd)
    # 200 + min(5, 4) = 204 of 200 → 102.00 %
    assert results(rnd) == {"SCT": (D("102.00"), "A", 1)}
