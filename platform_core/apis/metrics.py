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
from platform_core.models import TaskStatus
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


def sample_size(n: int, of: str) -> dict:
    """{"n", "insufficient", "reason"} of a figure measured on `n` `of` (a plural noun)."""
    insufficient = n < MINIMUM_SAMPLE
    reason = f"{n} {of}; {MINIMUM_SAMPLE} needed" if insufficient else None
    return {"n": n, "insufficient": insufficient, "reason": reason}


# -- the view ---------------------------------------------------------------------------------


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "window", str, description="`<n>h`, `<n>d` or `all` (since creation); default 7d."
    ),
    OpenApiParameter("bucket", str, enum=list(BUCKETS), description="Series bucket; default day."),
]


# -- the schema: every field of the answer, as the API docs show it ----------------------------
# Schema only: the view returns the sections as computed (rendering thousands of series
# numbers through serializer fields costs more than computing them). A test checks that the
# answer and these declarations name the same keys.


def _int(text: str, **kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(help_text=text, **kwargs)


def _float(text: str, **kwargs) -> serializers.FloatField:
    return serializers.FloatField(help_text=text, **kwargs)


def _series(child: serializers.Field, text: str) -> serializers.ListField:
    return serializers.ListField(child=child, help_text=f"{text} One value per period bucket.")


class MetricsSampleSerializer(serializers.Serializer):
    n = _int("How many items the figure is measured on.")
    insufficient = serializers.BooleanField(
        help_text=f"True while n < {MINIMUM_SAMPLE}: the value is indicative only."
    )
    reason = serializers.CharField(
        allow_null=True, help_text="Why the value is missing or insufficient; null when neither."
    )


class MetricsSampledValueSerializer(MetricsSampleSerializer):
    value = _float("The figure; null when it cannot be computed.", allow_null=True)


class MetricsPeriodSerializer(serializers.Serializer):
    window = serializers.CharField(help_text="As asked: `<n>h`, `<n>d` or `all`.")
    bucket = serializers.ChoiceField(choices=list(BUCKETS), help_text="Series bucket (UTC).")
    since = serializers.DateTimeField(help_text="Start of the window.")
    until = serializers.DateTimeField(help_text="End of the window: the time of the answer.")
    hours = _float("Length of the window in hours.")
    buckets = serializers.ListField(
        child=serializers.DateTimeField(), help_text="Start of each bucket, oldest first."
    )


class MetricsAgreementSerializer(serializers.Serializer):
    metric = serializers.CharField(
        help_text="cohen_kappa, krippendorff_alpha, span_f1, box_f1, wer or "
        "preference_agreement, by task type."
    )
    value = _float("The agreement; null with too few tasks.", allow_null=True)
    tasks = _int("Overlapped tasks compared.")
    observed_agreement = _float(
        "Share of agreeing pairs (label types only).", required=False, allow_null=True
    )
    sampled = serializers.BooleanField(help_text="True when only the latest tasks were read.")


class MetricsReviewCountsSerializer(serializers.Serializer):
    accepted = _int("Accepted as submitted.")
    corrected = _int("Accepted after a correction.")
    rejected = _int("Sent back to labeling.")
    reviewed = _int("All verdicts.")
    acceptance_rate = _float("accepted / reviewed.", allow_null=True)
    kept_rate = _float("(accepted + corrected) / reviewed.", allow_null=True)


class MetricsGoldCountsSerializer(serializers.Serializer):
    answered = _int("Gold tasks answered (and judged).")
    correct = _int("Answered as the known answer.")
    accuracy = _float("correct / answered.", allow_null=True)


class MetricsQualityAnnotatorSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    review = MetricsReviewCountsSerializer(help_text="First-stage verdicts on their annotations.")
    gold = MetricsGoldCountsSerializer(allow_null=True)


class MetricsQualityReviewSerializer(serializers.Serializer):
    first_stage = MetricsReviewCountsSerializer()
    second_stage = MetricsReviewCountsSerializer()


class MetricsPrecisionSerializer(serializers.Serializer):
    precision = _float("Spot-checked machine labels accepted unchanged / spot-checked.",
                       allow_null=True)
    low = _float("Lower end of the 95% Wilson interval.")
    high = _float("Upper end of the 95% Wilson interval.")
    n = _int("Spot-checks.")


class MetricsQualitySerializer(serializers.Serializer):
    agreement = MetricsAgreementSerializer(help_text="Between annotators on overlapped tasks.")
    annotators = MetricsQualityAnnotatorSerializer(many=True, help_text="All time, per annotator.")
    review = MetricsQualityReviewSerializer(
        help_text="Verdicts on people's annotations, all time."
    )
    auto_accept_precision = MetricsPrecisionSerializer(help_text="On every spot-check, all time.")


class MetricsThroughputTotalSerializer(serializers.Serializer):
    submitted = _int("Annotations submitted in the window.")
    accepted = _int("Tasks accepted (by a reviewer or the machine) in the window, by when.")
    submitted_per_hour = _float("submitted / window hours.", allow_null=True)
    accepted_per_hour = _float("accepted / window hours.", allow_null=True)


class MetricsAnnotatorTotalSerializer(serializers.Serializer):
    submitted = _int("Their annotations submitted in the window.")
    accepted = _int(
        "Their annotations a reviewer accepted or corrected in the window (first stage)."
    )


class MetricsAnnotatorSeriesSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    submitted = _series(serializers.IntegerField(), "Their annotations submitted.")
    accepted = _series(
        serializers.IntegerField(), "Their annotations accepted or corrected by a reviewer."
    )
    total = MetricsAnnotatorTotalSerializer()


class MetricsThroughputSerializer(serializers.Serializer):
    submitted = _series(serializers.IntegerField(), "Annotations submitted.")
    accepted = _series(serializers.IntegerField(), "Tasks that became accepted.")
    total = MetricsThroughputTotalSerializer()
    annotators = MetricsAnnotatorSeriesSerializer(
        many=True, help_text="Everyone active in the window."
    )


class MetricsAnnotatorReviewSerializer(MetricsReviewCountsSerializer, MetricsSampleSerializer):
    pass


class MetricsAnnotatorGoldSerializer(MetricsGoldCountsSerializer, MetricsSampleSerializer):
    pass


class MetricsAnnotatorAgreementSerializer(MetricsSampleSerializer):
    metric = serializers.CharField(help_text="As quality.agreement.metric.")
    value = _float("Agreement on the overlapped tasks they labeled (quality's sample, all "
                   "time).", allow_null=True)
    tasks = _int("Those tasks.")


class MetricsAnnotatorRowSerializer(serializers.Serializer):
    annotator = _int("User id.")
    username = serializers.CharField()
    submitted = _int("Annotations submitted in the window (later rejected ones included).")
    timed = _int("Of which with a known active time.")
    active_hours = _float("Their known active time, in hours.")
    accepted = _int(
        "Their annotations a reviewer accepted or corrected in the window (first stage)."
    )
    items_per_active_hour = MetricsSampledValueSerializer(help_text="timed / active_hours.")
    review = MetricsAnnotatorReviewSerializer(
        help_text="First-stage verdicts given in the window."
    )
    gold = MetricsAnnotatorGoldSerializer(help_text="Gold answers submitted in the window.")
    agreement = MetricsAnnotatorAgreementSerializer(
        allow_null=True, help_text="Null when they labeled no overlapped task of the sample."
    )


class MetricsAcceptanceSerializer(MetricsSampledValueSerializer):
    unchanged = _int("Annotations submitted exactly as suggested.")


class MetricsEditSizeSerializer(MetricsSampledValueSerializer):
    metric = serializers.CharField(
        help_text="labels_changed, span_f1, box_iou, cer or choice_flipped, by task type "
        "(annotator.quality.edit_figure)."
    )


class MetricsUpliftSerializer(serializers.Serializer):
    median_with_s = _float("Median active seconds with a suggestion.", allow_null=True)
    median_without_s = _float("Median active seconds on held-out tasks.", allow_null=True)
    n_with = _int("Timed annotations with a suggestion (the latest 5,000 at most).")
    n_without = _int("Timed annotations of held-out tasks (the latest 5,000 at most).")
    difference_s = _float("median_with_s - median_without_s; negative = time saved.",
                          allow_null=True)
    low_s = _float("Lower end of the difference's 95% interval.", allow_null=True)
    high_s = _float("Upper end of the difference's 95% interval.", allow_null=True)
    saving_share = _float("-difference / median_without_s.", allow_null=True)
    holdout_rate = _float("The project's suggestion_holdout_rate.")
    insufficient = serializers.BooleanField(
        help_text=f"True when either group has fewer than {MINIMUM_SAMPLE}."
    )
    reason = serializers.CharField(allow_null=True)


class MetricsSuggestionsSerializer(serializers.Serializer):
    acceptance = MetricsAcceptanceSerializer(
        help_text="Share of annotations made from a suggestion submitted unchanged."
    )
    edit_size = MetricsEditSizeSerializer(
        help_text="Mean stored edit figure of spot-checked machine labels kept or corrected."
    )
    uplift = MetricsUpliftSerializer(help_text="Active time with a suggestion vs. without.")


MetricsByStatusSerializer = type(
    "MetricsByStatusSerializer",
    (serializers.Serializer,),
    {status: _int(f"Tasks {label.lower()}.") for status, label in TaskStatus.choices},
)


class MetricsReviewPendingSerializer(serializers.Serializer):
    total = _int("Items waiting for a reviewer.")
    annotation = _int("First-stage reviews of annotations.")
    spot_check = _int("Spot-checks of auto-accepted machine labels.")
    second_stage = _int("Second-stage reviews.")


class MetricsQueueSerializer(serializers.Serializer):
    by_status = MetricsByStatusSerializer(help_text="Tasks by status now, every status present.")
    total = _int("All tasks.")
    remaining = _int("Tasks neither accepted nor auto-accepted.")
    review_pending = MetricsReviewPendingSerializer()


class MetricsToFinishSerializer(serializers.Serializer):
    value = _float("remaining x per_item.", allow_null=True)
    reason = serializers.CharField(allow_null=True)


class MetricsEtaSerializer(MetricsSampleSerializer):
    days = _float("remaining / accepted_per_day.", allow_null=True)
    date = serializers.DateField(allow_null=True, help_text="until + days.")
    accepted_per_day = _float("Accepted in the window / window days.")


class MetricsCostSerializer(serializers.Serializer):
    hourly_rate = _float("The project's rate; null when not set.", allow_null=True)
    submitted = _int("Annotations submitted in the window.")
    timed = _int("Of which with a known active time (the others add no hours).")
    active_hours = _float("Known active time in the window, in hours.")
    labor_cost = _float("hourly_rate x active_hours.", allow_null=True)
    accepted = _int("Tasks accepted in the window (the machine's too).")
    remaining = _int("Tasks neither accepted nor auto-accepted.")
    per_item = MetricsSampledValueSerializer(help_text="labor_cost / accepted.")
    to_finish = MetricsToFinishSerializer()
    eta = MetricsEtaSerializer(help_text="When the remaining tasks are done at the window's rate.")


class MetricsMachineSeriesSerializer(serializers.Serializer):
    accepted = _series(serializers.IntegerField(), "Tasks accepted.")
    machine = _series(serializers.IntegerField(), "Of which the machine's labels.")
    share = _series(serializers.FloatField(allow_null=True), "machine / accepted.")


class MetricsMachinePrecisionSerializer(MetricsPrecisionSerializer, MetricsSampleSerializer):
    target_precision = _float("The project's target.")
    meets_target = serializers.BooleanField(
        allow_null=True, help_text="low >= target; null while insufficient."
    )


class MetricsMachineSerializer(serializers.Serializer):
    accepted = _int("Tasks accepted in the window.")
    auto_accepted = _int("Auto-accepted, or confirmed unchanged by a spot-check.")
    accepted_unchanged = _int("Accepted from an annotation that kept the suggestion.")
    machine = _int("auto_accepted + accepted_unchanged.")
    share = MetricsSampledValueSerializer(help_text="machine / accepted.")
    series = MetricsMachineSeriesSerializer()
    auto_accept_precision = MetricsMachinePrecisionSerializer(
        help_text="quality.auto_accept_precision against the project's target."
    )
    threshold = _float("Current auto_accept_threshold; null when routing is off.",
                       allow_null=True)


class ProjectMetricsOutputSerializer(serializers.Serializer):
    project = _int("Project id.")
    minimum_sample = _int("Below this n a figure is flagged insufficient.")
    period = MetricsPeriodSerializer()
    quality = MetricsQualitySerializer(required=False)
    throughput = MetricsThroughputSerializer(required=False, help_text="Over the window.")
    annotators = MetricsAnnotatorRowSerializer(
        many=True, required=False, help_text="Over the window."
    )
    suggestions = MetricsSuggestionsSerializer(required=False, help_text="Over the window.")
    queue = MetricsQueueSerializer(required=False, help_text="Now.")
    cost = MetricsCostSerializer(required=False, help_text="Over the window; remaining now.")
    machine = MetricsMachineSerializer(required=False, help_text="Over the window.")


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
