"""The PostgreSQL backend (portal/pgbackend): a connection health check that is free on a quiet connection
and Django's `SELECT 1` (and a reconnect) on one that PostgreSQL has cut; a query log with the SQL of
statements bound on the server."""

import select
import socket
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.db import connection, connections
from psycopg import pq

from portal.pgbackend.base import connection_quiet

pytestmark = pytest.mark.django_db


def fake_connection(sock, *, status=pq.TransactionStatus.IDLE, closed=False, broken=False):
    """What connection_quiet reads of a psycopg connection, over a real socket."""
    return SimpleNamespace(
        closed=closed, broken=broken, info=SimpleNamespace(transaction_status=status), fileno=sock.fileno
    )


def test_a_connection_is_quiet_only_while_nothing_waits_on_its_socket():
    ours, server = socket.socketpair()
    try:
        assert connection_quiet(fake_connection(ours))
        assert not connection_quiet(fake_connection(ours, closed=True))
        assert not connection_quiet(fake_connection(ours, broken=True))
        assert not connection_quiet(fake_connection(ours, status=pq.TransactionStatus.INTRANS))
        server.sendall(b"E")  # the server said something: "terminating connection", a notice
        assert not connection_quiet(fake_connection(ours))
        ours.recv(1)
        assert connection_quiet(fake_connection(ours))
        server.close()  # the end of the stream: the server went away
        assert not connection_quiet(fake_connection(ours))
    finally:
        ours.close()
        server.close()


def _readable(raw, seconds: float = 5.0) -> bool:
    poller = select.poll()
    poller.register(raw.fileno(), select.POLLIN)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if poller.poll(50):
            return True
    return False


def test_on_postgresql_a_quiet_connection_is_not_queried_and_a_cut_one_is_replaced():
    """As at the start of each request: a kept connection is checked before its first use. Quiet, the check
    sends nothing; cut by the server (as in a PostgreSQL restart), the check falls back to Django's
    `SELECT 1`, closes it, and the next query runs on a new connection. On SQLite the backend is not used."""
    if connection.vendor != "postgresql":
        assert connection.settings_dict["ENGINE"] == "django.db.backends.sqlite3"
        return
    assert connection.settings_dict["ENGINE"] == "portal.pgbackend"
    kept = connections.create_connection("default")
    try:
        kept.ensure_connection()
        pid = kept.connection.info.backend_pid
        for _ in range(3):
            kept.health_check_done = False  # what the start of a request does
            with mock.patch.object(kept, "is_usable", wraps=kept.is_usable) as usable:
                kept.close_if_health_check_failed()
            assert usable.call_count == 0
            assert kept.connection is not None and kept.connection.info.backend_pid == pid

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert _readable(kept.connection)
        kept.health_check_done = False
        with mock.patch.object(kept, "is_usable", wraps=kept.is_usable) as usable:
            kept.close_if_health_check_failed()
        assert usable.call_count == 1
        assert kept.connection is None  # closed by the failed check, not handed to a query
        with kept.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] != pid
    finally:
        kept.close()


def test_the_query_log_shows_the_sql_of_statements_bound_on_the_server():
    """A verification's QR code read and its insert (both bound on the server on PostgreSQL, portal/prepared.py)
    appear in the query log with their SQL, as every other query does."""
    import json

    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from conftest import make_elicence, make_person
    from licences.services import elicence_qr_issue

    token = elicence_qr_issue(elicence=make_elicence(make_person(name="王小明"))).token
    body = json.dumps({"token": token})
    client = Client()
    for _ in range(7):  # past psycopg's threshold: the last runs use the prepared statements
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/verifications", body, content_type="application/json")
        assert response.status_code == 200 and response.json()["valid"] is True
        logged = [query["sql"] for query in queries.captured_queries]  # and the rate limit's, without Redis
        assert all(isinstance(sql, str) for sql in logged), logged
        assert any(sql.startswith("SELECT") and '"licences_qrcode"' in sql for sql in logged), logged
        assert any(sql.startswith('INSERT INTO "licences_verification"') for sql in logged), logged
