"""The labeling calls render through PlainOutputSerializer; it must say what DRF would."""
import pytest
from django.test import RequestFactory
from rest_framework import serializers

from annotator.apis.serializers import (
    AnnotationOutputSerializer,
    QueueTaskOutputSerializer,
    SuggestionOutputSerializer,
)
from annotator.services import task_claim_next
from platform_core.apis.common import PlainOutputSerializer
from platform_core.models import Task
from tests.annotator.factories import AnnotationFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def drf_rendering(serializer, instance):
    return serializers.Serializer.to_representation(serializer, instance)


def test_the_queue_task_renders_as_drf_would_with_and_without_media(project, member):
    plain = TaskFactory(project=project, data={"text": "<b>x</b>"}, meta={"k": [1, 2]})
    PredictionFactory(task=plain, confidence=0.25, result={"labels": ["negative"]})
    with_media = TaskFactory(project=project, media="media/a.wav", duration_s=1.5, priority=-2)
    annotator = member()
    request = RequestFactory().post("/")

    for expected in (plain, with_media):
        task = task_claim_next(project=project, user=annotator)
        assert task.id == expected.id
        suggestion = task.latest_predictions[0] if task.latest_predictions else None
        serializer = QueueTaskOutputSerializer(
            task, context={"request": request, "suggestion": suggestion}
        )
        assert serializer.data == drf_rendering(serializer, task)
        Task.objects.filter(pk=task.id).update(annotation_count=project.overlap, locked_by=None)


def test_suggestions_and_annotations_render_as_drf_would():
    prediction = PredictionFactory(confidence=None)
    annotation = AnnotationFactory(prediction=prediction, changed_from_suggestion=False)

    serializers_ = (SuggestionOutputSerializer(prediction), AnnotationOutputSerializer(annotation))
    for serializer in serializers_:
        assert serializer.data == drf_rendering(serializer, serializer.instance)


def test_a_nested_serializer_cannot_render_plainly():
    class Nested(PlainOutputSerializer):
        suggestion = SuggestionOutputSerializer()

    with pytest.raises(TypeError, match="only simple fields"):
        Nested(object()).data
