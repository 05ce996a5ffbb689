"""Permissions of the surveys app (django-rules): survey results are brought in by the coordinator
(Sở Nội vụ) and admins only (shared/DESIGN.md §6–7)."""

import rules

from units.permissions import is_manager

rules.add_perm("surveys.manage_results", is_manager)
MANAGE_RESULTS_REFUSED = "Chỉ Sở Nội vụ (điều phối) và quản trị viên được nhập điểm điều tra XHH."

rules.add_perm("surveys.manage_online", is_manager)
MANAGE_ONLINE_REFUSED = (
    "Chỉ Sở Nội vụ (điều phối) và quản trị viên được quản lý phiếu và đợt khảo sát trực tuyến."
)
