# parindex — the two set-up commands are `make run` and `make test` (README).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
# The embedded default (SQLite) for `make run`; DATABASE_URL / REDIS_URL from the environment win.
# DEBUG off (a user sees the portal's own 403/404/500 pages, never Django's debug pages); `DEBUG=1 make run` is the
# developer switch. Static files through WhiteNoise straight from the apps' and static/ folders (no collectstatic;
# edits show on reload). SECRET_KEY: the environment's, else one generated once into var/secret_key.
RUN_ENV := DEBUG=$${DEBUG:-0} SECRET_KEY="$${SECRET_KEY:-$$(cat var/secret_key)}" WHITENOISE_USE_FINDERS=1 \
	WHITENOISE_AUTOREFRESH=1
TEST_ENV := SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} DEBUG=0

.PHONY: run test install system browser migrate lint bench clean

install: $(PIP_STAMP) $(NPM_STAMP)

$(PIP_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's libraries the portal needs at run time: pango for WeasyPrint (PDF exports), DejaVu fonts (skipped when
# present).
system:
	@scripts/install-system-packages.sh

# Debian's chromium for the Playwright browser tests (the set-up installs it; nothing is downloaded by Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium.sh

run: install system
	mkdir -p var
	test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py setup_portal --demo
	$(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Two pytest-xdist workers (each its own test database, cache prefix and media folder: root conftest.py);
# `make test PYTEST_XDIST=` runs the suite in one process.
PYTEST_XDIST ?= -n 2
test: install system browser
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) node_modules var .pytest_cache
