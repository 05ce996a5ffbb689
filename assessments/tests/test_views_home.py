"""The unit's home (issue 3 §1): its assessments with progress and deadline countdown, the start page's
card and menu by role, and the export of the self-assessment score sheet (issue 3 §8)."""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import Assessment
from assessments.services import evidence as evidence_writes
from assessments.services import scoring as scoring_writes
from criteria.models import Criterion, Kind, Source

HEADERS = ["STT/Mã", "Nội dung", "Điểm tối đa", "Điểm tự chấm", "Ghi chú", "Tài liệu kiểm chứng"]


def _html(response) -> str:
    return response.content.decode()


def _appraisal_leaves(criteria_set) -> int:
    """Leaves a unit scores itself: appraisal source, no children, bonus/penalty apart."""
    return (
        Criterion.objects.filter(criteria_set=criteria_set, children__isnull=True, source=Source.APPRAISAL)
        .exclude(kind__in=[Kind.BONUS, Kind.PENALTY])
        .count()
    )


@pytest.fixture
def two_scored(assessment, officer, leaf):
    """SCT with its first range leaf at max and its first yes/no leaf at max; returns (range, yes_no)."""
    rng, yes_no = leaf("range"), leaf("yes_no")
    scoring_writes.score_save_self(
        assessment=assessment,
        criterion=rng,
        by=officer,
        expected_version=0,
        value=rng.max_points,
        note="Đã ban hành đúng hạn",
    )
    scoring_writes.score_save_self(
        assessment=assessment, criterion=yes_no, by=officer, expected_version=0, value=yes_no.max_points
    )
    return rng, yes_no


# ---------------------------------------------------------------- my_assessments


@pytest.mark.parametrize("who", ["officer", "head"])
def test_unit_members_see_their_assessment_with_progress(client, request, assessment, two_scored, who):
    rng, yes_no = two_scored
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("assessments:my_assessments"))
    assert response.status_code == 200
    [row] = response.context["assessments"]
    assert row == assessment
    html = _html(response)
    n = _appraisal_leaves(assessment.criteria_set)
    assert "Sở Công Thương" in html and "Đang tự đánh giá" in html
    assert f"2/{n}</span>" in html
    total = str(rng.max_points + yes_no.max_points).rstrip("0").rstrip(".").replace(".", ",")
    assert f"{total} / 63" in html  # self total of the appraisal max (departments' set: 63 points)
    assert reverse("assessments:export_self", args=[assessment.pk]) in html
    assert f'href="{reverse("assessments:scoring", args=[assessment.pk])}"' in html


def test_officer_sees_only_their_own_unit(client, other_officer, assessment):
    client.force_login(other_officer)
    html = _html(client.get(reverse("assessments:my_assessments")))
    assert "Sở Tư pháp" in html and "Sở Công Thương" not in html


@pytest.mark.parametrize(
    "role,unit", [("coordinator", "SNV"), ("leader", "UBNDT"), ("appraiser", "STP"), (None, "SNV")]
)
def test_users_without_a_unit_role_get_an_empty_state(client, make_user, assessment, role, unit):
    client.force_login(make_user(role, unit))
    response = client.get(reverse("assessments:my_assessments"))
    assert response.status_code == 200
    html = _html(response)
    assert "chưa được phân quyền" in html and "Sở Công Thương" not in html


def test_before_any_round_the_unit_is_told_so(client, officer):
    client.force_login(officer)
    html = _html(client.get(reverse("assessments:my_assessments")))
    assert "chưa có bản tự đánh giá nào" in html


def test_countdown_to_the_self_assessment_deadline(client, officer, assessment, time_machine):
    deadline = assessment.round.self_assessment_deadline

    def countdown(day):
        """The countdown element of SCT's row, seen at 9:00 on ``day``."""
        time_machine.move_to(timezone.make_aware(datetime.datetime.combine(day, datetime.time(9))))
        client.force_login(officer)  # sessions expire: sign in again after travelling
        html = _html(client.get(reverse("assessments:my_assessments")))
        return re.search(r'<span class="[^"]*countdown[^"]*">[^<]*</span>', html).group(0)

    far = countdown(deadline - datetime.timedelta(days=30))
    assert "còn 30 ngày" in far and "text-danger" not in far
    near = countdown(deadline - datetime.timedelta(days=7))
    assert "còn 7 ngày" in near and "text-danger" in near
    assert "Hôm nay là hạn cuối" in countdown(deadline)
    past = countdown(deadline + datetime.timedelta(days=1))
    assert "Đã hết hạn" in past and "còn" not in past


def test_submitted_assessment_shows_no_countdown(client, officer, assessment):
    Assessment.objects.filter(pk=assessment.pk).update(state="submitted")
    client.force_login(officer)
    html = _html(client.get(reverse("assessments:my_assessments")))
    assert "Đã nộp" in html and "còn 30 ngày" not in html


def test_home_pages_need_login_and_get(client, officer, assessment):
    for name, args in (("my_assessments", []), ("export_self", [assessment.pk])):
        response = client.get(reverse(f"assessments:{name}", args=args))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), name
    client.force_login(officer)
    for name, args in (("my_assessments", []), ("export_self", [assessment.pk])):
        assert client.post(reverse(f"assessments:{name}", args=args)).status_code == 405, name


# ---------------------------------------------------------------- start page and menu


def test_start_page_card_shows_the_open_assessment_progress(client, officer, assessment, two_scored):
    client.force_login(officer)
    html = _html(client.get(reverse("home")))
    assert "Bản tự đánh giá của đơn vị" in html
    assert reverse("assessments:my_assessments") in html
    n = _appraisal_leaves(assessment.criteria_set)
    card = html[html.index('id="self-assessment-card"') :]
    assert "Sở Công Thương" in card and f"2/{n}" in card and "còn 30 ngày" in card


