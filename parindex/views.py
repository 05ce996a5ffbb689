"""Project-wide pages: the home page by role, and error pages."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from units.selectors import memberships_of


@login_required
def home(request):
    """The signed-in user's start page: their roles and units, and the work open to them."""
    return render(request, "home.html", {"memberships": memberships_of(request.user)})
