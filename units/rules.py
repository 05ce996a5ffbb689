"""Permissions of the units app (django-rules)."""

import rules

from .permissions import is_manager

#: The unit directory (units, groups, memberships).
rules.add_perm("units.view_directory", is_manager)
