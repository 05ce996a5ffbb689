"""Project-wide pages: the home page by role."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from assessments.models import RoundState
from assessments.selectors import assessments_for_units, with_days_left
from units.models import Role
from units.permissions import roles_of
from units.selectors import memberships_of


@login_required
def home(request):
    """The signed-in user's start page: their roles and units, and the work open to them (for unit officers
    and heads, their assessments in open rounds with progress and deadline)."""
    member = bool(roles_of(request.user) & {Role.OFFICER, Role.HEAD})
    open_assessments = (with_days_left(assessments_for_units(user=request.user).filter(round__state=RoundState.OPEN))
                        if member else [])
    return render(request, "home.html", {"memberships": memberships_of(request.user),
                                         "assessments": open_assessments, "is_member": member})
