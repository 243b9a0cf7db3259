"""A project's figures for the people who run and check it: reviewers, managers and admins.

GET /api/v1/projects/{id}/metrics/?window=7d&bucket=day

- `window`: `<n>h`, `<n>d` or `all` (since the project was created); default `7d`.
- `bucket`: `hour` or `day` (UTC); default `day`. At most MAX_BUCKETS buckets: a longer
  window needs the larger bucket. Bad values, and any other parameter, are a 400.

The sections come from the apps that own the data (platform_core.extensions): the annotator
app adds `quality`, `throughput`, `annotators`, `suggestions`, `queue` and `cost`; ml_assist
adds `machine`. The registry hands a section only the project, so the window travels in a
context (`metrics_request`, as `translation.override` carries a language), which also lets
sections share one aggregate instead of running it twice (`metrics_memo`).

Shape (every figure JSON-ready; times UTC ISO 8601; series are lists aligned with
`period.buckets`, oldest first, with zeros where nothing happened). A figure measured on a
sample carries `n`, and `insufficient: true` with a `reason` while n < `minimum_sample`: the
value is then indicative only and a page should say so rather than show it as a result.

{
  "project": 7,
  "minimum_sample": 30,
  "period": {"window": "7d", "bucket": "day", "since": "…", "until": "…", "hours": 168.0,
             "buckets": ["2026-12-01T00:00:00Z", …]},          # bucket starts
  "quality": {                                                    # all time (unchanged)
    "agreement": {"metric", "value", "tasks", "observed_agreement"?, "sampled"},
    "annotators": [{"annotator", "username", "review": {…}, "gold": {…} | null}],
    "review": {"first_stage": {…}, "second_stage": {…}},
    "auto_accept_precision": {"precision", "low", "high", "n"}},
  "throughput": {                                                 # over the window
    "submitted": [int], "accepted": [int],
    "total": {"submitted", "accepted", "submitted_per_hour", "accepted_per_hour"},
    "annotators": [{"annotator", "username", "submitted": [int], "accepted": [int],
                    "total": {"submitted", "accepted"}}]},
  "annotators": [{                                                # over the window
    "annotator", "username", "submitted", "timed", "active_hours", "accepted",
    "items_per_active_hour": {"value", "n", "insufficient", "reason"},
    "review": {"accepted", "corrected", "rejected", "reviewed", "acceptance_rate",
               "kept_rate", "n", "insufficient", "reason"},
    "gold": {"answered", "correct", "accuracy", "n", "insufficient", "reason"},
    "agreement": {"metric", "value", "tasks", "n", "insufficient", "reason"} | null}],
  "suggestions": {                                                # over the window
    "acceptance": {"value", "unchanged", "n", "insufficient", "reason"},
    "edit_size": {"metric", "value", "n", "insufficient", "reason"},
    "uplift": {"median_with_s", "median_without_s", "n_with", "n_without",
               "difference_s", "low_s", "high_s", "saving_share", "holdout_rate",
               "insufficient", "reason"}},
  "queue": {"by_status": {"new": int, …every task status}, "total", "remaining",
            "review_pending": {"total", "annotation", "spot_check", "second_stage"}},
  "cost": {"hourly_rate": float | null, "submitted", "timed", "active_hours",
           "labor_cost": float | null, "accepted", "remaining",
           "per_item": {"value", "n", "insufficient", "reason"},
           "to_finish": {"value", "reason"},
           "eta": {"days", "date", "accepted_per_day", "n", "insufficient", "reason"}},
  "machine": {                                                    # over the window
    "accepted", "auto_accepted", "accepted_unchanged", "machine",
    "share": {"value", "n", "insufficient", "reason"},
    "series": {"accepted": [int], "machine": [int], "share": [float | null]},
    "auto_accept_precision": {"precision", "low", "high", "n", "insufficient", "reason",
                              "target_precision", "meets_target"},
    "threshold": float | null}
}

GET /api/v1/organizations/{id}/metrics/ (platform_core.apis.organizations) sums the
projects' throughput, queue and cost over the same period. Every field is described by the
serializers below, which are the schema the API docs show.
"""
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, query_param, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectReviewer
from platform_core.extensions import metrics_sections
from platform_core.selectors import project_get_for_user

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


def metrics_period_from_request(request, *, start: datetime) -> MetricsPeriod:
    reject_unknown_query_params(request, allowed=("window", "bucket"))
    return metrics_period_parse(
        window=query_param(request, "window", serializers.CharField(max_length=16)),
        bucket=query_param(request, "bucket", serializers.CharField(max_length=8)),
        start=start,
    )


# -- the request the sections are computed for ------------------------------------------------


@dataclass
class MetricsRequest:
    period: MetricsPeriod
    memo: dict = field(default_factory=dict)


_current: ContextVar[MetricsRequest | None] = ContextVar("metrics_request", default=None)


@contextmanager
def metrics_request(period: MetricsPeriod):
    """Compute sections for `period` inside this block (see the module docstring)."""
    token = _current.set(MetricsRequest(period=period))
    try:
        yield
    finally:
        _current.reset(token)


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


# -- the view ---------------------------------------------------------------------------------


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "window", str, description="`<n>h`, `<n>d` or `all` (since creation); default 7d."
    ),
    OpenApiParameter("bucket", str, enum=list(BUCKETS), description="Series bucket; default day."),
]


class ProjectMetricsOutputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    quality = serializers.JSONField(
        required=False,
        help_text="Agreement on overlapped tasks, review acceptance and gold accuracy per "
        "annotator, and the measured precision of auto-accepted machine labels.",
    )


class ProjectMetricsApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=ProjectMetricsOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        period = metrics_period_from_request(request, start=project.created_at)
        with metrics_request(period):
            sections = metrics_sections(project=project)
        return Response(
            {
                "project": project.pk,
                "minimum_sample": MINIMUM_SAMPLE,
                "period": period.as_dict(),
                **sections,
            }
        )
