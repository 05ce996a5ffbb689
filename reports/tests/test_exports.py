"""Exports of the rankings (issue 6 item 6): the xlsx and PDF files, the background job with its progress page,
and who may ask for and download them."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import RoundState
from reports.exports import builders as exports
from reports.exports.services import export_request
from reports.models import ExportJob, Result
from reports.results.services import results_compute
from reports.tasks import export_run
from units.models import UnitGroup

from .conftest import add_assessment, build_set, make_round, put, unit

D = Decimal
HUYEN_SET = (("1", 10, "", ""), ("1.1", 10, "appraisal", "range"))


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rnd(mini_set):
    """An open round of two groups, computed. Departments (20 points): SCT 2 + 2 survey + 4 = 8 points (40.00 %;
    fields 66.67 / 0.00 / 40.00 %), STP and STC 1 survey point (5.00 %, tied 2nd). Districts (10 points): TPST 9
    (90.00 %, grade A), TXVC 7 (70.00 %)."""
    huyen = build_set("HUYEN", HUYEN_SET)
    rnd = make_round([mini_set, huyen])
    sct = add_assessment(rnd, unit("SCT"), mini_set)
    put(sct, "1.1", appraised_value=D(2))
    put(sct, "1.3", survey_value=D(2))
    put(sct, "3.1", appraised_value=D(4))
    for code in ("STP", "STC"):
        put(add_assessment(rnd, unit(code), mini_set), "1.3", survey_value=D(1))
    for code, points in (("TPST", 9), ("TXVC", 7)):
        put(add_assessment(rnd, unit(code), huyen), "1.1", appraised_value=D(points))
    results_compute(round=rnd)
    return rnd


@pytest.fixture
def so():
    return UnitGroup.objects.get(code="SO")


def publish(rnd):
    rnd.state = RoundState.PUBLISHED
    rnd.save(update_fields=["state"])


def sheet_rows(ws, header_row=6):
    return [row for row in ws.iter_rows(min_row=header_row + 1, values_only=True) if row[0] is not None]


def test_the_workbook_holds_the_ranking_of_a_group(rnd, so, coordinator):
    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=[so])
    wb = load_workbook(io.BytesIO(exports.rankings_workbook(tables, round=rnd)))
    assert wb.sheetnames == ["Sở, ban, ngành tỉnh"]
    ws = wb.active
    assert ws["A1"].value == "UBND TỈNH SÓC TRĂNG"
    assert ws["A2"].value == "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026"
    assert ws["A3"].value == "SỞ, BAN, NGÀNH TỈNH"
    assert "tạm tính" in ws["A4"].value
    assert [c.value for c in ws[6]] == [
        "STT",
        "Đơn vị",
        "1. Tiêu chí 1 (%)",
        "2. Tiêu chí 2 (%)",
        "3. Tiêu chí 3 (%)",
        "Tổng điểm",
        "Chỉ số CCHC (%)",
        "Xếp loại",
        "Xếp hạng",
    ]
    rows = sheet_rows(ws)
    sct, stc, stp = (Result.objects.get(round=rnd, unit__code=c) for c in ("SCT", "STC", "STP"))
    assert rows == [
        (1, sct.unit.name, 66.67, 0.0, 40.0, 8.0, 40.0, sct.grade or None, 1),
        (2, stc.unit.name, 16.67, 0.0, 0.0, 1.0, 5.0, stc.grade or None, 2),
        (3, stp.unit.name, 16.67, 0.0, 0.0, 1.0, 5.0, stp.grade or None, 2),
    ]
    assert ws["G7"].number_format == "0.00" and ws["C7"].number_format == "0.00"


def test_the_workbook_of_the_whole_round_has_a_sheet_per_group(rnd, coordinator):
    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=exports.export_groups(rnd))
    wb = load_workbook(io.BytesIO(exports.rankings_workbook(tables, round=rnd)))
    assert wb.sheetnames == ["Sở, ban, ngành tỉnh", "UBND huyện, thị xã, thành phố"]
    rows = sheet_rows(wb["UBND huyện, thị xã, thành phố"])
    assert [(r[1], r[2], r[4], r[5], r[6]) for r in rows] == [
        (unit("TPST").name, 90.0, 90.0, "A", 1),
        (unit("TXVC").name, 70.0, 70.0, "C", 2),
    ]


def test_a_reader_exports_nothing_of_an_unpublished_round(rnd, so, make_user):
    tables = exports.ranking_tables(user=make_user("leader", "UBNDT"), round=rnd, groups=[so])
    assert tables[0].rows == []


def test_the_pdf_lists_the_ranking(rnd, so, coordinator):
    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=exports.export_groups(rnd))
    html = exports.rankings_html(tables, round=rnd)
    for code in ("SCT", "STP", "STC", "TPST", "TXVC"):
        assert unit(code).name in html
    assert "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026" in html and "66,67" in html
    assert "DejaVu Serif" in html and "A4 landscape" in html
    data = exports.rankings_pdf(tables, round=rnd)
    assert data.startswith(b"%PDF") and len(data) > 5000


def test_the_pdf_text_holds_vietnamese_unit_names_in_dejavu_serif(rnd, so, coordinator):
    from weasyprint import HTML

    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=[so])
    document = HTML(string=exports.rankings_html(tables, round=rnd)).render()
    text = []

    def walk(box):
        if getattr(box, "text", None):
            text.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in document.pages:
        walk(page._page_box)
    text = " ".join(text)
    assert unit("SCT").name.split()[-1] in text and "Tổng điểm" in text
    assert b"/BaseFont /" in (pdf := document.write_pdf(uncompressed_pdf=True))
    assert b"+DejaVu-Serif" in pdf and b"Noto" not in pdf  # the declared font, not a fallback


# --- the job, its pages and who may use them ---------------------------------------------------------------------


def start(client, rnd, fmt="xlsx", group=None, capture=None):
    url = reverse("reports:export_start", args=[rnd.pk])
    data = {"format": fmt, "group": group.pk if group else ""}
    if capture is None:
        return client.post(url, data)
    with capture(execute=True):
        return client.post(url, data)


def test_a_coordinator_exports_an_unpublished_round_and_downloads_the_file(
    rnd, so, coordinator, client, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    page = client.get(reverse("reports:export", args=[rnd.pk]))
    assert page.status_code == 200 and so.name in page.content.decode()
    response = start(client, rnd, "xlsx", so, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reports:export_job", args=[job.pk]
    )
    assert (job.state, job.progress, job.requested_by, job.group) == ("done", 100, coordinator, so)
    assert job.file.name.startswith("exports/2026/")
    progress = client.get(reverse("reports:export_job_progress", args=[job.pk])).content.decode()
    assert "100 %" in progress and reverse("reports:export_download", args=[job.pk]) in progress
    assert "hx-trigger" not in progress  # polling stops once done
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="xep-hang-cchc-2026-SO.xlsx"'
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert [r[1] for r in sheet_rows(wb.active)] == [unit(c).name for c in ("SCT", "STC", "STP")]


def test_a_queued_job_page_polls_every_second(rnd, so, coordinator, client):
    client.force_login(coordinator)
    start(client, rnd, "pdf", so)  # on_commit never runs in this test's transaction: the job stays queued
    job = ExportJob.objects.get()
    page = client.get(reverse("reports:export_job", args=[job.pk])).content.decode()
    assert job.state == "queued" and 'hx-trigger="every 1s"' in page and "0 %" in page
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 404


def test_the_whole_round_as_pdf(rnd, coordinator, client, django_capture_on_commit_callbacks):
    client.force_login(coordinator)
    start(client, rnd, "pdf", None, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert (job.state, job.group) == ("done", None)
    download = client.get(reverse("reports:export_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Disposition"] == 'attachment; filename="xep-hang-cchc-2026.pdf"'


def test_a_leader_may_not_export_an_unpublished_round(rnd, so, make_user, client):
    client.force_login(make_user("leader", "UBNDT"))
    assert client.get(reverse("reports:export", args=[rnd.pk])).status_code == 403
    assert start(client, rnd, "xlsx", so).status_code == 403
    assert not ExportJob.objects.exists()


def test_a_leader_exports_a_published_round(rnd, so, make_user, client, django_capture_on_commit_callbacks):
    publish(rnd)
    leader = make_user("leader", "UBNDT")
    client.force_login(leader)
    rankings = client.get(reverse("reports:rankings", args=[rnd.pk]), {"group": so.code}).content.decode()
    assert f'href="{reverse("reports:export", args=[rnd.pk])}"' in rankings
    assert client.get(reverse("reports:export", args=[rnd.pk])).status_code == 200
    start(client, rnd, "xlsx", so, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get(requested_by=leader)
    assert job.state == "done"
    wb = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("reports:export_download", args=[job.pk])).streaming_content))
    )
    assert len(sheet_rows(wb.active)) == 3 and "tạm tính" not in wb.active["A4"].value


def test_an_outsider_gets_404(rnd, so, make_user, client):
    publish(rnd)
    client.force_login(make_user())
    assert client.get(reverse("reports:export", args=[rnd.pk])).status_code == 404
    assert start(client, rnd, "xlsx", so).status_code == 404
    assert client.get(reverse("reports:export", args=[rnd.pk + 1000])).status_code == 404


def test_another_users_job_is_404(rnd, so, coordinator, make_user, client):
    publish(rnd)
    job = ExportJob.objects.create(requested_by=coordinator, round=rnd, group=so, format="xlsx")
    assert export_run(job.pk) == "done"
    client.force_login(make_user("coordinator", "SNV"))  # even another coordinator
    for name in ("export_job", "export_job_progress", "export_download"):
        assert client.get(reverse(f"reports:{name}", args=[job.pk])).status_code == 404
    client.force_login(coordinator)
    assert client.get(reverse("reports:export_download", args=[job.pk])).status_code == 200


def test_a_job_is_404_once_its_requester_may_no_longer_export(rnd, so, make_user, client):
    leader = make_user("leader", "UBNDT")
    job = ExportJob.objects.create(requested_by=leader, round=rnd, group=so, format="xlsx")
    client.force_login(leader)
    assert client.get(reverse("reports:export_job", args=[job.pk])).status_code == 404


def test_a_wrong_format_is_refused_in_vietnamese(rnd, so, coordinator, client):
    client.force_login(coordinator)
    response = start(client, rnd, "docx", so)
    assert response.status_code == 400
    assert "Định dạng xuất không hợp lệ" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_group_outside_the_round_or_a_forged_id_is_404(rnd, coordinator, client):
    client.force_login(coordinator)
    assert start(client, rnd, "xlsx", UnitGroup.objects.get(code="TW")).status_code == 404
    response = client.post(
        reverse("reports:export_start", args=[rnd.pk]), {"format": "xlsx", "group": "99999"}
    )
    assert response.status_code == 404
    assert client.get(reverse("reports:export_start", args=[rnd.pk])).status_code == 405


def test_a_failure_is_recorded_on_the_job(
    rnd, so, coordinator, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(exports, "rankings_workbook", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = export_request(user=coordinator, round=rnd, group=so, fmt="xlsx")
    job.refresh_from_db()
    assert (job.state, bool(job.file)) == ("failed", False)
    assert job.error == "Không tạo được tệp (RuntimeError: disk full); vui lòng yêu cầu xuất lại."
    assert job.finished_at is not None


@pytest.mark.parametrize("build", [exports.rankings_workbook, exports.rankings_pdf])
def test_the_builders_report_their_progress(build, rnd, coordinator):
    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=exports.export_groups(rnd))
    seen = []
    build(tables, round=rnd, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0
    if build is exports.rankings_pdf:  # each page laid out moves the bar (2 sections, 2 pages expected)
        assert seen == [0.05, 0.475, 0.9, 0.9, 1.0]


def test_old_exports_are_deleted_with_their_files_recent_ones_kept(rnd, so, coordinator, client, settings):
    import datetime
    import os

    from django.utils import timezone

    from parindex.celery import app
    from reports.tasks import exports_purge

    settings.EXPORT_KEEP_DAYS = 7
    publish(rnd)
    old, recent = (
        ExportJob.objects.create(requested_by=coordinator, round=rnd, group=so, format="xlsx")
        for _ in range(2)
    )
    for job in (old, recent):
        assert export_run(job.pk) == "done"
    stale = ExportJob.objects.create(
        requested_by=coordinator, round=rnd, group=so, format="pdf"
    )  # never built
    ExportJob.objects.filter(pk__in=[old.pk, stale.pk]).update(
        created_at=timezone.now() - datetime.timedelta(days=7, minutes=1)
    )
    old.refresh_from_db()
    old_path = old.file.path
    assert os.path.exists(old_path)

    client.force_login(coordinator)
    progress = client.get(reverse("reports:export_job_progress", args=[recent.pk])).content.decode()
    assert f"Tệp được giữ đến ngày {timezone.localtime(recent.expires_at):%d/%m/%Y}." in progress
    assert recent.expires_at == recent.created_at + datetime.timedelta(days=7)

    assert exports_purge() == 2

    assert list(ExportJob.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not os.path.exists(old_path) and not os.path.exists(os.path.dirname(old_path))
    recent.refresh_from_db()
    assert os.path.exists(recent.file.path)
    assert client.get(reverse("reports:export_download", args=[old.pk])).status_code == 404
    assert client.get(reverse("reports:export_download", args=[recent.pk])).status_code == 200
    assert exports_purge() == 0  # nothing left to delete
    # beat runs it daily
    assert any(entry["task"] == "reports.tasks.exports_purge" for entry in app.conf.beat_schedule.values())


def test_admins_see_results_and_export_jobs_read_only_and_may_delete_jobs_with_their_files(
    rnd, so, coordinator, make_user, client
):
    import os

    publish(rnd)
    job = ExportJob.objects.create(requested_by=coordinator, round=rnd, group=so, format="xlsx")
    assert export_run(job.pk) == "done"
    job.refresh_from_db()
    path = job.file.path
    result = Result.objects.filter(round=rnd).first()
    client.force_login(coordinator)  # not staff
    assert client.get(reverse("admin:reports_result_changelist")).status_code == 302
    client.force_login(make_user("admin", "SNV", is_staff=True, is_superuser=True))
    listing = client.get(reverse("admin:reports_result_changelist"))
    assert listing.status_code == 200 and result.unit.name in listing.content.decode()
    page = client.get(reverse("admin:reports_result_change", args=[result.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # read-only
    assert client.get(reverse("admin:reports_result_add")).status_code == 403
    assert client.get(reverse("admin:reports_exportjob_changelist")).status_code == 200
    response = client.post(reverse("admin:reports_exportjob_delete", args=[job.pk]), {"post": "yes"})
    assert response.status_code == 302 and not ExportJob.objects.exists() and not os.path.exists(path)
