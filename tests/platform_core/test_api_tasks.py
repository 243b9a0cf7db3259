import pytest
from django.core.files.base import ContentFile

from platform_core.models import Role, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.factories import UserFactory
from tests.platform_core.factories import DatasetFactory, PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

HIDDEN_FROM_ANNOTATORS = {"gold_result", "locked_by", "locked_until"}


def tasks_url(project, query=""):
    return f"/api/v1/projects/{project.id}/tasks/{query}"


def listed_ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def manager_client(project, member, api_client):
    return api_client(member(Role.MANAGER, project.organization))


@pytest.fixture
def annotator(project, member):
    return member(Role.ANNOTATOR, project.organization)


@pytest.fixture
def annotator_client(annotator, api_client):
    """An annotator sees the tasks they hold or labeled: tests give them the lock."""
    return api_client(annotator)


@pytest.fixture
def reviewer_client(project, member, api_client):
    return api_client(member(Role.REVIEWER, project.organization))


def test_a_task_shows_its_data_and_latest_suggestion(project, annotator, annotator_client):
    task = TaskFactory(project=project, data={"text": "hello"}, priority=2.5, locked_by=annotator)
    PredictionFactory(task=task, model_version="v1", result={"labels": ["negative"]})
    latest = PredictionFactory(task=task, model_version="v2", confidence=0.75)

    body = annotator_client.get(f"/api/v1/tasks/{task.id}/").json()

    assert (body["id"], body["project"], body["data"], body["priority"]) == (
        task.id,
        project.id,
        {"text": "hello"},
        2.5,
    )
    assert body["suggestion"]["id"] == latest.id
    assert (body["suggestion"]["model_version"], body["suggestion"]["confidence"]) == ("v2", 0.75)
    assert body["media_url"] is None


def test_a_task_without_predictions_has_no_suggestion(project, reviewer_client):
    task = TaskFactory(project=project)

    assert reviewer_client.get(f"/api/v1/tasks/{task.id}/").json()["suggestion"] is None


def test_gold_answers_and_locks_are_hidden_from_annotators_and_reviewers(
    project, member, api_client
):
    for role in (Role.ANNOTATOR, Role.REVIEWER):
        user = member(role, project.organization)
        # An annotator sees only the tasks they hold: even their own lock is not shown.
        task = TaskFactory(project=project, gold_result={"labels": ["positive"]}, locked_by=user)
        client = api_client(user)
        detail = client.get(f"/api/v1/tasks/{task.id}/").json()
        listed = client.get(tasks_url(project, "?ordering=-id")).json()["results"][0]
        assert HIDDEN_FROM_ANNOTATORS.isdisjoint(detail)
        assert HIDDEN_FROM_ANNOTATORS.isdisjoint(listed)
        assert "positive" not in str(detail)


def test_managers_see_gold_answers_and_locks(project, manager_client):
    locker = UserFactory()
    task = TaskFactory(project=project, gold_result={"labels": ["positive"]}, locked_by=locker)

    body = manager_client.get(f"/api/v1/tasks/{task.id}/").json()

    assert body["gold_result"] == {"labels": ["positive"]}
    assert body["locked_by"] == locker.id


def test_media_url_points_at_the_member_only_media_view(project, annotator, annotator_client):
    task = TaskFactory(project=project, media_type="image/png", locked_by=annotator)
    task.media.save("cat.png", ContentFile(b"\x89PNG"), save=True)

    body = annotator_client.get(f"/api/v1/tasks/{task.id}/").json()

    assert body["media_url"] == f"http://testserver/media/tasks/{task.id}/"
    assert body["media_type"] == "image/png"


def test_list_is_paginated_in_id_order(project, reviewer_client):
    tasks = TaskFactory.create_batch(3, project=project)

    response = reviewer_client.get(tasks_url(project, "?page_size=2"))

    assert response.json()["count"] == 3
    assert listed_ids(response) == [tasks[0].id, tasks[1].id]
    second_page = reviewer_client.get(response.json()["next"])
    assert listed_ids(second_page) == [tasks[2].id]
    assert second_page.json()["next"] is None


def test_list_suggestions_take_a_fixed_number_of_queries(
    project, reviewer_client, django_assert_max_num_queries
):
    for task in TaskFactory.create_batch(5, project=project):
        PredictionFactory.create_batch(2, task=task)

    # project + role + count + page + predictions (+ auth/session), whatever the page size
    with django_assert_max_num_queries(6):
        results = reviewer_client.get(tasks_url(project)).json()["results"]

    assert all(row["suggestion"] is not None for row in results)


