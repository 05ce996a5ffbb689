"""Permissions of the assessments app (django-rules)."""

import rules

from units.permissions import is_admin, is_coordinator

rules.add_perm("assessments.manage_rounds", is_admin | is_coordinator)
