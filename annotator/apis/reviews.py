"""The review queue and verdicts: reviewers, managers and admins of the organization review;
annotators get 403, other organizations 404."""
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from annotator.apis.common import conflicts_as_409
from annotator.apis.review_serializers import (
    REVIEW_CONFLICT_RESPONSE,
    ReviewInputSerializer,
    ReviewItemOutputSerializer,
    ReviewProgressOutputSerializer,
    VerdictOutputSerializer,
)
from annotator.apis.serializers import EmptyInputSerializer, ReleaseInputSerializer
from annotator.review_selectors import (
    annotation_get_for_review,
    project_get_for_reviewer,
    review_item_get_for_user,
    review_item_subject,
    review_progress,
    task_get_for_review,
)
from annotator.services import (
    review_item_claim_next,
    review_item_for_verdict,
    review_item_release,
    review_record,
)
from platform_core.apis.common import ApiView, reject_unknown_query_params
from platform_core.apis.permissions import IsProjectReviewer


class IsReviewerByFetchedRole(IsProjectReviewer):
    # IsProjectReviewer, answered from the role review_selectors read with the project
    # (`caller_role`): asking the membership table again cost an ORM query (0.3 ms of CPU) per
    # next-review and verdict.

    def has_object_permission(self, request, view, obj):
        return obj.caller_role in self.roles


class NextReviewApi(ApiView):
    """Lease the caller's next item to review (200), or 204 when none is left for them.

    Items are submitted annotations (all, or the project's `annotation_review_rate` share),
    second-stage acceptances and spot-checks of auto-accepted machine labels, oldest first;
    never the caller's own work. Asking again while holding one returns it, lease renewed.
    """

    permission_classes = [IsAuthenticated, IsReviewerByFetchedRole]

    @extend_schema(request=None, responses={200: ReviewItemOutputSerializer, 204: None})
    def post(self, request, project_id: int):
        project = project_get_for_reviewer(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        item = review_item_claim_next(project=project, user=request.user)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        subject = {"item": item, **review_item_subject(item=item)}
        return Response(ReviewItemOutputSerializer(subject, context={"request": request}).data)


class _VerdictApi(ApiView):
    permission_classes = [IsAuthenticated, IsReviewerByFetchedRole]

    def _record(self, request, *, annotation=None, task=None):
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with conflicts_as_409(), transaction.atomic():
            item = review_item_for_verdict(user=request.user, annotation=annotation, task=task)
            review = review_record(
                item=item,
                reviewer=request.user,
                verdict=data["verdict"],
                result=data["result"],
                comment=data["comment"],
            )
        return Response(VerdictOutputSerializer(review).data, status=status.HTTP_201_CREATED)


class AnnotationReviewApi(_VerdictApi):
    """Accept, correct (with the corrected result) or reject (with a comment) an annotation
    waiting for review. Your own annotation is a 403."""

    @extend_schema(
        request=ReviewInputSerializer,
        responses={201: VerdictOutputSerializer, 409: REVIEW_CONFLICT_RESPONSE},
    )
    def post(self, request, annotation_id: int):
        annotation = annotation_get_for_review(user=request.user, annotation_id=annotation_id)
        self.check_object_permissions(request, annotation.task.project)
        return self._record(request, annotation=annotation)


class TaskSpotCheckApi(_VerdictApi):
    """The same verdicts on an auto-accepted machine label sampled for a spot-check: accept
    counts as the machine being right, correct and reject as wrong."""

    @extend_schema(
        request=ReviewInputSerializer,
        responses={201: VerdictOutputSerializer, 409: REVIEW_CONFLICT_RESPONSE},
    )
    def post(self, request, task_id: int):
        task = task_get_for_review(user=request.user, task_id=task_id)
        self.check_object_permissions(request, task.project)
        return self._record(request, task=task)


class ReviewItemReleaseApi(ApiView):
    """Give the item you hold back to the review queue (leaving the review page)."""

    permission_classes = [IsAuthenticated, IsProjectReviewer]

    @extend_schema(
        request=ReleaseInputSerializer, responses={204: None, 409: REVIEW_CONFLICT_RESPONSE}
    )
    def post(self, request, item_id: int):
        item = review_item_get_for_user(user=request.user, item_id=item_id)
        self.check_object_permissions(request, item.project)
        serializer = ReleaseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lease = serializer.validated_data.get("lock_expires_at")
        with conflicts_as_409():
            review_item_release(item_id=item.pk, user=request.user, lease=lease)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewProgressApi(ApiView):
    """The review page's progress line."""

    permission_classes = [IsAuthenticated, IsReviewerByFetchedRole]

    @extend_schema(responses=ReviewProgressOutputSerializer)
    def get(self, request, project_id: int):
        project = project_get_for_reviewer(user=request.user, project_id=project_id)
        self.check_object_permissions(request, project)
        reject_unknown_query_params(request)
        progress = review_progress(user=request.user, project=project)
        return Response(ReviewProgressOutputSerializer(progress).data)
