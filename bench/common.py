"""What the database benchmarks share: Django set up for a script, the dedicated database's check, and a round.

Imported first by ``export.py``, ``recompute.py`` and ``rankings.py`` (it puts the project on ``sys.path``, changes
to its folder and calls ``django.setup()``); not part of the test suite.
"""

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parindex.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402


def bench_database() -> None:
    """Check that ``DATABASE_URL`` names a dedicated PostgreSQL benchmark database, migrate it, load the province's
    units when missing and quiet the reports' log. Exits (``SystemExit`` with the reason) on any other database."""
    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql") or "bench" not in db["NAME"]:
        sys.exit(
            "DATABASE_URL must name a dedicated PostgreSQL benchmark database (its name containing 'bench')."
        )
    call_command("migrate", verbosity=0)
    logging.getLogger("reports").setLevel(logging.WARNING)
    from units.models import UnitGroup

    if not UnitGroup.objects.filter(code="SO").exists():
        call_command("loaddata", "fixtures/units.json", verbosity=0)


def bench_round(year: int, name: str, state: str):
    """A round of ``year`` named ``name`` in ``state`` (a ``RoundState`` value), every deadline today. Returns the
    ``AssessmentRound``."""
    from assessments.models import AssessmentRound

    today = timezone.localdate()
    return AssessmentRound.objects.create(
        year=year,
        name=name,
        state=state,
        opens_on=today,
        self_assessment_deadline=today,
        appraisal_1_deadline=today,
        explanation_deadline=today,
        appraisal_2_deadline=today,
        publication_date=today,
    )
