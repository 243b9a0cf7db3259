"""The Django admin is read-mostly: what the API refuses to change is read-only there too, and
a project saved there goes through the service (so its queue reorders)."""
import json

import pytest
from django.contrib.auth import get_user_model

from platform_core.models import Membership, Project, Role
from platform_core.models.projects import QueueOrder
from platform_core.signals import queue_order_changed
from tests.annotator.factories import AnnotationFactory
from tests.factories import DEFAULT_PASSWORD, OrganizationFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", DEFAULT_PASSWORD)
    client.force_login(staff)
    return client


def change_form(client, project) -> dict:
    """The change form's fields as the browser would post them back."""
    response = client.get(f"/admin/platform/project/{project.id}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, dict):
            value = json.dumps(value)
        data[name] = "" if value is None else value
    return data


def test_organization_and_task_type_are_read_only_on_a_project(staff_client, project):
    response = staff_client.get(f"/admin/platform/project/{project.id}/change/")
    form_fields = response.context["adminform"].form.fields

    assert "organization" not in form_fields and "task_type" not in form_fields
    data = change_form(staff_client, project)
    data.update(organization=OrganizationFactory().pk, task_type="sft")
    staff_client.post(f"/admin/platform/project/{project.id}/change/", data)
    project.refresh_from_db()
    assert (project.organization_id, project.task_type) != (data["organization"], "sft")
    assert project.task_type == "text_classification"


def test_a_queue_order_changed_in_the_admin_goes_through_the_service(
    staff_client, project, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, project, **kwargs):
        heard.append(project.pk)

    queue_order_changed.connect(listener, dispatch_uid="test.admin_queue_order")
    try:
        data = change_form(staff_client, project)
        data["queue_order"] = QueueOrder.RANDOM
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(f"/admin/platform/project/{project.id}/change/", data)
    finally:
        queue_order_changed.disconnect(dispatch_uid="test.admin_queue_order")

    assert response.status_code == 302
    assert heard == [project.pk]
    assert Project.objects.get(pk=project.pk).queue_order == QueueOrder.RANDOM


def test_the_admin_refuses_to_drop_a_label_that_annotations_use(staff_client, project):
    AnnotationFactory(task=TaskFactory(project=project), result={"labels": ["negative"]})
    data = change_form(staff_client, project)
    data["label_config"] = '{"labels": [{"value": "positive"}]}'

    response = staff_client.post(f"/admin/platform/project/{project.id}/change/", data)

    assert response.status_code == 200  # the form again, with the error
    assert "Stored results use the labels you removed (negative)" in response.content.decode()
    project.refresh_from_db()
    assert len(project.label_config["labels"]) == 2


def test_a_project_added_in_the_admin_is_created_by_the_service(staff_client, org):
    response = staff_client.get("/admin/platform/project/add/")
    assert "organization" in response.context["adminform"].form.fields
    data = {
        "organization": org.pk, "name": "From admin", "task_type": "sft", "label_config": "{}",
        "guidelines": "", "kind": "custom", "overlap": 1, "queue_order": "sequential",
        "review_sample_rate": 0.1, "annotation_review_rate": 1.0, "second_review_rate": 0.0,
        "target_precision": 0.95, "suggestion_holdout_rate": 0.05, "hourly_rate": "0",
        "model_server_url": "", "use_builtin_model": "on",
    }

    response = staff_client.post("/admin/platform/project/add/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Project.objects.get(name="From admin")
    assert created.created_by.username == "staff"


def test_memberships_are_read_only_in_the_admin(staff_client, org, member):
    membership = Membership.objects.get(user=member(Role.ANNOTATOR, org))

    assert staff_client.get("/admin/platform/membership/add/").status_code == 403
    response = staff_client.post(
        f"/admin/platform/membership/{membership.id}/change/",
        {"user": membership.user_id, "organization": org.pk, "role": "admin"},
    )
    assert response.status_code == 403
    assert Membership.objects.get(pk=membership.pk).role == Role.ANNOTATOR


def test_deleting_in_the_admin_marks_the_project_for_the_purge_without_listing_its_rows(
    staff_client, project, monkeypatch
):
    sent = []
    monkeypatch.setattr("platform_core.services.projects.send_quietly", lambda task, *args: sent.append(args))
    TaskFactory(project=project)

    confirm = staff_client.get(f"/admin/platform/project/{project.id}/delete/")
    response = staff_client.post(f"/admin/platform/project/{project.id}/delete/", {"post": "yes"})

    assert confirm.status_code == 200 and "purged by the worker" in confirm.content.decode()
    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).deleting  # hidden now, purged by the worker