def test_start_page_card_without_an_open_round(client, officer, units):
    client.force_login(officer)
    html = _html(client.get(reverse("home")))
    assert "Chưa có đợt đánh giá nào đang mở" in html


@pytest.mark.parametrize(
    "role,unit,sees_self,sees_rounds",
    [
        ("officer", "SCT", True, False),
        ("head", "SCT", True, False),
        ("coordinator", "SNV", False, True),
        ("admin", "SNV", False, True),
        ("appraiser", "STP", False, False),
        ("leader", "UBNDT", False, False),
    ],
)
def test_menu_and_start_page_follow_the_role(client, make_user, units, role, unit, sees_self, sees_rounds):
    client.force_login(make_user(role, unit))
    html = _html(client.get(reverse("home")))
    assert (f'href="{reverse("assessments:my_assessments")}"' in html) is sees_self
    assert ("Tự đánh giá</a>" in html) is sees_self
    assert (f'href="{reverse("assessments:round_list")}"' in html) is sees_rounds
    assert ("Đợt đánh giá</a>" in html) is sees_rounds


# ---------------------------------------------------------------- export


def _export(client, assessment):
    response = client.get(reverse("assessments:export_self", args=[assessment.pk]))
    assert response.status_code == 200, response.status_code
    return response, load_workbook(io.BytesIO(response.content)).active


def _table(ws):
    """(header row number, {code: row values}, totals row values)."""
    header = next(r[0].row for r in ws.iter_rows() if r[0].value == "STT/Mã")
    rows = list(ws.iter_rows(min_row=header + 1, values_only=True))
    return header, {r[0]: r for r in rows[:-1]}, rows[-1], rows


def test_export_is_the_official_score_sheet(client, head, assessment, two_scored, leaf):
    rng, yes_no = two_scored
    client.force_login(head)
    response, ws = _export(client, assessment)
    assert response["Content-Disposition"] == 'attachment; filename="tu-danh-gia-SCT-2026.xlsx"'
    title_block = " ".join(str(ws.cell(row=i, column=1).value) for i in range(1, 6))
    assert "Sở Công Thương" in title_block and "2026" in title_block and "Ngày xuất" in title_block
    header, by_code, totals, rows = _table(ws)
    assert [c.value for c in ws[header]] == HEADERS
    assert ws.freeze_panes == f"A{header + 1}"

    nodes = list(Criterion.objects.filter(criteria_set=assessment.criteria_set).order_by("order"))
    assert len(nodes) == 8 + 63 + 64
    assert [r[0] for r in rows[:-1]] == [n.code for n in nodes]  # one row per node, in print order

    assert by_code[rng.code][3] == float(rng.max_points) and by_code[rng.code][4] == "Đã ban hành đúng hạn"
    assert by_code[yes_no.code][3] == float(yes_no.max_points)
    unscored = leaf("options")
    assert by_code[unscored.code][3] is None
    survey = next(n for n in nodes if n.source == Source.SURVEY and not n.children.exists())
    assert by_code[survey.code][3] == "Điều tra XHH"

    field = rng.code.split(".")[0]
    expected_field = float(rng.max_points + (yes_no.max_points if yes_no.code.split(".")[0] == field else 0))
    cell = ws.cell(row=header + 1 + [n.code for n in nodes].index(field), column=4)
    assert cell.value == expected_field and cell.font.bold and cell.number_format == "0.00"

    assert totals[1].startswith("Tổng điểm tự chấm")
    assert totals[2] == 63 and totals[3] == float(rng.max_points + yes_no.max_points)


def test_export_lists_the_evidence_and_the_explanation(
    client, officer, assessment, leaf, pdf_file, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    target = leaf("ratio")
    evidence_writes.evidence_upload(
        assessment=assessment,
        criterion=target,
        file=pdf_file(),
        name="QĐ 15 kế hoạch.pdf",
        by=officer,
        doc_number="15/QĐ-SCT",
        issued_on=datetime.date(2026, 1, 20),
        issuer="Sở Công Thương",
    )
    other = leaf("options")
    scoring_writes.score_save_self(
        assessment=assessment,
        criterion=other,
        by=officer,
        expected_version=0,
        option=other.scale[0]["label"],
        explanation="Văn bản đang trình ký",
    )
    client.force_login(officer)
    _, ws = _export(client, assessment)
    _, by_code, _, _ = _table(ws)
    assert by_code[target.code][5] == "15/QĐ-SCT, 20/01/2026, Sở Công Thương — QĐ 15 kế hoạch.pdf"
    assert by_code[other.code][3] == float(Decimal(other.scale[0]["points"]))
    assert "Giải trình: Văn bản đang trình ký" in by_code[other.code][4]


def test_outsiders_get_404_on_export(client, other_officer, officer, assessment, make_user):
    client.force_login(other_officer)
    assert client.get(reverse("assessments:export_self", args=[assessment.pk])).status_code == 404
    client.force_login(make_user("leader", "UBNDT"))  # leaders see published results only
    assert client.get(reverse("assessments:export_self", args=[assessment.pk])).status_code == 404
    client.force_login(officer)
    missing = Assessment.objects.order_by("-pk").first().pk + 1
    assert client.get(reverse("assessments:export_self", args=[missing])).status_code == 404


def test_coordinator_can_export_any_unit(client, coordinator, assessment):
    client.force_login(coordinator)
    _, ws = _export(client, assessment)
    assert "Sở Công Thương" in str(ws["A2"].value)
