"""schemathesis against the API's own schema (issue 14 item 8): every operation, a few examples each, as the
coordinator through basic auth, in-process (WSGI) on the test database: schema-valid values with random ids, the
same with the demo's ids (a draft assessment, its set and a leaf), and values the schema forbids (negative
mode) — no answer is a 5xx.

Bounded and reproducible: ``MAX_EXAMPLES`` per operation, derandomized, no example database. Skipped when
schemathesis (the ``dev`` extra, ``schemathesis>=4``) is not installed.
"""

import base64
import json
from contextlib import contextmanager

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.urls import reverse

schemathesis = pytest.importorskip("schemathesis", minversion="4")
hypothesis = pytest.importorskip("hypothesis")

#: Examples per operation and kind (7 operations × 3 kinds: well under a minute).
MAX_EXAMPLES = 10

#: ``make_user``'s password (root conftest).
PASSWORD = "pw-test-12345"


@contextmanager
def kept_connection():
    """Django closes the database connection at the end of each request, which would end the test's transaction
    (on PostgreSQL): off while the portal answers in-process, as Django's test client does for its own requests
    (which connect it again after each one, so this wraps only the calls)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_no_api_operation_answers_a_server_error(client, setup_portal, make_user, settings):
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as examples
    from schemathesis.generation import GenerationMode
    from schemathesis.python.wsgi import HOST

    from assessments.models import Assessment, AssessmentState, Score

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]  # the WSGI client's Host header

    setup_portal(demo=True)
    user = make_user("coordinator", "SNV")
    client.force_login(user)
    raw = json.loads(client.get(reverse("api-schema"), {"format": "json"}).content)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = WSGIHandler()  # as ``schemathesis.openapi.from_wsgi`` does: calls go to the app in-process
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    calls: dict[str, list[int]] = {}

    def examples_of(operation, mode, ids):
        label = f"{operation.method.upper()} {operation.path}"

        @examples(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(mode, path_parameters=ids))
        def run(case):
            response = case.call(headers=headers)
            calls.setdefault(label, []).append(response.status_code)
            assert response.status_code < 500, (label, mode, case.path_parameters, case.query, case.body)

        return run

    assessment = Assessment.objects.filter(state=AssessmentState.DRAFT).first()
    leaf = Score.objects.filter(assessment=assessment).values_list("criterion_id", flat=True).first()
    for result in schema.get_all_operations():
        operation = result.ok()
        real = (
            {"id": assessment.criteria_set_id}
            if operation.path.startswith("/api/criteria/")
            else {"id": assessment.pk, "criterion_id": leaf}
        )
        real = {k: v for k, v in real.items() if "{" + k + "}" in operation.path}
        # schema-valid values with random ids, the same with the demo's ids, then values the schema forbids
        with kept_connection():
            for mode, ids in ((GenerationMode.POSITIVE, None), (GenerationMode.POSITIVE, real or None)):
                examples_of(operation, mode, ids)()
            examples_of(operation, GenerationMode.NEGATIVE, real or None)()

    assert len(calls) >= 7 and all(calls.values())
    assert any(code == 200 for codes in calls.values() for code in codes)  # authenticated, not all refused
