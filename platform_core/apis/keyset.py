"""Keyset (cursor) pagination: a page is "the next n rows after this one", never "skip k rows".

With page numbers, page k of a large list costs k pages of reading (OFFSET), and every page
also counted the whole list (COUNT: 70 ms a page at 10^5 tasks). Here a page starts from the
sort key of the row before it, `(key, id) > (value, last id)`, which the database answers from
an index on (project, key, id) by reading only the page, whatever the depth. The id breaks ties
in the key's direction, so one index serves both directions (read backwards for descending).

The cursor is opaque to clients (base64 of the ordering and the boundary row's key values); a
cursor from another ordering, or one that does not decode, is a 400.

The count is bounded: exact up to EXACT_COUNT_LIMIT rows (counting them reads at most that many
index entries), or when the client asks with `?count=exact`; above the limit the answer carries
the planner's estimate on PostgreSQL and no figure elsewhere. Only the first page counts.

The statements are written here from a `Where` (the list's table and conditions), not compiled
from a queryset: at 10^6 tasks the database answers a page in a tenth of a millisecond, and
building and compiling the page's and the count's querysets cost ten times that in Python.
They bind parameters on the client, as the ORM does, so PostgreSQL plans each page for its own
values (a generic plan could read a whole project in id order to find a rare status).
"""
import base64
import binascii
import json
from dataclasses import dataclass

from django.db import connection
from rest_framework.exceptions import ValidationError

# Counting index entries costs ~2 µs each on an idle machine, several times that on a busy one
# (10,000 took 19 ms at 10^6 tasks on a loaded 2-core box): up to 1,000 the count stays exact,
# above it the planner's estimate (from ANALYZE's statistics, status filters included) says
# how many, and ?count=exact counts them all.
EXACT_COUNT_LIMIT = 1_000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class Ordering:
    """One allowed ordering: its key fields, in one direction, ending with the primary key."""

    name: str
    fields: tuple[str, ...]
    descending: bool

    @classmethod
    def of(cls, name: str) -> "Ordering":
        field = name.lstrip("-")
        fields = (field,) if field == "id" else (field, "id")
        return cls(name=name, fields=fields, descending=name.startswith("-"))


@dataclass(frozen=True)
class Where:
    """The rows a list pages through: `FROM <model's table> WHERE <each condition>`, the
    conditions naming its columns unqualified (or qualified by the table's name, as the ORM's
    compiled conditions do), with `%s` for each of `params`."""

    model: type
    conditions: tuple[str, ...]
    params: tuple = ()

    def sql(self, *more: str, join: str = "") -> str:
        table = connection.ops.quote_name(self.model._meta.db_table)
        return f"FROM {table}{join} WHERE {' AND '.join(self.conditions + more)}"

    def column(self, field: str) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.model._meta.db_table)}.{quote(self.model._meta.get_field(field).column)}"


@dataclass(frozen=True)
class Joined:
    """One row of another table LEFT JOINed to each row of a page, `LEFT JOIN <model's table>
    <alias> ON <on>`: its `fields` come in the page's rows as `<prefix><field>` (None when no
    row joined)."""

    model: type
    alias: str
    on: str
    fields: tuple[str, ...]
    prefix: str

    def sql(self) -> str:
        return f" LEFT JOIN {connection.ops.quote_name(self.model._meta.db_table)} {self.alias} ON {self.on}"

    def column(self, field: str) -> str:
        return f"{self.alias}.{connection.ops.quote_name(self.model._meta.get_field(field).column)}"


