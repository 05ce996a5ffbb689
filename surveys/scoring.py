"""Points of survey leaves from raw questionnaire answers, and the survey's sample size (shared/DESIGN.md
§6, issue 5 item 4). Pure functions: no database, Decimal throughout; the import service and the pages
call them, and README "Raw questionnaire responses" states the same rules.

Answer scale: 1 Rất không hài lòng · 2 Không hài lòng · 3 Bình thường · 4 Hài lòng · 5 Rất hài lòng.
"""

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
#: Margin of error of the survey (e = 5 %, DESIGN.md §6).
MARGIN = Decimal("0.05")
#: The answer labels, in scale order (1..5), as written on the questionnaire.
LABELS = ("Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng")


def normalised(answer: int) -> Decimal:
    """An answer 1..5 on the 0..1 scale: (a − 1) / 4, so 1 → 0, 2 → 0,25, 3 → 0,5, 4 → 0,75, 5 → 1.
    Raises ``ValueError`` outside 1..5."""
    if answer not in (1, 2, 3, 4, 5) or isinstance(answer, bool):
        raise ValueError(f"answer {answer!r} is not on the 1..5 scale")
    return (Decimal(answer) - 1) / 4


def leaf_points(answers: Iterable[tuple[int, Decimal]], max_points: Decimal) -> Decimal | None:
    """Points of one survey leaf for one unit from the answers to the questions mapped to it.

    ``answers``: ``(answer 1..5, weight of the respondent's group ≥ 0)`` for every *answered* cell of
    every question mapped to the leaf (several questions may map to one leaf; unanswered cells are not
    passed at all, so they count in neither sum). ``max_points``: the leaf's max (points).

        points = Σ weight × (a − 1)/4  ÷  Σ weight  × max,   rounded to 2 decimals half up

    Returns None when there is no answer (or every weight is 0): the leaf gets no points.

    Worked example (leaf max 1; weights Lãnh đạo 2, Công chức 1; questions C1 and C2 mapped to the leaf):
    a leader answered C1 = 5 and C2 = 4, a civil servant answered C1 = 3 and left C2 empty.
    Σ w·norm = 2×1 + 2×0,75 + 1×0,5 = 4; Σ w = 2 + 2 + 1 = 5; points = 4 / 5 × 1 = 0,8.
    """
    num = Decimal(0)
    den = Decimal(0)
    for answer, weight in answers:
        num += Decimal(weight) * (Decimal(answer) - 1)  # Σ w·(a − 1); the / 4 is applied once below
        den += Decimal(weight)
    if den == 0:
        return None
    # Multiply before dividing so the only inexact step is the final division.
    return (num * Decimal(max_points) / (4 * den)).quantize(CENT, rounding=ROUND_HALF_UP)


def sample_size(population: int, margin: Decimal = MARGIN) -> int:
    """Required number of respondents n for a population N (people, ≥ 1), Yamane's formula of DESIGN.md §6:

        n = N / (1 + N·e²),  e = 5 %,  rounded up to a whole respondent

    e.g. N = 100 → 100 / 1,25 = 80; N = 500 → 500 / 2,25 = 222,2… → 223; N = 10 000 → 384,6… → 385.
    Raises ``ValueError`` when N < 1.
    """
    if isinstance(population, bool) or int(population) != population or population < 1:
        raise ValueError(f"population {population!r} is not a positive integer")
    n = Decimal(population) / (1 + Decimal(population) * margin * margin)
    return int(n.to_integral_value(rounding=ROUND_CEILING))
