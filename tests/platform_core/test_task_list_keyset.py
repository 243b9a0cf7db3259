"""The task list pages by cursor: every task once, in order, both ways, at any depth without
OFFSET, and counts that stay bounded."""
import base64
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from platform_core.apis import keyset
from platform_core.models import Prediction, Role, Task, TaskStatus
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

ORDERINGS = ("id", "-id", "priority", "-priority", "created_at", "-created_at")


def tasks_url(project, query=""):
    return f"/api/v1/projects/{project.id}/tasks/{query}"


@pytest.fixture
def reviewer_client(project, member, api_client):
    return api_client(member(Role.REVIEWER, project.organization))


@pytest.fixture
def tasks_with_ties(project):
    """Eleven tasks whose priorities and creation times tie in groups, so a page boundary
    falls inside a group of equal keys."""
    tasks = TaskFactory.create_batch(11, project=project)
    for index, task in enumerate(tasks):
        task.priority = float(index % 3)
    Task.objects.bulk_update(tasks, ["priority"])
    # Two creation instants for eleven tasks: ties in created_at too.
    first, second = tasks[0].created_at, tasks[5].created_at
    Task.objects.filter(pk__in=[t.pk for t in tasks[::2]]).update(created_at=first)
    Task.objects.filter(pk__in=[t.pk for t in tasks[1::2]]).update(created_at=second)
    return list(Task.objects.filter(project=project))


def expected_order(tasks, ordering):
    field, descending = ordering.lstrip("-"), ordering.startswith("-")
    return [t.id for t in sorted(tasks, key=lambda t: (getattr(t, field), t.id), reverse=descending)]


def walk(client, url, link="next"):
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        url = body[link]
    return pages


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_following_next_lists_every_task_once_in_order(
    project, reviewer_client, tasks_with_ties, ordering
):
    pages = walk(reviewer_client, tasks_url(project, f"?ordering={ordering}&page_size=3"))

    assert [len(page) for page in pages] == [3, 3, 3, 2]
    assert sum(pages, []) == expected_order(tasks_with_ties, ordering)


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_following_previous_from_the_last_page_gives_the_same_pages_back(
    project, reviewer_client, tasks_with_ties, ordering
):
    forward = walk(reviewer_client, tasks_url(project, f"?ordering={ordering}&page_size=3"))
    last_url = tasks_url(project, f"?ordering={ordering}&page_size=3")
    for _ in forward[1:]:
        last_url = reviewer_client.get(last_url).json()["next"]

    backward = walk(reviewer_client, last_url, link="previous")

    assert backward == forward[::-1]
    first_page = reviewer_client.get(tasks_url(project, f"?ordering={ordering}&page_size=3"))
    assert first_page.json()["previous"] is None


def test_filters_hold_on_every_page(project, reviewer_client):
    submitted = TaskFactory.create_batch(5, project=project, status=TaskStatus.SUBMITTED)
    TaskFactory.create_batch(5, project=project, status=TaskStatus.NEW)

    pages = walk(reviewer_client, tasks_url(project, "?status=submitted&page_size=2&ordering=-id"))

    assert sum(pages, []) == sorted((t.id for t in submitted), reverse=True)


def test_a_deep_page_is_read_from_its_cursor_not_skipped_to(project, reviewer_client):
    TaskFactory.create_batch(6, project=project)
    second = reviewer_client.get(tasks_url(project, "?page_size=2")).json()["next"]
    third = reviewer_client.get(second).json()["next"]

    with CaptureQueriesContext(connection) as queries:
        assert reviewer_client.get(third).status_code == 200

    page_queries = [q["sql"] for q in queries if 'FROM "platform_task"' in q["sql"]]
    assert page_queries
    assert not any("OFFSET" in sql.upper() for sql in page_queries)


@pytest.mark.parametrize(
    "cursor, message",
    [
        ("not-a-cursor!", "Not a cursor"),
        (base64.urlsafe_b64encode(b'["id", ["x"], false]').decode(), "Not a cursor"),
        (base64.urlsafe_b64encode(b'["id", [1, 2], false]').decode(), "Not a cursor"),
        (base64.urlsafe_b64encode(b'["priority", [1.0, 5], false]').decode(), "ordered by 'priority'"),
    ],
)
def test_a_foreign_or_broken_cursor_is_a_400_that_says_so(project, reviewer_client, cursor, message):
    response = reviewer_client.get(tasks_url(project, f"?cursor={cursor}"))

    assert response.status_code == 400
    assert message in json.dumps(response.json())


def test_page_numbers_are_refused_with_a_pointer_to_the_cursor(project, reviewer_client):
    response = reviewer_client.get(tasks_url(project, "?page=2"))

    assert response.status_code == 400
    assert "next" in response.json()["page"][0]


def test_several_orderings_at_once_are_refused(project, reviewer_client):
    response = reviewer_client.get(tasks_url(project, "?ordering=priority,id"))

    assert response.status_code == 400
    assert "ordering" in response.json()


def test_count_is_exact_below_the_limit_and_estimated_above_it(
    project, reviewer_client, monkeypatch
):
    TaskFactory.create_batch(7, project=project)
    monkeypatch.setattr(keyset, "EXACT_COUNT_LIMIT", 5)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE platform_task")

    body = reviewer_client.get(tasks_url(project)).json()
    exact = reviewer_client.get(tasks_url(project, "?count=exact")).json()
    small = reviewer_client.get(tasks_url(project, "?status=submitted")).json()

    assert body["count"] is None
    if connection.vendor == "postgresql":
        assert body["count_estimate"] >= 6  # never under what the bounded count saw
    else:
        assert body["count_estimate"] is None
    assert (exact["count"], exact["count_estimate"]) == (7, 7)
    assert "count=" not in (exact["next"] or "")
    assert (small["count"], small["count_estimate"]) == (0, 0)


