"""Where a leaf's points go in the computation (``Score.slot``) and the achieved points the database keeps on each
score row (``Score.points_cents``): what ``results_compute`` sums without joining a score row to its leaf.

MINI_SET (conftest): fields 1, 2, 3; survey leaves 1.3, 2.2, 3.3; bonus leaves 1.4, 3.4; penalty leaf 2.3.
"""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from assessments.models import Score
from criteria.models import SLOT_BONUS, SLOT_PENALTY
from criteria.selectors import leaf_slots, set_layouts

from .conftest import add_assessment, make_round, put, unit

D = Decimal
SLOTS = {
    "1.1": 1,
    "1.2": 1,
    "1.3": -1,
    "1.4": SLOT_BONUS,
    "2.1.1": 2,
    "2.1.2": 2,
    "2.2": -2,
    "2.3": SLOT_PENALTY,
    "3.1": 3,
    "3.2": 3,
    "3.3": -3,
    "3.4": SLOT_BONUS,
}


def by_code(assessment) -> dict[str, Score]:
    return {
        s.criterion.code: s for s in Score.objects.filter(assessment=assessment).select_related("criterion")
    }


@pytest.mark.django_db
def test_each_leaf_gets_its_field_number_survey_leaves_negative_bonus_and_penalty_apart(mini_set):
    layout = set_layouts([mini_set.pk])[mini_set.pk]
    codes = dict(mini_set.nodes.values_list("pk", "code"))
    assert {codes[pk]: slot for pk, slot in layout.slots.items()} == SLOTS
    assert leaf_slots(mini_set.pk) == layout.slots
    # Fields in order with their static maxima: bonus and penalty leaves are in none (1.4, 2.3, 3.4).
    assert [(k, codes[pk], maximum) for k, pk, maximum in layout.fields] == [
        (1, "1", D(6)),
        (2, "2", D(4)),
        (3, "3", D(10)),
    ]


@pytest.mark.django_db
def test_score_rows_are_made_with_their_slots(mini_set):
    assessment = add_assessment(make_round([mini_set]), unit("SCT"), mini_set)
    assert {code: s.slot for code, s in by_code(assessment).items()} == SLOTS


@pytest.mark.django_db
def test_the_database_keeps_the_achieved_points_of_each_row_in_hundredths(mini_set):
    assessment = add_assessment(make_round([mini_set]), unit("SCT"), mini_set)
    put(assessment, "1.1", self_value=D(2), appraised_value=D("1.75"))
    put(assessment, "1.2", self_value=D(2))  # self score only: nothing achieved
    put(assessment, "1.3", survey_value=D("0.29"))  # survey leaf: the survey score
    put(assessment, "2.1.2", self_not_applicable=True, na_accepted=True)  # accepted N/A: counts nowhere
    put(
        assessment, "3.1", self_not_applicable=True, na_accepted=False, appraised_value=D(3)
    )  # refused: counts
    put(assessment, "2.3", appraised_value=D("2.5"))  # penalty points, as appraised
    rows = by_code(assessment)
    assert {
        code: rows[code].points_cents for code in ("1.1", "1.2", "1.3", "2.1.2", "3.1", "2.3", "3.3")
    } == {"1.1": 175, "1.2": None, "1.3": 29, "2.1.2": None, "3.1": 300, "2.3": 250, "3.3": None}
    put(assessment, "1.1", appraised_value=D("0.5"))  # follows every change
    assert Score.objects.get(pk=rows["1.1"].pk).points_cents == 50


@pytest.mark.django_db
def test_a_row_cannot_be_left_without_a_slot(mini_set):
    assessment = add_assessment(make_round([mini_set]), unit("SCT"), mini_set)
    leaf = mini_set.nodes.get(code="1.1")
    Score.objects.filter(assessment=assessment, criterion=leaf).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(assessment=assessment, criterion=leaf, slot=0)


@pytest.mark.django_db
def test_the_migration_gives_existing_rows_their_slots(mini_set):
    assessment = add_assessment(make_round([mini_set]), unit("SCT"), mini_set)
    Score.objects.filter(assessment=assessment).update(slot=7)
    migration = importlib.import_module("assessments.migrations.0004_score_slot")
    migration.fill_slots(apps, None)
    assert {code: s.slot for code, s in by_code(assessment).items()} == SLOTS
