"""Uploaded workbooks that would tie a web worker up are refused before they are loaded, with a message that says
the limit and what was found; an oversized upload is called by its real size; previews nobody confirmed are
purged (issue 14 items 2, 7, 10; ``parindex.xlsx``, ``parindex.uploads``)."""

import io
import os
import time
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from criteria import workbook as criteria_workbook
from parindex import uploads, xlsx
from reports.province import workbook as province_workbook
from surveys import responses
from surveys import workbook as survey_workbook


#: Each importer: its reader, its row limit and the sheet it reads first.
def dotted(n: int) -> str:
    """An integer as the messages write it: 20000 → "20.000"."""
    return f"{n:,}".replace(",", ".")


IMPORTERS = {
    "criteria": (criteria_workbook.read_workbook, criteria_workbook.MAX_ROWS, criteria_workbook.SHEET_TREE),
    "survey results": (survey_workbook.read_results, survey_workbook.MAX_ROWS, survey_workbook.SHEET),
    "survey responses": (responses.read_responses, responses.MAX_ROWS, responses.SHEET_ANSWERS),
    "province results": (province_workbook.read_rows, province_workbook.MAX_ROWS, province_workbook.SHEET),
}


def crafted(title: str, rows: str, *, dimension: str = "A1:C3", repeat: int = 1) -> bytes:
    """A workbook whose one sheet ``title`` holds ``rows`` (sheet XML rows) ``repeat`` times under the
    ``dimension`` tag given (which may lie), written the way a generator other than Excel could."""
    wb = Workbook()
    wb.active.title = title
    wb.active["A1"] = "x"
    base = io.BytesIO()
    wb.save(base)
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open("xl/worksheets/sheet1.xml", "w") as part:
                part.write(
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                    b'spreadsheetml/2006/main"><dimension ref="' + dimension.encode() + b'"/><sheetData>'
                )
                row = rows.encode()
                for start in range(0, repeat, 1000):
                    part.write(row * min(1000, repeat - start))
                part.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture
def never_loaded(monkeypatch):
    """Fail the test if openpyxl loads the workbook (the refusal must come first)."""

    def load(*args, **kwargs):
        raise AssertionError("the workbook was loaded before its size was checked")

    monkeypatch.setattr(xlsx, "load_workbook", load)


@pytest.mark.parametrize("importer", IMPORTERS)
def test_each_importer_refuses_a_sheet_over_its_row_limit_before_loading_it(importer, never_loaded, db):
    read, max_rows, sheet = IMPORTERS[importer]
    data = crafted(sheet, '<row><c t="inlineStr"><is><t>SCT</t></is></c></row>', repeat=max_rows + 1)
    problems = read(data).problems
    assert [(p.sheet, p.message) for p in problems] == [
        (sheet, f"Trang có hơn {dotted(max_rows)} dòng, vượt giới hạn {dotted(max_rows)} dòng.")
    ]


def test_a_million_rows_are_refused_at_the_limit_and_the_message_gives_the_stated_count(never_loaded, db):
    rows = "<row><c><v>1</v></c><c><v>2</v></c></row>"
    data = crafted(survey_workbook.SHEET, rows, dimension="A1:B1000000", repeat=1_000_000)
    assert len(data) < 300_000  # a few hundred KB zipped, 41 MB of sheet XML
    start = time.perf_counter()
    problems = survey_workbook.read_results(data).problems
    elapsed = time.perf_counter() - start
    assert [p.message for p in problems] == ["Trang có 1.000.000 dòng, vượt giới hạn 20.000 dòng."]
    assert elapsed < 5  # 0.15 s on the development VM; openpyxl's full load took 14 s


def test_a_dimension_tag_that_lies_does_not_let_rows_through(never_loaded, db):
    rows = '<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    data = crafted(province_workbook.SHEET, rows, dimension="A1:A10", repeat=province_workbook.MAX_ROWS + 1)
    assert [p.message for p in province_workbook.read_rows(data).problems] == [
        "Trang có hơn 500 dòng, vượt giới hạn 500 dòng."
    ]


def test_a_row_number_past_the_limit_is_refused(never_loaded, db):
    data = crafted(survey_workbook.SHEET, '<row r="1048576"><c r="A1048576"><v>1</v></c></row>')
    assert [p.message for p in survey_workbook.read_results(data).problems] == [
        "Trang có hơn 20.000 dòng, vượt giới hạn 20.000 dòng."
    ]


def test_a_cell_far_right_or_a_row_with_too_many_cells_is_refused(never_loaded, db):
    far = crafted(survey_workbook.SHEET, '<row r="2"><c r="XFD2"><v>1</v></c></row>')
    assert [str(p) for p in survey_workbook.read_results(far).problems] == [
        "Trang 'Kết quả' · dòng 2: Dòng 2 có ô ở cột XFD (cột thứ 16384), vượt giới hạn 200 cột."
    ]
    wide = crafted(survey_workbook.SHEET, "<row>" + "<c><v>1</v></c>" * 201 + "</row>")
    assert [p.message for p in survey_workbook.read_results(wide).problems] == [
        "Dòng 1 có ô ở cột GS (cột thứ 201), vượt giới hạn 200 cột."
    ]
    # the same cell written over and over: counted as cells, whatever their references say
    repeated = crafted(survey_workbook.SHEET, '<row r="1">' + '<c r="A1"><v>1</v></c>' * 201 + "</row>")
    assert [p.message for p in survey_workbook.read_results(repeated).problems] == [
        "Dòng 1 có hơn 200 ô, vượt giới hạn 200 cột."
    ]


