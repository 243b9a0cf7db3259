"""Pre-labeling and training jobs: queue one (202 with where to poll it), poll it."""
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ml_assist.apis.serializers import MlJobOutputSerializer, PrelabelInputSerializer, TrainInputSerializer
from ml_assist.models import MlJobKind
from ml_assist.selectors import ml_job_get_for_user
from ml_assist.services import TrainingAlreadyRunning, ml_job_create
from platform_core.apis.common import ApiView
from platform_core.apis.permissions import IsProjectManager, IsProjectManagerOrReadOnly
from platform_core.selectors import project_get_for_user

conflict_response = inline_serializer(
    "TrainingConflict",
    fields={"detail": serializers.CharField(), "job": serializers.IntegerField(allow_null=True)},
)


class TrainingConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "training_running"

    def __init__(self, error: TrainingAlreadyRunning):
        super().__init__()
        # A plain dict: `job` must stay a number in the JSON.
        self.detail = {"detail": str(error), "job": error.job.pk if error.job else None}


class ProjectJobApi(ApiView):
    permission_classes = [IsAuthenticated, IsProjectManager]
    kind = ""
    input_serializer = TrainInputSerializer

    def post(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            job = ml_job_create(
                project=project, kind=self.kind, user=request.user, params=serializer.validated_data
            )
        except TrainingAlreadyRunning as error:
            raise TrainingConflict(error) from None
        output = MlJobOutputSerializer(job, context={"request": request})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)


class ProjectPrelabelApi(ProjectJobApi):
    """Queue a pre-labeling pass over the project's open tasks (or the given ones)."""

    kind = MlJobKind.PRELABEL
    input_serializer = PrelabelInputSerializer

    @extend_schema(request=PrelabelInputSerializer, responses={202: MlJobOutputSerializer})
    def post(self, request, project_id: int):
        return super().post(request, project_id)


class ProjectTrainApi(ProjectJobApi):
    """Queue training on the project's accepted labels; 409 while one is queued or running."""

    kind = MlJobKind.TRAIN

    @extend_schema(request=None, responses={202: MlJobOutputSerializer, 409: conflict_response})
    def post(self, request, project_id: int):
        return super().post(request, project_id)


class MlJobDetailApi(ApiView):
    """Status and progress of one pre-labeling or training job."""

    permission_classes = [IsAuthenticated, IsProjectManagerOrReadOnly]

    @extend_schema(responses=MlJobOutputSerializer)
    def get(self, request, job_id: int):
        job = ml_job_get_for_user(user=request.user, job_id=job_id)
        self.check_object_permissions(request, job)
        return Response(MlJobOutputSerializer(job, context={"request": request}).data)
