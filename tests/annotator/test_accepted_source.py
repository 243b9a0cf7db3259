"""A task that becomes accepted records where its label came from (Task.accepted_source),
which the machine's share counts: the machine's label a spot-check kept, a suggestion the
annotator kept and no reviewer corrected, or (None) a label a person made or changed."""
import pytest

from platform_core.models import AcceptedSource, Role, Task, TaskStatus
from tests.annotator.test_reviews_api import NEGATIVE, POSITIVE, label, next_review, verdict
from tests.factories import ProjectFactory
from tests.ml_assist.test_spot_check_reviews import auto_accepted, spot_check
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def accepted_source(project, annotator, client, *, shown: bool, answer: dict, **body):
    """Label a new task (with the suggestion POSITIVE on screen when `shown`), give the
    verdict `body`, and return the accepted task's source."""
    task = TaskFactory(project=project)
    suggestion = PredictionFactory(task=task, result=POSITIVE) if shown else None
    label(project, annotator, answer, prediction=suggestion)
    response = verdict(client, next_review(client, project).json()["verdict_url"], **body)
    assert response.status_code == 201, response.json()
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED
    return task.accepted_source


def test_only_a_kept_suggestion_accepted_as_it_is_counts_as_the_suggestions(
    project, annotator, reviewer, api_client
):
    client = api_client(reviewer)
    kept = accepted_source(project, annotator, client, shown=True, answer=POSITIVE,
                           verdict="accept")
    corrected = accepted_source(project, annotator, client, shown=True, answer=POSITIVE,
                                verdict="correct", result=NEGATIVE)
    changed = accepted_source(project, annotator, client, shown=True, answer=NEGATIVE,
                              verdict="accept")
    unaided = accepted_source(project, annotator, client, shown=False, answer=POSITIVE,
                              verdict="accept")

    assert kept == AcceptedSource.SUGGESTION
    assert (corrected, changed, unaided) == (None, None, None)


def test_a_second_stage_correction_takes_the_suggestion_away(
    member, api_client, annotator, reviewer
):
    org = reviewer.memberships.get().organization
    project = ProjectFactory(organization=org, second_review_rate=1.0)
    second = api_client(member(Role.REVIEWER, org))
    task = TaskFactory(project=project)
    label(project, annotator, POSITIVE, prediction=PredictionFactory(task=task, result=POSITIVE))
    first = api_client(reviewer)
    assert verdict(first, next_review(first, project).json()["verdict_url"],
                   verdict="accept").json()["task_status"] == TaskStatus.SUBMITTED

    verdict(second, next_review(second, project).json()["verdict_url"], verdict="correct",
            result=NEGATIVE)

    task.refresh_from_db()
    assert (task.status, task.accepted_source) == (TaskStatus.ACCEPTED, None)


def test_a_spot_check_that_keeps_the_machine_label_counts_as_the_machines(
    org, member, api_client, django_capture_on_commit_callbacks
):
    project = ProjectFactory(organization=org, auto_accept_threshold=0.9,
                             review_sample_rate=1.0)
    kept, fixed = auto_accepted(project, 2)
    client = api_client(member(Role.REVIEWER, org))

    for body in ({"verdict": "accept"}, {"verdict": "correct", "result": NEGATIVE}):
        spot_check(client, project, django_capture_on_commit_callbacks, **body)

    sources = dict(Task.objects.filter(pk__in=[kept.pk, fixed.pk])
                   .values_list("pk", "accepted_source"))
    assert sorted(sources.values(), key=str) == sorted([AcceptedSource.MACHINE, None], key=str)


@pytest.mark.django_db(transaction=True)
def test_the_migration_records_the_source_of_tasks_accepted_before_it():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from annotator.models import Annotation, Review
    from tests.factories import UserFactory

    def task_accepted(**annotation):
        task = tasks.pop()
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.ACCEPTED)
        if annotation:
            Annotation.objects.create(task=task, annotator=person, result=POSITIVE,
                                      status="accepted", **annotation)
        return task

    def judged(task, verdict, kind="annotation"):
        Review.objects.create(task=task, annotation=task.annotations.first(), kind=kind,
                              reviewer=person, verdict=verdict, reviewed_result=POSITIVE,
                              result=POSITIVE)

    person, tasks = UserFactory(), TaskFactory.create_batch(4)
    executor = MigrationExecutor(connection)
    executor.migrate([("platform", "0012_task_overlapped_idx")])
    # Rows written through the models whose columns that state has (updates of the tasks).
    spot_checked, kept, corrected, changed = (
        task_accepted(), task_accepted(changed_from_suggestion=False),
        task_accepted(changed_from_suggestion=False), task_accepted(changed_from_suggestion=True),
    )
    judged(spot_checked, "accept", kind="spot_check")
    judged(kept, "accept")
    judged(corrected, "correct")
    judged(changed, "accept")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    sources = dict(Task.objects.values_list("pk", "accepted_source"))
    assert [sources[t.pk] for t in (spot_checked, kept, corrected, changed)] == [
        AcceptedSource.MACHINE, AcceptedSource.SUGGESTION, None, None
    ]
