"""Reads by key, and inserts, whose SQL is compiled once per process, for the hottest paths (verification,
display).

Django compiles a queryset to SQL each time it is evaluated. For a select over three joined tables
(a QR code with its e-licence and licence: some forty columns) that compiling took about as long as
the round trip to PostgreSQL itself (docs/benchmarks.md). `PreparedLookup` compiles the queryset the
first time, on each database, and afterwards only swaps the key into the parameters, runs the SQL and
builds the instances with Django's own converters and related-object populators: the same objects,
converted the same way (decrypted fields, dates, UUIDs), as the queryset would give. `PreparedInsert`
does the same for `Model.objects.create` of a model whose primary key is made in Python.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery


@dataclass(frozen=True)
class _Compiled:
    sql: str
    fields: list  # the keys' fields: each prepares its value as the lookup would
    converters: dict  # column position → (converters, expression), from the compiler
    model: type
    start: int
    end: int
    init_list: list[str]
    populators: list


class PreparedLookup:
    """`PreparedLookup(Model.objects.select_related(...), "key")` then `.get(value)`: the row whose
    `key` equals `value` (a unique key), or None. With several keys (`"holder", "state"`) and an
    ordered queryset: the first row, in its order, whose keys equal the values (`.get(user.pk, "valid")`).

    The queryset may select related rows and be ordered, but must have no parameter besides the keys.
    Keys are fields or their attnames; a foreign key takes the related row's primary key."""

    def __init__(self, queryset: QuerySet, *keys: str):
        self._queryset = queryset
        self._keys = keys
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _queryset_for(self, alias: str, values) -> QuerySet:
        queryset = self._queryset.using(alias)
        for key, value in zip(self._keys, values, strict=True):
            queryset = queryset.filter(**{key: value})  # one filter each: the parameters come in this order
        return queryset[:1]

    def _compile(self, alias: str, values) -> _Compiled:
        compiler = self._queryset_for(alias, values).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if len(params) != len(self._keys):
            raise ValueError(
                f"a prepared lookup takes one parameter per key ({len(self._keys)}); this one has {len(params)}"
            )
        select, klass_info = compiler.select, compiler.klass_info
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            fields=[self._queryset.model._meta.get_field(key) for key in self._keys],
            converters=compiler.get_converters([column[0] for column in select[: compiler.col_count]]),
            model=klass_info["model"],
            start=start,
            end=end,
            init_list=[column[0].target.attname for column in select[start:end]],
            populators=get_related_populators(klass_info, select, alias),
        )

    def get(self, *values):
        alias = router.db_for_read(self._queryset.model)
        if any(value is None for value in values):
            # Django reads `key=None` as IS NULL: another statement than the compiled one.
            return next(iter(self._queryset_for(alias, values)), None)
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias) or self._compile(alias, values)
                self._compiled[alias] = compiled
        connection = connections[alias]
        # What the `exact` lookup does with its right-hand side: the field's prep, then the database's.
        params = [
            field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)
            for field, value in zip(compiled.fields, values, strict=True)
        ]
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if not rows:
            return None
        row = list(rows[0])
        for position, (converters, expression) in compiled.converters.items():  # as SQLCompiler.apply_converters
            value = row[position]
            for converter in converters:
                value = converter(value, expression, connection)
            row[position] = value
        instance = compiled.model.from_db(alias, compiled.init_list, row[compiled.start : compiled.end])
        for populator in compiled.populators:
            populator.populate(row, instance)
        return instance


class PreparedInsert:
    """`PreparedInsert(Model).create(**values)`: the row `Model.objects.create(**values)` would insert (the
    fields' defaults, each field's conversion for the database), with the INSERT compiled once per
    database and, on PostgreSQL, bound on the server so that psycopg prepares it. Compiling the INSERT of
    a dozen columns was a third of `create`'s time in Python (0.67 ms against 0.45 ms wall, per row, here).

    For models whose primary key is made in Python (a UUID default): nothing is read back. Like
    `bulk_create`, it sends no save signals and does not call the model's `save()`: only for models that
    do nothing there but refuse changes (AppendOnlyModel)."""

    def __init__(self, model):
        if model._meta.pk.db_returning or not model._meta.pk.has_default():
            raise ValueError(f"{model.__name__}: a prepared insert needs a primary key made in Python")
        self._model = model
        self._fields = [field for field in model._meta.local_concrete_fields if not field.generated]
        self._sql: dict[str, str] = {}

    def _compile(self, alias: str, instance) -> str:
        query = InsertQuery(self._model)
        query.insert_values(self._fields, [instance])
        [(sql, params)] = query.get_compiler(using=alias).as_sql()
        if len(params) != len(self._fields):
            raise ValueError(f"{self._model.__name__}: one parameter per field expected in {sql}")
        return sql

    def create(self, **values):
        instance = self._model(**values)
        alias = router.db_for_write(self._model, instance=instance)
        sql = self._sql.get(alias) or self._sql.setdefault(alias, self._compile(alias, instance))
        connection = connections[alias]
        # What SQLInsertCompiler does with each field of the row: pre_save, then the database's prep.
        params = [field.get_db_prep_save(field.pre_save(instance, True), connection) for field in self._fields]
        with _cursor(connection) as cursor:
            cursor.execute(sql, params)
        instance._state.adding = False
        instance._state.db = alias
        return instance


@contextmanager
def _cursor(connection):
    """Django's cursor; on PostgreSQL one that binds parameters on the server, so that psycopg prepares
    the statement once it has run a few times on the connection (OPTIONS `prepare_threshold`, set in
    settings) and PostgreSQL then skips parsing and planning it: the QR code's three-table select went
    from 0.50 to 0.19–0.25 ms a run. Django binds on the client by default because some ORM queries
    (parameters in GROUP BY) fail when bound on the server; these key look-ups have no such clause.
    DB_PREPARED_STATEMENTS=0 turns it off (behind PgBouncer in transaction mode older than 1.21, or
    without its `max_prepared_statements`)."""
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()  # what connection.cursor() does first, before connecting
    connection.ensure_connection()
    raw = connection.connection
    factory, raw.cursor_factory = raw.cursor_factory, ServerBindingCursor
    try:
        cursor = connection.cursor()  # Django's wrapper: its errors, execute wrappers and query log
    finally:
        raw.cursor_factory = factory
    with cursor:
        yield cursor
