"""The annotator's queue: next task, skip, release, the progress line, gold accuracy."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from annotator.apis.common import conflicts_as_409
from annotator.apis.serializers import (
    CONFLICT_RESPONSE,
    EmptyInputSerializer,
    GoldAccuracyOutputSerializer,
    ProgressOutputSerializer,
    QueueTaskOutputSerializer,
    ReleaseInputSerializer,
    SkipInputSerializer,
)
from annotator.selectors import (
    gold_accuracy,
    queue_progress,
    review_note,
    suggestion_for_annotator,
)
from annotator.services import task_claim_next, task_release, task_skip
from platform_core.apis.common import ApiView, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectManager
from platform_core.selectors import project_get_for_user


class NextTaskApi(ApiView):
    """Lock the caller's next task and return it (200), or 204 when none is left for them.

    Asking again while holding a live lock returns the same task with the lease renewed.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: QueueTaskOutputSerializer, 204: None})
    def post(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        task = task_claim_next(project=project, user=request.user)
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        context = {
            "request": request,
            "suggestion": suggestion_for_annotator(task=task, project=project),
            "review_note": review_note(task=task),
        }
        return Response(QueueTaskOutputSerializer(task, context=context).data)


class TaskSkipApi(ApiView):
    """Give up the task you hold, with an optional reason; it is not served to you again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=SkipInputSerializer, responses={204: None, 409: CONFLICT_RESPONSE})
    def post(self, request, task_id: int):
        serializer = SkipInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        with conflicts_as_409():
            task_skip(task_id=task_id, user=request.user, reason=reason)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TaskReleaseApi(ApiView):
    """Give the task you hold back to the queue unlabelled; it may be served to you again."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ReleaseInputSerializer, responses={204: None, 409: CONFLICT_RESPONSE})
    def post(self, request, task_id: int):
        serializer = ReleaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lease = serializer.validated_data.get("lock_expires_at")
        with conflicts_as_409():
            task_release(task_id=task_id, user=request.user, lease=lease)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectProgressApi(ApiView):
    """The progress line of the labeling page: done today by you, left and total in the project."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProgressOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        reject_unknown_query_params(request)
        progress = queue_progress(user=request.user, project=project)
        return Response(ProgressOutputSerializer(progress).data)


class ProjectGoldAccuracyApi(ApiView):
    """Admins and managers: each annotator's answers on gold tasks and the share correct."""

    permission_classes = [IsAuthenticated, IsProjectManager]

    @extend_schema(responses=GoldAccuracyOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_user(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        reject_unknown_query_params(request)
        rows = gold_accuracy(project=project)
        return Response(GoldAccuracyOutputSerializer({"annotators": rows}).data)
