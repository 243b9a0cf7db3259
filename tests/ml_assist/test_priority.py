"""Active learning: uncertainty measures and the queue priority written per queue_order."""
import math

import numpy as np
import pytest
from django.db import connection

from annotator.services.queue import task_claim_next
from ml_assist import priority
from ml_assist.priority import (
    entropy_uncertainty,
    margin_uncertainty,
    priorities_apply,
    priorities_reset,
    random_priority,
    uncertainty_priority,
)
from platform_core.models import Role, Task, TaskStatus
from platform_core.models.projects import QueueOrder
from tests.factories import MembershipFactory, ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory


def _tasks(project, count):
    return Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{n}"}, checksum=f"{project.pk}-{n}")
        for n in range(count)
    )


def _priorities(project):
    return dict(Task.objects.filter(project=project).values_list("id", "priority"))


# -- measures ------------------------------------------------------------------------------------


def test_margin_is_one_for_a_coin_toss_and_zero_for_certainty():
    assert margin_uncertainty([[0.5, 0.5], [1.0, 0.0]]) == pytest.approx([1.0, 0.0])
    assert margin_uncertainty([[0.2, 0.7, 0.1], [0.4, 0.4, 0.2]]) == pytest.approx([0.5, 1.0])


def test_entropy_is_normalized_by_the_number_of_classes():
    assert entropy_uncertainty([[0.5, 0.5], [1.0, 0.0]]) == pytest.approx([1.0, 0.0], abs=1e-9)
    proba = np.array([[1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1]])
    expected = -(0.7 * math.log(0.7) + 0.2 * math.log(0.2) + 0.1 * math.log(0.1)) / math.log(3)
    assert entropy_uncertainty(proba) == pytest.approx([1.0, expected], abs=1e-9)


def test_uncertainty_falls_back_to_one_minus_confidence():
    assert uncertainty_priority(confidence=[0.9, 0.2]) == pytest.approx([0.1, 0.8])
    assert uncertainty_priority(proba=[[0.6, 0.4]], method="entropy")[0] > 0.9
    with pytest.raises(ValueError, match="unknown uncertainty method"):
        uncertainty_priority(proba=[[0.6, 0.4]], method="vibes")


