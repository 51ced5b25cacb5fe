"""SQL of the tables of ``alprd.storage.models``: the models are the one definition of the
tables, and a migration creates them from the models *at its version*.

A field belongs to schema version 1 unless marked ``added_in(n, field)``; migration ``n``
then adds it (``add_columns``). So a released migration's SQL never changes when a model
gains a field, and a new database and an upgraded one end with the same columns.

The SQL is SQLite's, written here rather than by ``Model.create_table`` so that it carries
what the migrations always had and Peewee does not emit: ``DEFAULT`` values (rows written
by raw SQL, and columns added to tables that hold rows) and ``AUTOINCREMENT`` (an id is
never reused after a delete).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    Field,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

_SQL_TYPES: tuple[tuple[type[Field], str], ...] = (
    (AutoField, "INTEGER"),
    (ForeignKeyField, "INTEGER"),
    (IntegerField, "INTEGER"),
    (FloatField, "REAL"),
    (DateTimeField, "DATETIME"),
    (TextField, "TEXT"),
    (CharField, "VARCHAR(255)"),
)


def added_in(version: int, field: Field) -> Field:
    """Mark a model field as added by migration ``version`` (fields are version 1 by default)."""
    field.added_in = version  # type: ignore[attr-defined]
    return field


def version_of(field: Field) -> int:
    return int(getattr(field, "added_in", 1))


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def column_sql(field: Field) -> str:
    """``name TYPE [NOT NULL] [PRIMARY KEY ...] [UNIQUE] [DEFAULT ...] [REFERENCES ...]``."""
    sql_type = next(sql for kind, sql in _SQL_TYPES if isinstance(field, kind))
    parts = [field.column_name, sql_type]
    if isinstance(field, AutoField):
        return f"{field.column_name} INTEGER PRIMARY KEY AUTOINCREMENT"
    if not field.null:
        parts.append("NOT NULL")
    if field.primary_key:
        parts.append("PRIMARY KEY")
    if field.unique:
        parts.append("UNIQUE")
    if field.default is not None and not callable(field.default):
        parts.append(f"DEFAULT {_literal(field.default)}")
    if isinstance(field, ForeignKeyField):
        target = field.rel_model._meta
        parts.append(f"REFERENCES {target.table_name} ({field.rel_field.column_name})")
        if field.on_delete:
            parts.append(f"ON DELETE {field.on_delete}")
    return " ".join(parts)


def _index_sql(table: str, columns: Iterable[str], unique: bool) -> str:
    cols = list(columns)
    kind = "UNIQUE INDEX" if unique else "INDEX"
    return f"CREATE {kind} {table}_{'_'.join(cols)} ON {table} ({', '.join(cols)})"


def create_table_sql(model: type[Model], version: int = 1) -> tuple[str, ...]:
    """CREATE TABLE and CREATE INDEX statements of ``model`` with the fields of ``version``
    and before; indexes: fields with ``index=True`` (foreign keys have it) and
    ``Meta.indexes`` (``((columns...), unique)``), named ``<table>_<columns>``."""
    meta = model._meta
    fields = [f for f in meta.sorted_fields if version_of(f) <= version]
    statements = [f"CREATE TABLE {meta.table_name} ({', '.join(column_sql(f) for f in fields)})"]
    for f in fields:
        if f.index and not f.unique and not f.primary_key:
            statements.append(_index_sql(meta.table_name, [f.column_name], unique=False))
    for columns, unique in meta.indexes:
        statements.append(_index_sql(meta.table_name, columns, unique))
    return tuple(statements)


def add_columns(models: Iterable[type[Model]], version: int) -> tuple[str, ...]:
    """ALTER TABLE statements adding the fields marked ``added_in(version, ...)`` (and their
    indexes). SQLite adds a NOT NULL column only with a DEFAULT: give such fields one."""
    statements: list[str] = []
    for m in models:
        table = m._meta.table_name
        for f in m._meta.sorted_fields:
            if version_of(f) == version:
                statements.append(f"ALTER TABLE {table} ADD COLUMN {column_sql(f)}")
                if f.index and not f.unique:
                    statements.append(_index_sql(table, [f.column_name], unique=False))
    return tuple(statements)
