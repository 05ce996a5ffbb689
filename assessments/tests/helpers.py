"""Helpers of the assessment tests (the browser tests may reuse them): valid input for a leaf by its kind,
scoring a whole assessment, and a snapshot of everything a refused write must leave as it was."""

from decimal import Decimal
from pathlib import Path

from django.conf import settings

from assessments.models import Assessment, Evidence, EvidenceLink, Score
from assessments.services.scoring import score_save_self
from criteria.models import EXTRA_KINDS, Criterion, Kind, Source


def appraisal_leaves(criteria_set) -> list[Criterion]:
    """The leaves a unit must self-score before submitting, in print order (survey, bonus and penalty
    leaves left out)."""
    return list(
        Criterion.objects.filter(criteria_set=criteria_set, children__isnull=True, source=Source.APPRAISAL)
        .exclude(kind__in=EXTRA_KINDS)
        .order_by("order")
    )


def band_points(criterion: Criterion, percent: Decimal) -> Decimal:
    """Points of the ratio band ``percent`` falls in, read from the leaf's bands (high to low, lower bound
    inclusive)."""
    for band in criterion.scale:
        if percent >= Decimal(band["min"]):
            return Decimal(band["points"])
    raise AssertionError(f"{criterion.code}: no band for {percent} %")


def leaf_input(criterion: Criterion, *, top: bool = True) -> tuple[dict, Decimal]:
    """Keyword arguments of ``score_save_self`` that give ``criterion`` its highest (``top``) or lowest points,
    and those points as the leaf's scale says."""
    if criterion.kind == Kind.OPTIONS:
        pick = (max if top else min)(criterion.scale, key=lambda o: Decimal(o["points"]))
        return {"option": pick["label"]}, Decimal(pick["points"])
    if criterion.kind == Kind.RATIO:
        numerator = 10 if top else 0
        return {"numerator": numerator, "denominator": 10}, band_points(criterion, Decimal(numerator * 10))
    points = criterion.max_points if top else Decimal(0)
    return {"value": points}, points


def save(assessment: Assessment, criterion: Criterion, by, **kwargs) -> Score:
    """``score_save_self`` on the current version of the leaf (the user saw the latest value)."""
    version = Score.objects.get(assessment=assessment, criterion=criterion).version
    return score_save_self(
        assessment=assessment, criterion=criterion, by=by, expected_version=version, **kwargs
    )


def score_all(assessment: Assessment, by, *, top: bool = True, explanation: str = "") -> dict[str, Decimal]:
    """Give every appraisal leaf of ``assessment`` a valid value by its kind (its highest points, or its lowest
    with ``top=False``), with ``explanation`` on each. Returns {leaf code: points saved}."""
    saved = {}
    for criterion in appraisal_leaves(assessment.criteria_set_id):
        kwargs, points = leaf_input(criterion, top=top)
        score = save(assessment, criterion, by, explanation=explanation, **kwargs)
        assert score.self_value == points, (criterion.code, score.self_value, points)
        saved[criterion.code] = points
    return saved


def stored_files() -> list[str]:
    """Every file under MEDIA_ROOT, as paths relative to it."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot(assessment: Assessment) -> dict:
    """Everything of an assessment a user could notice changed: its state, every score row, documents and
    links, their history and the files in storage."""
    a = Assessment.objects.get(pk=assessment.pk)
    return {
        "assessment": (a.state, a.submitted_at, a.submitted_by_id, a.updated_at),
        "scores": list(
            Score.objects.filter(assessment=a)
            .order_by("pk")
            .values_list(
                "criterion_id",
                "self_value",
                "self_option",
                "numerator",
                "denominator",
                "note",
                "explanation",
                "version",
                "updated_at",
                "updated_by_id",
            )
        ),
        "evidence": list(
            Evidence.objects.filter(assessment=a)
            .order_by("pk")
            .values_list("pk", "sha256", "file", "original_name")
        ),
        "links": list(
            EvidenceLink.objects.filter(score__assessment=a)
            .order_by("pk")
            .values_list("evidence_id", "score_id")
        ),
        "history": (
            Assessment.history.filter(id=a.pk).count(),
            Score.history.filter(assessment_id=a.pk).count(),
            Evidence.history.filter(assessment_id=a.pk).count(),
            EvidenceLink.history.count(),
        ),
        "files": stored_files(),
    }
