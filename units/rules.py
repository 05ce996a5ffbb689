"""Permissions of the units app (django-rules)."""

import rules

from .permissions import is_admin, is_coordinator

rules.add_perm("units.view_directory", is_admin | is_coordinator)
