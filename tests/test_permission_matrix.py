"""The permission matrix (issue 20): every permission registered in the apps' ``rules.py`` × every role × a
representative object, against one table — the table below is the spec (shared/DESIGN.md §7 "Roles", README
"Who sees what"). A permission registered without a row here fails ``test_every_permission_has_a_row``.

Asked twice: of the rules registry (``rules.has_perm``) and of the user (``user.has_perm``, the path the
services take through ``units.permissions.require_perm``), so a backend in between cannot change an answer.
"""

import datetime

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from assessments.models import AssessmentRound, RoundState
from units.permissions import require_perm

APPS = ("units.", "criteria.", "assessments.", "surveys.", "reports.")
ROLES = ("officer", "head", "appraiser", "coordinator", "leader", "admin", "none", "superuser", "anonymous")

#: Who holds which permission. Objects: ``None`` (a global permission) or a round's state for the permissions
#: whose object is a round. ``MANAGERS``/``READERS`` are the table's shorthand, spelled out as role names.
MANAGERS = {"coordinator", "admin", "superuser"}
READERS = {"officer", "head", "appraiser", "leader"}
MATRIX: dict[tuple[str, str | None], set[str]] = {
    ("units.view_directory", None): MANAGERS,
    ("criteria.manage_sets", None): MANAGERS,
    ("assessments.manage_rounds", None): MANAGERS,
    ("assessments.view_all", None): MANAGERS,
    ("assessments.coordinate_appraisal", None): MANAGERS,
    ("assessments.view_queue", None): MANAGERS | {"appraiser"},
    ("assessments.correct_score", None): {"admin", "superuser"},
    ("surveys.manage_results", None): MANAGERS,
    ("surveys.manage_online", None): MANAGERS,
    ("reports.view_all_results", None): MANAGERS,
    ("reports.view_published_results", None): MANAGERS | READERS,
    ("reports.export_round", RoundState.PUBLISHED): MANAGERS | READERS,
    ("reports.export_round", RoundState.OPEN): MANAGERS,
    ("reports.export_round", RoundState.DRAFT): MANAGERS,
    ("reports.manage_province", None): MANAGERS,
    ("units.reorganise", None): MANAGERS,
    ("units.view_reorganisations", None): MANAGERS | {"leader"},
    ("units.view_lineage", None): MANAGERS | {"leader"},
    # the lineage of Sở Tư pháp: also its own officer and head (the appraiser holds a role in Sở Nội vụ)
    ("units.view_lineage", "unit:STP"): MANAGERS | {"leader", "officer", "head"},
}


def registered() -> set[str]:
    return {name for name in rules.permissions.permissions if name.startswith(APPS)}


def test_every_permission_has_a_row():
    assert registered() == {perm for perm, _ in MATRIX}


@pytest.fixture
def users(units, make_user):
    """One user per role (officer and head of Sở Tư pháp, an appraiser of Sở Nội vụ, …)."""
    made = {
        role: make_user(role, "STP" if role in ("officer", "head") else "SNV")
        for role in ROLES
        if role not in ("none", "superuser", "anonymous")
    }
    made["none"] = make_user(None)
    made["superuser"] = make_user(None, is_superuser=True, is_staff=True)
    made["anonymous"] = AnonymousUser()
    return made


def _object(state):
    if state is None:
        return None
    if state.startswith("unit:"):
        from units.models import Unit

        return Unit.objects.get(code=state.removeprefix("unit:"))
    today = datetime.date(2026, 1, 1)
    return AssessmentRound(
        year=2026,
        name="Đợt thử",
        state=state,
        opens_on=today,
        self_assessment_deadline=today,
        appraisal_1_deadline=today,
        explanation_deadline=today,
        appraisal_2_deadline=today,
        publication_date=today,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("perm", "state"), sorted(MATRIX, key=str))
def test_matrix(users, perm, state):
    obj = _object(state)
    expected = MATRIX[(perm, state)]
    for role in ROLES:
        user = users[role]
        allowed = role in expected
        assert rules.has_perm(perm, user, obj) is allowed, (perm, state, role)
        assert user.has_perm(perm, obj) is allowed, (perm, state, role)
        if allowed:
            require_perm(user, perm, obj)
        else:
            with pytest.raises(PermissionDenied, match="Không được phép"):
                require_perm(user, perm, obj, message="Không được phép")


def test_require_perm_refuses_a_missing_user():
    """No service skips its check for a missing actor (issue 20): ``by=None`` is refused, not waved through."""
    with pytest.raises(PermissionDenied):
        require_perm(None, "criteria.manage_sets")
