"""Project-wide pages: the home page by role, the refused CSRF check."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.template import loader

from assessments.models import RoundState
from assessments.selectors import home as home_selectors
from assessments.selectors.rounds import with_days_left
from assessments.selectors.scoring import assessments_for_units
from reports.results import selectors as results_selectors
from units.models import Role
from units.permissions import is_appraiser, is_unit_member, roles_of
from units.selectors import memberships_of

from .params import BadParameter


@login_required
def home(request):
    """The signed-in user's start page: their roles and units, and what is waiting for them, one section per
    role held (issue 12 item 6; data from ``assessments.selectors.home``, for leaders ``reports.results.selectors``): officers — leaves left to score and
    without evidence, the missing items; heads — readiness to submit, explanations to send; appraisers — their
    agency's parts by state and deadline; the coordinator and admins — units by state, overdue units and the
    round's pages; leaders — the latest published results. Query count independent of the number of units."""
    roles = roles_of(request.user)
    member = is_unit_member(request.user)
    open_assessments = (
        with_days_left(assessments_for_units(user=request.user).filter(round__state=RoundState.OPEN))
        if member
        else []
    )
    context = {
        "memberships": memberships_of(request.user),
        "assessments": open_assessments,
        "is_member": member,
    }
    if member:
        work = home_selectors.unit_work(request.user)
        context["officer_work"] = work["officer"] if Role.OFFICER in roles else None
        context["head_work"] = work["head"] if Role.HEAD in roles else None
    if is_appraiser(request.user):
        context["appraiser_work"] = home_selectors.appraiser_work(request.user)
    if request.user.has_perm("assessments.coordinate_appraisal"):
        context["coordinator_work"] = home_selectors.coordinator_work()
    if Role.LEADER in roles:
        context["leader_work"] = results_selectors.leader_work(request.user)
        context["leader_section"] = True
    return render(request, "home.html", context)


#: The answer of a refused CSRF check under /api/ (DRF's session authentication says the same: parindex.auth).
CSRF_API_DETAIL = (
    "Yêu cầu bị từ chối: thiếu hoặc sai mã CSRF (phiên làm việc đã hết hạn hoặc trang đã cũ). "
    "Hãy tải lại trang hoặc đăng nhập lại rồi gửi lại."
)


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW``: a form sent without a valid CSRF token → 403 with the Vietnamese page
    templates/403_csrf.html (rendered without a request context, like Django's own view), or under /api/
    ``{"detail": CSRF_API_DETAIL}``. ``reason`` (Django's English text) is not shown to the user."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": CSRF_API_DETAIL}, status=403, json_dumps_params={"ensure_ascii": False}
        )
    return HttpResponseForbidden(loader.get_template("403_csrf.html").render())


def bad_request(request, exception, template_name="400.html"):
    """The 400 page (``handler400``), rendered without a request context like Django's own: for a refused
    parameter (``parindex.params.BadParameter``) it says which one and why; for any other bad request (a
    broken multipart body, a bad Host) only that the request was not valid — those messages are not ours."""
    refused = exception.message if isinstance(exception, BadParameter) else ""
    body = loader.get_template(template_name).render({"refused": refused})
    return HttpResponseBadRequest(body)
