"""The import page end to end: login form, upload, live progress, final counts."""
import json

import pytest

from platform_core.models import Role, Task
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_manager_uploads_jsonl_and_watches_it_import(page, login, screenshot, tmp_path):
    project = ProjectFactory(name="Product reviews (sentiment)")
    manager = MembershipFactory(organization=project.organization, role=Role.MANAGER).user
    rows = [{"text": "Great battery life."}, {"text": "Broke after a week."}, {"text": "Great battery life."}]
    upload = tmp_path / "reviews.jsonl"
    upload.write_text("".join(json.dumps(row) + "\n" for row in rows))

    login(manager)
    page.goto(f"/projects/{project.id}/import/")
    page.get_by_label("File").set_input_files(upload)
    page.get_by_label("Dataset name").fill("Reviews, first batch")
    page.get_by_role("button", name="Upload and import").click()

    panel = page.locator("#import-progress")
    panel.and_(page.locator("[data-status=succeeded]")).wait_for()
    assert page.locator("#import-bar").evaluate("bar => bar.value") == 1
    assert page.locator("#import-status").text_content() == "Succeeded"
    assert page.locator("#count-imported").text_content() == "2"
    assert page.locator("#count-duplicates").text_content() == "1"
    assert page.locator("#count-errors").text_content() == "0"
    assert page.locator("#import-message").is_hidden()
    # The new job heads the list of earlier imports with its final status.
    first_job = page.locator("#earlier-imports tbody tr").first
    assert "reviews.jsonl" in first_job.text_content()
    assert first_job.locator("[data-field=status]").text_content() == "Succeeded"
    screenshot("import_page")

    assert Task.objects.filter(project=project).count() == 2


def test_an_unsupported_file_shows_the_apis_message(page, login, tmp_path):
    project = ProjectFactory()
    manager = MembershipFactory(organization=project.organization, role=Role.ADMIN).user
    upload = tmp_path / "notes.txt"
    upload.write_text("not a dataset\n")

    login(manager)
    page.goto(f"/projects/{project.id}/import/")
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Upload and import").click()

    message = page.locator("#import-message")
    message.wait_for()
    assert "Unsupported file type" in message.text_content()
    assert page.locator("#import-progress").is_hidden()
    assert not Task.objects.filter(project=project).exists()