def test_an_annotator_pages_only_through_their_own_tasks(project, member, api_client):
    annotator = member(Role.ANNOTATOR, project.organization)
    held = TaskFactory.create_batch(3, project=project, locked_by=annotator)
    TaskFactory.create_batch(4, project=project)

    pages = walk(api_client(annotator), tasks_url(project, "?page_size=2"))

    assert sum(pages, []) == [t.id for t in held]


def test_pages_after_the_first_leave_the_count_to_it_unless_asked(project, reviewer_client):
    TaskFactory.create_batch(3, project=project)
    first = reviewer_client.get(tasks_url(project, "?page_size=2")).json()

    second = reviewer_client.get(first["next"]).json()
    asked = reviewer_client.get(first["next"] + "&count=exact").json()

    assert (first["count"], second["count"], second["count_estimate"]) == (3, None, None)
    assert asked["count"] == 3


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ANNOTATOR])
def test_a_row_of_the_list_renders_as_the_task_serializer_renders_that_task(
    project, member, api_client, role
):
    from django.core.files.base import ContentFile
    from django.test import RequestFactory

    from platform_core.apis.scoping import with_latest_suggestion
    from platform_core.apis.tasks import TaskManagerOutputSerializer, TaskOutputSerializer
    from tests.platform_core.factories import DatasetFactory, PredictionFactory

    user = member(role, project.organization)
    task = TaskFactory(
        project=project, dataset=DatasetFactory(project=project), priority=0.25, locked_by=user,
        gold_result={"labels": ["positive"]}, accepted_result={"labels": ["negative"]},
        meta={"source": "x"},
    )
    task.media.save("cat.png", ContentFile(b"\x89PNG"), save=True)
    PredictionFactory(task=task, confidence=0.5)
    PredictionFactory(task=task, confidence=0.75)  # the latest is shown

    listed = api_client(user).get(tasks_url(project)).json()["results"]

    request = RequestFactory().get("/", HTTP_HOST="testserver")
    serializer = TaskManagerOutputSerializer if role == Role.MANAGER else TaskOutputSerializer
    fetched = with_latest_suggestion(Task.objects.filter(pk=task.pk)).get()
    expected = json.loads(json.dumps(serializer(fetched, context={"request": request}).data, default=str))
    assert listed == [expected]
    assert listed[0]["suggestion"]["confidence"] == 0.75


def test_each_row_shows_its_own_latest_suggestion_ties_broken_by_id(project, member, api_client):
    from tests.platform_core.factories import PredictionFactory

    first, second, bare = TaskFactory.create_batch(3, project=project)
    older, newest = PredictionFactory(task=first), PredictionFactory(task=first)
    tied = PredictionFactory.create_batch(3, task=second)
    Prediction.objects.filter(pk=older.pk).update(created_at=newest.created_at.replace(year=2020))
    Prediction.objects.filter(pk__in=[p.pk for p in tied]).update(created_at=tied[0].created_at)
    client = api_client(member(Role.MANAGER, project.organization))

    rows = client.get(tasks_url(project)).json()["results"]

    assert [row["suggestion"] and row["suggestion"]["id"] for row in rows] == [
        newest.id, max(p.pk for p in tied), None
    ]
    assert rows[0]["suggestion"]["model_version"] == newest.model_version


@pytest.mark.parametrize("role, shown", [(Role.MANAGER, True), (Role.REVIEWER, False)])
def test_the_list_shows_held_out_suggestions_to_managers_only(
    project, member, api_client, role, shown
):
    from tests.platform_core.factories import PredictionFactory

    project.suggestion_holdout_rate = 1.0
    project.save()
    prediction = PredictionFactory(task=TaskFactory(project=project))

    row = api_client(member(role, project.organization)).get(tasks_url(project)).json()["results"][0]

    assert (row["suggestion"] and row["suggestion"]["id"]) == (prediction.id if shown else None)


def test_ids_beyond_bigint_in_a_cursor_or_filter_find_nothing_rather_than_fail(
    project, reviewer_client
):
    TaskFactory.create_batch(2, project=project)
    huge = 10**30
    cursor = base64.urlsafe_b64encode(json.dumps(["id", [huge], False]).encode()).decode()

    by_cursor = reviewer_client.get(tasks_url(project, f"?cursor={cursor}"))
    by_dataset = reviewer_client.get(tasks_url(project, f"?dataset={huge}"))

    assert by_cursor.status_code == 400
    assert "Not a cursor" in json.dumps(by_cursor.json())
    assert by_dataset.status_code == 200
    assert (by_dataset.json()["count"], by_dataset.json()["results"]) == (0, [])


def test_a_worker_scope_that_joins_other_tables_still_narrows_the_list(
    project, member, api_client, monkeypatch
):
    from platform_core import extensions

    def held_in_my_organizations(*, tasks, user):
        return tasks.filter(project__organization__memberships__user=user, locked_by=user)

    monkeypatch.setattr(extensions, "_worker_task_scope", [held_in_my_organizations])
    annotator = member(Role.ANNOTATOR, project.organization)
    held = TaskFactory.create_batch(3, project=project, locked_by=annotator)
    TaskFactory.create_batch(2, project=project)

    first = api_client(annotator).get(tasks_url(project, "?page_size=2&ordering=-id")).json()
    pages = walk(api_client(annotator), tasks_url(project, "?page_size=2&ordering=-id"))

    assert first["count"] == 3
    assert sum(pages, []) == [t.id for t in reversed(held)]
