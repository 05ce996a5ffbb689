"""Each scoring rule of ``assessments.scoring_rules`` gives the same answer in Python, in the ORM and in the database's
generated column (``Score.points_cents``), on every kind of leaf; hand-computed expected values."""

from decimal import Decimal

import pytest

from assessments import scoring_rules
from assessments.models import Score
from criteria.models import EXTRA_KINDS, SLOT_BONUS, SLOT_PENALTY, Source

D = Decimal

#: name → (leaf picked by, fields written on its score row, achieved points, not applicable)
CASES = {
    "appraised": ("appraisal", {"self_value": D("2"), "appraised_value": D("1.25")}, D("1.25"), False),
    "appraised, self score only": ("appraisal", {"self_value": D("2")}, None, False),
    "unscored": ("appraisal", {}, None, False),
    "survey": ("survey", {"survey_value": D("0.75"), "appraised_value": D("0.5")}, D("0.75"), False),
    "survey unset": ("survey", {"appraised_value": D("0.5")}, None, False),
    "N/A accepted": ("appraisal", {"self_not_applicable": True, "na_accepted": True}, None, True),
    "N/A refused": (
        "appraisal",
        {"self_not_applicable": True, "na_accepted": False, "appraised_value": D("0.5")},
        D("0.5"),
        False,
    ),
    "N/A not decided": (
        "appraisal",
        {"self_not_applicable": True, "appraised_value": D("0.25")},
        D("0.25"),
        False,
    ),
    # the departments' set has no bonus or penalty leaf: an appraisal leaf's row given their slot
    "bonus": (
        "appraisal",
        {"slot": SLOT_BONUS, "self_value": D("1"), "appraised_value": D("0.5")},
        D("0.5"),
        False,
    ),
    "penalty": ("appraisal", {"slot": SLOT_PENALTY, "appraised_value": D("1")}, D("1"), False),
}


def _leaves(assessment) -> dict[str, list[int]]:
    nodes = assessment.criteria_set.nodes.filter(children__isnull=True).order_by("order")
    return {
        "appraisal": list(
            nodes.filter(source=Source.APPRAISAL).exclude(kind__in=EXTRA_KINDS).values_list("pk", flat=True)
        ),
        "survey": list(nodes.filter(source=Source.SURVEY).values_list("pk", flat=True)),
    }


@pytest.fixture
def cases(assessment) -> dict[str, Score]:
    """One score row of ``assessment`` per case, written as the case says (the rest of its fields blank)."""
    leaves, rows = _leaves(assessment), {}
    for name, (kind, values, _achieved, _na) in CASES.items():
        pk = leaves[kind].pop(0)
        Score.objects.filter(assessment=assessment, criterion_id=pk).update(**values)
        rows[name] = pk
    by_criterion = {
        s.criterion_id: s for s in Score.objects.filter(assessment=assessment, criterion_id__in=rows.values())
    }
    return {name: by_criterion[pk] for name, pk in rows.items()}


def test_achieved_points_agree_in_python_the_orm_and_the_generated_column(cases):
    orm = dict(
        Score.objects.filter(pk__in=[s.pk for s in cases.values()])
        .annotate(a=scoring_rules.ACHIEVED)
        .values_list("pk", "a")
    )
    for name, score in cases.items():
        expected = CASES[name][2]
        assert scoring_rules.achieved_points(score) == expected, name
        assert (None if orm[score.pk] is None else D(str(orm[score.pk])).quantize(D("0.01"))) == expected, (
            name
        )
        assert score.points_cents == (None if expected is None else int(expected * 100)), name


def test_not_applicable_agrees_in_python_and_the_orm(cases):
    na = set(
        Score.objects.filter(scoring_rules.NOT_APPLICABLE, pk__in=[s.pk for s in cases.values()]).values_list(
            "pk", flat=True
        )
    )
    for name, score in cases.items():
        assert scoring_rules.is_not_applicable(score) is CASES[name][3], name
        assert score.is_not_applicable is CASES[name][3], name
        assert (score.pk in na) is CASES[name][3], name
    assert na == {cases["N/A accepted"].pk}


def test_scored_agrees_in_python_and_the_orm(cases):
    answered = set(
        Score.objects.filter(scoring_rules.scored(), pk__in=[s.pk for s in cases.values()]).values_list(
            "pk", flat=True
        )
    )
    expected = {
        "appraised",
        "appraised, self score only",
        "N/A accepted",
        "N/A refused",
        "N/A not decided",
        "bonus",
    }
    assert {name for name, s in cases.items() if scoring_rules.is_scored(s)} == expected
    assert {name for name, s in cases.items() if s.pk in answered} == expected


@pytest.mark.parametrize(
    ("values", "evidence", "expected"),
    [
        ({"self_value": D("1")}, 0, True),  # positive, nothing attached nor explained
        ({"self_value": D("1")}, 1, False),  # documented
        ({"self_value": D("1"), "explanation": "Theo báo cáo"}, 0, False),  # explained
        ({"self_value": D("1"), "explanation": "  \n"}, 0, True),  # a blank explanation explains nothing
        ({"self_value": D("0")}, 0, False),  # 0 points need no evidence
        ({"self_value": None}, 0, False),  # unscored: another problem
        ({"self_value": None, "self_not_applicable": True}, 0, False),  # claimed not applicable
    ],
)
def test_lacks_evidence(values, evidence, expected):
    score = Score(explanation=values.pop("explanation", ""), **values)
    assert scoring_rules.lacks_evidence(score, evidence=evidence) is expected
