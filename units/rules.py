"""Permissions of the units app (django-rules)."""

import rules

from .permissions import is_leader, is_manager, is_member_of_unit

#: The unit directory (units, groups, memberships).
rules.add_perm("units.view_directory", is_manager)

#: Reorganisations (issue 13 §1): performed by admins and the coordinator (Sở Nội vụ); the list of events and the
#: lineage of any unit are read by them and the leaders. A unit's own officers and heads read its lineage too.
rules.add_perm("units.reorganise", is_manager)
rules.add_perm("units.view_reorganisations", is_manager | is_leader)
rules.add_perm("units.view_lineage", is_manager | is_leader | is_member_of_unit)
