"""`manage.py seed_demo`: the demo organization, its members, projects and queued imports."""
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from platform_core.label_config import label_values, validate_label_config
from platform_core.models import (
    Dataset,
    ImportJob,
    ImportStatus,
    Membership,
    Organization,
    Project,
    Role,
    TaskType,
)

PASSWORD = "Lantern-Orbit-47-Quartz"
USERNAMES = {"demo-admin", "demo-manager", "demo-reviewer", "demo-annotator"}


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--size", "small", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    return PASSWORD


@pytest.mark.django_db
def test_seed_demo_creates_members_projects_and_queued_imports(
    demo_password, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        output = _seed()

    organization = Organization.objects.get(name="Demo")
    roles = dict(
        Membership.objects.filter(organization=organization).values_list("user__username", "role")
    )
    assert roles == {
        "demo-admin": Role.ADMIN,
        "demo-manager": Role.MANAGER,
        "demo-reviewer": Role.REVIEWER,
        "demo-annotator": Role.ANNOTATOR,
    }
    for user in get_user_model().objects.filter(username__in=USERNAMES):
        assert user.check_password(demo_password)
        is_admin = user.username == "demo-admin"
        assert (user.is_staff, user.is_superuser) == (is_admin, is_admin)
        assert user.username in output
    assert demo_password in output and "http://" in output

    projects = Project.objects.filter(organization=organization)
    assert sorted(projects.values_list("task_type", flat=True)) == sorted(TaskType.values)
    for project in projects:
        validate_label_config(project.task_type, project.label_config)
        assert project.guidelines.startswith("## ")
        for label in project.label_config.get("labels", []):
            assert re.fullmatch(r"#[0-9a-f]{6}", label["color"]) and len(label["hotkey"]) == 1

    jobs = ImportJob.objects.filter(project__organization=organization)
    assert jobs.count() == 8 and len(callbacks) == 8
    assert {job.project_id for job in jobs} == set(projects.values_list("id", flat=True))
    for job in jobs:
        assert job.status == ImportStatus.QUEUED and job.dataset is not None
        assert job.file.storage.exists(job.file.name)
        assert job.file.size == job.file_size > 0
    _assert_stored_files_hold_data_but_not_answers(jobs)


def _assert_stored_files_hold_data_but_not_answers(jobs) -> None:
    spans = jobs.get(project__task_type=TaskType.TEXT_SPANS)
    with spans.file.open("rb") as handle:
        rows = [json.loads(line) for line in handle.read().decode().splitlines()]
    assert len(rows) == 40 and all(set(row) == {"text"} for row in rows)

    digits = jobs.get(project__task_type=TaskType.IMAGE_CLASSIFICATION)
    labels = set(label_values(digits.project.label_config))
    with digits.file.open("rb") as handle, zipfile.ZipFile(io.BytesIO(handle.read())) as archive:
        manifest = [json.loads(line) for line in archive.read("manifest.jsonl").splitlines()]
        assert len(manifest) == 40
        assert all(archive.read(row["file"]).startswith(b"\x89PNG") for row in manifest)
        assert not any(set(map(str, row["meta"].values())) & labels for row in manifest)


@pytest.mark.django_db
def test_seed_demo_run_again_changes_nothing(demo_password, django_capture_on_commit_callbacks):
    # The first run skips the data; the second would import it, were it not a no-op.
    _seed("--no-import")
    counts = (get_user_model().objects.count(), Project.objects.count(), ImportJob.objects.count())

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        output = _seed()

    assert "already exists" in output and "demo-annotator" in output
    assert demo_password not in output
    assert callbacks == []
    assert counts == (
        get_user_model().objects.count(), Project.objects.count(), ImportJob.objects.count()
    )
    assert Organization.objects.filter(name="Demo").count() == 1


@pytest.mark.django_db
def test_seed_demo_without_import_creates_projects_but_queues_nothing(
    demo_password, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _seed("--no-import")

    assert Project.objects.filter(organization__name="Demo").count() == 8
    assert (ImportJob.objects.count(), Dataset.objects.count(), len(callbacks)) == (0, 0, 0)


@pytest.mark.django_db
def test_seed_demo_prints_a_different_working_password_per_user(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)

    output = _seed("--no-import")

    printed = dict(re.findall(r"(demo-\w+)\s+(\S+)", output))
    assert set(printed) == USERNAMES and len(set(printed.values())) == 4
    for username, password in printed.items():
        assert get_user_model().objects.get(username=username).check_password(password)


@pytest.mark.django_db
def test_seed_demo_that_fails_midway_leaves_no_demo_behind(demo_password, monkeypatch):
    from platform_core.management.commands import seed_demo

    real_create, calls = seed_demo.import_job_create, []

    def failing_third_import(**kwargs):
        calls.append(kwargs["project"].task_type)
        if len(calls) == 3:
            raise ValidationError({"file": "Disk full."})
        return real_create(**kwargs)

    monkeypatch.setattr(seed_demo, "import_job_create", failing_third_import)

    with pytest.raises(CommandError, match="Disk full"):
        _seed()

    assert len(calls) == 3
    assert not Organization.objects.exists() and not Project.objects.exists()
    assert not get_user_model().objects.filter(username__in=USERNAMES).exists()
    assert not ImportJob.objects.exists()