def test_random_priority_is_stable_and_spread_over_the_unit_interval():
    values = [random_priority(task_id) for task_id in range(1, 2001)]
    assert values == [random_priority(task_id) for task_id in range(1, 2001)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55
    assert len(set(values)) == len(values)


# -- writing -------------------------------------------------------------------------------------


def test_uncertainty_order_writes_the_uncertainty_as_priority(db):
    project = ProjectFactory(queue_order=QueueOrder.UNCERTAINTY)
    a, b, c = _tasks(project, 3)
    stranger = TaskFactory(priority=0.0)
    uncertainties = {a.pk: 0.1, b.pk: 0.9, stranger.pk: 0.5}
    written = priorities_apply(project=project, uncertainties=uncertainties)
    assert written == 2
    assert _priorities(project) == {a.pk: 0.1, b.pk: 0.9, c.pk: 0.0}
    stranger.refresh_from_db()
    assert stranger.priority == 0.0  # another project's task is not written


def test_the_queue_serves_the_least_certain_task_first(db):
    project = ProjectFactory(queue_order=QueueOrder.UNCERTAINTY)
    sure, unsure, middling = _tasks(project, 3)
    uncertainties = {sure.pk: 0.05, unsure.pk: 0.97, middling.pk: 0.4}
    priorities_apply(project=project, uncertainties=uncertainties)
    user = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user
    assert task_claim_next(project=project, user=user).pk == unsure.pk


def test_random_order_writes_a_stable_shuffle(db):
    project = ProjectFactory(queue_order=QueueOrder.RANDOM)
    tasks = _tasks(project, 60)
    priorities_apply(project=project, uncertainties={t.pk: 0.5 for t in tasks})
    first = _priorities(project)
    assert first == {t.pk: random_priority(t.pk) for t in tasks}
    served = sorted(first, key=lambda task_id: (-first[task_id], task_id))
    assert served != sorted(first)  # not id order
    priorities_apply(project=project, uncertainties={t.pk: 0.1 for t in tasks})
    assert _priorities(project) == first


def test_sequential_order_puts_every_task_back_in_id_order(db):
    project = ProjectFactory(queue_order=QueueOrder.SEQUENTIAL)
    tasks = _tasks(project, 5)
    Task.objects.filter(project=project).update(priority=0.7)
    assert priorities_apply(project=project, uncertainties={t.pk: 0.9 for t in tasks[:3]}) == 3
    assert sorted(_priorities(project).values()) == [0.0, 0.0, 0.0, 0.7, 0.7]


def test_a_non_finite_uncertainty_is_refused(db):
    project = ProjectFactory(queue_order=QueueOrder.UNCERTAINTY)
    [task] = _tasks(project, 1)
    with pytest.raises(ValueError, match="must be finite"):
        priorities_apply(project=project, uncertainties={task.pk: float("nan")})


def test_many_tasks_are_written_in_a_few_statements(db, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(priority, "PG_BATCH", 500)
    project = ProjectFactory(queue_order=QueueOrder.UNCERTAINTY)
    tasks = _tasks(project, 1800)
    uncertainties = {t.pk: (n % 97) / 97 for n, t in enumerate(tasks)}
    batch = priority.PG_BATCH if connection.vendor == "postgresql" else priority.CASE_BATCH
    # One statement a batch, plus the savepoint in and out of the transaction.
    with django_assert_max_num_queries(math.ceil(1800 / batch) + 2):
        assert priorities_apply(project=project, uncertainties=uncertainties) == 1800
    assert _priorities(project) == pytest.approx(uncertainties)


def test_the_portable_case_statement_writes_the_same_values(db):
    project = ProjectFactory(queue_order=QueueOrder.UNCERTAINTY)
    a, b = _tasks(project, 2)
    stranger = TaskFactory()
    assert priority._write_case(project, [(a.pk, 0.25), (b.pk, 0.75), (stranger.pk, 0.5)]) == 2
    assert _priorities(project) == {a.pk: 0.25, b.pk: 0.75}


def test_reset_rederives_every_priority_after_the_order_changed(db):
    project = ProjectFactory(queue_order=QueueOrder.RANDOM)
    tasks = _tasks(project, 20)
    assert priorities_reset(project=project) == 20
    assert _priorities(project) == {t.pk: random_priority(t.pk) for t in tasks}
    project.queue_order = QueueOrder.SEQUENTIAL
    assert priorities_reset(project=project) == 20
    assert set(_priorities(project).values()) == {0.0}
    project.queue_order = QueueOrder.UNCERTAINTY
    sure, unsure, unknown = tasks[:3]
    PredictionFactory(task=sure, confidence=0.1, model_version="v1")
    PredictionFactory(task=sure, confidence=0.9, model_version="v2")  # the latest counts
    PredictionFactory(task=unsure, confidence=0.3)
    PredictionFactory(task=unknown, confidence=None)
    assert priorities_reset(project=project) == 20
    priorities = _priorities(project)
    assert priorities[sure.pk] == pytest.approx(0.1) and priorities[unsure.pk] == pytest.approx(0.7)
    assert priorities[unknown.pk] == 0.0 and priorities[tasks[3].pk] == 0.0


def test_reset_leaves_closed_tasks_alone(db):
    project = ProjectFactory(queue_order=QueueOrder.RANDOM)
    open_task, done = _tasks(project, 2)
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.SUBMITTED, priority=0.5)

    assert priorities_reset(project=project) == 1
    assert _priorities(project) == {open_task.pk: random_priority(open_task.pk), done.pk: 0.5}


def test_changing_the_queue_order_reorders_the_queue(
    db, member, api_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(queue_order=QueueOrder.SEQUENTIAL)
    tasks = _tasks(project, 30)
    client = api_client(member(Role.MANAGER, project.organization))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(
            f"/api/v1/projects/{project.pk}/", {"queue_order": "random"}, format="json"
        )

    assert response.status_code == 200, response.json()
    assert _priorities(project) == {t.pk: random_priority(t.pk) for t in tasks}


def test_saving_other_settings_leaves_the_priorities_alone(
    db, member, api_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(queue_order=QueueOrder.SEQUENTIAL)
    task = _tasks(project, 1)[0]
    Task.objects.filter(pk=task.pk).update(priority=0.25)  # a stale priority stays stale
    client = api_client(member(Role.MANAGER, project.organization))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        body = {"name": "Renamed", "queue_order": "sequential"}
        response = client.patch(f"/api/v1/projects/{project.pk}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert callbacks == [] and _priorities(project) == {task.pk: 0.25}
