"""Permissions of the criteria app (django-rules): admins and the coordinator manage sets (issue 2)."""

import rules

from units.permissions import is_admin, is_coordinator

rules.add_perm("criteria.manage_sets", is_admin | is_coordinator)
