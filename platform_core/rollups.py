"""Hourly rollups: a table of sums per (key, hour) that database triggers keep equal to the
GROUP BY of a source table, so that a metrics read sums a few thousand rollup rows instead of
scanning the project's hundreds of thousands of annotations, reviews or accepted tasks.

The triggers run inside every write of the source rows, whoever writes them (the ORM, a bulk
COPY of an import, a cascade of a delete, raw SQL), so the sums cannot drift: an insert adds
the row's figures to its (key, hour), a delete takes them away, an update of a watched column
does both. Rows that do not count (`where`) are skipped by the trigger's WHEN clause, which
costs a COPY of a million tasks nothing. One spec gives the SQL for PostgreSQL (a PL/pgSQL
function and three triggers) and SQLite (three triggers), and the migration that creates a
rollup's table installs them with InstallRollup, which also fills the table from the rows
already there.

A read of a window (windowed_rollup) takes the hours wholly inside or outside it from the
rollup and the two hours its edges cut, from the source rows: figures stay exact to the
microsecond the window starts.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.db.models import Case, DateTimeField, F, Q, QuerySet, When
from django.db.models.functions import Trunc

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class RollupSpec:
    """`keys` and `sums` map the rollup's columns to SQL expressions over a source row named
    `{R}` (NEW or OLD in the triggers). Keys must not be null (a unique index treats nulls as
    distinct: wrap nullable columns in COALESCE). `hour_of` is the source's timestamp column
    whose hour is the rollup's `hour`; `watched` the source columns the figures depend on."""

    table: str
    source: str
    keys: dict[str, str]
    hour_of: str
    sums: dict[str, str]
    watched: tuple[str, ...]
    where: str | None = None

    def _hour(self, row: str, vendor: str) -> str:
        column = f"{row}.{self.hour_of}"
        if vendor == "postgresql":
            # In UTC whatever the session's time zone (Django's connections use UTC; psql's
            # need not).
            return f"date_trunc('hour', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
        return f"strftime('%Y-%m-%d %H:00:00', {column})"

    def _where(self, row: str) -> str:
        return self.where.format(R=row) if self.where else "true"

    def upsert(self, row: str, sign: int, vendor: str) -> str:
        """The statement that adds (sign 1) or takes away (-1) `row`'s figures."""
        columns = [*self.keys, "hour", *self.sums]
        values = [expr.format(R=row) for expr in self.keys.values()]
        values.append(self._hour(row, vendor))
        values += [f"{sign} * ({expr.format(R=row)})" for expr in self.sums.values()]
        updates = ", ".join(
            f"{name} = {self.table}.{name} + excluded.{name}" for name in self.sums
        )
        return (
            f"INSERT INTO {self.table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} WHERE {self._where(row)} "
            f"ON CONFLICT ({', '.join([*self.keys, 'hour'])}) DO UPDATE SET {updates}"
        )

    def backfill(self, vendor: str) -> str:
        """Fills the rollup from the source rows already there."""
        row = "src"
        keys = [expr.format(R=row) for expr in self.keys.values()] + [self._hour(row, vendor)]
        sums = [f"SUM({expr.format(R=row)})" for expr in self.sums.values()]
        return (
            f"INSERT INTO {self.table} ({', '.join([*self.keys, 'hour', *self.sums])}) "
            f"SELECT {', '.join(keys + sums)} FROM {self.source} AS {row} "
            f"WHERE {self._where(row)} GROUP BY {', '.join(keys)}"
        )

    def _changed(self, vendor: str) -> str:
        differ = "IS DISTINCT FROM" if vendor == "postgresql" else "IS NOT"
        return " OR ".join(f"OLD.{column} {differ} NEW.{column}" for column in self.watched)

    def _update_counts(self, vendor: str) -> str:
        """When an update moves figures: a watched column changed on a row that counts before
        or after (a task's status changing at submit, with no accepted_at on either side,
        calls nothing)."""
        if self.where is None:
            return self._changed(vendor)
        return f"({self._where('OLD')} OR {self._where('NEW')}) AND ({self._changed(vendor)})"

    def install(self, vendor: str) -> list[str]:
        name, source = self.table, self.source
        watched = ", ".join(self.watched)
        on_insert = f" WHEN ({self._where('NEW')})" if self.where else ""
        on_delete = f" WHEN ({self._where('OLD')})" if self.where else ""
        if vendor == "postgresql":
            function = f"{name}_apply"
            trigger = f"FOR EACH ROW{{when}} EXECUTE FUNCTION {function}()"
            return [
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n"
                f"  IF TG_OP <> 'INSERT' THEN {self.upsert('OLD', -1, vendor)}; END IF;\n"
                f"  IF TG_OP <> 'DELETE' THEN {self.upsert('NEW', 1, vendor)}; END IF;\n"
                f"  RETURN NULL;\n"
                f"END $$",
                f"CREATE TRIGGER {name}_on_insert AFTER INSERT ON {source} "
                + trigger.format(when=on_insert),
                f"CREATE TRIGGER {name}_on_delete AFTER DELETE ON {source} "
                + trigger.format(when=on_delete),
                f"CREATE TRIGGER {name}_on_update AFTER UPDATE OF {watched} ON {source} "
                + trigger.format(when=f" WHEN ({self._update_counts(vendor)})"),
            ]
        return [
            f"CREATE TRIGGER {name}_on_insert AFTER INSERT ON {source}{on_insert} "
            f"BEGIN {self.upsert('NEW', 1, vendor)}; END",
            f"CREATE TRIGGER {name}_on_delete AFTER DELETE ON {source}{on_delete} "
            f"BEGIN {self.upsert('OLD', -1, vendor)}; END",
            f"CREATE TRIGGER {name}_on_update AFTER UPDATE OF {watched} ON {source} "
            f"WHEN {self._update_counts(vendor)} "
            f"BEGIN {self.upsert('OLD', -1, vendor)}; {self.upsert('NEW', 1, vendor)}; END",
        ]

    def uninstall(self, vendor: str) -> list[str]:
        drops = [
            f"DROP TRIGGER IF EXISTS {self.table}_on_{event}"
            + (f" ON {self.source}" if vendor == "postgresql" else "")
            for event in ("insert", "delete", "update")
        ]
        if vendor == "postgresql":
            drops.append(f"DROP FUNCTION IF EXISTS {self.table}_apply()")
        return drops


