"""Submitting an annotation for a held task; reading and editing one's own annotation."""
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from annotator.apis.common import conflicts_as_409
from annotator.apis.serializers import (
    CONFLICT_RESPONSE,
    AnnotationDetailOutputSerializer,
    AnnotationOutputSerializer,
    AnnotationSubmitInputSerializer,
    AnnotationUpdateInputSerializer,
)
from annotator.selectors import annotation_get_for_owner, annotation_get_for_reader
from annotator.services import annotation_submit, annotation_update
from platform_core.apis.common import ApiView


class TaskAnnotationCreateApi(ApiView):
    """Submit your result for the task you hold; 409 when the lock was lost or overlap is full."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=AnnotationSubmitInputSerializer,
        responses={201: AnnotationOutputSerializer, 409: CONFLICT_RESPONSE},
    )
    def post(self, request, task_id: int):
        serializer = AnnotationSubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with conflicts_as_409():
            annotation = annotation_submit(
                task_id=task_id,
                user=request.user,
                result=data["result"],
                lead_time_s=data["lead_time_s"],
                prediction_id=data.get("prediction"),
            )
        return Response(AnnotationOutputSerializer(annotation).data, status=status.HTTP_201_CREATED)


class AnnotationDetailApi(ApiView):
    """One annotation with its history. Its author edits it (PATCH) until it is reviewed;
    reviewers, managers and admins of the organization may read it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=AnnotationDetailOutputSerializer)
    def get(self, request, annotation_id: int):
        annotation = annotation_get_for_reader(user=request.user, annotation_id=annotation_id)
        return Response(AnnotationDetailOutputSerializer(annotation).data)

    @extend_schema(
        request=AnnotationUpdateInputSerializer,
        responses={200: AnnotationDetailOutputSerializer, 409: CONFLICT_RESPONSE},
    )
    def patch(self, request, annotation_id: int):
        annotation = annotation_get_for_owner(user=request.user, annotation_id=annotation_id)
        serializer = AnnotationUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with conflicts_as_409():
            annotation = annotation_update(
                annotation=annotation,
                user=request.user,
                result=serializer.validated_data["result"],
                lead_time_s=serializer.validated_data["lead_time_s"],
            )
        return Response(AnnotationDetailOutputSerializer(annotation).data)
