"""Dataset imports: store the upload, queue the job, answer 202 with where to poll it."""
from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import (
    ApiView,
    BoundedJSONParser,
    StrictInputSerializer,
    reject_unknown_query_params,
)
from platform_core.apis.jobs import JOB_FIELDS, JobOutputSerializer
from platform_core.apis.permissions import IsProjectManager
from platform_core.apis.scoping import import_job_get_for_user
from platform_core.imports.services import import_job_create
from platform_core.models import ImportJob
from platform_core.selectors import project_get_for_user

# Room for the multipart boundaries and part headers around the file itself.
MULTIPART_ENVELOPE_BYTES = 64 * 1024


class ImportFileInputSerializer(StrictInputSerializer):
    file = serializers.FileField(
        help_text="JSONL, JSON array, CSV, ZIP of media with optional manifest, Label Studio JSON."
    )
    dataset_name = serializers.CharField(required=False, allow_blank=True, max_length=255)


class ImportTasksInputSerializer(StrictInputSerializer):
    refused_fields = {"file": "Send files as multipart/form-data."}

    # Rows are checked by the worker, which reports each bad one with its row number.
    tasks = serializers.ListField(allow_empty=False, help_text="Task objects, as in a JSONL file.")
    dataset_name = serializers.CharField(required=False, allow_blank=True, max_length=255)


@extend_schema_field(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"row": {"type": "integer"}, "error": {"type": "string"}},
        },
    }
)
class RowErrorsField(serializers.JSONField):
    pass


class ImportJobOutputSerializer(JobOutputSerializer):
    detail_route = "api:import-detail"
    errors = RowErrorsField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            *JOB_FIELDS, "dataset", "source_name", "file_size", "total", "imported", "duplicates",
            "error_count", "errors",
        ]


class ProjectImportListApi(ApiView):
    """A project's imports; POST stores a file (or a list of tasks) and queues its import."""

    parser_classes = [BoundedJSONParser, MultiPartParser]
    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(responses=ImportJobOutputSerializer(many=True))
    def get(self, request, project_id: int):
        project = self._project(request, project_id)
        reject_unknown_query_params(request)
        return self.paginated_response(project.import_jobs.all(), ImportJobOutputSerializer)

    @extend_schema(
        request={
            "multipart/form-data": ImportFileInputSerializer,
            "application/json": ImportTasksInputSerializer,
        },
        responses={202: ImportJobOutputSerializer},
    )
    def post(self, request, project_id: int):
        project = self._project(request, project_id)
        _reject_oversized_body(request)
        if request.content_type.startswith("multipart/form-data"):
            serializer = ImportFileInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            source = {"upload": serializer.validated_data["file"]}
        else:
            serializer = ImportTasksInputSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            source = {"tasks": serializer.validated_data["tasks"]}
        job = import_job_create(
            project=project,
            user=request.user,
            dataset_name=serializer.validated_data.get("dataset_name", ""),
            **source,
        )
        output = ImportJobOutputSerializer(job, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)

    def _project(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        return project


class ImportJobDetailApi(ApiView):
    """Progress and per-row errors of one import."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(responses=ImportJobOutputSerializer)
    def get(self, request, import_id: int):
        job = import_job_get_for_user(user=request.user, job_id=import_id)
        self.check_object_permissions(request, job)
        return Response(ImportJobOutputSerializer(job, context={"request": request}).data)


def _reject_oversized_body(request) -> None:
    """Refuse before parsing: otherwise Django would first spool the whole upload to disk.

    The service checks the exact file size; this only stops bodies that cannot fit.
    """
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit + MULTIPART_ENVELOPE_BYTES:
        raise ValidationError({"file": [f"The upload is {length} bytes; the limit is {limit}."]})
