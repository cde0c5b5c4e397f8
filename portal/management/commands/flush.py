"""Django's `flush` (wipe every table), also of the append-only tables: their triggers are lifted
for the wipe and put back after it."""

from django.core.management.commands import flush
from django.db import connections

from portal import append_only


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        tables = [t for t in append_only.append_only_tables() if t in connection.introspection.table_names()]
        append_only.remove(connection, tables)
        try:
            return super().handle(**options)
        finally:
            append_only.install(connection, tables)
