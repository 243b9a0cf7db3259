import factory

from platform_core.models import Dataset, ImportJob, Prediction, Task
from tests.factories import ProjectFactory


class DatasetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dataset

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Dataset {n}")
    source = "api"


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    project = factory.SubFactory(ProjectFactory)
    data = factory.Sequence(lambda n: {"text": f"item {n}"})
    checksum = factory.Sequence(lambda n: f"{n:064x}")


class PredictionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Prediction

    task = factory.SubFactory(TaskFactory)
    model_version = factory.Sequence(lambda n: f"model-{n}")
    result = {"labels": ["positive"]}
    confidence = 0.9


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    project = factory.SubFactory(ProjectFactory)
    source_name = "rows.jsonl"
    file = factory.django.FileField(filename="rows.jsonl", data=b'{"text": "a"}\n')
    file_size = 14
