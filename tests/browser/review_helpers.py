"""Setting up review work for the review page's browser tests: a project with an annotator and a
reviewer, tasks (text, or media imported as a ZIP of demo files), and annotations submitted
through the labeling services so that the review queue fills as it does in production."""
import io
import zipfile

from django.core.files.base import ContentFile
from playwright.sync_api import expect

from annotator.services import annotation_submit, task_claim_next
from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create
from platform_core.models import ImportStatus, Prediction, Role, Task
from tests.factories import MembershipFactory, ProjectFactory

# A person looks before acting; it also lets a widget report a gesture before the next key.
THINK_MS = 300


def reviewing_project(task_type, label_config=None, **fields):
    """(project, annotator, reviewer) of one organization."""
    options = {"label_config": label_config} if label_config is not None else {}
    project = ProjectFactory(task_type=task_type, **options, **fields)
    annotator = MembershipFactory(organization=project.organization, role=Role.ANNOTATOR).user
    reviewer = MembershipFactory(organization=project.organization, role=Role.REVIEWER).user
    return project, annotator, reviewer


def make_tasks(project, *datas) -> list[Task]:
    """Tasks served in the order given (highest priority first)."""
    return [
        Task.objects.create(
            project=project, data=data, checksum=f"{project.id}-{i}", priority=len(datas) - i
        )
        for i, data in enumerate(datas)
    ]


def import_media(project, user, items) -> list[Task]:
    """Imports demo items (platform_core.demo) as a ZIP through the import service, as an
    upload would; tasks in the items' order."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for item in items:
            zipped.writestr(item.file_name, item.content)
    job = import_job_create(
        project=project, user=user, upload=ContentFile(archive.getvalue(), name="media.zip"),
        enqueue=False,
    )
    job = import_run(job_id=job.id)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    tasks = {task.data["file"]: task for task in Task.objects.filter(project=project)}
    return [tasks[item.file_name] for item in items]


def suggest(task, result, confidence=0.8, model_version="demo-v1"):
    return Prediction.objects.create(
        task=task, model_version=model_version, result=result, confidence=confidence
    )


def label(project, annotator, result, prediction=None):
    """The annotator claims their next task and submits `result`, as the labeling page does."""
    task = task_claim_next(project=project, user=annotator)
    return annotation_submit(
        task_id=task.pk,
        user=annotator,
        result=result,
        lead_time_s=5.0,
        prediction_id=prediction.pk if prediction else None,
    )


# ── Page helpers ─────────────────────────────────────────────────────────────────────────────


def open_review(page, login, user, project):
    """Signs in, opens the review page and waits for an item or the empty queue."""
    login(user)
    page.goto(f"/projects/{project.id}/review/")
    page.locator("#review[data-state=item], #review[data-state=empty]").wait_for()
    return page


def widget(page, task):
    return page.locator(f'#rv-stage-area .ws-widget[data-task-id="{task.id}"]')


def on_item(page, task, ready_selector=None):
    """Waits for `task`'s item on screen (and for the widget's media, if a selector is given)."""
    shown = widget(page, task)
    (shown.locator(ready_selector).first if ready_selector else shown).wait_for()
    page.wait_for_timeout(THINK_MS)
    return shown


def edit_changes(page):
    return page.locator("#rv-diff-edit .rv-change")


def machine_changes(page):
    return page.locator("#rv-diff-machine .rv-change")


def queue_empty(page):
    expect(page.locator("#rv-empty")).to_be_visible()
    expect(page.locator("#rv-empty")).to_contain_text("Nothing to review")


def switch_user(page, login, user):
    """Leaves the current page (its held item is released), signs out and in as `user`."""
    page.goto("/")
    page.context.clear_cookies()
    return login(user)


def review_of(annotation):
    from annotator.models import Review

    return Review.objects.get(annotation=annotation)
