"""Label changes against stored results: refused with the counts of what uses them, or made as
an explicit rename whose job rewrites the stored results."""
import pytest

from platform_core.models import LabelRenameJob, Project, Role, TaskType
from platform_core.models.jobs import JobStatus
from platform_core.services.label_changes import LabelsInUse, label_rename_run
from platform_core.services.projects import project_labels_rename, project_update
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE_ONLY = {"labels": [{"value": "positive", "hotkey": "1", "color": "#2e7d32"}]}
RENAMED = {
    "labels": [
        {"value": "good", "hotkey": "1", "color": "#2e7d32"},
        {"value": "negative", "hotkey": "2", "color": "#c62828"},
    ]
}


def url(project):
    return f"/api/v1/projects/{project.id}/"


@pytest.fixture
def labeled(project):
    """Two annotations and a prediction say "positive"; one annotation says "negative"."""
    first, second = TaskFactory(project=project), TaskFactory(project=project)
    AnnotationFactory(task=first, result={"labels": ["positive"]})
    AnnotationFactory(task=second, result={"labels": ["positive"]})
    AnnotationFactory(task=second, result={"labels": ["negative"]})
    PredictionFactory(task=first, result={"labels": ["positive"]})
    return project


def test_dropping_a_label_that_annotations_use_is_refused_with_the_counts(
    labeled, member, api_client
):
    manager = member(Role.MANAGER, labeled.organization)

    response = api_client(manager).patch(url(labeled), {"label_config": POSITIVE_ONLY}, format="json")

    assert response.status_code == 409
    assert response.json()["affected"] == {"negative": {"annotations": 1}}
    assert "negative" in response.json()["detail"]
    labeled.refresh_from_db()
    assert [label["value"] for label in labeled.label_config["labels"]] == ["positive", "negative"]


def test_counts_name_every_store_that_uses_the_label(labeled):
    only_negative = {"labels": [{"value": "negative"}]}
    with pytest.raises(LabelsInUse) as refused:
        project_update(project=labeled, data={"label_config": only_negative})
    assert refused.value.usage == {"positive": {"annotations": 2, "predictions": 1}}


def test_dropping_an_unused_label_and_recolouring_the_others_is_allowed(project):
    config = {"labels": [{"value": "positive", "color": "#000000", "hotkey": "p"}]}
    AnnotationFactory(task=TaskFactory(project=project), result={"labels": ["positive"]})

    updated = project_update(project=project, data={"label_config": config})

    assert updated.label_config == config


def test_a_label_value_that_only_appears_in_free_text_does_not_count(member, api_client, org):
    project = ProjectFactory(organization=org, task_type=TaskType.AUDIO_TRANSCRIPTION)
    segment = {"start": 0.0, "end": 1.0, "text": 'he said "speaker B"', "label": "speaker A"}
    AnnotationFactory(task=TaskFactory(project=project), result={"segments": [segment]})
    manager = member(Role.ADMIN, org)

    response = api_client(manager).patch(
        url(project), {"label_config": {"labels": [{"value": "speaker A"}]}}, format="json"
    )

    assert response.status_code == 200, response.json()


def test_a_rename_saves_the_config_and_its_job_rewrites_every_stored_result(
    labeled, member, api_client, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "platform_core.services.label_changes.send_quietly", lambda task, *args: sent.append(args)
    )
    task = labeled.tasks.order_by("id").first()
    task.gold_result = {"labels": ["positive"]}
    task.save(update_fields=["gold_result"])
    manager = member(Role.MANAGER, labeled.organization)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(manager).patch(
            url(labeled),
            {"label_config": RENAMED, "label_renames": {"positive": "good"}},
            format="json",
        )

    assert response.status_code == 200, response.json()
    job = LabelRenameJob.objects.get(pk=response.json()["label_rename_job"]["id"])
    assert sent == [(job.pk,)]  # queued after commit
    label_rename_run(job_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.rewritten) == (JobStatus.SUCCEEDED, 4)  # 2 annotations, 1 prediction, 1 task
    from annotator.models import Annotation

    results = sorted(label for a in Annotation.objects.filter(task__project=labeled) for label in a.result["labels"])
    assert results == ["good", "good", "negative"]
    assert labeled.tasks.get(pk=task.pk).gold_result == {"labels": ["good"]}
    assert task.predictions.get().result == {"labels": ["good"]}
    polled = api_client(manager).get(f"/api/v1/label-renames/{job.pk}/")
    assert polled.json()["status"] == "succeeded" and polled.json()["rewritten"] == 4


