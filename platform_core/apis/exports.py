"""A project's labeled data as a file, streamed while it is read (platform_core.exports).

Whoever may see a project's results may export them: its reviewers, managers and admins
(annotators get 403; another organization's project is a 404, as everywhere).
"""
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated

from platform_core.apis.common import ApiView, query_param, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectReviewer
from platform_core.exports import FORMATS, ExportOptions, project_export
from platform_core.selectors import project_get_for_user

EXPORT_PARAMS = ("format", "accepted", "annotations", "suggestions", "dataset")


class ProjectExportApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(
        parameters=[
            OpenApiParameter("format", str, enum=list(FORMATS), description=(
                "jsonl (default), csv and label-studio for every type; coco and yolo (ZIPs "
                "with the images) for image_boxes; conll (BIO) for text_spans.")),
            OpenApiParameter("accepted", str, enum=["only", "all"], description=(
                "only (default): tasks accepted or auto-accepted; all: every task.")),
            OpenApiParameter("annotations", bool, description=(
                "Add each annotation: annotator, result, lead_time_s, status (default false).")),
            OpenApiParameter("suggestions", bool, description=(
                "Add each suggestion: model_version, result, confidence (default false).")),
            OpenApiParameter("dataset", int, description="Only this dataset of the project."),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, as an attachment named project-<id>-<format>.<ext>.",
            )
        },
    )
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        reject_unknown_query_params(request, EXPORT_PARAMS)
        options = ExportOptions(
            format=query_param(request, "format", serializers.CharField()) or "jsonl",
            accepted_only=query_param(
                request, "accepted", serializers.ChoiceField(["only", "all"])
            ) != "all",
            dataset_id=query_param(request, "dataset", serializers.IntegerField(min_value=1)),
            annotations=bool(query_param(request, "annotations", serializers.BooleanField())),
            suggestions=bool(query_param(request, "suggestions", serializers.BooleanField())),
            media_base_url=request.build_absolute_uri("/").rstrip("/"),
        )
        export = project_export(project=project, options=options)
        response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
        response["Content-Disposition"] = content_disposition_header(True, export.filename)
        # Customer data: no shared cache keeps it; no proxy holds the stream back (nginx).
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Accel-Buffering"] = "no"
        return response
