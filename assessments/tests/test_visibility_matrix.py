"""Who sees an assessment (role × object), the object-level half of the permission matrix
(tests/test_permission_matrix.py holds the rules' half): ``assessments_visible_to`` against one table — the spec
of shared/DESIGN.md §7 and the README's "Who sees what". Objects: Sở Công Thương's assessment as a draft, once
submitted (its parts created) and once published; users: its own unit's officer and head, another unit's officer,
an appraiser of an agency that appraises one of its fields and one of an agency that appraises none, the
coordinator, a leader, an admin, a user without a role.
"""

import pytest

from assessments.models import Assessment, AssessmentState, FieldAppraisal
from assessments.permissions import assessments_visible_to
from assessments.selectors.appraisal import parts_visible_to
from assessments.services.appraisal import parts_ensure

#: Who sees the assessment in each state.
SEES = {
    AssessmentState.DRAFT: {"own_officer", "own_head", "coordinator", "admin"},
    AssessmentState.SUBMITTED: {"own_officer", "own_head", "owner_appraiser", "coordinator", "admin"},
    AssessmentState.PUBLISHED: {
        "own_officer",
        "own_head",
        "owner_appraiser",
        "coordinator",
        "admin",
        "leader",
    },
}
#: Who opens one of its parts (none exists, and nobody opens one, while it is a draft).
OPENS_PART = {
    AssessmentState.SUBMITTED: {"owner_appraiser", "coordinator", "admin"},
    AssessmentState.PUBLISHED: {"owner_appraiser", "coordinator", "admin"},
}


@pytest.fixture
def people(assessment, make_user, coordinator, admin_user):
    parts_ensure(assessment, by=coordinator)
    owner = FieldAppraisal.objects.filter(assessment=assessment).values_list("owner__code", flat=True).first()
    FieldAppraisal.objects.filter(assessment=assessment).delete()  # created again at "submission" below
    return {
        "own_officer": make_user("officer", "SCT"),
        "own_head": make_user("head", "SCT"),
        "other_officer": make_user("officer", "STP" if owner != "STP" else "SNV"),
        "owner_appraiser": make_user("appraiser", owner),
        "other_appraiser": make_user("appraiser", "SCT"),  # an agency that appraises no field of the set
        "coordinator": coordinator,
        "leader": make_user("leader", "SNV"),
        "admin": admin_user,
        "no_role": make_user(None),
    }


@pytest.mark.parametrize("state", list(SEES))
def test_who_sees_the_assessment(assessment, people, coordinator, state):
    if state != AssessmentState.DRAFT:
        Assessment.objects.filter(pk=assessment.pk).update(state=state)
        parts_ensure(assessment, by=coordinator)
    for name, user in people.items():
        sees = assessments_visible_to(user).filter(pk=assessment.pk).exists()
        assert sees is (name in SEES[state]), (state, name)
        opens = parts_visible_to(user).filter(assessment=assessment).exists()
        assert opens is (name in OPENS_PART.get(state, set())), (state, name)
