"""Shared pytest fixtures: the province's units, users per role, and criteria workbooks built in memory."""

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests only: MD5 instead of PBKDF2 (0.25 s a user). Login, password checks and the demo accounts behave
    the same; production keeps Django's default hashers (parindex/settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def units(db):
    """The province's unit groups and units (fixtures/units.json)."""
    call_command("loaddata", "fixtures/units.json", verbosity=0)


@pytest.fixture
def make_user(db):
    """``make_user(role, unit_code="SNV", username=None)`` → a user holding that role in that unit."""
    from django.contrib.auth import get_user_model

    from units.models import Membership, Unit

    counter = {"n": 0}

    def make(role=None, unit_code="SNV", username=None, **extra):
        counter["n"] += 1
        user = get_user_model().objects.create_user(username=username or f"u{counter['n']}-{role or 'none'}",
                                                    password="pw-test-12345", **extra)
        if role:
            Membership.objects.create(user=user, unit=Unit.objects.get(code=unit_code), role=role)
        return user

    return make


@pytest.fixture
def admin_user(units, make_user):
    return make_user("admin", "SNV", is_staff=True)


@pytest.fixture
def coordinator(units, make_user):
    return make_user("coordinator", "SNV")


@pytest.fixture(autouse=True)
def celery_eager(request):
    """Every test runs Celery tasks eagerly, in-process, with their exceptions raised — even in CI, where
    ``REDIS_URL`` is set and the settings would send them to a broker. Tests marked ``worker`` are left alone
    (they run a real worker: tests/test_celery_worker.py). The app's previous configuration is restored after."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    from parindex.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved
