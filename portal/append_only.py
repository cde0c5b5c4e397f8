"""Append-only tables enforced by the database itself (X2): no UPDATE or DELETE of a row, whether
through the ORM, a queryset's update()/delete() or raw SQL. Triggers on PostgreSQL and SQLite.

`manage.py flush` (which wipes a whole database, e.g. between tests) lifts them while it runs.
"""

from django.apps import apps


def append_only_tables() -> list[str]:
    from portal.models import AppendOnlyModel

    return sorted(m._meta.db_table for m in apps.get_models() if issubclass(m, AppendOnlyModel))


def _postgresql_sql(table: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql""",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def _sqlite_sql(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
    ]


def install(connection, tables: list[str]) -> None:
    statements = {"postgresql": _postgresql_sql, "sqlite": _sqlite_sql}.get(connection.vendor)
    if statements is None:
        return
    with connection.cursor() as cursor:
        for table in tables:
            for sql in statements(table):
                cursor.execute(sql)


def remove(connection, tables: list[str]) -> None:
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            elif connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
