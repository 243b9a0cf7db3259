"""Browser pages: who sees what, and that data never becomes markup."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from platform_core.models import ImportJob, Role, Task, TaskStatus
from tests.factories import DEFAULT_PASSWORD, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def add_tasks(project, **per_status):
    Task.objects.bulk_create(
        Task(project=project, data={"text": f"{status} {i}"}, checksum=f"{status}-{i}", status=status)
        for status, n in per_status.items()
        for i in range(n)
    )


def test_login_page_renders_a_form_without_signup(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert "sign up" not in body.lower() and "register" not in body.lower()


def test_login_with_the_form_lands_on_home(client, member):
    user = member(Role.ANNOTATOR)

    response = client.post(
        reverse("login"), {"username": user.username, "password": DEFAULT_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    assert user.username in response.content.decode()


def test_the_login_page_locks_a_username_after_repeated_failures(client, member, settings):
    user = member(Role.ANNOTATOR)
    wrong = {"username": user.username, "password": "guess"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(reverse("login"), wrong).status_code == 200  # the form, with an error

    locked = client.post(reverse("login"), wrong)  # the last failure allowed
    right_too = client.post(reverse("login"), {**wrong, "password": DEFAULT_PASSWORD})

    assert locked.status_code == right_too.status_code == 429
    assert b"Too many failed sign-ins" in right_too.content
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_that_returns_to_login(client, member):
    client.force_login(member(Role.ANNOTATOR))

    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_pages_send_anonymous_users_to_login(client, project):
    for url in (
        reverse("home"),
        reverse("project-detail", args=[project.id]),
        reverse("project-import", args=[project.id]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_home_lists_only_projects_of_the_callers_organizations(client, member, org, other_org):
    ProjectFactory(organization=org, name="Alpha sentiment")
    ProjectFactory(organization=other_org, name="Bravo secret speech")
    client.force_login(member(Role.ANNOTATOR, org))

    body = client.get(reverse("home")).content.decode()

    assert "Alpha sentiment" in body
    assert "Bravo secret speech" not in body


def test_home_counts_tasks_by_status(client, member, project):
    add_tasks(project, new=3, accepted=2)
    client.force_login(member(Role.ANNOTATOR, project.organization))

    response = client.get(reverse("home"))

    (row,) = response.context["rows"]
    by_status = {s["value"]: s["count"] for s in row["counts"]["by_status"]}
    assert row["counts"]["total"] == 5
    assert by_status[TaskStatus.NEW] == 3 and by_status[TaskStatus.ACCEPTED] == 2
    assert by_status[TaskStatus.REJECTED] == 0


def test_home_query_count_does_not_grow_with_projects(client, member, org):
    client.force_login(member(Role.MANAGER, org))
    add_tasks(ProjectFactory(organization=org), new=2)
    client.get(reverse("home"))  # warm the session and content-type caches

    with CaptureQueriesContext(connection) as one_project:
        client.get(reverse("home"))
    for _ in range(5):
        add_tasks(ProjectFactory(organization=org), new=2, submitted=1)
    with CaptureQueriesContext(connection) as six_projects:
        client.get(reverse("home"))

    assert len(six_projects) == len(one_project)


def test_home_links_to_import_only_for_managing_roles(client, member, project):
    import_url = reverse("project-import", args=[project.id])

    client.force_login(member(Role.ANNOTATOR, project.organization))
    assert import_url not in client.get(reverse("home")).content.decode()

    client.force_login(member(Role.MANAGER, project.organization))
    assert import_url in client.get(reverse("home")).content.decode()


def test_home_links_to_admin_for_staff_only(client, member, project):
    user = member(Role.ADMIN, project.organization)
    client.force_login(user)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()

    user.is_staff = True
    user.save()
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_project_page_shows_labels_guidelines_datasets_and_imports(client, member, project):
    project.guidelines = "# Rules\n\n1. Read the whole text."
    project.save()
    dataset = project.datasets.create(name="batch one", source="batch1.jsonl")
    ImportJob.objects.create(
        project=project, dataset=dataset, source_name="batch1.jsonl", status="succeeded", imported=7
    )
    client.force_login(member(Role.REVIEWER, project.organization))

    response = client.get(reverse("project-detail", args=[project.id]))

    assert response.status_code == 200
    body = response.content.decode()
    assert project.name in body
    assert "positive" in body and "background-color: #2e7d32" in body
    assert '<div class="guidelines markdown"><h1>Rules</h1>' in body
    assert "batch one" in body and "batch1.jsonl" in body
    assert reverse("project-import", args=[project.id]) not in body  # reviewers do not import


@pytest.mark.parametrize(
    "policy, shown",
    [
        ({}, "every submission reviewed · spot-check 10% of machine labels · "
             "trains on reviewed labels only"),
        ({"annotation_review_rate": 0.25, "second_review_rate": 0.1, "train_on_unreviewed": True},
         "25% of submissions reviewed · second review 10% · spot-check 10% of machine labels · "
         "trains on reviewed and unreviewed labels"),
    ],
)
def test_project_page_states_the_review_policy(client, member, project, policy, shown):
    for field, value in policy.items():
        setattr(project, field, value)
    project.save()
    client.force_login(member(Role.ANNOTATOR, project.organization))

    body = client.get(reverse("project-detail", args=[project.id])).content.decode()

    assert shown in body


def test_project_page_is_404_for_a_non_member(client, member, project, other_org):
    client.force_login(member(Role.ADMIN, other_org))

    response = client.get(reverse("project-detail", args=[project.id]))

    assert response.status_code == 404
    assert project.name not in response.content.decode()


def test_import_page_is_403_for_an_annotator(client, member, project):
    client.force_login(member(Role.ANNOTATOR, project.organization))

    assert client.get(reverse("project-import", args=[project.id])).status_code == 403


def test_import_page_is_404_for_another_organization(client, member, project, other_org):
    client.force_login(member(Role.ADMIN, other_org))

    assert client.get(reverse("project-import", args=[project.id])).status_code == 404


def test_import_page_renders_the_form_for_a_manager(client, member, project):
    client.force_login(member(Role.MANAGER, project.organization))

    response = client.get(reverse("project-import", args=[project.id]))

    assert response.status_code == 200
    body = response.content.decode()
    assert 'type="file"' in body and 'accept=".jsonl,.ndjson,.json,.csv,.zip"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<script id="import-config" type="application/json">' in body
    assert f"/api/v1/projects/{project.id}/imports/" in body
    assert '<script type="module" src="/static/annotator/import.js">' in body


def test_import_page_is_open_to_superusers(client, project):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))

    assert client.get(reverse("project-import", args=[project.id])).status_code == 200


def test_html_in_project_name_label_and_guidelines_is_escaped(client, member, org):
    project = ProjectFactory(
        organization=org,
        name="<script>alert('name')</script>",
        guidelines="<img src=x onerror=alert(1)>",
        label_config={"labels": [{"value": "<script>alert('label')</script>", "color": "#123456"}]},
    )
    ImportJob.objects.create(project=project, source_name="<b>file</b>.jsonl", status="failed")
    client.force_login(member(Role.MANAGER, org))

    for url in (
        reverse("home"),
        reverse("project-detail", args=[project.id]),
        reverse("project-import", args=[project.id]),
    ):
        body = client.get(url).content.decode()
        assert "&lt;script&gt;alert(" in body, url
        assert "<script>alert(" not in body, url
        assert "<img src=x" not in body and "<b>file</b>" not in body, url


def test_a_label_colour_that_is_not_a_plain_hex_never_reaches_a_style(client, member, org):
    project = ProjectFactory(
        organization=org,
        label_config={"labels": [{"value": "x", "color": "red;background:url(//evil)"}]},
    )
    client.force_login(member(Role.ANNOTATOR, org))

    body = client.get(reverse("project-detail", args=[project.id])).content.decode()

    assert "evil" not in body
