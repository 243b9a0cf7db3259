"""The dashboards: who may open them, what they hand their scripts, that they compute nothing
themselves (the figures come from the metrics API), and the links that lead to them."""
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Annotation
from platform_core.models import Role, Task, TaskStatus
from platform_core.models.organizations import MANAGING_ROLES
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

# Session, user, project, role, organization: what any manager page reads.
PAGE_QUERIES = 5


def dashboard_config(response) -> dict:
    match = re.search(
        r'<script id="dashboard-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the page hands its config through json_script"
    return json.loads(match.group(1))


def vendor_url(response, name: str) -> str:
    match = re.search(rf'data-{name}="([^"]+)"', response.content.decode())
    assert match, f"no data-{name} in #vendor-urls"
    return match.group(1)


# -- who may open them ------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_managers_and_admins_may_open_the_project_dashboard(client, member, project, role):
    client.force_login(member(role, project.organization))

    response = client.get(reverse("project-dashboard", args=[project.id]))

    assert response.status_code == 200
    assert response.templates[0].name == "annotator/dashboard.html"


@pytest.mark.parametrize("role", [Role.ANNOTATOR, Role.REVIEWER])
def test_annotators_and_reviewers_get_the_403_page(client, member, project, role):
    client.force_login(member(role, project.organization))

    for url in (
        reverse("project-dashboard", args=[project.id]),
        reverse("organization-dashboard", args=[project.organization_id]),
    ):
        response = client.get(url)

        assert response.status_code == 403
        assert "admins and project managers" in response.content.decode()


def test_a_member_of_another_organization_gets_404(client, member, project, other_org):
    client.force_login(member(Role.ADMIN, other_org))

    assert client.get(reverse("project-dashboard", args=[project.id])).status_code == 404
    assert client.get("/projects/999999/dashboard/").status_code == 404
    organization_page = reverse("organization-dashboard", args=[project.organization_id])
    assert client.get(organization_page).status_code == 404
    assert client.get("/organizations/99999999999999999999/dashboard/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, project):
    for url in (
        reverse("project-dashboard", args=[project.id]),
        reverse("organization-dashboard", args=[project.organization_id]),
    ):
        response = client.get(url)

        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_superuser_outside_the_organization_opens_both(client, project, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="x" * 12))

    assert client.get(reverse("project-dashboard", args=[project.id])).status_code == 200
    organization_page = reverse("organization-dashboard", args=[project.organization_id])
    assert client.get(organization_page).status_code == 200


# -- a shell, not a computation ---------------------------------------------------------------


def test_the_project_dashboard_hands_its_script_the_metrics_url_and_the_chart_library(
    client, member, project
):
    client.force_login(member(Role.MANAGER, project.organization))

    response = client.get(reverse("project-dashboard", args=[project.id]))
    config = dashboard_config(response)

    assert config["metricsUrl"] == f"/api/v1/projects/{project.id}/metrics/"
    assert config["windows"] == ["24h", "7d", "30d", "all"]
    assert config["buckets"] == ["hour", "day"]
    assert config["statusLabels"] == {status.value: status.label for status in TaskStatus}
    body = response.content.decode()
    assert '<script type="module" src="/static/annotator/dashboard/dashboard.js">' in body
    assert "onclick" not in body and "onchange" not in body and "oninput" not in body
    chartjs = vendor_url(response, "chartjs")
    assert chartjs == "/static/vendor/chartjs/chart.umd.min.js"
    assert finders.find(chartjs.removeprefix("/static/")), "Chart.js is not served (npm ci?)"
    for module in ("dashboard", "organization", "charts", "figures", "panels", "period"):
        assert finders.find(f"annotator/dashboard/{module}.js")
    assert finders.find("annotator/dashboard/dashboard.css")


def test_the_chart_library_is_served_from_its_dist_folder_only(client):
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert not finders.find("vendor/chartjs/package.json"), "only dist/ is exposed"


def test_the_project_dashboard_reads_no_work_rows_whatever_the_project_size(
    client, member, org
):
    manager = member(Role.MANAGER, org)
    small, large = ProjectFactory(organization=org), ProjectFactory(organization=org)
    annotator = member(Role.ANNOTATOR, org)
    for task in TaskFactory.create_batch(40, project=large):
        AnnotationFactory(task=task, annotator=annotator)
    client.force_login(manager)
    client.get(reverse("project-dashboard", args=[small.id]))  # session and caches warm

    with CaptureQueriesContext(connection) as on_small:
        client.get(reverse("project-dashboard", args=[small.id]))
    with CaptureQueriesContext(connection) as on_large:
        response = client.get(reverse("project-dashboard", args=[large.id]))

    assert response.status_code == 200
    assert len(on_large) == len(on_small) <= PAGE_QUERIES
    tables = " ".join(query["sql"] for query in on_large.captured_queries)
    assert Task._meta.db_table not in tables and Annotation._meta.db_table not in tables


def test_the_organization_dashboard_lists_its_projects_in_a_fixed_number_of_queries(
    client, member, org, other_org
):
    manager = member(Role.MANAGER, org)
    first = ProjectFactory(organization=org, name="Alpha <b>bold</b>")
    ProjectFactory(organization=other_org, name="Elsewhere")
    client.force_login(manager)
    client.get(reverse("organization-dashboard", args=[org.id]))

    with CaptureQueriesContext(connection) as with_one:
        client.get(reverse("organization-dashboard", args=[org.id]))
    for _ in range(5):
        TaskFactory.create_batch(3, project=ProjectFactory(organization=org))
    with CaptureQueriesContext(connection) as with_six:
        response = client.get(reverse("organization-dashboard", args=[org.id]))

    assert len(with_six) == len(with_one) <= PAGE_QUERIES
    body = response.content.decode()
    assert body.count('<tr data-project-id="') == 6
    assert "Elsewhere" not in body
    assert "Alpha &lt;b&gt;bold&lt;/b&gt;" in body  # a name is text, never markup
    assert reverse("project-dashboard", args=[first.id]) in body
    config = dashboard_config(response)
    assert config["metricsUrl"] == f"/api/v1/organizations/{org.id}/metrics/"
    assert '<script type="module" src="/static/annotator/dashboard/organization.js">' in body


# -- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, linked",
    [(Role.MANAGER, True), (Role.ADMIN, True), (Role.ANNOTATOR, False), (Role.REVIEWER, False)],
)
def test_the_project_and_home_pages_link_the_dashboards_for_managers_only(
    client, member, project, role, linked
):
    client.force_login(member(role, project.organization))
    dashboard = reverse("project-dashboard", args=[project.id])
    organization_dashboard = reverse("organization-dashboard", args=[project.organization_id])

    project_page = client.get(reverse("project-detail", args=[project.id])).content.decode()
    home = client.get(reverse("home")).content.decode()

    assert (dashboard in project_page) is linked
    assert (organization_dashboard in project_page) is linked
    assert (dashboard in home) is linked
