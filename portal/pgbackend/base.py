"""Django's PostgreSQL backend with a health check that costs no round trip when the connection is quiet.

With CONN_HEALTH_CHECKS (settings: a kept connection survives a PostgreSQL restart), Django runs
`SELECT 1` on a kept connection before its first use in each request or task: one round trip on every
request that touches the database (0.14–0.17 ms here, a few per cent of a verification). A connection PostgreSQL has
cut (a restart, a terminated backend, a crash) has something to read on its socket: the server's
"terminating connection" message, or the end of the stream. So the socket is polled first, without
waiting: nothing to read on an idle connection means nothing has happened to it, and the check is done;
anything to read (or a connection psycopg knows to be closed or broken, or not idle) falls back to
Django's own check (`SELECT 1`), which reads whatever is there and closes the connection if it fails.
A connection dropped silently (a network cut that sends nothing) is not seen by either check until a
query times out.

Also: the query log (DEBUG, `CaptureQueriesContext`) shows the SQL of the statements that portal/prepared.py
runs bound on the server; Django's backend logged None for them.
"""

import select

from django.db.backends.postgresql import base, operations
from psycopg import pq


def connection_quiet(raw) -> bool:
    """True when psycopg's connection is open, idle and has nothing waiting on its socket."""
    if raw.closed or raw.broken or raw.info.transaction_status != pq.TransactionStatus.IDLE:
        return False
    try:
        poller = select.poll()
        poller.register(raw.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
    except (OSError, ValueError):
        return False


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        logged = super().last_executed_query(cursor, sql, params)
        if logged is None and sql is not None:  # bound on the server (portal/prepared.py): no client-side text
            try:
                return self.compose_sql(sql, params)
            except Exception:  # a value the client cannot quote: the SQL with its placeholders
                return sql
        return logged


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and connection_quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
