"""Liveness and readiness (issue 13): what a load balancer and an orchestrator ask a node.

`readiness()` checks every dependency a request or a task may need (database, migrations applied,
cache, broker, file storage) and says which failed. Failures are named by kind only: an exception's
text can carry a host name or a password from a URL, and this answer is public.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BROKER_TIMEOUT = 2.0  # seconds: a probe must answer well inside a balancer's check interval


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


_migrated = False  # once every migration is applied, this process's code stays in step with it


def _migrations() -> None:
    global _migrated
    if _migrated:
        return  # loading every migration file on each probe (every few seconds) is wasted work
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migrations not applied")
    _migrated = True


def _cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    if cache.get(key) != "1":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def _broker() -> None:
    from celery import current_app

    # The configured URL (a folder for the embedded broker, a server in production), reached anew.
    with current_app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT) as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        broker.default_channel  # noqa: B018 (opening a channel is what proves an AMQP broker usable)


def _storage() -> None:
    name = default_storage.save(f"readyz/{uuid.uuid4().hex}", ContentFile(b"ok"))
    try:
        with default_storage.open(name) as handle:
            if handle.read() != b"ok":
                raise RuntimeError("the storage did not return what was written")
    finally:
        default_storage.delete(name)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "migrations": _migrations,
    "cache": _cache,
    "broker": _broker,
    "storage": _storage,
}


def readiness(checks: dict[str, Callable[[], None]] | None = None) -> tuple[bool, dict]:
    """Run every check; (all passed, {name: {"ok", "ms", "error"?}})."""
    results = {}
    for name, check in (checks or CHECKS).items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:  # any failure makes the node not ready; the kind says what broke
            results[name] = {"ok": False, "ms": round((time.perf_counter() - started) * 1000, 1),
                             "error": type(exc).__name__}  # fmt: skip
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    return all(result["ok"] for result in results.values()), results
