"""Reads of the online survey (issue 15): a campaign's progress per unit and respondent group."""

from dataclasses import dataclass

from django.db.models import Count, Q

from assessments.models import Assessment

from .. import scoring
from ..models import Campaign, Invitation


@dataclass
class ProgressRow:
    """One unit of a campaign: ``groups`` = ``{respondent group: (answered, codes)}``; ``answered`` over
    all groups; ``population`` N (people) and ``required`` n (``scoring.sample_size``), None while N is
    not entered."""

    unit_code: str
    unit_name: str
    groups: dict
    answered: int
    population: int | None
    required: int | None

    @property
    def enough(self) -> bool | None:
        """Whether the answers reach n (None while N is not entered)."""
        return None if self.required is None else self.answered >= self.required


def campaign_progress(campaign: Campaign) -> list[ProgressRow]:
    """Codes issued and questionnaires answered per unit and group of ``campaign``, against the sample
    size n of the unit's population N (README "Raw questionnaire responses"). Two queries."""
    counts = (
        Invitation.objects.filter(campaign=campaign)
        .values("unit_id", "questionnaire__respondent_group")
        .annotate(codes=Count("pk"), answered=Count("pk", filter=Q(used_at__isnull=False)))
    )
    by_unit: dict[int, dict] = {}
    for row in counts:
        by_unit.setdefault(row["unit_id"], {})[row["questionnaire__respondent_group"]] = (
            row["answered"],
            row["codes"],
        )
    rows = []
    for a in (
        Assessment.objects.filter(round_id=campaign.round_id, unit__in=campaign.units.all())
        .select_related("unit", "survey_population")
        .order_by("unit__group__order", "unit__order", "unit__name")
    ):
        groups = by_unit.get(a.unit_id, {})
        population = getattr(getattr(a, "survey_population", None), "size", None)
        rows.append(
            ProgressRow(
                unit_code=a.unit.code,
                unit_name=a.unit.name,
                groups=groups,
                answered=sum(n for n, _ in groups.values()),
                population=population,
                required=scoring.sample_size(population) if population else None,
            )
        )
    return rows
