"""The quick start's demo: after seed_demo and seed_demo_labels, and the worker (eager here),
every demo project has prior accepted labels, an active model version and suggestions."""
import pytest
from django.core.management import call_command

from annotator.models import Annotation, AnnotationStatus, ReviewItem
from ml_assist.models import MlJob, MlJobKind, MlJobStatus, ModelVersion
from platform_core.demo.projects import DEMO_PROJECTS
from platform_core.models import Organization, Prediction, Project, Task, TaskStatus

SMALL = 40  # seed_demo --size small


@pytest.fixture
def seeded(db, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    with django_capture_on_commit_callbacks(execute=True):  # the imports run (eager)
        call_command("seed_demo", "--size", "small", verbosity=0)
    return Organization.objects.get(name="Demo")


def test_every_demo_project_shows_suggestions_made_from_its_demo_labels(
    seeded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_labels", verbosity=0)

    projects = Project.objects.filter(organization=seeded)
    assert projects.count() == len(DEMO_PROJECTS)
    for project in projects:
        annotations = Annotation.objects.filter(task__project=project)
        accepted = annotations.filter(status=AnnotationStatus.ACCEPTED)
        assert accepted.count() == round(0.4 * SMALL), project.task_type
        # A tenth more wait for a reviewer, so the review page has work from the start.
        waiting = annotations.filter(status=AnnotationStatus.SUBMITTED)
        assert waiting.count() == round(0.1 * SMALL), project.task_type
        assert ReviewItem.objects.filter(annotation__in=waiting).count() == waiting.count()
        assert project.tasks.filter(status=TaskStatus.ACCEPTED, accepted_result__isnull=False
                                     ).count() == accepted.count()
        assert set(annotations.values_list("annotator__username", flat=True)) == {"demo-annotator"}
        train = MlJob.objects.get(project=project, kind=MlJobKind.TRAIN)
        assert train.status == MlJobStatus.SUCCEEDED, (project.task_type, train.message)
        version = ModelVersion.objects.get(project=project, is_active=True)
        assert version.trained_on > 0 and version.metrics, (project.task_type, train.message)
        prelabel = MlJob.objects.get(project=project, kind=MlJobKind.PRELABEL)
        assert prelabel.status == MlJobStatus.SUCCEEDED, (project.task_type, prelabel.message)
        open_tasks = project.tasks.exclude(status=TaskStatus.ACCEPTED)
        suggested = Prediction.objects.filter(task__in=open_tasks, model_version=version.name)
        assert suggested.count() >= 0.8 * open_tasks.count(), (project.task_type, prelabel.message)


def test_the_labels_match_the_generated_answers(seeded, django_capture_on_commit_callbacks):
    from ml_assist.services.demo import demo_labels_record

    project = Project.objects.get(organization=seeded, task_type="text_classification")

    written = demo_labels_record(project=project)

    assert written == round(0.4 * SMALL) + round(0.1 * SMALL)
    from platform_core.demo import make_text_classification

    truth = {item.data["text"]: item.result for item in make_text_classification(SMALL, [0, 0])}
    for annotation in Annotation.objects.filter(task__project=project).select_related("task"):
        assert annotation.result == truth[annotation.task.data["text"]]
    # Accepted with a time, so the dashboard's throughput, machine share and ETA count them.
    accepted = Task.objects.filter(project=project, status="accepted")
    assert accepted.count() == round(0.4 * SMALL)
    assert not accepted.filter(accepted_at__isnull=True).exists()
    assert demo_labels_record(project=project) == 0  # a second run adds nothing


def test_the_command_needs_the_demo_organization(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_labels")