def test_list_filters_by_status_and_dataset(project, reviewer_client):
    dataset = DatasetFactory(project=project)
    submitted = TaskFactory(project=project, status=TaskStatus.SUBMITTED, dataset=dataset)
    accepted = TaskFactory(project=project, status=TaskStatus.ACCEPTED)
    TaskFactory(project=project, status=TaskStatus.NEW)

    def listed(query):
        return listed_ids(reviewer_client.get(tasks_url(project, query)))

    assert listed("?status=submitted") == [submitted.id]
    assert listed("?status=submitted,accepted") == [submitted.id, accepted.id]
    assert listed(f"?dataset={dataset.id}") == [submitted.id]


def test_managers_filter_gold_tasks_and_annotators_may_not(
    project, manager_client, annotator_client
):
    gold = TaskFactory(project=project, gold_result={"labels": ["positive"]})
    plain = TaskFactory(project=project)

    assert listed_ids(manager_client.get(tasks_url(project, "?is_gold=true"))) == [gold.id]
    assert listed_ids(manager_client.get(tasks_url(project, "?is_gold=false"))) == [plain.id]
    assert annotator_client.get(tasks_url(project, "?is_gold=true")).status_code == 403


@pytest.mark.parametrize(
    "ordering, expected",
    [
        ("-priority", ["high", "mid", "low"]),
        ("priority", ["low", "mid", "high"]),
        ("-id", ["mid", "low", "high"]),
    ],
)
def test_list_orders_from_the_allow_list(project, reviewer_client, ordering, expected):
    tasks = {
        "high": TaskFactory(project=project, priority=3),
        "low": TaskFactory(project=project, priority=1),
        "mid": TaskFactory(project=project, priority=2),
    }

    ids = listed_ids(reviewer_client.get(tasks_url(project, f"?ordering={ordering}")))

    assert ids == [tasks[name].id for name in expected]


@pytest.mark.parametrize(
    "query, field",
    [
        ("?ordering=locked_by__password", "ordering"),
        ("?ordering=gold_result", "ordering"),
        ("?ordering=priority,checksum", "ordering"),
        ("?project__organization__name=x", "project__organization__name"),
        ("?locked_by=1", "locked_by"),
        ("?gold_result__isnull=false", "gold_result__isnull"),
        ("?status=done", "status"),
        ("?dataset=abc", "dataset"),
        ("?is_gold=maybe", "is_gold"),
    ],
)
def test_parameters_outside_the_allow_list_are_a_400_naming_them(
    project, manager_client, query, field
):
    TaskFactory(project=project)

    response = manager_client.get(tasks_url(project, query))

    assert response.status_code == 400
    assert field in response.json()


def test_a_project_without_the_callers_membership_is_404(project, other_org, member, api_client):
    outsider = member(Role.ADMIN, other_org)

    assert api_client(outsider).get(tasks_url(project)).status_code == 404


def test_held_out_suggestions_are_hidden_from_annotators_but_not_managers(
    project, annotator, annotator_client, manager_client
):
    project.suggestion_holdout_rate = 1.0
    project.save()
    task = TaskFactory(project=project, locked_by=annotator)
    prediction = PredictionFactory(task=task)

    for_annotator = annotator_client.get(f"/api/v1/tasks/{task.id}/").json()
    listed_for_annotator = annotator_client.get(tasks_url(project)).json()["results"][0]
    for_manager = manager_client.get(f"/api/v1/tasks/{task.id}/").json()

    assert for_annotator["suggestion"] is None
    assert listed_for_annotator["suggestion"] is None
    assert for_manager["suggestion"]["id"] == prediction.id


def test_annotators_list_and_read_only_the_tasks_they_hold_or_labeled(
    project, annotator, annotator_client, reviewer_client
):
    held = TaskFactory(project=project, locked_by=annotator)
    labeled = TaskFactory(project=project)
    AnnotationFactory(task=labeled, annotator=annotator)
    someone_elses = TaskFactory(project=project)
    AnnotationFactory(task=someone_elses)
    untouched = TaskFactory(project=project)

    assert listed_ids(annotator_client.get(tasks_url(project))) == [held.id, labeled.id]
    assert annotator_client.get(f"/api/v1/tasks/{someone_elses.id}/").status_code == 404
    assert annotator_client.get(f"/api/v1/tasks/{untouched.id}/").status_code == 404
    assert annotator_client.get(f"/api/v1/tasks/{labeled.id}/").status_code == 200
    assert listed_ids(reviewer_client.get(tasks_url(project))) == [
        held.id, labeled.id, someone_elses.id, untouched.id
    ]
