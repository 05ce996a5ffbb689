"""Fixtures of the assessment tests: the real departments' set in an open 2026 round, and people of
Sở Công Thương (SCT, the unit under test) and of another unit."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound
from assessments.services.rounds import round_create, round_open
from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_import
from parindex.audit import audit_stamp
from units.models import Unit, UnitGroup
from units.services import system_user

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


@pytest.fixture
def so_set(units, db_replay):
    """The shipped departments' set (fixtures/criteria/SO.xlsx) imported for 2026 through the import service —
    for real once per test process, its rows replayed after (root conftest ``db_replay``)."""

    by = system_user()

    def build():
        with open("fixtures/criteria/SO.xlsx", "rb") as fh:
            data = fh.read()
        return {
            "set": criteria_set_import(group=UnitGroup.objects.get(code="SO"), year=2026, data=data, by=by)
        }

    criteria_set = db_replay.replay(
        "so_set", build, inputs={"by": by}, reads=(Unit.objects.all(), CriteriaSet.objects.all())
    )["set"]
    audit_stamp(criteria_set, by, "Nhập từ tệp")  # as the import leaves it on the instance it returns
    return criteria_set


@pytest.fixture
def dates():
    """Deadlines relative to today, so the round is open for self-assessment whenever the tests run
    (use time-machine to move past a deadline)."""
    today = timezone.localdate()
    days = datetime.timedelta
    return {
        "opens_on": today - days(10),
        "self_assessment_deadline": today + days(30),
        "appraisal_1_deadline": today + days(50),
        "explanation_deadline": today + days(60),
        "appraisal_2_deadline": today + days(75),
        "publication_date": today + days(90),
    }


@pytest.fixture
def open_round(so_set, coordinator, dates, db_replay):
    """The 2026 round with the departments' set, created and opened by the coordinator (an assessment with a
    blank score row per leaf for every department) — for real once per test process, replayed after."""

    def build():
        rnd = round_create(
            year=2026,
            name="Đánh giá Chỉ số CCHC năm 2026",
            sets={so_set.group: so_set},
            by=coordinator,
            **dates,
        )
        return {"round": round_open(round=rnd, by=coordinator)}

    key = ("open_round", so_set.pk, tuple(sorted(dates.items())))
    reads = (
        Unit.objects.all(),
        Criterion.objects.filter(criteria_set=so_set),
        AssessmentRound.objects.all(),
        CriteriaSet.objects.filter(pk=so_set.pk),
    )
    rnd = db_replay.replay(key, build, inputs={"by": coordinator}, reads=reads)["round"]
    audit_stamp(rnd, coordinator, "Mở đợt đánh giá")  # as round_open leaves its instance
    return rnd


@pytest.fixture
def assessment(open_round) -> Assessment:
    """Sở Công Thương's assessment in the open round."""
    return Assessment.objects.select_related("round", "unit").get(round=open_round, unit__code="SCT")


@pytest.fixture
def officer(make_user, units):
    return make_user("officer", "SCT", username="canbo-sct")


@pytest.fixture
def head(make_user, units):
    return make_user("head", "SCT", username="thutruong-sct")


@pytest.fixture
def other_officer(make_user, units):
    return make_user("officer", "STP", username="canbo-stp")


@pytest.fixture
def leaf(so_set):
    """``leaf(kind)`` → the first appraisal leaf of that kind in the departments' set."""

    def get(kind):
        return (
            CriteriaSet.objects.get(pk=so_set.pk)
            .nodes.filter(kind=kind, children__isnull=True)
            .order_by("order")
            .first()
        )

    return get


@pytest.fixture
def pdf_file():
    def make(name="quyet-dinh.pdf", content=PDF):
        return SimpleUploadedFile(name, content, content_type="application/pdf")

    return make


@pytest.fixture
def people(make_user, units, coordinator, admin_user):
    """An appraiser of every agency owning a field of the shipped departments' set, a leader, the coordinator and
    an admin, by short key ("stp", "snv", "stc", "vp", "tt", "kh", "leader", "coordinator", "admin")."""
    return {
        "stp": make_user("appraiser", "STP", username="td-stp"),
        "snv": make_user("appraiser", "SNV", username="td-snv"),
        "stc": make_user("appraiser", "STC", username="td-stc"),
        "vp": make_user("appraiser", "VPUBND", username="td-vp"),
        "tt": make_user("appraiser", "STTTT", username="td-tt"),
        "kh": make_user("appraiser", "SKHCN", username="td-kh"),
        "leader": make_user("leader", "UBNDT", username="lanhdao"),
        "coordinator": coordinator,
        "admin": admin_user,
    }


@pytest.fixture
def submitted(assessment, officer, head, people):
    """``assessment`` scored on every leaf by ``officer`` and submitted by ``head``, the appraisers of ``people``
    in place (its parts are created at submission)."""
    from assessments.services.submission import assessment_submit

    from .helpers import score_all

    score_all(assessment, officer, explanation="Lưu tại đơn vị")
    assessment_submit(assessment=assessment, by=head)
    return Assessment.objects.get(pk=assessment.pk)
