"""Imports give their new tasks a priority under the project's queue order, batch by batch."""
import json

import pytest

from annotator.services.queue import task_claim_next
from ml_assist.models import MlJob, MlJobKind
from ml_assist.priority import random_priority
from ml_assist.services import ml_job_create, model_train
from platform_core.demo import make_text_classification
from platform_core.models import Role, Task
from platform_core.models.projects import QueueOrder
from tests.factories import MembershipFactory
from tests.ml_assist.conftest import accept, demo_project, load_tasks
from tests.platform_core.importing import jsonl, run_import


def _priorities(project):
    return dict(Task.objects.filter(project=project).values_list("id", "priority"))


def _served_rows(project, count):
    annotator = MembershipFactory(role=Role.ANNOTATOR, organization=project.organization).user
    rows = []
    for _ in range(count):
        task = task_claim_next(project=project, user=annotator)
        rows.append(task.data["row"])
        Task.objects.filter(pk=task.pk).update(status="submitted", locked_by=None, locked_until=None)
    return rows


def test_a_random_order_project_serves_its_import_shuffled(org):
    project = demo_project(org, queue_order=QueueOrder.RANDOM)
    job = run_import(project, "rows.jsonl", jsonl(*({"text": f"row {n}", "row": n} for n in range(40))))
    assert job.imported == 40
    assert _priorities(project) == {pk: random_priority(pk) for pk in _priorities(project)}
    served = _served_rows(project, 10)
    assert served != list(range(10))
    by_priority = sorted(Task.objects.filter(project=project), key=lambda t: -t.priority)
    assert served == [task.data["row"] for task in by_priority[:10]]


def test_every_batch_of_a_long_import_gets_its_priority(org, monkeypatch):
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", 7)
    project = demo_project(org, queue_order=QueueOrder.RANDOM)
    run_import(project, "rows.jsonl", jsonl(*({"text": f"row {n}"} for n in range(30))))
    priorities = _priorities(project)
    assert len(priorities) == 30
    assert priorities == {pk: random_priority(pk) for pk in priorities}


def test_a_sequential_project_keeps_file_order(org):
    project = demo_project(org, queue_order=QueueOrder.SEQUENTIAL)
    run_import(project, "rows.jsonl", jsonl(*({"text": f"row {n}", "row": n} for n in range(12))))
    assert set(_priorities(project).values()) == {0.0}
    assert _served_rows(project, 5) == [0, 1, 2, 3, 4]


def test_uncertainty_order_uses_imported_suggestions_and_shuffles_the_unjudged(org):
    project = demo_project(org, queue_order=QueueOrder.UNCERTAINTY)
    label = project.label_config["labels"][0]["value"]
    rows = [
        {
            "data": {"text": "judged"},
            "predictions": [{"score": 0.8, "result": [{"type": "choices", "value": {"choices": [label]}}]}],
        },
        *({"data": {"text": f"unjudged {n}"}} for n in range(5)),
    ]
    run_import(project, "export.json", json.dumps(rows))
    judged = Task.objects.get(project=project, data__text="judged")
    assert judged.priority == pytest.approx(0.2)
    unjudged = Task.objects.filter(project=project).exclude(pk=judged.pk)
    assert {t.priority for t in unjudged} == {random_priority(t.pk) for t in unjudged}
    assert not MlJob.objects.filter(project=project).exists()  # no model to ask yet


