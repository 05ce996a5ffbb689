"""Shared pytest fixtures: the province's units, users per role, and criteria workbooks built in memory.

Expensive data (the province's units, a shipped criteria set, the demo) is built for real the first time a test
process needs it, its rows are recorded, and later tests get the same rows written back (``db_replay``): the
same tables, values, timestamps, history rows and primary keys as the first build, in a fraction of the time.
"""

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

#: ``PARINDEX_TEST_REPLAY=0``: build everything for real in every test (to compare, or to debug a fixture).
REPLAY = os.environ.get("PARINDEX_TEST_REPLAY", "1") != "0"


def pytest_configure(config):
    """Under pytest-xdist (``make test`` runs ``-n 2``) each worker has its own test database (pytest-django:
    ``test_<name>_gw0`` …); give it its own cache keys too (with ``REDIS_URL`` the cache is Redis, shared by the
    workers: the recompute-queued flags are keyed by pks that both databases use) and its own media folder. The
    real Celery worker a test starts inherits the prefix through ``CACHE_KEY_PREFIX`` (tests/test_celery_worker.py
    passes the environment on)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    from django.conf import settings

    prefix = f"{settings.CACHES['default'].get('KEY_PREFIX', '')}-{worker}"
    settings.CACHES["default"]["KEY_PREFIX"] = os.environ["CACHE_KEY_PREFIX"] = prefix
    settings.MEDIA_ROOT = Path(str(settings.MEDIA_ROOT)) / worker
    os.environ["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests only: MD5 instead of PBKDF2 (0.25 s a user). Login, password checks and the demo accounts behave
    the same; production keeps Django's default hashers (parindex/settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class DbReplay:
    """Build once per test process, replay in later tests.

    ``replay(key, build, inputs={}, reads=())`` → ``build()``'s result, a dict. The first call (per ``key``,
    database, number of rows in every table and rows of the querysets ``reads``: what the build depends on)
    runs ``build()`` and records what it wrote, in every table (auto-created many-to-many and simple-history
    tables included): the rows it added and the rows it changed. Later calls write the same again — the added
    rows inserted as they were (raw: the recorded pks, timestamps and history; the sequences reset past them),
    the changed rows updated to their recorded values — and return the recorded result, its model instances
    fetched again. ``inputs`` are model instances the build was given (e.g. ``by``, the acting user) whose pk may
    differ from one test to the next: a foreign key to one of them is pointed at this test's instance.

    ``build()`` runs for real instead when the recorded writes do not fit this test's database (a changed row is
    not as it was when recorded, or an added row already exists) and, always, for a ``key`` whose first build
    deleted rows. ``build()`` must depend only on ``key``, ``inputs``, ``reads`` and the tables' row counts.
    ``PARINDEX_TEST_REPLAY=0`` turns replaying off.
    """

    def __init__(self):
        self.recorded: dict = {}
        self.counts = {"built": 0, "replayed": 0}

    @staticmethod
    def _models():
        from django.apps import apps

        return [
            m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy
        ]

    @staticmethod
    def _counts(models) -> tuple:
        """The number of rows of every table, in one query."""
        from django.db import connection

        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
            )
            return tuple(cursor.fetchone())

    @staticmethod
    def _rows(model) -> dict:
        fields = [f.attname for f in _stored_fields(model)]
        pk = model._meta.pk.attname
        return {row[pk]: row for row in model._base_manager.order_by("pk").values(*fields)}

    def replay(self, key, build, inputs=None, reads=()):
        from django.db import IntegrityError, connection, transaction

        self.counts["built"] += 1  # undone below when replayed
        if not REPLAY:
            return build()
        inputs = inputs or {}
        models = self._models()
        key = (
            key,
            connection.vendor,
            connection.settings_dict["NAME"],
            self._counts(models),
            repr([list(qs.order_by("pk").values_list()) for qs in reads]),
        )
        recorded = self.recorded.get(key)
        if recorded is False:  # the first build deleted rows: not replayable
            return build()
        if recorded:
            try:
                with transaction.atomic():
                    if self._write(recorded, inputs):
                        self.counts["replayed"] += 1
                        self.counts["built"] -= 1
                        return {
                            k: model._default_manager.get(pk=v) if model else v
                            for k, (model, v) in recorded["result"].items()
                        }
                    raise _DoesNotFit
            except (IntegrityError, _DoesNotFit):
                return build()
        before = {m: self._rows(m) for m in models}
        result = build()
        added, changed = [], []
        for model, old in before.items():
            now = self._rows(model)
            if old.keys() - now.keys():
                self.recorded[key] = False
                return result
            changed += [(model, pk, old[pk], row) for pk, row in now.items() if pk in old and old[pk] != row]
            fields = _stored_fields(model)
            new = [
                tuple(f.get_db_prep_save(row[f.attname], connection) for f in fields)
                for pk, row in now.items()
                if pk not in old
            ]
            if new:
                added.append((model, new))
        self.recorded[key] = {
            "added": added,
            "changed": changed,
            "inputs": {name: (type(obj)._meta.concrete_model, obj.pk) for name, obj in inputs.items()},
            "result": {k: (type(v), v.pk) if hasattr(v, "_meta") else (None, v) for k, v in result.items()},
        }
        return result

    @staticmethod
    def _write(recorded, inputs) -> bool:
        """Write the recorded rows, foreign keys to ``inputs`` pointed at this test's; False when a changed row
        is not as it was when recorded."""
        from django.core.management.color import no_style
        from django.db import connection

        remap: dict = {}  # target model → {recorded pk: this test's pk}
        for name, (model, pk) in recorded["inputs"].items():
            if inputs[name].pk != pk:
                remap.setdefault(model, {})[pk] = inputs[name].pk

        def fk_columns(model):
            return [
                (i, f.attname, remap[f.related_model._meta.concrete_model])
                for i, f in enumerate(_stored_fields(model))
                if f.is_relation and f.related_model._meta.concrete_model in remap
            ]

        for model, pk, old, new in recorded["changed"]:
            old, new = dict(old), dict(new)
            for _, attname, pks in fk_columns(model):
                old[attname], new[attname] = (
                    pks.get(old[attname], old[attname]),
                    pks.get(new[attname], new[attname]),
                )
            current = model._base_manager.filter(pk=pk).values(*old).first()
            if current != old:
                return False
            model._base_manager.filter(pk=pk).update(**new)
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            for model, rows in recorded["added"]:
                fks = {i: pks for i, _, pks in fk_columns(model)}
                if fks:
                    rows = [
                        tuple(fks[i].get(v, v) if i in fks else v for i, v in enumerate(row)) for row in rows
                    ]
                fields = _stored_fields(model)
                size = max(1, min(len(rows), connection.ops.bulk_batch_size(fields, rows) or len(rows)))
                one = "(" + ", ".join(["%s"] * len(fields)) + ")"
                head = (
                    f"INSERT INTO {quote(model._meta.db_table)} ("
                    + ", ".join(quote(f.column) for f in fields)
                    + ") VALUES "
                )
                for i in range(0, len(rows), size):
                    batch = rows[i : i + size]
                    cursor.execute(head + ", ".join([one] * len(batch)), [v for row in batch for v in row])
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [model for model, _ in recorded["added"]]
            ):
                cursor.execute(sql)
        return True


class _DoesNotFit(Exception):
    pass


def _stored_fields(model) -> list:
    """The model's columns a row is written with (generated columns left to the database)."""
    return [f for f in model._meta.local_concrete_fields if not getattr(f, "generated", False)]


