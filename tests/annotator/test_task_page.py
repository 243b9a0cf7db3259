"""The task page: the item, its final and gold answers, its history as a timeline, who may see
what, and that data never becomes markup."""
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import Review, ReviewKind, ReviewVerdict
from annotator.services import (
    annotation_submit,
    annotation_update,
    review_item_for_verdict,
    review_record,
    task_claim_next,
)
from platform_core.models import Role, TaskStatus, TaskType
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


@pytest.fixture
def manager(project, member):
    return member(Role.MANAGER, project.organization)


def label(project, user, result=POSITIVE, prediction=None):
    """Claim the user's next task and submit `result`, as the labeling page does."""
    task = task_claim_next(project=project, user=user)
    return annotation_submit(
        task_id=task.pk, user=user, result=result, lead_time_s=4.0,
        prediction_id=prediction.pk if prediction else None,
    )


def review(annotation, reviewer, verdict, **fields):
    with transaction.atomic():
        item = review_item_for_verdict(user=reviewer, annotation=annotation)
        return review_record(item=item, reviewer=reviewer, verdict=verdict, **fields)


def page(client, user, task):
    client.force_login(user)
    return client.get(reverse("task-page", args=[task.pk]))


def accepted_task(project, result=POSITIVE):
    return TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result=result)


def test_the_timeline_tells_the_tasks_story_in_time_order(
    client, project, annotator, reviewer, manager, member
):
    task = TaskFactory(project=project, data={"text": "great value"})
    suggestion = PredictionFactory(
        task=task, model_version="tfidf-v3", result=NEGATIVE, confidence=0.62
    )
    first = label(project, annotator, NEGATIVE, prediction=suggestion)
    annotation_update(annotation=first, user=annotator, result=POSITIVE, lead_time_s=1.5)
    review(first, reviewer, ReviewVerdict.REJECT, comment="Read the second half again")
    second = label(project, member(Role.ANNOTATOR, project.organization), NEGATIVE)
    review(second, reviewer, ReviewVerdict.CORRECT, result=POSITIVE, comment="Praise is positive")

    response = page(client, manager, task)

    assert response.status_code == 200
    timeline = response.context["timeline"]
    assert [entry["kind"] for entry in timeline] == [
        "suggestion", "annotation", "review", "annotation", "review",
    ]
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    assert timeline[1]["annotation"] == first and timeline[3]["annotation"] == second
    assert [v["result"] for v in timeline[1]["versions"]] == [
        {"kind": "labels", "labels": ["negative"]}
    ]
    body = response.content.decode()
    assert "tfidf-v3" in body and "confidence 0.62" in body
    assert f"Annotation #{first.id}" in body and annotator.username in body
    assert "active 5.5 s" in body and "changed the suggestion" in body
    assert "1 earlier version" in body
    assert "Read the second half again" in body and "Praise is positive" in body
    assert f"Review of annotation #{first.id}" in body and reviewer.username in body
    assert "Changed: 2 labels added or removed" in body and "Corrected to" in body
    assert body.index("Read the second half again") < body.index("Praise is positive")
    task.refresh_from_db()
    assert response.context["accepted"] == {"kind": "labels", "labels": ["positive"]}


def test_a_spot_check_of_the_machine_label_shows_with_its_confidence(
    client, project, reviewer, manager
):
    task = accepted_task(project, NEGATIVE)
    machine = PredictionFactory(task=task, model_version="auto-v1", result=POSITIVE)
    Review.objects.create(
        task=task, prediction=machine, kind=ReviewKind.SPOT_CHECK, reviewer=reviewer,
        verdict=ReviewVerdict.CORRECT, reviewed_result=POSITIVE, result=NEGATIVE,
        edit={"metric": "labels_changed", "value": 2.0}, confidence=0.97,
    )

    response = page(client, manager, task)

    assert [entry["kind"] for entry in response.context["timeline"]] == [
        "suggestion", "spot_check",
    ]
    body = response.content.decode()
    assert "Spot-check of the machine label" in body and "machine confidence 0.97" in body
    assert "Machine label" in body and "Corrected to" in body