def test_a_rerun_of_a_finished_rename_changes_nothing(labeled):
    labeled, job = project_labels_rename(
        project=labeled, data={"label_config": RENAMED}, renames={"positive": "good"}, user=None
    )
    first = label_rename_run(job_id=job.pk).rewritten
    # A redelivery after a worker died before it could mark the job finished.
    LabelRenameJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)

    again = label_rename_run(job_id=job.pk)

    assert first == 3  # two annotations and a prediction
    assert again.rewritten == first  # the rerun found nothing more to rewrite


def test_spans_boxes_and_speakers_are_renamed_inside_their_items(org):
    project = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS)
    span = {"start": 0, "end": 3, "label": "PER"}
    annotation = AnnotationFactory(task=TaskFactory(project=project), result={"spans": [span]})
    config = {"labels": [{"value": "PERSON", "hotkey": "p"}, {"value": "ORG"}]}

    _, job = project_labels_rename(
        project=project, data={"label_config": config}, renames={"PER": "PERSON"}, user=None
    )
    label_rename_run(job_id=job.pk)

    annotation.refresh_from_db()
    assert annotation.result == {"spans": [{"start": 0, "end": 3, "label": "PERSON"}]}


@pytest.mark.parametrize(
    "renames, message",
    [
        ({"positive": "negative"}, "already a label"),
        ({"missing": "good"}, "not one of the project's labels"),
        ({"positive": "elsewhere"}, "must be one of the new labels"),
    ],
)
def test_renames_that_would_merge_or_do_not_match_the_config_are_refused(
    labeled, member, api_client, renames, message
):
    manager = member(Role.MANAGER, labeled.organization)
    config = {"labels": [{"value": "negative"}, {"value": "good"}]}

    response = api_client(manager).patch(
        url(labeled), {"label_config": config, "label_renames": renames}, format="json"
    )

    assert response.status_code == 400
    assert message in str(response.json()["label_renames"])
    assert not LabelRenameJob.objects.exists()
    assert Project.objects.get(pk=labeled.pk).label_config == labeled.label_config


def test_a_rename_job_of_another_organization_is_not_found(labeled, member, api_client, other_org):
    _, job = project_labels_rename(
        project=labeled, data={"label_config": RENAMED}, renames={"positive": "good"}, user=None
    )
    outsider = member(Role.ADMIN, other_org)

    assert api_client(outsider).get(f"/api/v1/label-renames/{job.pk}/").status_code == 404


def test_labels_outside_ascii_are_counted_and_renamed_on_every_database(org):
    config = {"labels": [{"value": "生气"}, {"value": "平静"}]}
    project = ProjectFactory(organization=org, task_type=TaskType.AUDIO_CLASSIFICATION, label_config=config)
    annotation = AnnotationFactory(task=TaskFactory(project=project), result={"labels": ["生气"]})

    with pytest.raises(LabelsInUse) as refused:
        project_update(project=project, data={"label_config": {"labels": [{"value": "平静"}]}})
    assert refused.value.usage == {"生气": {"annotations": 1}}

    renamed = {"labels": [{"value": "愤怒"}, {"value": "平静"}]}
    _, job = project_labels_rename(project=project, data={"label_config": renamed}, renames={"生气": "愤怒"}, user=None)
    label_rename_run(job_id=job.pk)
    annotation.refresh_from_db()
    assert annotation.result == {"labels": ["愤怒"]}


def test_the_sweeper_resends_a_rename_whose_message_was_lost(labeled, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from platform_core.jobs import jobs_sweep

    _, job = project_labels_rename(
        project=labeled, data={"label_config": RENAMED}, renames={"positive": "good"}, user=None
    )
    long_ago = timezone.now() - timedelta(minutes=10)
    LabelRenameJob.objects.filter(pk=job.pk).update(created_at=long_ago, sent_at=long_ago)
    sent = []
    monkeypatch.setattr("platform_core.services.label_changes.send_quietly", lambda task, *args: sent.append(args))

    assert jobs_sweep()["resent"] >= 1
    assert (job.pk,) in sent


def test_labels_another_manager_added_and_annotators_used_meanwhile_are_checked_too(
    project, monkeypatch
):
    seen_by_the_first_manager = project.label_config
    with_neutral = {"labels": [*project.label_config["labels"], {"value": "neutral"}]}
    Project.objects.filter(pk=project.pk).update(label_config=with_neutral)
    AnnotationFactory(task=TaskFactory(project=project), result={"labels": ["neutral"]})
    # The first manager's check read the labels before the second manager's change committed.
    monkeypatch.setattr(
        "platform_core.services.projects._stored_label_config", lambda project: seen_by_the_first_manager
    )

    with pytest.raises(LabelsInUse) as refused:
        project_update(project=project, data={"label_config": seen_by_the_first_manager})

    assert refused.value.usage == {"neutral": {"annotations": 1}}
    assert Project.objects.get(pk=project.pk).label_config == with_neutral
