import factory

from annotator.models import Annotation, TaskSkip
from tests.factories import UserFactory
from tests.platform_core.factories import TaskFactory


class AnnotationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Annotation

    task = factory.SubFactory(TaskFactory)
    annotator = factory.SubFactory(UserFactory)
    result = {"labels": ["positive"]}
    lead_time_s = 3.0


class TaskSkipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaskSkip

    task = factory.SubFactory(TaskFactory)
    user = factory.SubFactory(UserFactory)
    reason = "unclear"
