"""The project editor in a real browser: an admin creates a project from its type's template,
edits the labels (colour, hotkey, a conflict refused), writes guidelines, lands on the import
page, imports a file, and an annotator labels a task with the new labels. One project per
task type is created from its template."""
import json

import pytest
from playwright.sync_api import expect

from annotator.models import Annotation
from platform_core.label_templates import TEMPLATES
from platform_core.models import Project, Role, Task, TaskType
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def label_row(page, index):
    return page.locator("#pe-labels .pe-label").nth(index)


def create_from_template(page, task_type: str, name: str):
    page.goto("/projects/new/")
    page.locator(f'.pe-type[data-type="{task_type}"]').click()
    page.get_by_label("Project name").fill(name)
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/import/")


def test_an_admin_creates_a_project_edits_its_labels_and_an_annotator_labels_with_them(
    page, login, screenshot, tmp_path
):
    org = OrganizationFactory(name="Acme reviews")
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user
    annotator = MembershipFactory(organization=org, role=Role.ANNOTATOR).user

    login(admin)
    page.goto("/")
    page.get_by_role("link", name="New project").click()
    page.wait_for_url("**/projects/new/")
    page.locator('.pe-type[data-type="text_classification"]').click()
    page.get_by_label("Project name").fill("Support tickets <b>urgent</b>")
    # The sentiment template is loaded: three labels, and the preview shows them.
    expect(page.locator("#pe-labels .pe-label")).to_have_count(3)
    expect(page.locator('#pe-preview .choice[data-value="positive"]')).to_be_visible()

    # Rename, recolour and re-key the first label; the preview follows.
    first = label_row(page, 0)
    first.get_by_label("Label 1 value").fill("happy")
    first.get_by_label("Label 1 colour").fill("#123456")
    first.get_by_label("Label 1 hotkey").fill("h")
    expect(page.locator('#pe-preview .choice[data-value="happy"]')).to_be_visible()

    # A duplicate hotkey is a conflict shown as you type, and saving is refused.
    label_row(page, 1).get_by_label("Label 2 hotkey").fill("h")
    expect(page.locator("#pe-conflicts")).to_contain_text("Hotkey “h” is taken by labels 1 and 2")
    expect(page.get_by_role("button", name="Create project")).to_be_disabled()
    expect(label_row(page, 1).get_by_label("Label 2 hotkey")).to_have_attribute("aria-invalid", "true")
    screenshot("project_new_conflict")
    label_row(page, 1).get_by_label("Label 2 hotkey").fill("n")
    expect(page.locator("#pe-conflicts")).to_be_hidden()

    # Add a fourth label and move it to the top; remove "neutral".
    page.get_by_role("button", name="Add label").click()
    label_row(page, 3).get_by_label("Label 4 value").fill("mixed")
    label_row(page, 3).get_by_label("Move label 4 up").click()
    label_row(page, 3).get_by_label("Remove label 4").click()  # "mixed" is third now, neutral fourth
    expect(page.locator("#pe-labels .pe-label__value")).to_have_count(3)

    page.get_by_label("Guidelines (Markdown)").fill("# Rules\n\nPick **one** label. <script>alert(1)</script>")
    page.get_by_role("tab", name="Preview").click()
    expect(page.locator("#pe-guidelines-preview strong")).to_have_text("one")
    expect(page.locator("#pe-guidelines-preview")).to_contain_text("<script>alert(1)</script>")
    assert page.locator("#pe-guidelines-preview script").count() == 0
    page.get_by_label("Overlap").fill("1")
    screenshot("project_new")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/import/")

    project = Project.objects.get(organization=org)
    assert project.name == "Support tickets <b>urgent</b>"
    assert [label["value"] for label in project.label_config["labels"]] == ["happy", "negative", "mixed"]
    assert project.label_config["labels"][0] == {"value": "happy", "color": "#123456", "hotkey": "h"}
    assert project.guidelines.startswith("# Rules")
    assert project.created_by == admin

    upload = tmp_path / "tickets.jsonl"
    upload.write_text(json.dumps({"text": "The app crashes on start."}) + "\n")
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Upload and import").click()
    page.locator("#import-progress[data-status=succeeded]").wait_for()
    screenshot("project_new_import")
    task = Task.objects.get(project=project)

    page.context.clear_cookies()
    login(annotator)
    page.goto(f"/projects/{project.id}/label/")
    page.locator("#workspace[data-state=task]").wait_for()
    expect(page.locator('.choice[data-value="happy"]')).to_be_visible()
    page.keyboard.press("h")
    expect(page.locator('.choice[data-value="happy"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    page.locator("#workspace[data-state=done]").wait_for()
    screenshot("project_new_labeled")
    assert Annotation.objects.get(task=task).result == {"labels": ["happy"]}


@pytest.mark.parametrize("task_type", [t.value for t in TaskType])
def test_each_task_type_is_created_from_its_template(page, login, screenshot, task_type):
    org = OrganizationFactory()
    manager = MembershipFactory(organization=org, role=Role.MANAGER).user
    login(manager)

    page.goto("/projects/new/")
    page.locator(f'.pe-type[data-type="{task_type}"]').click()
    expect(page.locator("#pe-preview .pe-preview__widget")).not_to_be_empty()
    screenshot(f"project_new_{task_type}")
    create_from_template(page, task_type, f"From the {task_type} template")

    project = Project.objects.get(organization=org)
    template = TEMPLATES[task_type][0]
    assert project.task_type == task_type
    assert project.label_config == template["label_config"]
    assert project.guidelines == template["guidelines"]


def test_a_name_already_taken_is_refused_with_the_servers_message(page, login):
    org = OrganizationFactory()
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user
    Project.objects.create(organization=org, name="Taken", task_type="sft", label_config={})
    login(admin)

    page.goto("/projects/new/")
    page.locator('.pe-type[data-type="sft"]').click()
    page.get_by_label("Project name").fill("Taken")
    page.get_by_role("button", name="Create project").click()

    expect(page.locator("#pe-message")).to_contain_text("already has a project of that name")
    assert Project.objects.filter(organization=org).count() == 1


def test_an_earlier_projects_labels_and_guidelines_are_a_starting_point(page, login):
    org = OrganizationFactory()
    admin = MembershipFactory(organization=org, role=Role.ADMIN).user
    earlier_config = {"labels": [{"value": "spam", "color": "#aa0000", "hotkey": "x"}, {"value": "ham", "color": "#00aa00"}]}
    Project.objects.create(organization=org, name="Mail filter", task_type="text_classification",
                           label_config=earlier_config, guidelines="Spam is unsolicited.")
    login(admin)

    page.goto("/projects/new/")
    page.get_by_label("Start from").select_option(label="Copy of “Mail filter” (%s)" % org.name)
    page.get_by_label("Guidelines (Markdown)").fill("")
    page.get_by_role("button", name="Use these labels").click()

    expect(page.locator("#pe-labels .pe-label__value")).to_have_count(2)
    expect(page.get_by_label("Label 1 value")).to_have_value("spam")
    expect(page.get_by_label("Guidelines (Markdown)")).to_have_value("Spam is unsolicited.")
    page.get_by_label("Project name").fill("Mail filter 2")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/import/")
    assert Project.objects.get(name="Mail filter 2").label_config == earlier_config
