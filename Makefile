# `make run`: the portal with a real Celery worker and beat (SQLite + file-system broker by default).
# `make test`: everything the tests need (incl. Debian's chromium for browser tests), then the suite.
# `make test-fast`: the suite without browser and real-worker tests, for the edit-test loop.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-fast lint format install system-deps migrate clean messages

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

var/.demo-seeded: | migrate
	$(PY) manage.py seed_demo
	touch $@

run: migrate var/.demo-seeded
	$(PY) scripts/run.py

# Debian's chromium drives the browser tests; fonts-noto-cjk renders Chinese in screenshots.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install system-deps lint
	$(PY) manage.py makemigrations --check --dry-run
	CELERY_FS_BROKER_DIR=$${CELERY_FS_BROKER_DIR:-var/test-broker} $(VENV)/bin/pytest

test-fast: install lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -m "not browser and not worker"

messages: install
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore '*/tests/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore '.venv/*'

clean:
	rm -rf var .pytest_cache
