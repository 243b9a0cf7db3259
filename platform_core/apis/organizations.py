"""Organizations the caller belongs to and their projects' figures summed (members:
platform_core.apis.members)."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, StrictInputSerializer, reject_unknown_query_params
from platform_core.apis.metrics import PERIOD_PARAMETERS, metrics_period_from_request
from platform_core.apis.metrics_schema import MetricsPeriodSerializer, MetricsReviewPendingSerializer
from platform_core.metrics import MINIMUM_SAMPLE, MetricsPeriod, metrics_request
from platform_core.apis.permissions import IsProjectManager, IsSuperuserOrReadOnly
from platform_core.apis.scoping import organization_get_for_member, roles_by_organization
from platform_core.extensions import metrics_sections
from platform_core.models import Organization, TaskStatus
from platform_core.selectors import organizations_for_user
from platform_core.services.organizations import organization_create


class OrganizationInputSerializer(StrictInputSerializer):
    name = serializers.CharField(max_length=200)


class OrganizationOutputSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role here.")

    class Meta:
        model = Organization
        fields = ["id", "name", "created_at", "role"]

    def get_role(self, organization) -> str | None:
        return self.context["roles"].get(organization.pk)


class OrganizationListApi(ApiView):
    """Organizations the caller belongs to; platform administrators create them."""

    permission_classes = [IsAuthenticated, IsSuperuserOrReadOnly]

    @extend_schema(responses=OrganizationOutputSerializer(many=True))
    def get(self, request):
        reject_unknown_query_params(request)
        return self.paginated_response(
            organizations_for_user(user=request.user).order_by("name"),
            OrganizationOutputSerializer,
            roles=roles_by_organization(user=request.user),
        )

    @extend_schema(
        request=OrganizationInputSerializer, responses={201: OrganizationOutputSerializer}
    )
    def post(self, request):
        serializer = OrganizationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organization = organization_create(**serializer.validated_data)
        output = OrganizationOutputSerializer(
            organization, context={"roles": roles_by_organization(user=request.user)}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


# -- the organization's figures: its projects' throughput, queue and cost, summed --------------


class OrganizationProjectMetricsSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    name = serializers.CharField()
    submitted = serializers.IntegerField(help_text="Annotations submitted in the window.")
    accepted = serializers.IntegerField(help_text="Tasks accepted in the window.")
    remaining = serializers.IntegerField(help_text="Tasks neither accepted nor auto-accepted.")
    review_pending = serializers.IntegerField(help_text="Review items waiting.")
    active_hours = serializers.FloatField(help_text="Known active time in the window.")
    labor_cost = serializers.FloatField(allow_null=True, help_text="Null without a rate.")
    per_item = serializers.FloatField(allow_null=True, help_text="Cost per accepted item.")
    to_finish = serializers.FloatField(allow_null=True, help_text="Cost of what remains.")
    eta_date = serializers.DateField(allow_null=True, help_text="At the project's recent rate.")


class OrganizationThroughputSerializer(serializers.Serializer):
    submitted = serializers.ListField(
        child=serializers.IntegerField(), help_text="Per period bucket, all projects."
    )
    accepted = serializers.ListField(
        child=serializers.IntegerField(), help_text="Per period bucket, all projects."
    )
    total = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="submitted, accepted, submitted_per_hour, accepted_per_hour.",
    )


class OrganizationQueueSerializer(serializers.Serializer):
    by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text="Tasks per status, every status present."
    )
    total = serializers.IntegerField()
    remaining = serializers.IntegerField()
    review_pending = MetricsReviewPendingSerializer()


class OrganizationCostSerializer(serializers.Serializer):
    active_hours = serializers.FloatField(help_text="All projects' known active time.")
    labor_cost = serializers.FloatField(
        allow_null=True, help_text="Summed over projects with an hourly rate."
    )
    accepted = serializers.IntegerField(help_text="Tasks accepted in the window.")
    remaining = serializers.IntegerField()
    per_item = serializers.FloatField(
        allow_null=True,
        help_text="labor_cost / items accepted in the projects with an hourly rate.",
    )
    to_finish = serializers.FloatField(
        allow_null=True, help_text="Summed over the projects that have a figure."
    )
    projects_without_cost = serializers.IntegerField(
        help_text="Projects with work left but no cost to finish (no rate, nothing accepted)."
    )


class OrganizationMetricsOutputSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    minimum_sample = serializers.IntegerField()
    period = MetricsPeriodSerializer(
        help_text="`window=all` starts when the organization was made."
    )
    projects = OrganizationProjectMetricsSerializer(many=True)
    throughput = OrganizationThroughputSerializer()
    queue = OrganizationQueueSerializer()
    cost = OrganizationCostSerializer()


class OrganizationMetricsApi(ApiView):
    """Throughput, queue and cost of the organization's projects, each and summed."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(parameters=PERIOD_PARAMETERS, responses=OrganizationMetricsOutputSerializer)
    def get(self, request, organization_id: int):
        organization = organization_get_for_member(
            user=request.user, organization_id=organization_id
        )
        self.check_object_permissions(request, organization)
        period = metrics_period_from_request(request, start=organization.created_at)
        projects = organization.projects.filter(deleting=False).order_by("name", "id")
        # The sections summed, not the quality, machine or suggestion figures, which the sum
        # leaves out: a few aggregate queries a project instead of twenty.
        with metrics_request(period):
            figures = [
                (project, metrics_sections(project=project, only=SUMMED_SECTIONS))
                for project in projects
            ]
        return Response(organization_metrics_sum(organization, period, figures))


