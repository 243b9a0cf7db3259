"""The home page's project list: a page at a time, searched, filtered and sorted in the
database, in the same number of queries for ten projects as for a thousand."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from annotator.project_list import PROJECTS_PER_PAGE
from platform_core.models import ImportJob, Project, Role, Task, TaskStatus
from tests.factories import LABEL_CONFIGS, OrganizationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def many_projects(organization, n, **fields):
    """`n` projects in one statement, each with a task waiting (what a busy server has)."""
    start = Project.objects.count()
    projects = Project.objects.bulk_create(
        Project(
            organization=organization,
            name=fields.get("prefix", "Bulk") + f" {start + i:04d}",
            task_type="text_classification",
            label_config=LABEL_CONFIGS["text_classification"],
        )
        for i in range(n)
    )
    Task.objects.bulk_create(
        Task(project=project, data={"text": "x"}, checksum=f"{project.pk}") for project in projects
    )
    return projects


def listed(response) -> list[str]:
    return [row["project"].name for row in response.context["rows"]]


def test_the_home_page_answers_in_the_same_number_of_queries_for_ten_and_a_thousand_projects(
    client, member, org
):
    client.force_login(member(Role.MANAGER, org))
    many_projects(org, 10)
    client.get(reverse("home"))  # warm the session and content-type caches
    with CaptureQueriesContext(connection) as ten:
        response = client.get(reverse("home"))
    assert len(listed(response)) == 10

    many_projects(org, 990)
    with CaptureQueriesContext(connection) as thousand:
        response = client.get(reverse("home"), {"sort": "activity", "work": "on", "page": "3"})

    assert response.context["page"].paginator.count == 1000
    assert len(listed(response)) == PROJECTS_PER_PAGE
    assert len(thousand) == len(ten) <= 8, [q["sql"][:120] for q in thousand.captured_queries]


def test_pages_split_the_list_and_a_bad_page_number_still_shows_projects(client, member, org):
    client.force_login(member(Role.ANNOTATOR, org))
    many_projects(org, PROJECTS_PER_PAGE + 5)

    second = client.get(reverse("home"), {"page": "2", "sort": "name"})
    past_the_end = client.get(reverse("home"), {"page": "99", "sort": "name"})
    not_a_number = client.get(reverse("home"), {"page": "two", "sort": "name"})

    assert len(listed(second)) == 5
    assert listed(past_the_end) == listed(second)
    assert len(listed(not_a_number)) == PROJECTS_PER_PAGE
    assert 'rel="prev"' in second.content.decode()


def test_search_and_filters_narrow_the_list(client, member, org):
    user = member(Role.ADMIN, org)
    second_org = OrganizationFactory(name="Second customer")
    second_org.memberships.create(user=user, role=Role.ADMIN)
    ProjectFactory(organization=org, name="Speech zh-CN", task_type="audio_classification")
    ProjectFactory(organization=org, name="Speech en-US", task_type="audio_transcription", kind="product")
    ProjectFactory(organization=second_org, name="Speech de-DE", task_type="audio_classification")
    ProjectFactory(organization=org, name="Reviews", task_type="text_classification")
    client.force_login(user)

    def names(**params):
        return sorted(listed(client.get(reverse("home"), params)))

    assert names(q="speech") == ["Speech de-DE", "Speech en-US", "Speech zh-CN"]
    assert names(q="speech", organization=org.pk) == ["Speech en-US", "Speech zh-CN"]
    assert names(task_type="audio_classification") == ["Speech de-DE", "Speech zh-CN"]
    assert names(kind="product") == ["Speech en-US"]


def test_another_organizations_id_as_a_filter_is_reported_and_shows_nothing_of_it(
    client, member, org, other_org
):
    ProjectFactory(organization=org, name="Ours")
    ProjectFactory(organization=other_org, name="Theirs <secret>")
    client.force_login(member(Role.ADMIN, org))

    response = client.get(reverse("home"), {"organization": other_org.pk})

    body = response.content.decode()
    assert listed(response) == ["Ours"]
    assert "Select a valid choice" in body
    assert "Theirs" not in body


def test_has_work_for_me_keeps_projects_with_open_tasks_nobody_else_holds(client, member, org):
    annotator = member(Role.ANNOTATOR, org)
    other = member(Role.ANNOTATOR, org)
    waiting, finished, held = (ProjectFactory(organization=org, name=n) for n in ("Waiting", "Finished", "Held"))
    Task.objects.create(project=waiting, data={}, checksum="a", status=TaskStatus.NEW)
    Task.objects.create(project=finished, data={}, checksum="b", status=TaskStatus.ACCEPTED)
    Task.objects.create(project=held, data={}, checksum="c", status=TaskStatus.IN_PROGRESS, locked_by=other,
                        locked_until=timezone.now() + timedelta(minutes=5))
    client.force_login(annotator)

    assert listed(client.get(reverse("home"), {"work": "on"})) == ["Waiting"]
    # Annotators see the projects with work for them first.
    assert listed(client.get(reverse("home")))[0] == "Waiting"


def test_recent_activity_puts_the_latest_import_or_accepted_task_first(client, member, org):
    quiet, imported, accepted = (ProjectFactory(organization=org, name=n) for n in ("Quiet", "Imported", "Accepted"))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Project.objects.filter(pk__in=[quiet.pk, imported.pk, accepted.pk]).update(updated_at=an_hour_ago - timedelta(days=1))
    job = ImportJob.objects.create(project=imported, source_name="a.jsonl", file_size=1)
    ImportJob.objects.filter(pk=job.pk).update(created_at=an_hour_ago)
    Task.objects.create(project=accepted, data={}, checksum="d", status=TaskStatus.ACCEPTED, accepted_at=timezone.now())
    client.force_login(member(Role.MANAGER, org))

    assert listed(client.get(reverse("home"), {"sort": "activity"})) == ["Accepted", "Imported", "Quiet"]
    assert listed(client.get(reverse("home"), {"sort": "name"})) == ["Accepted", "Imported", "Quiet"]  # alphabetical too


def test_archived_projects_are_listed_for_managers_who_ask_and_never_for_annotators(
    client, member, org
):
    ProjectFactory(organization=org, name="Live")
    ProjectFactory(organization=org, name="Old", archived_at=timezone.now())

    client.force_login(member(Role.ANNOTATOR, org))
    assert listed(client.get(reverse("home"), {"archived": "include"})) == ["Live"]
    client.force_login(member(Role.MANAGER, org))
    assert listed(client.get(reverse("home"))) == ["Live"]
    assert listed(client.get(reverse("home"), {"archived": "only"})) == ["Old"]


def test_project_names_are_escaped_in_the_list(client, member, org):
    ProjectFactory(organization=org, name="<img src=x onerror=alert(1)>")
    client.force_login(member(Role.ANNOTATOR, org))

    body = client.get(reverse("home")).content.decode()

    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_a_superuser_lists_every_organizations_projects_and_may_create(client, org, other_org):
    from django.contrib.auth import get_user_model

    ProjectFactory(organization=org, name="One")
    ProjectFactory(organization=other_org, name="Two")
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x-long-pass-1"))

    response = client.get(reverse("home"), {"sort": "name"})

    assert listed(response) == ["One", "Two"]
    assert response.context["can_create"]