@dataclass(frozen=True)
class Cursor:
    ordering: str
    values: list
    backwards: bool = False

    def encode(self) -> str:
        raw = json.dumps([self.ordering, self.values, self.backwards], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, *, ordering: Ordering, model) -> "Cursor":
        bad = ValidationError({"cursor": ["Not a cursor of this list; follow `next` or `previous`."]})
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            name, values, backwards = json.loads(raw)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
            raise bad from None
        if name != ordering.name:
            raise ValidationError(
                {"cursor": [f"This cursor pages the list ordered by {name!r}, not {ordering.name!r}."]}
            )
        if not isinstance(values, list) or len(values) != len(ordering.fields) or not isinstance(backwards, bool):
            raise bad
        try:
            values = [model._meta.get_field(f).to_python(v) for f, v in zip(ordering.fields, values)]
        except Exception:  # noqa: BLE001 - whatever a field refuses, the cursor was not ours
            raise bad from None
        # An id beyond bigint is no row's (and SQLite refuses to bind it).
        if any(value is None or isinstance(value, int) and not -(2**63) <= value < 2**63 for value in values):
            raise bad
        return cls(ordering=name, values=values, backwards=backwards)


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def keyset_page(
    where: Where, *, fields: tuple[str, ...], ordering: Ordering, cursor: Cursor | None,
    size: int, joined: Joined | None = None,
) -> Page:
    """One page of `where`'s rows in `ordering`, after (or, for a backwards cursor, before) the
    cursor's row: one query of `size` + 1 rows, each a dict of `fields` (attribute names, the
    ordering's among them) as `.values(*fields)` gives it, plus `joined`'s."""
    backwards = cursor is not None and cursor.backwards
    descending = ordering.descending != backwards
    keys = ", ".join(where.column(field) for field in ordering.fields)
    after, params = (), list(where.params)
    if cursor is not None:
        placeholders = ", ".join(["%s"] * len(ordering.fields))
        after = (f"({keys}) {'<' if descending else '>'} ({placeholders})",)
        meta = where.model._meta
        params += [
            meta.get_field(field).get_db_prep_value(value, connection)
            for field, value in zip(ordering.fields, cursor.values)
        ]
    direction = " DESC" if descending else ""
    order = ", ".join(where.column(field) + direction for field in ordering.fields)
    read = [(field, where.model, field, where.column(field)) for field in fields]
    if joined is not None:
        read += [
            (joined.prefix + field, joined.model, field, joined.column(field)) for field in joined.fields
        ]
    columns = ", ".join(column for *_, column in read)
    join = "" if joined is None else joined.sql()
    with connection.cursor() as db:
        db.execute(
            f"SELECT {columns} {where.sql(*after, join=join)} ORDER BY {order} LIMIT %s",
            [*params, size + 1],
        )
        found = db.fetchall()
    more = len(found) > size
    rows = _dicts(tuple(read), found[:size])
    if backwards:
        rows.reverse()

    def boundary(row, *, towards_start: bool) -> Cursor:
        values = [_jsonable(row[field]) for field in ordering.fields]
        return Cursor(ordering=ordering.name, values=values, backwards=towards_start)

    next_cursor = previous_cursor = None
    if rows:
        # Going forwards there is a next page when the query found more; going backwards there
        # is one because the cursor came from it. The same, mirrored, for the previous page.
        if (more and not backwards) or (backwards and cursor is not None):
            next_cursor = boundary(rows[-1], towards_start=False)
        if (more and backwards) or (not backwards and cursor is not None):
            previous_cursor = boundary(rows[0], towards_start=True)
    elif cursor is not None:
        # Past either end (rows deleted since): one step back the way the client came.
        previous_cursor = None if backwards else Cursor(ordering.name, cursor.values, True)
        next_cursor = Cursor(ordering.name, cursor.values, False) if backwards else None
    return Page(rows=rows, next_cursor=next_cursor, previous_cursor=previous_cursor)


_converters: dict[tuple, list] = {}


def _dicts(read: tuple[tuple], found: list) -> list[dict]:
    """Rows as the ORM's `.values()` gives them: each column (`read`: name, model, field, SQL)
    through the converters the ORM applies (the backend's, e.g. aware datetimes on SQLite,
    then the field's: JSON decoded)."""
    key = (connection.alias, connection.vendor, read)
    converters = _converters.get(key)
    names = [name for name, *_ in read]
    if converters is None:
        converters = []
        for index, (_, model, name, _) in enumerate(read):
            column = model._meta.get_field(name).cached_col
            found_converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found_converters:
                converters.append((index, found_converters, column))
        _converters[key] = converters
    rows = []
    for values in found:
        if converters:
            values = list(values)
            for index, functions, column in converters:
                for convert in functions:
                    values[index] = convert(values[index], column, connection)
        rows.append(dict(zip(names, values)))
    return rows


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def bounded_count(where: Where, *, exact: bool) -> tuple[int | None, int | None]:
    """(exact count or None, estimate or None) of `where`'s rows.

    Exact when asked, or when there are at most EXACT_COUNT_LIMIT rows; otherwise None and,
    on PostgreSQL, the planner's estimate of the rows (from the table's statistics: its error is
    that of ANALYZE's sample, typically a few percent for a filter on one project)."""
    params = list(where.params)
    with connection.cursor() as db:
        if exact:
            db.execute(f"SELECT COUNT(*) {where.sql()}", params)
            total = db.fetchone()[0]
            return total, total
        db.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 {where.sql()} LIMIT %s) capped",
            [*params, EXACT_COUNT_LIMIT + 1],
        )
        capped = db.fetchone()[0]
        if capped <= EXACT_COUNT_LIMIT:
            return capped, capped
        if connection.vendor != "postgresql":
            return None, None
        db.execute(f"EXPLAIN (FORMAT JSON) SELECT {where.column('id')} {where.sql()}", params)
        plan = db.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    # Never below what the bounded count just saw.
    return None, max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_COUNT_LIMIT + 1)