def test_an_import_under_uncertainty_with_an_active_model_queues_one_prelabel_pass(
    org, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", 5)
    project = demo_project(org, queue_order=QueueOrder.UNCERTAINTY)
    items = make_text_classification(120, 3)
    ids = load_tasks(project, [item.data for item in items])
    accept(ids, [item.result for item in items])
    train = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=train.pk)
    sent = []
    monkeypatch.setattr("ml_assist.services.jobs.send_quietly", lambda task, job_id: sent.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        run_import(project, "more.jsonl", jsonl(*({"text": f"new review {n}"} for n in range(17))))
    prelabels = MlJob.objects.filter(project=project, kind=MlJobKind.PRELABEL)
    # Four batches, one queued pass: it scans every open task when it starts.
    assert prelabels.count() == 1
    assert sent == [prelabels.get().pk]


def test_imported_tasks_hold_their_priority_when_their_batch_commits(org, monkeypatch):
    """Written in the row itself, not by an UPDATE after the batch: what the runner announces
    after each commit already has its priority."""
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", 4)
    project = demo_project(org, queue_order=QueueOrder.RANDOM)
    seen = []
    monkeypatch.setattr(
        "platform_core.imports.runner.tasks_imported",
        lambda *, project, tasks: seen.extend(tasks.values_list("id", "priority")),
    )
    run_import(project, "rows.jsonl", jsonl(*({"text": f"row {n}"} for n in range(10))))
    assert len(seen) == 10
    assert dict(seen) == {pk: random_priority(pk) for pk, _ in seen}


def test_a_random_order_import_keeps_file_order_in_its_ids_and_skips_repeats(org, monkeypatch):
    monkeypatch.setattr("platform_core.imports.writer.BATCH_SIZE", 3)
    project = demo_project(org, queue_order=QueueOrder.RANDOM)
    first = run_import(project, "a.jsonl", jsonl(*({"text": t} for t in "abacd")))
    # Rows the project holds send the second import the staged way: same priorities.
    second = run_import(project, "b.jsonl", jsonl(*({"text": t} for t in "xaey")))
    assert (first.imported, first.duplicates, second.imported, second.duplicates) == (4, 1, 3, 1)
    tasks = list(Task.objects.filter(project=project).order_by("id"))
    assert [t.data["text"] for t in tasks] == ["a", "b", "c", "d", "x", "e", "y"]
    assert {t.priority for t in tasks} == {random_priority(t.pk) for t in tasks}


def test_under_uncertainty_the_latest_stored_suggestion_with_a_confidence_sets_the_priority(org):
    project = demo_project(org, queue_order=QueueOrder.UNCERTAINTY)
    label = project.label_config["labels"][0]["value"]
    result = [{"type": "choices", "value": {"choices": [label]}}]

    def row(text, *predictions):
        return {"data": {"text": text}, "predictions": list(predictions)}

    rows = [
        # Two of one model version: the first is stored (ON CONFLICT keeps it), so its score.
        row("same version", {"model_version": "m1", "score": 0.9, "result": result},
            {"model_version": "m1", "score": 0.3, "result": result}),
        # The latest with a score wins; one without a score leaves it alone.
        row("two versions", {"model_version": "m1", "score": 0.9, "result": result},
            {"model_version": "m2", "score": 0.6, "result": result},
            {"model_version": "m3", "result": result}),
        row("no score", {"model_version": "m1", "result": result}),
    ]
    run_import(project, "export.json", json.dumps(rows))
    priority = dict(Task.objects.filter(project=project).values_list("data__text", "priority"))
    no_score = Task.objects.get(project=project, data__text="no score")
    assert priority["same version"] == pytest.approx(0.1)
    assert priority["two versions"] == pytest.approx(0.4)
    assert priority["no score"] == random_priority(no_score.pk)


def test_a_redelivered_random_order_import_gives_its_new_rows_their_priority(org, monkeypatch):
    from ml_assist.priority import new_task_priority
    from platform_core.imports.runner import import_run
    from platform_core.imports.services import import_job_create
    from platform_core.models import ImportJob
    from django.core.files.base import ContentFile

    project = demo_project(org, queue_order=QueueOrder.RANDOM)
    job = import_job_create(
        project=project, user=None, enqueue=False,
        upload=ContentFile(jsonl(*({"text": f"row {n}"} for n in range(6))).encode(), name="r.jsonl"),
    )
    # A first attempt died after writing two rows.
    load_tasks(project, [{"text": "row 0"}, {"text": "row 1"}])
    Task.objects.filter(project=project).update(dataset=job.dataset)
    ImportJob.objects.filter(pk=job.pk).update(attempts=1)
    assert new_task_priority(project=project) is not None
    job = import_run(job_id=job.pk)
    assert (job.imported, job.duplicates) == (6, 0)
    fresh = Task.objects.filter(project=project).exclude(data__text__in=["row 0", "row 1"])
    assert fresh.count() == 4
    assert {t.priority for t in fresh} == {random_priority(t.pk) for t in fresh}
