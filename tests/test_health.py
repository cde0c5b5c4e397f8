"""Liveness and readiness (issue 13): /healthz answers while the process lives; /readyz names every
dependency it checked and answers 503 when one fails, without telling where the dependency is."""

import json

import pytest

from portal import health
from tests.fakes import SilentServer, closed_port
from tests.test_settings import manage


def test_liveness_answers_without_touching_anything(client):
    # No django_db mark: any database access here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_every_dependency_by_name(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "migrations", "cache", "broker", "storage"}
    assert all(check["ok"] for check in body["checks"].values())
    # The storage probe leaves nothing behind.
    assert not any(path.is_file() for path in (tmp_path / "media").rglob("*"))


@pytest.mark.django_db
def test_an_unreachable_broker_makes_the_node_not_ready_without_naming_its_address(client, settings):
    settings.CELERY_BROKER_URL = "redis://:s3cret@127.0.0.1:9/0"  # port 9 (discard): nothing listens
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["ok"] is False and body["checks"]["broker"]["error"]
    assert body["checks"]["database"]["ok"] is True
    text = json.dumps(body)
    assert "s3cret" not in text and "127.0.0.1" not in text


@pytest.mark.django_db
def test_storage_that_cannot_be_written_makes_the_node_not_ready(client, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocker
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["ok"] is False


@pytest.mark.django_db
def test_unapplied_migrations_make_the_node_not_ready(client, monkeypatch):
    from django.db.migrations.loader import MigrationLoader

    # A migration the database has not seen: the recorder forgets the newest one of reviews.
    original = MigrationLoader.build_graph

    def forget_latest(self):
        original(self)
        latest = max(key for key in self.applied_migrations if key[0] == "reviews")
        del self.applied_migrations[latest]

    monkeypatch.setattr(MigrationLoader, "build_graph", forget_latest)
    monkeypatch.setattr(health, "_migrated", False)  # a process that has not yet seen them all applied
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["migrations"]["ok"] is False and checks["database"]["ok"] is True


@pytest.mark.django_db
def test_a_process_checks_the_migrations_until_it_has_seen_them_applied(client, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    assert client.get("/readyz").status_code == 200
    assert health._migrated is True  # later probes skip loading every migration file


def _readiness_in_a_process(check: str, **env) -> tuple[bool, dict]:
    """One readiness check, run by a fresh process started with these environment variables (as an
    operator sets them): whether the node is ready, and the check's result."""
    script = (
        "import json; from portal import health; "
        f"print(json.dumps(health.readiness({{{check!r}: health.CHECKS[{check!r}]}})))"
    )
    result = manage("shell", "-c", script, **env)  # manage's 60 s expire if the check never ends
    assert result.returncode == 0, result.stderr
    ready, checks = json.loads(result.stdout.strip().splitlines()[-1])
    return ready, checks[check]


@pytest.mark.parametrize("fault", ["hangs", "is down"])
def test_a_cache_that_hangs_or_is_down_makes_the_node_not_ready_within_its_timeout(fault):
    """CACHE_URL and CACHE_TIMEOUT as an operator sets them: the probe's cache check fails in time
    instead of waiting on a Redis that does not answer."""
    with SilentServer() as server:
        port = server.port if fault == "hangs" else closed_port()
        ready, cache = _readiness_in_a_process("cache", CACHE_URL=f"redis://127.0.0.1:{port}/0", CACHE_TIMEOUT="0.3")
    assert ready is False and cache["ok"] is False
    assert cache["error"] == ("TimeoutError" if fault == "hangs" else "ConnectionError")
    # The probe gave up after CACHE_TIMEOUT (0.3 s), not after redis-py's default 5 s.
    assert cache["ms"] < 3000


def test_a_redis_broker_that_hangs_does_not_hold_a_request_that_queues_a_task():
    """kombu waits for ever on a Redis that does not answer. With BROKER_TIMEOUT the publish gives up
    (the row its task was for waits for the housekeeping sweep), and the request goes on."""
    script = (
        "import time; from django.db import transaction; from portal.queue import enqueue_on_commit\n"
        "started = time.perf_counter()\n"
        "with transaction.atomic():\n"
        "    enqueue_on_commit('portal.accounts.tasks.resend_waiting_messages')\n"
        "print(round(time.perf_counter() - started, 1))\n"
    )
    with SilentServer() as server:
        # Without BROKER_TIMEOUT the enqueue never returns and manage's 60 s expire.
        result = manage(
            "shell",
            "-c",
            script,
            CELERY_BROKER_URL=f"redis://127.0.0.1:{server.port}/0",
            BROKER_TIMEOUT="2",
            DATABASE_URL="sqlite://:memory:",
        )
    assert result.returncode == 0, result.stderr
    assert "not enqueued" in result.stderr  # portal.queue's warning: the sweep will send it
    waited = float(result.stdout.strip().splitlines()[-1])
    assert waited < 2 * 2 + 1.2  # Celery's publish tried twice here (4.1 s), each giving up after BROKER_TIMEOUT


def test_bad_broker_timeout_is_a_loud_error():
    result = manage("check", BROKER_TIMEOUT="1")
    assert result.returncode != 0 and "BROKER_TIMEOUT must be more than 1 second" in result.stderr


def test_a_database_that_accepts_and_never_answers_makes_the_node_not_ready_within_its_timeout():
    """libpq waits for ever on a server (PostgreSQL or a pooler) that takes the TCP connection and then
    says nothing. With DB_CONNECT_TIMEOUT the probe's database check fails in time."""
    with SilentServer() as server:
        ready, database = _readiness_in_a_process(
            "database", DATABASE_URL=f"postgres://postgres@127.0.0.1:{server.port}/elicence", DB_CONNECT_TIMEOUT="2"
        )
    assert ready is False and database["ok"] is False
    assert database["error"] == "OperationalError"
    assert database["ms"] < 2000 + 3000  # DB_CONNECT_TIMEOUT, and slack
