"""A project's figures for the people who run and check it: reviewers, managers and admins.

The sections come from the apps that own the data (platform_core.extensions): the annotator
app adds `quality`; the dashboard's throughput, cost and machine share join here later.
"""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectReviewer
from platform_core.extensions import metrics_sections
from platform_core.selectors import project_get_for_user


class ProjectMetricsOutputSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    quality = serializers.JSONField(
        required=False,
        help_text="Agreement on overlapped tasks, review acceptance and gold accuracy per "
        "annotator, and the measured precision of auto-accepted machine labels.",
    )


class ProjectMetricsApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(responses=ProjectMetricsOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        reject_unknown_query_params(request)
        return Response({"project": project.pk, **metrics_sections(project=project)})