SUMMED_SECTIONS = ("throughput", "queue", "cost")


def organization_metrics_sum(organization, period: MetricsPeriod, figures: list) -> dict:
    """The projects' `throughput`, `queue` and `cost` sections (the annotator app's), summed."""
    width = len(period.bucket_starts())
    submitted, accepted = [0] * width, [0] * width
    by_status = {status: 0 for status in TaskStatus.values}
    review = {"total": 0, "annotation": 0, "spot_check": 0, "second_stage": 0}
    hours = labor = to_finish = 0.0
    priced = priced_accepted = without_cost = 0
    rows = []
    for project, sections in figures:
        throughput, queue, cost = (
            sections.get(name) or {} for name in SUMMED_SECTIONS
        )
        for totals, series in ((submitted, throughput.get("submitted")),
                               (accepted, throughput.get("accepted"))):
            for index, value in enumerate(series or ()):
                totals[index] += value
        for key, value in queue.get("by_status", {}).items():
            by_status[key] = by_status.get(key, 0) + value
        for key in review:
            review[key] += queue.get("review_pending", {}).get(key, 0)
        hours += cost.get("active_hours", 0.0)
        if cost.get("labor_cost") is not None:
            priced += 1
            labor += cost["labor_cost"]
            priced_accepted += cost["accepted"]
        finish = (cost.get("to_finish") or {}).get("value")
        if finish is not None:
            to_finish += finish
        elif queue.get("remaining"):
            without_cost += 1
        rows.append(
            {
                "project": project.pk,
                "name": project.name,
                "submitted": sum(throughput.get("submitted") or ()),
                "accepted": sum(throughput.get("accepted") or ()),
                "remaining": queue.get("remaining", 0),
                "review_pending": queue.get("review_pending", {}).get("total", 0),
                "active_hours": cost.get("active_hours", 0.0),
                "labor_cost": cost.get("labor_cost"),
                "per_item": (cost.get("per_item") or {}).get("value"),
                "to_finish": finish,
                "eta_date": (cost.get("eta") or {}).get("date"),
            }
        )
    total = sum(by_status.values())
    remaining = total - by_status[TaskStatus.ACCEPTED] - by_status[TaskStatus.AUTO_ACCEPTED]
    return {
        "organization": organization.pk,
        "minimum_sample": MINIMUM_SAMPLE,
        "period": period.as_dict(),
        "projects": rows,
        "throughput": {
            "submitted": submitted,
            "accepted": accepted,
            "total": {
                "submitted": sum(submitted),
                "accepted": sum(accepted),
                "submitted_per_hour": _per_hour(sum(submitted), period),
                "accepted_per_hour": _per_hour(sum(accepted), period),
            },
        },
        "queue": {
            "by_status": by_status,
            "total": total,
            "remaining": remaining,
            "review_pending": review,
        },
        "cost": {
            "active_hours": round(hours, 6),
            "labor_cost": round(labor, 2) if priced else None,
            "accepted": sum(accepted),
            "remaining": remaining,
            "per_item": round(labor / priced_accepted, 4) if priced_accepted else None,
            "to_finish": (
                round(to_finish, 2) if any(row["to_finish"] is not None for row in rows) else None
            ),
            "projects_without_cost": without_cost,
        },
    }


def _per_hour(count: int, period: MetricsPeriod) -> float | None:
    return round(count / period.hours, 6) if period.hours else None
