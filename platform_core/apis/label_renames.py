"""Label renames (platform_core.services.label_changes) as jobs to poll."""
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from platform_core.apis.common import ApiView
from platform_core.apis.jobs import JOB_FIELDS, JobOutputSerializer
from platform_core.apis.permissions import IsProjectManagerOrReadOnly
from platform_core.apis.scoping import _get_or_404
from platform_core.models import LabelRenameJob
from platform_core.selectors import projects_for_user


class LabelRenameJobOutputSerializer(JobOutputSerializer):
    detail_route = "api:label-rename-detail"
    renames = serializers.DictField(child=serializers.CharField(), read_only=True)
    rewritten = serializers.IntegerField(read_only=True, help_text="Stored results rewritten.")

    class Meta:
        model = LabelRenameJob
        fields = [*JOB_FIELDS, "renames", "rewritten"]


class LabelRenameJobDetailApi(ApiView):
    """Status of one rename of a project's labels in its stored results."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(responses=LabelRenameJobOutputSerializer)
    def get(self, request, job_id: int):
        jobs = LabelRenameJob.objects.filter(project__in=projects_for_user(user=request.user))
        job = _get_or_404(jobs.select_related("project"), job_id, "No such rename.")
        self.check_object_permissions(request, job)
        return Response(LabelRenameJobOutputSerializer(job, context={"request": request}).data)