def test_a_file_over_the_cell_limit_is_refused_as_a_whole(never_loaded, db):
    per_row = 100
    rows = "<row>" + "<c><v>1</v></c>" * per_row + "</row>"
    data = crafted(survey_workbook.SHEET, rows, repeat=xlsx.MAX_CELLS // per_row + 1)
    assert [(p.sheet, p.message) for p in survey_workbook.read_results(data).problems] == [
        ("", "Tệp có hơn 150.000 ô, vượt giới hạn 150.000 ô.")
    ]


def test_a_sheet_the_streaming_parser_rejects_is_refused_not_loaded_uncounted(never_loaded, db):
    # a text node over libxml2's 10 MB limit, then rows: nothing may be loaded past the point the count stopped
    huge = '<row><c t="inlineStr"><is><t>' + "x" * (11 * 1024 * 1024) + "</t></is></c></row>"
    data = crafted(survey_workbook.SHEET, huge)
    assert [p.message for p in survey_workbook.read_results(data).problems] == [xlsx.BROKEN]


def test_a_workbook_within_the_limits_is_read_as_before(db):
    data = crafted(survey_workbook.SHEET, '<row><c t="inlineStr"><is><t>x</t></is></c></row>', repeat=10)
    assert xlsx.scan_sheets(data, xlsx.SheetLimits(max_rows=10)) == []
    assert xlsx.scan_sheets(data, xlsx.SheetLimits(max_rows=9))[0].message == (
        "Trang có hơn 9 dòng, vượt giới hạn 9 dòng."
    )


def test_a_zip_bomb_is_refused_by_its_declared_size_before_anything_is_inflated(monkeypatch, never_loaded):
    data = crafted(survey_workbook.SHEET, "<row><c><v>1</v></c></row>", repeat=100_000)  # 2.6 MB unzipped
    monkeypatch.setattr(xlsx, "MAX_UNZIPPED_BYTES", 1024 * 1024)
    assert survey_workbook.read_results(data).problems[0].message.startswith("Tệp .xlsx giải nén quá lớn: 2,")
    assert survey_workbook.read_results(data).problems[0].message.endswith("MB, vượt giới hạn 1 MB.")


# ---------------------------------------------------------------- the size of an oversized upload


@pytest.mark.parametrize(
    "page, size_mb, limit_mb",
    [("surveys:import", 25, 5), ("criteria:set_import", 6, 5), ("reports:province_import", 3, 2)],
)
def test_an_oversized_upload_is_called_by_its_real_size(page, size_mb, limit_mb, client, coordinator, db):
    from assessments.models import AssessmentRound
    from units.models import UnitGroup

    client.force_login(coordinator)
    data = b"PK\x03\x04" + b"\0" * (size_mb * 1024 * 1024 - 4)
    form = {"file": SimpleUploadedFile("lon.xlsx", data)}
    if page == "surveys:import":
        day = timezone.localdate()
        rnd = AssessmentRound.objects.create(
            year=2026,
            name="Đợt 2026",
            opens_on=day,
            self_assessment_deadline=day,
            appraisal_1_deadline=day,
            explanation_deadline=day,
            appraisal_2_deadline=day,
            publication_date=day,
        )
        url = reverse(page, args=[rnd.pk])
    else:
        url = reverse(page)
    if page == "criteria:set_import":
        form.update(group=UnitGroup.objects.get(code="SO").pk, year=2026)
    response = client.post(url, form)
    assert response.status_code == 400
    assert f"Tệp {size_mb} MB, vượt giới hạn {limit_mb} MB." in response.content.decode()


def test_read_head_reads_no_more_than_the_limit_and_keeps_the_real_size():
    upload = SimpleUploadedFile("lon.xlsx", b"x" * 10_000)
    head = uploads.read_head(upload, 100)
    assert len(head) == 101 and head.size == 10_000
    assert xlsx.sniff_xlsx(head, 100) == "Tệp 0,01 MB, vượt giới hạn 0,01 MB."


# ---------------------------------------------------------------- previews nobody confirmed


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_previews_older_than_a_day_are_purged_and_fresh_ones_kept(media, rf):
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    request = rf.post("/")
    request.session = SessionStore()
    old = uploads.keep(request, "survey-results", b"old preview")
    fresh = uploads.keep(request, "criteria", b"fresh preview")
    old_path = request.session[uploads.SESSION_KEY][old]["path"]
    fresh_path = request.session[uploads.SESSION_KEY][fresh]["path"]
    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(default_storage.path(old_path), (two_days_ago, two_days_ago))

    from parindex.tasks import pending_uploads_purge

    assert pending_uploads_purge() == 1
    assert not default_storage.exists(old_path) and default_storage.exists(fresh_path)
    assert uploads.take(request, "survey-results", old) is None  # confirming it says "expired", not a 500
    assert uploads.take(request, "criteria", fresh)[1] == b"fresh preview"
    assert pending_uploads_purge() == 0


def test_the_purge_runs_nightly_and_copes_with_no_folder(media):
    from parindex.celery import app

    assert uploads.pending_purge() == 0  # nothing was ever kept
    assert any(e["task"] == "parindex.tasks.pending_uploads_purge" for e in app.conf.beat_schedule.values())