def test_the_item_shows_each_task_types_fields_and_results_read_as_text(client, org, member):
    manager = member(Role.MANAGER, org)
    spans = ProjectFactory(organization=org, task_type=TaskType.TEXT_SPANS)
    span_task = TaskFactory(
        project=spans, data={"text": "Ada met Bob"}, status=TaskStatus.ACCEPTED,
        accepted_result={"spans": [{"start": 8, "end": 11, "label": "PER"}]},
    )
    preference = ProjectFactory(organization=org, task_type=TaskType.PREFERENCE)
    pair = TaskFactory(
        project=preference,
        data={"prompt": "Say hi", "response_a": "Hello!", "response_b": "Go away."},
        status=TaskStatus.ACCEPTED, accepted_result={"choice": "A", "reason": "polite"},
    )

    span_body = page(client, manager, span_task).content.decode()
    pair_body = page(client, manager, pair).content.decode()

    assert "<strong>PER</strong>: “Bob”" in span_body
    assert 'data-field="prompt"' in pair_body and "Go away." in pair_body
    assert "<strong>A is better</strong>" in pair_body and "polite" in pair_body


def test_media_tasks_show_their_file_from_the_media_url(client, org, member):
    manager = member(Role.MANAGER, org)
    images = ProjectFactory(organization=org, task_type=TaskType.IMAGE_BOXES)
    task = TaskFactory(project=images, data={"file": "cat.png"}, media="projects/1/media/cat.png")

    body = page(client, manager, task).content.decode()

    assert f'<img class="task-media" src="{reverse("task-media", args=[task.pk])}"' in body


def test_html_in_texts_labels_model_names_and_comments_stays_escaped(client, org, member):
    script_label = '<img src=x onerror="alert(1)">'
    project = ProjectFactory(
        organization=org, task_type=TaskType.TEXT_SPANS,
        label_config={"labels": [{"value": script_label}, {"value": "PER"}]},
    )
    annotator, reviewer = member(Role.ANNOTATOR, org), member(Role.REVIEWER, org)
    text = "<script>alert('text')</script> Bob"
    task = TaskFactory(project=project, data={"text": text})
    PredictionFactory(
        task=task, model_version="<b>model</b>",
        result={"spans": [{"start": 0, "end": 8, "label": script_label}]},
    )
    annotation = label(project, annotator, {"spans": [{"start": 0, "end": 8, "label": "PER"}]})
    review(annotation, reviewer, ReviewVerdict.REJECT, comment="<i>no</i> <script>x()</script>")

    response = page(client, member(Role.MANAGER, org), task)

    body = response.content.decode()
    for raw in (script_label, "<script>", "<b>model</b>", "<i>no</i>"):
        assert raw not in body
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt; Bob" in body
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</strong>: “&lt;script&gt;”" in body
    assert "&lt;b&gt;model&lt;/b&gt;" in body and "&lt;i&gt;no&lt;/i&gt;" in body


def test_an_unreadable_stored_result_shows_as_escaped_json(client, project, manager):
    task = accepted_task(project, {"labels": "<b>not a list</b>"})

    body = page(client, manager, task).content.decode()

    assert '<pre class="result-raw">' in body and "&lt;b&gt;not a list&lt;/b&gt;" in body


def test_an_annotator_gets_a_404_for_a_task_they_neither_hold_nor_labeled(
    client, project, annotator
):
    task = TaskFactory(project=project)

    assert page(client, annotator, task).status_code == 404


def test_an_annotator_sees_a_task_they_hold(client, project, annotator):
    TaskFactory(project=project)
    held = task_claim_next(project=project, user=annotator)

    assert page(client, annotator, held).status_code == 200


def test_an_annotator_sees_only_their_own_annotations_and_no_spot_check(
    client, member, org
):
    project = ProjectFactory(organization=org, overlap=2)
    task = TaskFactory(project=project)
    mine, other = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    own = label(project, mine, POSITIVE)
    theirs = label(project, other, NEGATIVE)
    review(own, member(Role.REVIEWER, org), ReviewVerdict.REJECT, comment="look again")

    response = page(client, mine, task)

    assert response.status_code == 200
    annotations = [e["annotation"] for e in response.context["timeline"] if e["kind"] == "annotation"]
    assert annotations == [own]
    body = response.content.decode()
    assert f"Annotation #{theirs.id}" not in body and other.username not in body
    assert "look again" in body
    assert "You see your own annotations" in body


