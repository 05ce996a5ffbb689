"""Benchmark of the self-assessment scoring page (assessments/views/scoring.py); not part of the test suite.

Builds a fresh database (a temporary SQLite file, or a throw-away ``test_<name>`` database on the server of
``DATABASE_URL`` when it is set — the real database is never touched) holding a 130-leaf criteria set
(plus 10 survey leaves), an open round, a unit officer, two thirds of the leaves self-scored and two
evidence documents on every appraisal leaf; then renders the scoring page N times with Django's test
Client as the officer and prints the median / p95 time (ms), the number of SQL queries and the page size.

    DJANGO_SETTINGS_MODULE=parindex.settings SECRET_KEY=x .venv/bin/python bench/scoring_page.py [N]

Target (issue 3): median ≤ 80 ms on a developer machine with SQLite.
"""

import datetime
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: F401 — sets Django up, changes to the project
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

FIELDS = 10
#: Leaves of each field's criteria: 4 + 3 + 3 + 3 = 13 appraisal leaves, then one survey criterion.
GROUPS = (4, 3, 3, 3)
KINDS = ("options", "ratio", "range", "yes_no")
LEAF_MAX = Decimal("0.5")
SURVEY_MAX = Decimal("3.5")


def build_set():
    """A set of 10 fields × (4 criteria with 13 sub-criteria + 1 survey criterion): 130 appraisal leaves
    (65 points) and 10 survey leaves (35 points). Returns the set."""
    from criteria.models import CriteriaSet, Criterion, Level
    from units.models import UnitGroup

    cset = CriteriaSet.objects.create(
        group=UnitGroup.objects.get(code="SO"),
        year=2026,
        name="Bộ chỉ số đo hiệu năng (130 tiêu chí được chấm)",
    )
    order = 0

    def node(**kw):
        nonlocal order
        order += 1
        return Criterion.objects.create(criteria_set=cset, order=order, **kw)

    n = 0
    for f in range(1, FIELDS + 1):
        field_max = LEAF_MAX * sum(GROUPS) + SURVEY_MAX
        field = node(level=Level.FIELD, code=str(f), title=f"Lĩnh vực {f}", max_points=field_max)
        for c, size in enumerate(GROUPS, start=1):
            crit = node(
                parent=field,
                level=Level.CRITERION,
                code=f"{f}.{c}",
                title=f"Tiêu chí {f}.{c}",
                max_points=LEAF_MAX * size,
            )
            for s in range(1, size + 1):
                kind = KINDS[n % len(KINDS)]
                n += 1
                scale = {
                    "options": [
                        {"label": "Đầy đủ, đúng hạn", "points": "0.5"},
                        {"label": "Chưa đầy đủ hoặc chậm", "points": "0.25"},
                        {"label": "Không thực hiện", "points": "0"},
                    ],
                    "ratio": [
                        {"min": "90", "points": "0.5"},
                        {"min": "70", "points": "0.25"},
                        {"min": "0", "points": "0"},
                    ],
                }.get(kind, [])
                node(
                    parent=crit,
                    level=Level.SUB_CRITERION,
                    code=f"{f}.{c}.{s}",
                    source="appraisal",
                    kind=kind,
                    title=f"Tiêu chí thành phần {f}.{c}.{s}: nội dung được chấm theo hướng dẫn của tỉnh",
                    guidance="Hướng dẫn chấm: căn cứ văn bản của đơn vị ban hành trong năm đánh giá.",
                    evidence_hint="Văn bản, báo cáo (số, ký hiệu, ngày ban hành).",
                    max_points=LEAF_MAX,
                    scale=scale,
                    step=Decimal("0.25") if kind == "range" else None,
                )
        node(
            parent=field,
            level=Level.CRITERION,
            code=f"{f}.{len(GROUPS) + 1}",
            source="survey",
            title=f"Điều tra xã hội học lĩnh vực {f}",
            max_points=SURVEY_MAX,
        )
    return cset


