"""Model instances from hand-written SQL, for the few statements on the labeling hot path.

Every next-task and submit runs a handful of reads. Built through the ORM, each one spends
more CPU compiling its queryset than the database spends answering it; `Model.objects.raw()`
skips the compilation but still matches every column to a field on every call. A statement
written once against `ModelRows(Model).columns(alias)` returns the model's columns in a known
order, so a row turns into an instance with the field converters worked out once per process.
Several models can share one row (a task and its project), each reading its own slice.

On PostgreSQL these statements bind their parameters on the server, so psycopg prepares each
one after a few runs on a connection (DATABASE_PREPARE_THRESHOLD): PostgreSQL spent more time
planning them than running them (the scoped task lookup: 0.15 ms planning, 0.04 ms running).
The rest of the platform keeps Django's client-side binding.
"""
import psycopg
from django.db import connection
from django.db.models import Model


class ModelRows:
    """Reads rows whose columns are `columns(alias)` of `model`, in that order."""

    def __init__(self, model: type[Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.width = len(self.fields)
        self._attnames = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self._converters = None  # per process, after the database connection is configured

    def columns(self, alias: str = "") -> str:
        """The select list, e.g. `t."id", t."project_id", …`, matching `instance()`'s order;
        unqualified without an alias (for RETURNING)."""
        prefix = f"{alias}." if alias else ""
        return ", ".join(f'{prefix}"{field.column}"' for field in self.fields)

    def instance(self, values) -> Model:
        """The model instance of one row's slice of `width` values, as the ORM would load it."""
        if self._converters is None:
            # The backend's converters, then the field's, as the ORM's compiler applies them:
            # on SQLite the backend's make datetimes aware and decimals Decimal.
            self._converters = [
                (index, converters, field.cached_col)
                for index, field in enumerate(self.fields)
                if (
                    converters := connection.ops.get_db_converters(field.cached_col)
                    + field.cached_col.get_db_converters(connection)
                )
            ]
        values = list(values)
        for index, converters, expression in self._converters:
            for convert in converters:
                values[index] = convert(values[index], expression, connection)
        return self.model.from_db(connection.alias, self._attnames, values)


def fetch_one(sql: str, params, *readers: ModelRows) -> tuple[Model | None, ...] | None:
    """The first row of `sql`, whose columns are each reader's `columns()` in turn, as one
    instance per reader; None when there is no row. A reader's slice whose primary key is NULL
    (the outer side of a LEFT JOIN that found nothing) gives None."""
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for reader in readers:
        values = row[start : start + reader.width]
        start += reader.width
        instances.append(None if values[reader.pk_index] is None else reader.instance(values))
    return tuple(instances)


def hot_cursor():
    """A Django cursor for a statement the labeling loop runs on every request: with
    server-side binding on PostgreSQL (see above), Django's own cursor elsewhere."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    cursor = connection.cursor()  # Django's checks: health, thread, wrapping, query logging
    cursor.cursor.close()  # Django's psycopg cursor binds on the client; swap it
    cursor.cursor = psycopg.Cursor(connection.connection)
    return cursor