_REPLAY = DbReplay()


def pytest_terminal_summary(terminalreporter):
    if any(_REPLAY.counts.values()):
        terminalreporter.write_line(
            "db_replay: {replayed} replayed, {built} built for real".format(**_REPLAY.counts)
        )


@pytest.fixture
def db_replay(db):
    """The process's ``DbReplay`` (see its docstring): ``db_replay.replay(key, build)``."""
    return _REPLAY


@pytest.fixture
def units(db_replay):
    """The province's unit groups and units (fixtures/units.json)."""

    def build():
        call_command("loaddata", "fixtures/units.json", verbosity=0)
        return {}

    db_replay.replay("units", build)


@pytest.fixture
def setup_portal(db_replay):
    """``setup_portal(year=None, demo=False)`` → what ``manage.py setup_portal [--year N] [--demo]`` printed; it
    runs for real once per test process (for those arguments, ``DEMO_PASSWORD`` and day), its writes are replayed
    after (4–6 s a demo build, a fraction of a second replayed)."""
    from django.utils import timezone

    def run(year=None, demo=False):
        args = (["--year", str(year)] if year else []) + (["--demo"] if demo else [])

        def build():
            out = io.StringIO()
            call_command("setup_portal", *args, stdout=out)
            return {"out": out.getvalue()}

        key = ("setup_portal", tuple(args), os.environ.get("DEMO_PASSWORD"), timezone.localdate())
        return db_replay.replay(key, build)["out"]

    return run


@pytest.fixture
def make_user(db):
    """``make_user(role, unit_code="SNV", username=None)`` → a user holding that role in that unit."""
    from django.contrib.auth import get_user_model

    from units.models import Membership, Unit

    counter = {"n": 0}

    def make(role=None, unit_code="SNV", username=None, **extra):
        counter["n"] += 1
        user = get_user_model().objects.create_user(
            username=username or f"u{counter['n']}-{role or 'none'}", password="pw-test-12345", **extra
        )
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


class OwnRedis:
    """A ``redis-server`` subprocess of one test on a free port (no persistence): ``url``, ``stop()``,
    ``start()`` (again on the same port, empty). Fault tests stop it to play a broker outage."""

    def __init__(self, tmp_path):
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self):
        import shutil
        import socket
        import subprocess
        import time

        server = shutil.which("redis-server")
        if server is None:
            pytest.skip("cần redis-server để thử khi broker ngừng")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"redis-server không chạy được trên cổng {self.port}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_broker(settings, tmp_path):
    """Celery's broker and Django's cache pointed at this test's own ``redis-server`` (``OwnRedis``, started),
    tasks published for real (not eager) — the production set-up, so ``own_broker.stop()`` is a broker outage
    as the web process sees it. Everything is restored (and the server stopped) after the test."""
    from parindex.celery import app

    redis = OwnRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis.url}
    }
    saved = app.conf.broker_url, app.conf.task_always_eager

    def reset_pools():
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    app.conf.broker_url, app.conf.task_always_eager = redis.url, False
    reset_pools()
    try:
        yield redis
    finally:
        redis.stop()
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_pools()
