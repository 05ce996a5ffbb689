"""Permissions of the units app (django-rules)."""

import rules

from .permissions import is_manager

rules.add_perm("units.view_directory", is_manager)
