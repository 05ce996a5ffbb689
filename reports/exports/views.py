"""Pages of the rankings exports (issue 6 item 6).

``export_page`` lists the round's unit groups with an xlsx and a PDF button each and for the whole round; a button
POSTs to ``export_start``, which queues a job (``reports.exports.services.export_request``) and redirects to its
page. The job page shows a progress bar that HTMX refreshes every second (``export_job_progress``) until the job
is done, then the download link (``export_download``). Without JavaScript the page reloads itself.

Who: see ``reports.exports.services`` — outsiders get 404, readers 403 while the round is not published; a job is
visible only to the user who asked for it, while they may still export the round (404 for anyone else).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from parindex import params
from units.models import UnitGroup

from ..models.exports import ExportFormat, ExportJob, ExportState
from . import builders, services

RECENT_JOBS = 10


def _page(request, rnd, *, error: str = "", status: int = 200):
    jobs = ExportJob.objects.filter(requested_by=request.user, round=rnd).select_related("group")[
        :RECENT_JOBS
    ]
    return render(
        request,
        "reports/exports/page.html",
        {
            "round": rnd,
            "groups": builders.export_groups(rnd),
            "formats": ExportFormat.choices,
            "jobs": jobs,
            "error": error,
        },
        status=status,
    )


@login_required
@require_GET
def export_page(request, round_pk):
    """ "Xuất kết quả" of a round: the groups with their export buttons, the user's recent jobs."""
    return _page(request, services.export_round_for(request.user, round_pk))


@login_required
@require_POST
def export_start(request, round_pk):
    """Queue an export: POST ``format`` (xlsx | pdf) and ``group`` (a group's id; empty = the whole round).
    400 with the page and a Vietnamese message for a wrong format; 404 for an unknown group."""
    rnd = services.export_round_for(request.user, round_pk)
    group_pk = params.int_param(request.POST, "group")
    group = get_object_or_404(UnitGroup, pk=group_pk) if group_pk is not None else None
    try:
        job = services.export_request(
            user=request.user, round=rnd, group=group, fmt=params.code_param(request.POST, "format")
        )
    except ValidationError as exc:
        if exc.code == "group":
            raise Http404 from exc
        return _page(request, rnd, error=" ".join(exc.messages), status=400)
    return redirect("reports:export_job", job.pk)


def _job_for(request, job_pk) -> ExportJob:
    job = get_object_or_404(
        ExportJob.objects.select_related("round", "group"), pk=job_pk, requested_by=request.user
    )
    if not services.can_export(request.user, job.round):
        raise Http404
    return job


@login_required
@require_GET
def export_job(request, job_pk):
    """A job's page: its progress bar (refreshed every second while it runs), then the download link."""
    job = _job_for(request, job_pk)
    return render(request, "reports/exports/job.html", _job_context(job))


def _job_context(job: ExportJob) -> dict:
    """The job and what its page offers: ``can_download`` when its file is ready (``export_download`` serves it)."""
    return {"job": job, "can_download": job.state == ExportState.DONE}


@login_required
@require_GET
def export_job_progress(request, job_pk):
    """The progress partial the job page polls (it carries no polling trigger once the job is finished)."""
    return render(request, "reports/exports/_progress.html", _job_context(_job_for(request, job_pk)))


@login_required
@require_GET
def export_download(request, job_pk):
    """The job's file as an attachment; 404 until it is done, and for anyone but its requester."""
    job = _job_for(request, job_pk)
    if job.state != ExportState.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=services.export_filename(job),
        content_type=services.CONTENT_TYPES[job.format],
    )
