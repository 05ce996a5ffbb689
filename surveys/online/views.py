"""The public answer page of the online survey (no login; README "Online survey"): a code form, the
questionnaire of a code, the thank-you page. Thin: ``services`` checks and stores."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..models import QuestionKind
from ..scoring import LABELS
from . import services

SCALE = [(str(i), label) for i, label in enumerate(LABELS, start=1)]
YES_NO = [("yes", "Có"), ("no", "Không")]


@never_cache
@require_http_methods(["GET", "POST"])
def code_entry(request: HttpRequest) -> HttpResponse:
    """``/khao-sat/``: type the code; a valid one goes to its questionnaire, a refused one is said next
    to the box (400)."""
    typed = request.POST.get("code", "") if request.method == "POST" else request.GET.get("code", "")
    if not typed:
        return render(request, "surveys/online/code.html", {"typed": ""})
    try:
        invitation = services.invitation_check(typed)
    except services.SurveyRefused as exc:
        return render(request, "surveys/online/code.html", {"typed": typed, "error": exc.message}, status=400)
    return redirect("survey_online:answer", code=invitation.code)


def _questions(invitation, data=None, errors=None):
    rows = []
    for q in invitation.questionnaire.questions.all():
        rows.append(
            {
                "question": q,
                "name": f"q{q.pk}",
                "choices": YES_NO if q.kind == QuestionKind.YES_NO else SCALE,
                "chosen": (data or {}).get(f"q{q.pk}", ""),
                "error": (errors or {}).get(q.code),
            }
        )
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, code: str) -> HttpResponse:
    """``/khao-sat/<code>/``: the questionnaire of the code (GET) and its submission (POST). A refused code
    shows the code form with the reason; refused answers come back with the reason next to each."""
    try:
        invitation = services.invitation_check(code)
    except services.SurveyRefused as exc:
        return render(request, "surveys/online/code.html", {"typed": code, "error": exc.message}, status=400)
    if request.method == "POST":
        try:
            services.response_submit(code=invitation.code, data=request.POST)
        except services.SurveyRefused as exc:
            if exc.code_problem:
                return render(
                    request, "surveys/online/code.html", {"typed": code, "error": exc.message}, status=400
                )
            context = {
                "invitation": invitation,
                "rows": _questions(invitation, request.POST, exc.errors),
                "error": exc.message,
                "honeypot": services.HONEYPOT,
                "rejected": not exc.errors,
            }
            return render(request, "surveys/online/answer.html", context, status=400)
        return redirect(reverse("survey_online:thanks"))
    context = {"invitation": invitation, "rows": _questions(invitation), "honeypot": services.HONEYPOT}
    return render(request, "surveys/online/answer.html", context)


def thanks(request: HttpRequest) -> HttpResponse:
    """``/khao-sat/cam-on/``: the thank-you page (the answers are stored)."""
    return render(request, "surveys/online/thanks.html")