def test_members_of_another_organization_get_a_404(client, project, member, other_org):
    task = accepted_task(project)

    for role in (Role.ADMIN, Role.MANAGER, Role.ANNOTATOR):
        assert page(client, member(role, other_org), task).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, project):
    task = TaskFactory(project=project)

    response = client.get(reverse("task-page", args=[task.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_managers_and_admins_see_the_gold_answer_and_the_gold_buttons(client, project, member, role):
    task = TaskFactory(project=project, status=TaskStatus.ACCEPTED, accepted_result=POSITIVE)
    gold = TaskFactory(project=project, accepted_result=POSITIVE, gold_result=NEGATIVE)
    user = member(role, project.organization)

    ordinary_body = page(client, user, task).content.decode()
    gold_body = page(client, user, gold).content.decode()

    assert 'id="gold-mark"' in ordinary_body and "disabled" not in ordinary_body
    assert 'id="task-page-config"' in ordinary_body and "task_page.js" in ordinary_body
    assert f"/api/v1/tasks/{task.id}/gold/" in ordinary_body
    assert 'id="gold-unmark"' in gold_body and 'id="gold-mark"' not in gold_body
    assert "Gold answer" in gold_body and "negative" in gold_body


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ANNOTATOR])
def test_nobody_else_sees_the_gold_answer_or_buttons(client, project, member, role):
    user = member(role, project.organization)
    TaskFactory(project=project, accepted_result=POSITIVE, gold_result=NEGATIVE)
    task = task_claim_next(project=project, user=user) if role == Role.ANNOTATOR else None
    task = task or project.tasks.get()

    response = page(client, user, task)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Gold answer" not in body and "gold-mark" not in body and "gold-unmark" not in body
    assert "task-page-config" not in body and "task_page.js" not in body
    assert "negative" not in body


def test_mark_as_gold_is_disabled_with_a_reason_until_the_task_has_an_accepted_result(
    client, project, manager
):
    task = TaskFactory(project=project)

    body = page(client, manager, task).content.decode()

    assert 'id="gold-mark" data-method="POST" disabled aria-describedby="gold-why"' in body
    assert "no accepted result yet" in body


def test_the_page_reads_a_long_history_in_as_many_queries_as_a_short_one(
    client, member, org, django_assert_max_num_queries
):
    reviewer, manager = member(Role.REVIEWER, org), member(Role.MANAGER, org)
    tasks = []
    for overlap in (1, 3):
        project = ProjectFactory(organization=org, overlap=overlap)
        tasks.append(TaskFactory(project=project))
        PredictionFactory(task=tasks[-1])
        for _ in range(overlap):
            annotator = member(Role.ANNOTATOR, org)
            annotation = label(project, annotator, POSITIVE)
            annotation_update(annotation=annotation, user=annotator, result=NEGATIVE)
        for annotation in tasks[-1].annotations.all():
            review(annotation, reviewer, ReviewVerdict.ACCEPT)
    short, long = tasks
    client.force_login(manager)

    with CaptureQueriesContext(connection) as short_queries:
        client.get(reverse("task-page", args=[short.pk]))
    with django_assert_max_num_queries(len(short_queries)):
        response = client.get(reverse("task-page", args=[long.pk]))

    assert len(response.context["timeline"]) == 1 + 3 + 3


def test_the_open_task_form_goes_to_the_task_page(client, project, manager):
    task = TaskFactory(project=project)
    client.force_login(manager)

    detail = client.get(reverse("project-detail", args=[project.id])).content.decode()
    response = client.get(reverse("project-task-go", args=[project.id]), {"id": f" {task.id} "})

    assert f'action="{reverse("project-task-go", args=[project.id])}"' in detail
    assert response.status_code == 302
    assert response["Location"] == reverse("task-page", args=[task.pk])


@pytest.mark.parametrize("value", ["", "abc", "1.5", "-3", "9" * 30, "99999999999"])
def test_the_open_task_form_answers_404_for_what_is_not_a_task_id(client, project, manager, value):
    client.force_login(manager)

    response = client.get(reverse("project-task-go", args=[project.id]), {"id": value})

    assert response.status_code == 404


def test_the_open_task_form_finds_only_tasks_of_its_project_the_caller_may_see(
    client, project, manager, annotator, org
):
    elsewhere = TaskFactory(project=ProjectFactory(organization=org))
    unseen = TaskFactory(project=project)
    go = reverse("project-task-go", args=[project.id])

    client.force_login(manager)
    assert client.get(go, {"id": elsewhere.id}).status_code == 404
    client.force_login(annotator)
    assert client.get(go, {"id": unseen.id}).status_code == 404
