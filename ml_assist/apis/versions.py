"""A project's model versions with their measured quality, and what confidence routing does."""
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ml_assist.apis.serializers import ProjectModelsOutputSerializer
from ml_assist.selectors import models_overview
from platform_core.apis.common import ApiView, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectManagerOrReadOnly
from platform_core.selectors import project_get_for_user


class ProjectModelsApi(ApiView):
    """Versions newest first (metrics on held-out accepted labels, the active one flagged), the
    auto-accept threshold and the precision measured on the reviewed sample, with its interval."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(responses=ProjectModelsOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        reject_unknown_query_params(request)
        return Response(ProjectModelsOutputSerializer(models_overview(project=project)).data)
