"""A project's figures for the people who run and check it: reviewers, managers and admins.

GET /api/v1/projects/{id}/metrics/?window=7d&bucket=day

- `window`: `<n>h`, `<n>d` or `all` (since the project was created); default `7d`.
- `bucket`: `hour` or `day` (UTC); default `day`. At most MAX_BUCKETS buckets: a longer
  window needs the larger bucket. Bad values, and any other parameter, are a 400.

The sections come from the apps that own the data (platform_core.extensions): the annotator
app adds `quality`, `throughput`, `annotators`, `suggestions`, `queue` and `cost`; ml_assist
adds `machine`. The registry hands a section only the project, so the window travels in a
context (platform_core.metrics: `metrics_request`, as `translation.override` carries a language), which also lets
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
serializers of platform_core.apis.metrics_schema, which are the schema the API docs show.
"""
from datetime import datetime

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, query_param, reject_unknown_query_params
from platform_core.apis.metrics_schema import ProjectMetricsOutputSerializer
from platform_core.apis.permissions import IsProjectReviewer
from platform_core.extensions import metrics_sections
from platform_core.metrics import (
    BUCKETS,
    MINIMUM_SAMPLE,
    MetricsPeriod,
    metrics_period_parse,
    metrics_request,
)
from platform_core.selectors import project_get_for_user

def metrics_period_from_request(request, *, start: datetime) -> MetricsPeriod:
    reject_unknown_query_params(request, allowed=("window", "bucket"))
    return metrics_period_parse(
        window=query_param(request, "window", serializers.CharField(max_length=16)),
        bucket=query_param(request, "bucket", serializers.CharField(max_length=8)),
        start=start,
    )


# -- the view ---------------------------------------------------------------------------------


PERIOD_PARAMETERS = [
    OpenApiParameter(
        "window", str, description="`<n>h`, `<n>d` or `all` (since creation); default 7d."
    ),
    OpenApiParameter("bucket", str, enum=list(BUCKETS), description="Series bucket; default day."),
]


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
