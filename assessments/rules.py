"""Permissions of the assessments app (django-rules; shared/DESIGN.md §7). Each action is named once here and
checked in the services and selectors; views and templates show what these permit.

Doing a unit's own work — self-assessing (``units.permissions.is_unit_member``), appraising
(``is_appraiser``) — is a role, not an authority, so it is asked through those predicates, never ``has_perm``
(Django grants every permission to a superuser). Object-level checks that depend on the user's own unit or agency (a unit's officer saving its assessment, an
appraiser's own part) stay in ``assessments.permissions`` / the services, which name the unit in their message.
"""

import rules

from units.permissions import is_admin, is_appraiser, is_manager

#: Create, edit, open rounds; assign field owners.
rules.add_perm("assessments.manage_rounds", is_manager)
MANAGE_ROUNDS_REFUSED = "Chỉ Sở Nội vụ (điều phối) và quản trị viên được quản lý đợt đánh giá."
#: See every assessment and part, drafts included (visibility in the selectors).
rules.add_perm("assessments.view_all", is_manager)
#: Coordinate the appraisal: overview, end round 1, reopen a part, publish the round.
rules.add_perm("assessments.coordinate_appraisal", is_manager)
#: Open the appraisal queue (appraisers; managers see every part).
rules.add_perm("assessments.view_queue", is_appraiser | is_manager)
#: Correct an appraised score after publication (DESIGN §4): admins only.
rules.add_perm("assessments.correct_score", is_admin)
