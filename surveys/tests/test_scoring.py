"""The survey's arithmetic (issue 5 item 4, DESIGN.md §6): answers 1–5 → points of a leaf, weighted by
respondent group, and the sample size n = N / (1 + N·e²). Every expected number is worked out by hand in
the comments."""

from decimal import Decimal

import pytest

from surveys.scoring import leaf_points, normalised, sample_size

D = Decimal


@pytest.mark.parametrize("answer, expected", [(1, "0"), (2, "0.25"), (3, "0.5"), (4, "0.75"), (5, "1")])
def test_answers_are_normalised_from_0_to_1(answer, expected):
    assert normalised(answer) == D(expected)


@pytest.mark.parametrize("answer", [0, 6, -1, True])
def test_answers_off_the_scale_cannot_be_normalised(answer):
    with pytest.raises(ValueError):
        normalised(answer)


def test_docstring_example_weighted_mean_with_an_unanswered_question():
    # Leaf max 1; C1 and C2 map to it; weights Lãnh đạo 2, Công chức 1.
    # Leader: C1 = 5 (1), C2 = 4 (0,75). Civil servant: C1 = 3 (0,5), C2 left empty → not passed at all.
    # Σ w·norm = 2×1 + 2×0,75 + 1×0,5 = 4 ; Σ w = 2 + 2 + 1 = 5 ; 4/5 × 1 = 0,8
    assert leaf_points([(5, D(2)), (4, D(2)), (3, D(1))], D(1)) == D("0.80")
    # Had the empty answer counted as 1 (norm 0, weight 1), the leaf would get 4/6 = 0,67 instead.
    assert leaf_points([(5, D(2)), (4, D(2)), (3, D(1)), (1, D(1))], D(1)) == D("0.67")


def test_group_weights_change_the_result():
    # Leaf max 2. Three answers: 4 (0,75), 2 (0,25), 5 (1).
    # Equal weights: (0,75 + 0,25 + 1) / 3 = 0,6667 × 2 = 1,3333 → 1,33
    assert leaf_points([(4, D(1)), (2, D(1)), (5, D(1))], D(2)) == D("1.33")
    # Weights 1, 1, 3: (0,75 + 0,25 + 3×1) / (1 + 1 + 3) = 4 / 5 = 0,8 × 2 = 1,6
    assert leaf_points([(4, D(1)), (2, D(1)), (5, D(3))], D(2)) == D("1.60")
    # Weight 0 silences a group: (0,75×1 + 1×0) / 1 = 0,75 × 2 = 1,5
    assert leaf_points([(4, D(1)), (5, D(0))], D(2)) == D("1.50")


def test_points_are_rounded_half_up_to_two_decimals():
    # One answer 2 (0,25) on a leaf of max 0,5: 0,125 exactly → 0,13 (half up; banker's rounding gives 0,12)
    assert leaf_points([(2, D(1))], D("0.5")) == D("0.13")
    # 0,25 × 1,25 = 0,3125 → 0,31
    assert leaf_points([(2, D(1))], D("1.25")) == D("0.31")
    # Decimal weights: (1×0,5 + 1,5×1) / 2,5 = 0,8 × 1,5 = 1,2
    assert leaf_points([(3, D(1)), (5, D("1.5"))], D("1.5")) == D("1.20")


def test_all_fives_give_the_max_and_all_ones_give_zero():
    assert leaf_points([(5, D(1))] * 7, D("2.5")) == D("2.50")
    assert leaf_points([(1, D(2))] * 3, D("2.5")) == D("0.00")


def test_no_answer_or_only_zero_weights_give_no_points():
    assert leaf_points([], D(1)) is None
    assert leaf_points([(5, D(0)), (3, D(0))], D(1)) is None


@pytest.mark.parametrize(
    "population, expected",
    [
        (100, 80),  # 100 / (1 + 100×0,0025) = 100 / 1,25 = 80 exactly
        (
            500,
            223,
        ),  # 500 / (1 + 1,25) = 222,22… → rounded up to 223 (Yamane's table prints 222, rounded to nearest)
        (1, 1),  # 1 / 1,0025 = 0,9975 → 1
        (50, 45),  # 50 / 1,125 = 44,44… → 45
        (400, 200),  # 400 / 2 = 200 exactly
        (10000, 385),  # 10000 / 26 = 384,6… → 385
    ],
)
def test_sample_size_follows_yamane_rounded_up(population, expected):
    assert sample_size(population) == expected


@pytest.mark.parametrize("population", [0, -5, 2.5, True])
def test_sample_size_needs_a_positive_whole_population(population):
    with pytest.raises(ValueError):
        sample_size(population)