def build_assessment(cset):
    """Open a round with ``cset`` for the departments; score 2/3 of the leaves and put two documents on
    every appraisal leaf of Sở Công Thương. Returns (assessment, officer)."""
    from django.contrib.auth import get_user_model

    from assessments.models import Assessment, Evidence, EvidenceLink, Score
    from assessments.services.rounds import round_create, round_open
    from units.models import Membership, Unit

    users = get_user_model().objects
    coordinator = users.create_user("bench-dieuphoi")
    Membership.objects.create(user=coordinator, unit=Unit.objects.get(code="SNV"), role="coordinator")
    officer = users.create_user("bench-canbo", first_name="Cán bộ", last_name="Đo hiệu năng")
    Membership.objects.create(user=officer, unit=Unit.objects.get(code="SCT"), role="officer")
    today = timezone.localdate()
    days = datetime.timedelta
    rnd = round_create(
        year=2026,
        name="Đợt đo hiệu năng",
        sets={cset.group: cset},
        by=coordinator,
        opens_on=today - days(5),
        self_assessment_deadline=today + days(30),
        appraisal_1_deadline=today + days(40),
        explanation_deadline=today + days(50),
        appraisal_2_deadline=today + days(60),
        publication_date=today + days(70),
    )
    round_open(round=rnd, by=coordinator)
    assessment = Assessment.objects.get(round=rnd, unit__code="SCT")
    scores = list(
        Score.objects.filter(assessment=assessment, criterion__source="appraisal")
        .select_related("criterion")
        .order_by("criterion__order")
    )
    now = timezone.now()
    for i, score in enumerate(scores):
        if i % 3 == 2:
            continue
        kind = score.criterion.kind
        score.self_value = LEAF_MAX if kind != "range" else Decimal("0.25")
        score.self_option = "Đầy đủ, đúng hạn" if kind == "options" else ""
        if kind == "ratio":
            score.numerator, score.denominator = Decimal(19), Decimal(20)
        score.note = "Đã đối chiếu với báo cáo năm."
        score.version, score.updated_at, score.updated_by = 1, now, officer
    Score.objects.bulk_update(
        scores,
        [
            "self_value",
            "self_option",
            "numerator",
            "denominator",
            "note",
            "version",
            "updated_at",
            "updated_by",
        ],
    )
    documents = Evidence.objects.bulk_create(
        [
            Evidence(
                assessment=assessment,
                file=f"evidence/2026/SCT/bench-{i}.pdf",
                original_name=f"QD-{i}-SCT.pdf",
                size=120_000,
                sha256=f"{i:064x}",
                content_type="application/pdf",
                doc_number=f"{i}/QĐ-SCT",
                issued_on=today - days(i % 200),
                issuer="Sở Công Thương",
                cited_section="Mục II, trang 3",
                uploaded_by=officer,
            )
            for i in range(2 * len(scores))
        ]
    )
    if any(d.pk is None for d in documents):  # backends without RETURNING
        documents = list(Evidence.objects.filter(assessment=assessment).order_by("pk"))
    EvidenceLink.objects.bulk_create(
        [
            EvidenceLink(evidence=documents[2 * i + k], score=s, created_by=officer)
            for i, s in enumerate(scores)
            for k in (0, 1)
        ]
    )
    return assessment, officer


def main(n: int = 50) -> None:
    tmp = tempfile.TemporaryDirectory(prefix="parindex-bench-")
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = str(Path(tmp.name) / "bench.sqlite3")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    old_name = db["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        call_command("loaddata", "fixtures/units.json", verbosity=0)
        assessment, officer = build_assessment(build_set())
        client = Client()
        client.force_login(officer)
        url = reverse("assessments:scoring", args=[assessment.pk])
        for _ in range(3):  # warm the template cache, URL resolver and connection
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        n_queries = len(queries)  # read now: the next request resets the connection's query log
        floor_url = reverse("home")  # the floor: the same user's lightest page (session, auth, base template)
        assert client.get(floor_url).status_code == 200
        timings, floor = [], []
        for _ in range(n):  # interleaved, so that the host's drift touches both alike
            start = time.perf_counter()
            assert client.get(floor_url).status_code == 200
            floor.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
        from assessments.selectors.scoring import scoring_sheet

        sheet = scoring_sheet(assessment)
        print(
            f"scoring page: {sheet.leaves} appraisal leaves, {len(sheet.rows)} nodes, "
            f"{len(sheet.documents)} documents, {sheet.scored} scored ({db['ENGINE'].rsplit('.', 1)[-1]})"
        )
        print(
            f"N={n}  median {statistics.median(timings):.1f} ms  p95 {p95:.1f} ms  "
            f"min {timings[0]:.1f} ms  max {timings[-1]:.1f} ms"
        )
        print(f"SQL queries per page: {n_queries}  page size: {len(response.content) / 1024:.0f} KiB")
        print(
            f"floor (home page, same user): median {statistics.median(floor):.1f} ms  "
            f"ratio scoring/floor (medians) {statistics.median(timings) / statistics.median(floor):.1f}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        tmp.cleanup()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
