"""Exports written by the worker and kept for download, and the delivery of custom projects:
the final export with its checksum, then an admin's purge of the project's data, both in an
audit record that outlives the project (platform_core.services.deliveries).

Who: exports and their files, whoever may see the project's results (reviewers, managers,
admins); delivering, managers and admins; purging, admins only. Another organization's ids
are 404s, as everywhere.
"""
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, StrictInputSerializer, reject_unknown_query_params
from platform_core.apis.jobs import JOB_FIELDS, JobOutputSerializer
from platform_core.apis.permissions import IsOrganizationAdmin, IsProjectManager, IsProjectReviewer
from platform_core.apis.scoping import organization_get_for_member
from platform_core.exports import FORMATS, ExportOptions
from platform_core.models import ExportJob, ProjectDelivery
from platform_core.models.jobs import JobStatus
from platform_core.selectors import organizations_for_user, project_get_for_user
from platform_core.services.deliveries import delivery_purge, project_deliver
from platform_core.services.exports import export_job_create


class ExportJobOutputSerializer(JobOutputSerializer):
    detail_route = "api:export-detail"
    download_url = serializers.SerializerMethodField(
        help_text="The file, once the export succeeded; null before."
    )

    class Meta:
        model = ExportJob
        fields = [
            *JOB_FIELDS, "purpose", "format", "options", "total", "file_size", "checksum",
            "download_url",
        ]

    def get_download_url(self, job) -> str | None:
        if job.status != JobStatus.SUCCEEDED:
            return None
        return self.get_url(job) + "download/"


class ExportJobInputSerializer(StrictInputSerializer):
    format = serializers.ChoiceField(list(FORMATS), default="jsonl")
    accepted = serializers.ChoiceField(["only", "all"], default="only")
    annotations = serializers.BooleanField(default=False)
    suggestions = serializers.BooleanField(default=False)
    dataset = serializers.IntegerField(min_value=1, required=False)


class DeliveryInputSerializer(StrictInputSerializer):
    format = serializers.ChoiceField(list(FORMATS), default="jsonl")


class PurgeInputSerializer(StrictInputSerializer):
    confirm = serializers.CharField(help_text="The project's name, typed out.")


class DeliveryOutputSerializer(serializers.ModelSerializer):
    export = ExportJobOutputSerializer(source="export_job", read_only=True)

    class Meta:
        model = ProjectDelivery
        fields = [
            "id", "organization", "project", "project_name", "delivered_by_username", "created_at",
            "counts", "export", "purged_by_username", "purged_at", "purge",
        ]


def _project(view, request, project_id: int):
    project = project_get_for_user(user=request.user, project_id=project_id)
    view.check_object_permissions(request, project)
    return project


def deliveries_for_user(*, user):
    return ProjectDelivery.objects.filter(
        organization__in=organizations_for_user(user=user)
    ).select_related("export_job")


def _input(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _get(queryset, pk, message: str):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404(message)
    return found


class ProjectExportJobListApi(ApiView):
    """A project's kept exports; POST queues one on the worker (for exports too large to
    stream in one request, or to keep)."""

    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(responses=ExportJobOutputSerializer(many=True))
    def get(self, request, project_id: int):
        project = _project(self, request, project_id)
        reject_unknown_query_params(request)
        return self.paginated_response(project.export_jobs.all(), ExportJobOutputSerializer)

    @extend_schema(request=ExportJobInputSerializer, responses={202: ExportJobOutputSerializer})
    def post(self, request, project_id: int):
        project = _project(self, request, project_id)
        data = _input(ExportJobInputSerializer, request)
        options = ExportOptions(
            format=data["format"],
            accepted_only=data["accepted"] == "only",
            dataset_id=data.get("dataset"),
            annotations=data["annotations"],
            suggestions=data["suggestions"],
            media_base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        job = export_job_create(project=project, user=request.user, options=options)
        output = ExportJobOutputSerializer(job, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


class ExportJobDetailApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request, export_id: int):
        job = self._job(request, export_id)
        return Response(ExportJobOutputSerializer(job, context={"request": request}).data)

    def _job(self, request, export_id: int) -> ExportJob:
        jobs = ExportJob.objects.filter(organization__in=organizations_for_user(user=request.user))
        job = _get(jobs, export_id, "No such export.")
        self.check_object_permissions(request, job)
        return job


class ExportJobDownloadApi(ExportJobDetailApi):
    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    def get(self, request, export_id: int):
        job = self._job(request, export_id)
        if job.status != JobStatus.SUCCEEDED or not job.file:
            raise Http404("This export has no file (yet).")
        name = job.file.name.rsplit("/", 1)[-1]
        response = FileResponse(job.file.open("rb"), as_attachment=True, filename=name)
        response["Digest"] = f"sha-256={job.checksum}"  # hex, as recorded on the job
        response["Cache-Control"] = "private, no-store"
        return response


class ProjectDeliverApi(ApiView):
    """Deliver a custom project: queue its final export (accepted tasks with their
    annotations), kept with its checksum; 400 for a product dataset."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(request=DeliveryInputSerializer, responses={202: DeliveryOutputSerializer})
    def post(self, request, project_id: int):
        project = _project(self, request, project_id)
        data = _input(DeliveryInputSerializer, request)
        delivery = project_deliver(project=project, user=request.user, format=data["format"])
        output = DeliveryOutputSerializer(delivery, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


class OrganizationDeliveryListApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(responses=DeliveryOutputSerializer(many=True))
    def get(self, request, organization_id: int):
        organization = organization_get_for_member(user=request.user, organization_id=organization_id)
        self.check_object_permissions(request, organization)
        reject_unknown_query_params(request)
        deliveries = deliveries_for_user(user=request.user).filter(organization=organization)
        return self.paginated_response(deliveries, DeliveryOutputSerializer)


class DeliveryDetailApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(responses=DeliveryOutputSerializer)
    def get(self, request, delivery_id: int):
        delivery = _get(deliveries_for_user(user=request.user), delivery_id, "No such delivery.")
        self.check_object_permissions(request, delivery)
        return Response(DeliveryOutputSerializer(delivery, context={"request": request}).data)


class DeliveryPurgeApi(ApiView):
    """Purge the delivered project's tasks, annotations and media (admins; the project's name
    typed out as confirmation). The delivery file and this record remain."""

    permission_classes = [IsAuthenticated, IsOrganizationAdmin]

    @extend_schema(request=PurgeInputSerializer, responses={202: DeliveryOutputSerializer})
    def post(self, request, delivery_id: int):
        delivery = _get(deliveries_for_user(user=request.user), delivery_id, "No such delivery.")
        self.check_object_permissions(request, delivery)
        data = _input(PurgeInputSerializer, request)
        delivery = delivery_purge(delivery=delivery, user=request.user, confirm=data["confirm"])
        output = DeliveryOutputSerializer(delivery, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)
