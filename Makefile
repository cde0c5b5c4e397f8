# `make run`: the portal with a real Celery worker and beat (SQLite + file-system broker by default).
# `make test`: everything the tests need (incl. Debian's chromium for browser tests), then the suite.
# `make test-fast`: the suite without browser and real-worker tests, for the edit-test loop.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test test-fast lint format install system-deps bench-deps bench migrate clean messages cluster cluster-check

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

# Debian's chromium drives the browser tests; fonts-noto-cjk renders Chinese in screenshots; haproxy
# checks deploy/haproxy.cfg.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! test -x /usr/sbin/haproxy; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk haproxy >/dev/null; \
		else \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk haproxy >/dev/null; \
		fi; \
	fi

# The benches need wrk (Debian) and PostgreSQL on 127.0.0.1:5432 (started here if it is down).
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi; \
	fi
	@if ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -1)" main start; \
		for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi

# Every bench under bench/, each printing its figures (docs/benchmarks.md records them).
bench: install bench-deps
	$(PY) bench/photo_checks.py
	$(PY) bench/photo_eval.py
	$(PY) bench/upload_memory.py
	$(PY) bench/verifications.py
	$(PY) bench/approvals.py
	$(PY) bench/admin_lists.py

# A production-shaped cluster on this machine: haproxy → 2 gunicorn web nodes, PostgreSQL, RabbitMQ,
# Redis, an S3-compatible server, a worker per queue and one beat (scripts/cluster.py).
cluster: install system-deps
	$(PY) scripts/cluster.py up

# Its bounded load (1 and 2 web nodes) and fault runs; the last line is `cluster: ok` or `cluster: FAILED …`.
cluster-check: install system-deps
	$(PY) scripts/cluster.py check

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
