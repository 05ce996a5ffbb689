"""The rankings as an official document (issue 12 item 12): the PDF export and the printable page of a group carry the
layout of Nghị định 30/2020/NĐ-CP (issuing body, national motto, place and date, signature, "Nơi nhận"), "Kết quả
tạm tính" while the round is not published, and the printable page follows the rankings page's visibility."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import RoundState
from reports.exports import builders as exports
from reports.results.services import results_compute
from units.models import UnitGroup

from .conftest import add_assessment, make_round, put, unit

D = Decimal
MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def rnd(mini_set):
    """An open round of the departments, computed: SCT 2 + 2 survey + 4 = 8 of 20 points (40,00 %)."""
    rnd = make_round([mini_set])
    sct = add_assessment(rnd, unit("SCT"), mini_set)
    put(sct, "1.1", appraised_value=D(2))
    put(sct, "1.3", survey_value=D(2))
    put(sct, "3.1", appraised_value=D(4))
    put(add_assessment(rnd, unit("STP"), mini_set), "1.3", survey_value=D("0.75"))
    results_compute(round=rnd)
    return rnd


@pytest.fixture
def so():
    return UnitGroup.objects.get(code="SO")


def publish(rnd):
    rnd.state = RoundState.PUBLISHED
    rnd.save(update_fields=["state"])


def today_line() -> str:
    d = timezone.localdate()
    month = f"0{d.month}" if d.month < 3 else str(d.month)
    return f"Sóc Trăng, ngày {d.day:02d} tháng {month} năm {d.year}"


def pdf_text(html: str) -> str:
    from weasyprint import HTML

    parts = []

    def walk(box):
        if getattr(box, "text", None):
            parts.append(box.text)
        for child in getattr(box, "children", ()):
            walk(child)

    for page in HTML(string=html).render().pages:
        walk(page._page_box)
    return " ".join(parts)


def test_the_rankings_pdf_is_an_official_document(rnd, so, coordinator, settings):
    settings.PRINT_SIGNER = "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"
    tables = exports.ranking_tables(user=coordinator, round=rnd, groups=[so])
    html = exports.rankings_html(tables, round=rnd)
    text = pdf_text(html)
    for expected in (
        MOTTO,
        "Độc lập - Tự do - Hạnh phúc",
        "UBND TỈNH SÓC TRĂNG",
        "SỞ NỘI VỤ",
        today_line(),
        "KẾT QUẢ XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM 2026",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Nơi nhận:",
        "KẾT QUẢ TẠM TÍNH",
        "40,00",
        "3,75",
        unit("SCT").name.split()[-1],
    ):
        assert expected in text, expected
    assert "data-print" not in html  # the file has no toolbar
    data = exports.rankings_pdf(tables, round=rnd)
    assert data.startswith(b"%PDF")
    publish(rnd)
    assert "KẾT QUẢ TẠM TÍNH" not in pdf_text(exports.rankings_html(tables, round=rnd))


def test_the_signer_defaults_to_the_director(rnd, so, coordinator):
    html = exports.rankings_html(exports.ranking_tables(user=coordinator, round=rnd, groups=[so]), round=rnd)
    assert '<div class="position">GIÁM ĐỐC</div>' in html


def test_the_coordinator_prints_a_provisional_ranking(rnd, so, coordinator, client):
    client.force_login(coordinator)
    url = reverse("reports:rankings_print", args=[rnd.pk])
    r = client.get(url, {"group": so.code})
    assert r.status_code == 200
    html = r.content.decode()
    assert MOTTO in html and "SỞ NỘI VỤ" in html and today_line() in html and "Nơi nhận:" in html
    assert "KẾT QUẢ TẠM TÍNH" in html and unit("SCT").name in html and "40,00" in html
    assert "data-print" in html and "navbar" not in html
    assert "A4 landscape" in html
    # the rankings page and the export page link to it
    link = f"{url}?group={so.code}"
    assert link in client.get(reverse("reports:rankings", args=[rnd.pk]), {"group": so.code}).content.decode()
    assert link in client.get(reverse("reports:export", args=[rnd.pk])).content.decode()


def test_the_printable_ranking_is_shown_to_whoever_sees_the_rankings_page(rnd, so, make_user, client):
    url = reverse("reports:rankings_print", args=[rnd.pk])
    page = reverse("reports:rankings", args=[rnd.pk])
    readers = [
        make_user(role, code)
        for role, code in (("leader", "UBNDT"), ("officer", "SCT"), ("head", "STP"), ("appraiser", "STP"))
    ]
    for who in readers:  # before publication: a provisional ranking is the managers' only
        client.force_login(who)
        assert (
            client.get(url, {"group": so.code}).status_code
            == client.get(page, {"group": so.code}).status_code
            == 404
        )
    publish(rnd)
    for who in readers:
        client.force_login(who)
        r = client.get(url, {"group": so.code})
        assert r.status_code == 200 and "KẾT QUẢ TẠM TÍNH" not in r.content.decode()
        assert unit("STP").name in r.content.decode()
    client.force_login(make_user())  # no role: nothing
    assert client.get(url, {"group": so.code}).status_code == 404
    client.force_login(readers[0])
    assert client.get(url, {"group": "KHONGCO"}).status_code == 404  # a group the round does not rank
    assert client.get(reverse("reports:rankings_print", args=[rnd.pk + 1000])).status_code == 404
    assert client.post(url).status_code == 405
    client.logout()
    r = client.get(url)
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
