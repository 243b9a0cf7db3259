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
"""
import base64
import binascii
import json
from dataclasses import dataclass

from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
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

    def order_by(self, *, reverse: bool = False) -> list:
        descending = self.descending != reverse
        return [F(field).desc() if descending else F(field).asc() for field in self.fields]

    def after(self, queryset: QuerySet, values: list, *, reverse: bool = False) -> QuerySet:
        """Rows strictly after `values` in this order (before them with `reverse`)."""
        lookup = TupleLessThan if self.descending != reverse else TupleGreaterThan
        return queryset.filter(lookup(Tuple(*(F(field) for field in self.fields)), tuple(values)))


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
        if any(value is None for value in values):
            raise bad
        return cls(ordering=name, values=values, backwards=backwards)


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def keyset_page(queryset: QuerySet, *, ordering: Ordering, cursor: Cursor | None, size: int) -> Page:
    """One page of `queryset` in `ordering`, after (or, for a backwards cursor, before) the
    cursor's row; one query of `size` + 1 rows."""
    backwards = cursor is not None and cursor.backwards
    rows = queryset
    if cursor is not None:
        rows = ordering.after(rows, cursor.values, reverse=backwards)
    rows = list(rows.order_by(*ordering.order_by(reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()

    def boundary(row, *, towards_start: bool) -> Cursor:
        values = [_jsonable(_value(row, field)) for field in ordering.fields]
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


def _value(row, field: str):
    return row[field] if isinstance(row, dict) else getattr(row, field)  # .values() or instances


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def bounded_count(queryset: QuerySet, *, exact: bool) -> tuple[int | None, int | None]:
    """(exact count or None, estimate or None) of `queryset`'s rows.

    Exact when asked, or when there are at most EXACT_COUNT_LIMIT rows; otherwise None and,
    on PostgreSQL, the planner's estimate of the rows (from the table's statistics: its error is
    that of ANALYZE's sample, typically a few percent for a filter on one project)."""
    if exact:
        total = queryset.count()
        return total, total
    capped = queryset.order_by().values("pk")[: EXACT_COUNT_LIMIT + 1].count()
    if capped <= EXACT_COUNT_LIMIT:
        return capped, capped
    return None, _planner_estimate(queryset)


def _planner_estimate(queryset: QuerySet) -> int | None:
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    # Never below what the bounded count just saw.
    return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_COUNT_LIMIT + 1)
