"""Fixtures of the assessment tests: the real departments' set in an open 2026 round, and people of
Sở Công Thương (SCT, the unit under test) and of another unit."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Assessment
from assessments.services.rounds import round_create, round_open
from criteria.models import CriteriaSet
from criteria.services import criteria_set_import
from units.models import UnitGroup

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 64


@pytest.fixture
def so_set(units):
    with open("fixtures/criteria/SO.xlsx", "rb") as fh:
        return criteria_set_import(group=UnitGroup.objects.get(code="SO"), year=2026, data=fh.read(), by=None)


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
def open_round(so_set, coordinator, dates):
    rnd = round_create(year=2026, name="Đánh giá Chỉ số CCHC năm 2026", sets={so_set.group: so_set},
                       by=coordinator, **dates)
    return round_open(round=rnd, by=coordinator)


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
        return (CriteriaSet.objects.get(pk=so_set.pk).nodes.filter(kind=kind, children__isnull=True)
                .order_by("order").first())
    return get


@pytest.fixture
def pdf_file():
    def make(name="quyet-dinh.pdf", content=PDF):
        return SimpleUploadedFile(name, content, content_type="application/pdf")
    return make
