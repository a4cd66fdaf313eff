"""Writing many rows fast: package imports and the generator write hundreds of thousands of rows.

``insert_objects`` takes unsaved model instances, as ``bulk_create`` does, and writes them with the
database's own bulk path: ``COPY … FROM STDIN`` on PostgreSQL, one prepared ``executemany`` on
SQLite. Django's ``bulk_create`` prepares every value of every row through the field machinery
(about ten Python calls a value); here each column gets one adapter, chosen once. COPY returns no
primary keys: ``assign_pks=True`` reserves them first (``reserve_ids``), for rows that others point
to. ``update_objects`` is the counterpart of ``bulk_update``; ``instance_factory`` builds the
instances cheaply.

Only the concrete, local columns are written, with their Python values as the instances hold them
(model instances set the field defaults on creation; ``auto_now`` and ``auto_now_add`` fields are
stamped as ``bulk_create`` stamps them). Model ``save()`` and signals are not called, as with
``bulk_create``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState

Adapter = Callable[[Any], Any]
M = TypeVar("M", bound=models.Model)

_CHUNK = 5000


def _sqlite_datetime(value: datetime | None) -> str | None:
    # What Django stores with USE_TZ: naive UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]".
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _identity(value: Any) -> Any:
    return value


def _fallback(field: models.Field[Any, Any]) -> Adapter:
    return lambda value: field.get_db_prep_save(value, connection)


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The column-backed field ``name`` (or its attname, e.g. ``actor_id``) of ``model``."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def column_adapter(field: models.Field[Any, Any]) -> Adapter:
    """The function that turns a value of ``field`` into what ``insert_rows`` writes on this database."""
    return _adapter(field, connection.vendor)


def _adapter(field: models.Field[Any, Any], vendor: str) -> Adapter:
    if isinstance(field, models.JSONField):
        encoder = field.encoder  # as JSONField.get_db_prep_save writes it
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    if isinstance(field, models.ForeignKey):
        return _identity  # the attname's value: the target's primary key
    if vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.DateField):
            return _sqlite_date
        if isinstance(field, models.BooleanField):
            return _sqlite_bool
    if isinstance(
        field,
        models.CharField
        | models.TextField
        | models.IntegerField
        | models.BooleanField
        | models.DateTimeField
        | models.DateField
        | models.FloatField,
    ):
        return _identity  # psycopg adapts these (aware datetimes to timestamptz) on PostgreSQL
    return _fallback(field)


def _columns(model: type[models.Model], include_pk: bool) -> list[models.Field[Any, Any]]:
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    if not include_pk:
        fields = [f for f in fields if not f.primary_key]
    return fields


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys of ``model``'s table, which no other writer will take: drawn from
    the sequence on PostgreSQL; on SQLite above the highest ever used (the caller's transaction
    holds the write lock, xietong opens them IMMEDIATE, so nobody inserts meanwhile). Insert the
    rows before reserving again: on SQLite the ids are taken only by inserting them."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            column = model._meta.pk.column
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        pk = connection.ops.quote_name(model._meta.pk.column)
        cursor.execute(
            f"SELECT max(coalesce((SELECT max({pk}) FROM {quoted}), 0),"
            " coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        base = int(cursor.fetchone()[0])
    return list(range(base + 1, base + 1 + count))


def instance_factory(model: type[M]) -> Callable[..., M]:
    """A constructor of unsaved ``model`` instances for bulk writes, several times faster than
    ``model(**values)``: it takes attnames (``step_id``, not ``step``) and the related objects to
    cache (``related={"step": step}``, so ``run.step`` needs no query). Fields left out get their
    default; no ``pre_init``/``post_init`` signals are sent (no model written this way needs them)."""
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    mutable = [name for name, value in defaults.items() if isinstance(value, list | dict | set)]
    if mutable:
        raise ValueError(f"{model.__name__}: mutable defaults would be shared: {mutable}")

    def make(related: dict[str, Any] | None = None, **values: Any) -> M:
        obj = model.__new__(model)
        state = ModelState()
        if related:
            state.fields_cache = related
        obj.__dict__.update(defaults, _state=state, **values)
        return obj

    return make


def insert_objects(objs: Sequence[models.Model], *, assign_pks: bool = False) -> int:
    """Insert unsaved instances of one model in bulk; returns how many were written. With
    ``assign_pks`` each instance first gets a reserved primary key (as ``bulk_create`` returns them)."""
    if not objs:
        return 0
    model = type(objs[0])
    if assign_pks:
        for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
            obj.pk = pk
            obj._state.adding, obj._state.db = False, connection.alias
    fields = _columns(model, assign_pks)
    stamped = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    for field in stamped:  # as bulk_create does: auto_now(_add) fields get the time of the insert
        for obj in objs:
            field.pre_save(obj, True)
    vendor = connection.vendor
    getters = [(f.attname, _adapter(f, vendor)) for f in fields]
    rows = ([adapt(getattr(obj, attname)) for attname, adapt in getters] for obj in objs)
    return insert_rows(model, [f.column for f in fields], rows)


def insert_rows(model: type[models.Model], columns: list[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert rows of already adapted values into ``columns`` of ``model``'s table."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg's own cursor: COPY streams the rows
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
        chunk: list[Sequence[Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= _CHUNK:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def update_objects(objs: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write ``fields`` of saved instances of one model, as ``bulk_update`` does, with one prepared
    ``UPDATE … WHERE pk = ?`` executed for every row (``bulk_update`` compiles a CASE over each batch,
    which costs milliseconds a row). Returns how many rows were written."""
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    targets = [concrete_field(model, name) for name in fields]  # auto_now is not applied, as by bulk_update
    vendor = connection.vendor
    getters = [(f.attname, _adapter(f, vendor)) for f in targets]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {', '.join(f'{quote(f.column)} = %s' for f in targets)}"
        f" WHERE {quote(meta.pk.column)} = %s"
    )
    rows = [[*(adapt(getattr(obj, attname)) for attname, adapt in getters), obj.pk] for obj in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            cursor.executemany(sql, rows[start : start + _CHUNK])
    return len(rows)
