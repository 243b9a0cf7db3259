"""The export page end to end: a streamed download, a kept export with its checksum, and a
custom project's delivery followed by the admin's purge with the name typed out."""
import csv
import hashlib
import io

import pytest

from platform_core.models import ExportJob, Project, ProjectDelivery, ProjectKind, Role, Task, TaskStatus
from tests.factories import MembershipFactory, ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def delivered_project():
    project = ProjectFactory(name="Acme support tickets", kind=ProjectKind.CUSTOM)
    texts = ["=1+1 refund please", "Lovely service", "<b>late</b> parcel"]
    for text in texts:
        task = TaskFactory(project=project, data={"text": text})
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.ACCEPTED, accepted_result={"labels": ["positive"]}
        )
    return project, texts


def test_an_admin_downloads_keeps_delivers_and_purges(page, login, screenshot, delivered_project):
    project, texts = delivered_project
    admin = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    login(admin)
    page.goto(f"/projects/{project.id}/")
    page.get_by_role("link", name="Export and deliver").click()

    page.get_by_label("Format").select_option("csv")
    with page.expect_download() as started:
        page.get_by_role("link", name="Download now").click()
    rows = list(csv.DictReader(io.StringIO(open(started.value.path(), encoding="utf-8").read())))
    assert len(rows) == 3
    assert any(value.startswith("'=1+1") for row in rows for value in row.values())

    page.get_by_role("button", name="Prepare on the worker and keep").click()
    kept = page.locator("#kept-exports tbody tr").first
    kept.get_by_role("link", name="Download").wait_for()
    job = ExportJob.objects.get(project=project)
    assert job.checksum in kept.text_content()
    with job.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == job.checksum

    page.get_by_role("button", name="Deliver this project").click()
    delivered = page.locator("#deliveries tbody tr").first
    delivered.get_by_label("Type the project's name to purge its data").fill("acme support tickets")
    delivered.get_by_role("button", name="Purge").click()
    page.locator("#delivery-message").get_by_text("Type the project's name exactly").wait_for()
    assert Project.objects.filter(pk=project.pk, deleting=False).exists()
    screenshot("export_page")

    delivered.get_by_label("Type the project's name to purge its data").fill(project.name)
    delivered.get_by_role("button", name="Purge").click()
    page.locator("#delivery-message").get_by_text("What remains").wait_for()

    record = ProjectDelivery.objects.get()
    assert record.purged_by_username == admin.username and record.project_id is None
    assert not Task.objects.filter(project_id=project.pk).exists()
    assert record.export_job.checksum in page.locator("#delivery-message").text_content()


def test_a_reviewer_exports_but_neither_delivers_nor_purges(page, login, delivered_project):
    project, _ = delivered_project
    reviewer = MembershipFactory(organization=project.organization, role=Role.REVIEWER).user
    login(reviewer)
    page.goto(f"/projects/{project.id}/export/")
    assert page.get_by_role("link", name="Download now").is_visible()
    assert page.get_by_role("button", name="Deliver this project").count() == 0
    assert page.locator(".purge-form").count() == 0
