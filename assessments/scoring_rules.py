"""The scoring rules of one leaf, each defined once (shared/DESIGN.md §5, issue 20): a rule is written here as a
Python predicate or function on a ``Score`` and, next to it, as the ORM expression or ``Q`` the database evaluates;
``assessments/tests/test_scoring_rules.py`` checks that both give the same answer on every kind of leaf.

- **Not applicable**: the unit claimed the leaf not applicable and its appraiser accepted — the leaf leaves the
  achieved points and the maximum (``is_not_applicable`` / ``NOT_APPLICABLE``).
- **Achieved points**: the survey score on a survey leaf (``slot`` < 0), the appraised score on every other leaf —
  never the self score; None when not applicable (it counts nowhere) or unset (``achieved_points`` /
  ``ACHIEVED``). ``Score.points_cents``, kept by the database, is ``ACHIEVED`` in hundredths of a point
  (``ACHIEVED_CENTS``); the sums read an unset leaf as 0.
- **Scored by the unit**: a self score, or a not-applicable claim (``is_scored`` / ``scored``).
- **Needs evidence or an explanation** (before submission, issue 3 §4–5): an appraisal leaf scored above 0 by the
  unit, not claimed not applicable, without evidence and without an explanation (``lacks_evidence``).

No model import here: ``assessments.models`` builds ``Score.points_cents`` from these expressions.
"""

from decimal import Decimal

from django.db import models
from django.db.models.functions import Cast, Round

#: ``Score`` rows whose leaf is not applicable (claimed by the unit and accepted by its appraiser: DESIGN §5), as
#: lookups (what ``When(**…)`` takes, so the generated column's migration stays as it is) and as a ``Q``.
NOT_APPLICABLE_LOOKUPS = {"self_not_applicable": True, "na_accepted": True}
NOT_APPLICABLE = models.Q(**NOT_APPLICABLE_LOOKUPS)

#: A ``Score`` row's achieved points (points, 2 decimals): NULL when not applicable or unset; the survey score of
#: a survey leaf (``slot`` < 0, see ``criteria.models.SLOT_BONUS``), the appraised score otherwise.
ACHIEVED = models.Case(
    models.When(**NOT_APPLICABLE_LOOKUPS, then=None),
    models.When(slot__lt=0, then=models.F("survey_value")),
    default=models.F("appraised_value"),
)

#: ``ACHIEVED`` in whole hundredths of a point: the expression of the generated column ``Score.points_cents``.
ACHIEVED_CENTS = Cast(Round(ACHIEVED * models.Value(100)), models.IntegerField())


def scored(prefix: str = "") -> models.Q:
    """``Score`` rows the unit has answered: a self score or a not-applicable claim; ``prefix`` reaches them through
    a relation (``"scores__"`` from ``Assessment``)."""
    return models.Q(**{f"{prefix}self_value__isnull": False}) | models.Q(
        **{f"{prefix}self_not_applicable": True}
    )


def is_scored(score) -> bool:
    """``scored`` for one ``Score``: the unit has answered this leaf (a self score, or a not-applicable claim)."""
    return score.self_value is not None or bool(score.self_not_applicable)


def is_not_applicable(score) -> bool:
    """``NOT_APPLICABLE`` for one ``Score``: claimed not applicable by the unit and accepted by its appraiser."""
    return bool(score.self_not_applicable and score.na_accepted is True)


def achieved_points(score) -> Decimal | None:
    """``ACHIEVED`` for one ``Score`` (points): None when not applicable or unset, the survey score of a survey leaf
    (``slot`` < 0), the appraised score otherwise."""
    if is_not_applicable(score):
        return None
    return score.survey_value if score.slot < 0 else score.appraised_value


def lacks_evidence(score, *, evidence: int) -> bool:
    """The unit's score needs evidence or an explanation before submission: scored above 0, not claimed not
    applicable, ``evidence`` (the number of documents attached) 0 and no explanation (blank counts as none). Only
    appraisal leaves other than bonus and penalty are checked (the caller's filter)."""
    return bool(
        not score.self_not_applicable
        and score.self_value is not None
        and score.self_value > 0
        and not evidence
        and not score.explanation.strip()
    )