class InstallRollup(migrations.operations.base.Operation):
    """Creates a rollup's triggers and fills it (after the CreateModel of its table)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, spec: RollupSpec):
        self.spec = spec

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        vendor = schema_editor.connection.vendor
        for statement in [self.spec.backfill(vendor), *self.spec.install(vendor)]:
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in self.spec.uninstall(schema_editor.connection.vendor):
            schema_editor.execute(statement, params=None)

    def describe(self):
        return f"Install the triggers of rollup {self.spec.table}"

    def deconstruct(self):
        return self.__class__.__name__, [self.spec], {}


# -- reading a window ---------------------------------------------------------------------------


def hour_floor(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def windowed_rollup(
    *,
    since: datetime,
    until: datetime,
    bucket: str,
    rollup: QuerySet,
    source: QuerySet,
    source_time: str,
    group: list[str],
    rollup_sums: dict,
    source_sums: dict,
    nulls: dict | None = None,
) -> list[dict]:
    """Rows of the `group` columns, `bucket` (the start of the row's hour or day in UTC, null
    outside [since, until]) and the sums, as one GROUP BY of the source rows would give them:
    the rollup's hours wholly inside or outside the window, plus the source rows of the
    window's first and last hours, which the window cuts, merged per (group, bucket).
    `rollup_sums` and `source_sums` name the same figures; `nulls` maps a group column to
    what the rollup keeps for a null (its key cannot be null)."""
    nulls = nulls or {}
    first, last = hour_floor(since), hour_floor(until)
    edges = Q(**{f"{source_time}__gte": first, f"{source_time}__lt": first + HOUR}) | Q(
        **{f"{source_time}__gte": last, f"{source_time}__lt": last + HOUR}
    )
    in_window = Q(**{f"{source_time}__gte": since, f"{source_time}__lte": until})
    cut = list(
        source.filter(edges)
        .order_by()
        .values(*group, bucket=_bucket(in_window, source_time, bucket))
        .annotate(**source_sums)
    )
    for row in cut:
        for name, kept_for_null in nulls.items():
            if row[name] is None:
                row[name] = kept_for_null
    whole = (
        rollup.exclude(hour__in=[first, last])
        .order_by()
        .values(*group, bucket=_bucket(Q(hour__gt=first, hour__lt=last), "hour", bucket))
        .annotate(**rollup_sums)
    )
    rows = _merged([whole, cut], [*group, "bucket"], list(rollup_sums))
    for row in rows:
        for name, kept_for_null in nulls.items():
            if row[name] == kept_for_null:
                row[name] = None
    return rows


def _bucket(condition: Q, field: str, bucket: str) -> Trunc:
    """`field`'s bucket where `condition` holds, else null (Trunc outside the CASE, so that its
    time zone handling applies)."""
    return Trunc(
        Case(When(condition, then=F(field)), output_field=DateTimeField()), bucket, tzinfo=UTC
    )


def _merged(reads: Iterable[Iterable[dict]], group: list[str], sums: list[str]) -> list[dict]:
    merged: dict[tuple, dict] = {}
    for rows in reads:
        for row in rows:
            key = tuple(row[name] for name in group)
            into = merged.get(key)
            if into is None:
                merged[key] = dict(row)
                continue
            for name in sums:
                if row[name] is not None:
                    into[name] = row[name] if into[name] is None else into[name] + row[name]
    return list(merged.values())
