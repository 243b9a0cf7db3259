"""The period a metrics answer covers and the context its sections are computed in.

The API (platform_core.apis.metrics) parses `window` and `bucket` into a MetricsPeriod and
computes the sections inside `metrics_request(period)`; the apps' sections, which the registry
(platform_core.extensions) hands only the project, read the period with `metrics_period` and
share aggregates with `metrics_memo`, as `translation.override` carries a language.
"""
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

# A figure measured on fewer items than this is flagged `insufficient`: with 30 reviews all
# accepted, the 95% interval of the rate still reaches down to 0.89.
MINIMUM_SAMPLE = 30
# 2,000 buckets: 83 days by the hour, five and a half years by the day. Each annotator's
# series has one number per bucket, so this bounds the answer (~1 MB for 50 annotators).
MAX_BUCKETS = 2000
DEFAULT_WINDOW, DEFAULT_BUCKET = "7d", "day"
BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
_WINDOW = re.compile(r"^([1-9][0-9]{0,5})([hd])$")
_UNIT_HOURS = {"h": 1, "d": 24}


@dataclass(frozen=True)
class MetricsPeriod:
    """The window figures are measured over, and the buckets of its series (UTC)."""

    window: str
    bucket: str
    since: datetime
    until: datetime

    @property
    def step(self) -> timedelta:
        return BUCKETS[self.bucket]

    @property
    def hours(self) -> float:
        return (self.until - self.since).total_seconds() / 3600

    @property
    def days(self) -> float:
        return self.hours / 24

    def bucket_of(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:  # a database's bare timestamp: UTC, as Trunc is asked for
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return moment.replace(hour=0) if self.bucket == "day" else moment

    def bucket_starts(self) -> list[datetime]:
        start, last, starts = self.bucket_of(self.since), self.bucket_of(self.until), []
        while start <= last:
            starts.append(start)
            start += self.step
        return starts

    def series(self, counts: dict[datetime, float], default=0) -> list:
        """`counts` (bucket start -> value, as a Trunc query returns them) as a list aligned
        with bucket_starts(), `default` where a bucket has nothing."""
        by_start = {self.bucket_of(start): value for start, value in counts.items()}
        return [by_start.get(start, default) for start in self.bucket_starts()]

    def as_dict(self) -> dict:
        return {
            "window": self.window,
            "bucket": self.bucket,
            "since": self.since,
            "until": self.until,
            "hours": round(self.hours, 6),
            "buckets": self.bucket_starts(),
        }


def metrics_period_parse(
    *, window: str | None, bucket: str | None, start: datetime, now: datetime | None = None
) -> MetricsPeriod:
    """The period of `window` and `bucket` (None: the defaults) ending now; `start` is when
    `all` begins (the project's or the organization's creation). ValidationError (a 400
    naming the parameter) for a value out of form or a window of more than MAX_BUCKETS."""
    window, bucket = window or DEFAULT_WINDOW, bucket or DEFAULT_BUCKET
    until = now or timezone.now()
    if bucket not in BUCKETS:
        raise ValidationError({"bucket": ["Use 'hour' or 'day'."]})
    if window == "all":
        since = min(start, until)
    else:
        match = _WINDOW.match(window)
        if match is None:
            raise ValidationError(
                {"window": ["Use a number of hours or days (24h, 7d, 30d) or 'all'."]}
            )
        hours = int(match[1]) * _UNIT_HOURS[match[2]]
        if hours / (BUCKETS[bucket].total_seconds() / 3600) > MAX_BUCKETS:
            raise ValidationError({"window": [_too_many_buckets(window, bucket)]})
        since = until - timedelta(hours=hours)
    period = MetricsPeriod(window=window, bucket=bucket, since=since, until=until)
    if len(period.bucket_starts()) > MAX_BUCKETS + 1:
        raise ValidationError({"window": [_too_many_buckets(window, bucket)]})
    return period


def _too_many_buckets(window: str, bucket: str) -> str:
    return (
        f"window={window} has more than {MAX_BUCKETS} {bucket}s; use a shorter window"
        + (" or bucket=day." if bucket == "hour" else ".")
    )


# -- the request the sections are computed for ------------------------------------------------


@dataclass
class MetricsRequest:
    period: MetricsPeriod
    memo: dict = field(default_factory=dict)


_current: ContextVar[MetricsRequest | None] = ContextVar("metrics_request", default=None)


@contextmanager
def metrics_request(period: MetricsPeriod):
    """Compute sections for `period` inside this block (see the module docstring), in one
    transaction with the database settings of metrics_database_settings."""
    token = _current.set(MetricsRequest(period=period))
    try:
        with transaction.atomic():
            metrics_database_settings()
            yield
    finally:
        _current.reset(token)


def metrics_database_settings() -> None:
    """On PostgreSQL, for the rest of the current transaction: no JIT. The metrics are a dozen
    aggregates of a few hundred thousand rows each; JIT compiled each (~70 ms apiece at a
    million tasks) for a run of a few hundred ms, and the answer came ~20 % later than without
    it. Other databases have nothing to set."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")


def metrics_period(*, project) -> MetricsPeriod:
    """The period being asked for; outside a metrics request, the default window to now."""
    current = _current.get()
    if current is not None:
        return current.period
    return metrics_period_parse(window=None, bucket=None, start=project.created_at)


def metrics_memo(key: tuple, compute: Callable):
    """compute(), once per metrics request and key: sections that need the same aggregate
    (the status counts for queue and cost, say) run its query once. Keys name the project."""
    current = _current.get()
    if current is None:
        return compute()
    if key not in current.memo:
        current.memo[key] = compute()
    return current.memo[key]


def sample_size(n: int, of: str) -> dict:
    """{"n", "insufficient", "reason"} of a figure measured on `n` `of` (a plural noun)."""
    insufficient = n < MINIMUM_SAMPLE
    reason = f"{n} {of}; {MINIMUM_SAMPLE} needed" if insufficient else None
    return {"n": n, "insufficient": insufficient, "reason": reason}
