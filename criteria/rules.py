"""Permissions of the criteria app (django-rules): admins and the coordinator manage sets (issue 2)."""

import rules

from units.permissions import is_manager

#: Import, edit, freeze, clone and export criteria sets.
rules.add_perm("criteria.manage_sets", is_manager)
MANAGE_SETS_REFUSED = "Chỉ quản trị viên và Sở Nội vụ được quản lý bộ chỉ số."
