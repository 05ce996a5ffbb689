"""Permissions of the reports app (django-rules; shared/DESIGN.md §4, §7, issue 6).

Each action is named once here; ``reports.permissions`` (visibility), the services and the views ask them.
"""

import rules

from assessments.models import RoundState
from units.permissions import is_manager, is_reader


@rules.predicate
def is_published(user, rnd) -> bool:
    """The round (an ``AssessmentRound``; None: any round) is published."""
    return rnd is not None and rnd.state == RoundState.PUBLISHED


#: See every result, provisional ones (round not published) included.
rules.add_perm("reports.view_all_results", is_manager)
#: See the results of published rounds: the province's public figures.
rules.add_perm("reports.view_published_results", is_manager | is_reader)
#: Export a round's rankings (the object: the round): managers always, readers once it is published.
rules.add_perm("reports.export_round", is_manager | (is_reader & is_published))
#: Enter, edit and import the province's national results (Chỉ số CCHC của tỉnh).
rules.add_perm("reports.manage_province", is_manager)
