"""Reviewing through the API: every verdict, who may review, the lease, the second stage, the
task's history, and a rejected task's comment reaching the next annotator."""
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from annotator.models import Annotation, AnnotationStatus, Review, ReviewItem
from annotator.services import annotation_submit, task_claim_next
from platform_core.models import Role, TaskStatus, TaskType
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

POSITIVE = {"labels": ["positive"]}
NEGATIVE = {"labels": ["negative"]}


def label(project, user, result=POSITIVE, prediction=None):
    """Claim the user's next task and submit `result` for it, as the labeling page does."""
    task = task_claim_next(project=project, user=user)
    return annotation_submit(
        task_id=task.pk, user=user, result=result, lead_time_s=4.0,
        prediction_id=prediction.pk if prediction else None,
    )


def next_review(client, project):
    return client.post(f"/api/v1/projects/{project.id}/next-review/", {}, format="json")


def verdict(client, url, **body):
    return client.post(url, body, format="json")


def test_a_submitted_annotation_is_served_to_a_reviewer_with_what_they_need(
    project, annotator, reviewer, api_client
):
    task = TaskFactory(project=project, data={"text": "great"})
    suggestion = PredictionFactory(task=task, result=NEGATIVE, confidence=0.6)
    annotation = label(project, annotator, POSITIVE, prediction=suggestion)

    response = next_review(api_client(reviewer), project)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["kind"], body["stage"], body["result"]) == ("annotation", 1, POSITIVE)
    assert body["task"]["id"] == task.id and body["task"]["data"] == {"text": "great"}
    assert body["annotation"]["id"] == annotation.id
    assert body["annotation"]["annotator_username"] == annotator.username
    assert body["suggestion"]["result"] == NEGATIVE
    assert body["machine"] is None
    assert body["verdict_url"] == f"/api/v1/annotations/{annotation.id}/review/"
    assert ReviewItem.objects.get(pk=body["id"]).locked_by == reviewer


def test_asking_again_returns_the_held_item_and_another_reviewer_gets_the_next(
    project, annotator, reviewer, member, api_client
):
    TaskFactory.create_batch(2, project=project)
    first, second = label(project, annotator), label(project, annotator)
    client = api_client(reviewer)

    held = next_review(client, project).json()["annotation"]["id"]
    again = next_review(client, project).json()["annotation"]["id"]
    other = next_review(api_client(member(Role.MANAGER, project.organization)), project)

    assert held == again == first.id
    assert other.json()["annotation"]["id"] == second.id


def test_accept_makes_the_task_accepted_with_the_annotators_result(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator, POSITIVE)
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    response = verdict(client, url, verdict="accept")

    assert response.status_code == 201, response.json()
    assert response.json()["task_status"] == TaskStatus.ACCEPTED
    annotation.refresh_from_db()
    task = annotation.task
    task.refresh_from_db()
    assert annotation.status == AnnotationStatus.ACCEPTED
    assert (task.status, task.accepted_result) == (TaskStatus.ACCEPTED, POSITIVE)
    review = Review.objects.get()
    assert (review.verdict, review.reviewer, review.result) == ("accept", reviewer, POSITIVE)
    assert review.edit == {"metric": "labels_changed", "value": 0.0}
    assert not ReviewItem.objects.exists()
    assert next_review(client, project).status_code == 204


def test_correct_stores_the_reviewers_result_and_the_size_of_the_change(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator, POSITIVE)
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    response = verdict(client, url, verdict="correct", result=NEGATIVE)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["verdict"], body["reviewed_result"], body["result"]) == (
        "correct", POSITIVE, NEGATIVE
    )
    assert body["edit"] == {"metric": "labels_changed", "value": 2.0}
    annotation.refresh_from_db()
    assert annotation.result == POSITIVE  # the annotator's answer is kept as it was
    annotation.task.refresh_from_db()
    assert annotation.task.accepted_result == NEGATIVE


def test_a_correction_identical_to_the_result_is_recorded_as_an_accept(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    label(project, annotator, POSITIVE)
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    assert verdict(client, url, verdict="correct", result=POSITIVE).json()["verdict"] == "accept"


def test_a_correction_that_does_not_fit_the_labels_is_a_400_and_changes_nothing(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    label(project, annotator, POSITIVE)
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    bad = verdict(client, url, verdict="correct", result={"labels": ["<b>nope</b>"]})
    missing = verdict(client, url, verdict="correct")
    stray = verdict(client, url, verdict="accept", result=NEGATIVE)
    unknown = verdict(client, url, verdict="maybe")

    assert [r.status_code for r in (bad, missing, stray, unknown)] == [400] * 4
    assert "result" in bad.json() and "verdict" in unknown.json()
    assert not Review.objects.exists() and ReviewItem.objects.count() == 1


def test_reject_needs_a_comment_and_sends_the_task_back_where_the_annotator_reads_it(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator, POSITIVE)
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    assert verdict(client, url, verdict="reject", comment="  ").status_code == 400
    response = verdict(client, url, verdict="reject", comment="Sarcasm: this is negative.")

    assert response.status_code == 201, response.json()
    annotation.refresh_from_db()
    assert annotation.status == AnnotationStatus.REJECTED
    annotation.task.refresh_from_db()
    assert (annotation.task.status, annotation.task.annotation_count) == (TaskStatus.REJECTED, 0)
    # The same annotator gets the task back, with the reviewer's note, and labels it again.
    served = api_client(annotator).post(f"/api/v1/projects/{project.id}/next-task/")
    assert served.json()["id"] == annotation.task_id
    assert served.json()["review_note"]["comment"] == "Sarcasm: this is negative."
    assert served.json()["review_note"]["reviewer"] == reviewer.username
    again = api_client(annotator).post(
        f"/api/v1/tasks/{annotation.task_id}/annotations/",
        {"result": NEGATIVE, "lead_time_s": 3.0}, format="json",
    )
    assert again.status_code == 201, again.json()
    # The rework is reviewed again, whatever the project's sample rate.
    assert next_review(client, project).json()["annotation"]["id"] == again.json()["id"]


def test_rework_is_reviewed_even_when_the_project_samples_few_tasks(
    project, annotator, reviewer, api_client
):
    project.annotation_review_rate = 0.0
    project.save()
    TaskFactory(project=project)
    first = label(project, annotator)
    assert not ReviewItem.objects.exists()  # outside the sample: stays submitted, unreviewed
    item = ReviewItem.objects.create(
        project=project, task=first.task, annotation=first, kind="annotation",
        author=annotator,
    )
    client = api_client(reviewer)
    verdict(client, f"/api/v1/annotations/{first.id}/review/", verdict="reject", comment="No.")
    assert not ReviewItem.objects.filter(pk=item.pk).exists()

    rework = label(project, annotator, NEGATIVE)

    assert rework.task_id == first.task_id
    assert ReviewItem.objects.filter(annotation=rework).exists()


def test_nobody_reviews_their_own_annotation(project, member, api_client):
    manager = member(Role.MANAGER, project.organization)
    TaskFactory(project=project)
    own = label(project, manager)
    client = api_client(manager)

    assert next_review(client, project).status_code == 204
    progress = client.get(f"/api/v1/projects/{project.id}/review-progress/").json()
    assert progress["left"] == 0  # their own work is not left for them
    response = verdict(client, f"/api/v1/annotations/{own.id}/review/", verdict="accept")
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_annotators_may_not_review_and_other_organizations_do_not_find_anything(
    project, annotator, member, other_org, api_client
):
    TaskFactory(project=project)
    annotation = label(project, member(Role.MANAGER, project.organization))
    outsider = api_client(member(Role.ADMIN, other_org))
    url = f"/api/v1/annotations/{annotation.id}/review/"

    assert next_review(api_client(annotator), project).status_code == 403
    assert verdict(api_client(annotator), url, verdict="accept").status_code == 403
    assert next_review(outsider, project).status_code == 404
    assert verdict(outsider, url, verdict="accept").status_code == 404
    progress = f"/api/v1/projects/{project.id}/review-progress/"
    assert api_client(annotator).get(progress).status_code == 403
    assert not Review.objects.exists()


def test_an_item_another_reviewer_holds_is_a_409_until_the_lease_ends(
    project, annotator, reviewer, member, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator)
    next_review(api_client(reviewer), project)
    other = api_client(member(Role.REVIEWER, project.organization))
    url = f"/api/v1/annotations/{annotation.id}/review/"

    held = verdict(other, url, verdict="accept")
    ReviewItem.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    after_lease = verdict(other, url, verdict="accept")
    twice = verdict(other, url, verdict="accept")

    assert (held.status_code, held.json()["code"]) == (409, "locked_by_other")
    assert after_lease.status_code == 201
    assert (twice.status_code, twice.json()["code"]) == (409, "not_pending")


def test_releasing_gives_the_item_to_the_next_reviewer(
    project, annotator, reviewer, member, api_client
):
    TaskFactory(project=project)
    label(project, annotator)
    body = next_review(api_client(reviewer), project).json()
    other = api_client(member(Role.REVIEWER, project.organization))
    assert next_review(other, project).status_code == 204

    stale = {"lock_expires_at": "2000-01-01T00:00:00Z"}
    assert api_client(reviewer).post(body["release_url"], stale, format="json").status_code == 204
    assert next_review(other, project).status_code == 204  # a stale goodbye releases nothing
    lease = {"lock_expires_at": body["lock_expires_at"]}
    assert api_client(reviewer).post(body["release_url"], lease, format="json").status_code == 204
    assert next_review(other, project).json()["id"] == body["id"]
    assert api_client(reviewer).post(body["release_url"]).status_code == 409


def test_an_annotator_cannot_edit_while_a_reviewer_holds_it_nor_after_the_verdict(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator)
    client = api_client(annotator)
    url = f"/api/v1/annotations/{annotation.id}/"
    body = next_review(api_client(reviewer), project).json()

    during = client.patch(url, {"result": NEGATIVE}, format="json")
    verdict(api_client(reviewer), body["verdict_url"], verdict="accept")
    after = client.patch(url, {"result": NEGATIVE}, format="json")

    assert (during.status_code, during.json()["code"]) == (409, "in_review")
    assert (after.status_code, after.json()["code"]) == (409, "reviewed")


def test_a_sampled_second_stage_needs_a_different_reviewer_before_the_task_is_accepted(
    annotator, reviewer, member, api_client
):
    project = ProjectFactory(organization=annotator.memberships.get().organization,
                             second_review_rate=1.0)
    TaskFactory(project=project)
    annotation = label(project, annotator, POSITIVE)
    first = api_client(reviewer)
    url = next_review(first, project).json()["verdict_url"]

    passed = verdict(first, url, verdict="correct", result=NEGATIVE).json()

    assert passed["second_stage"] is True and passed["task_status"] == TaskStatus.SUBMITTED
    assert next_review(first, project).status_code == 204  # not the same reviewer again
    assert verdict(first, url, verdict="accept").status_code == 403
    second = api_client(member(Role.REVIEWER, project.organization))
    item = next_review(second, project).json()
    assert (item["stage"], item["result"]) == (2, NEGATIVE)
    assert [r["verdict"] for r in item["earlier_reviews"]] == ["correct"]
    assert verdict(second, url, verdict="accept").status_code == 201
    annotation.task.refresh_from_db()
    assert (annotation.task.status, annotation.task.accepted_result) == (
        TaskStatus.ACCEPTED, NEGATIVE
    )
    assert list(Review.objects.order_by("id").values_list("stage", "verdict")) == [
        (1, "correct"), (2, "accept")
    ]


def test_overlapped_tasks_are_accepted_once_every_annotation_is_judged(
    member, api_client, reviewer
):
    org = reviewer.memberships.get().organization
    project = ProjectFactory(organization=org, overlap=2)
    TaskFactory(project=project)
    annotators = [member(Role.ANNOTATOR, org) for _ in range(2)]
    for person in annotators:
        label(project, person)
    client = api_client(reviewer)

    first = verdict(client, next_review(client, project).json()["verdict_url"], verdict="accept")
    second = verdict(client, next_review(client, project).json()["verdict_url"], verdict="accept")

    assert first.json()["task_status"] == TaskStatus.SUBMITTED
    assert second.json()["task_status"] == TaskStatus.ACCEPTED


def test_the_task_history_shows_suggestions_versions_and_reviews_by_role(
    project, annotator, reviewer, api_client, member
):
    task = TaskFactory(project=project)
    suggestion = PredictionFactory(task=task, result=NEGATIVE)
    annotation = label(project, annotator, NEGATIVE, prediction=suggestion)
    api_client(annotator).patch(
        f"/api/v1/annotations/{annotation.id}/", {"result": POSITIVE}, format="json"
    )
    client = api_client(reviewer)
    verdict(client, next_review(client, project).json()["verdict_url"],
            verdict="reject", comment="<b>not</b> positive")
    rework = label(project, member(Role.ANNOTATOR, project.organization), NEGATIVE)
    verdict(client, f"/api/v1/annotations/{rework.id}/review/", verdict="accept")

    history = client.get(f"/api/v1/tasks/{task.id}/").json()["history"]
    own = api_client(annotator).get(f"/api/v1/tasks/{task.id}/").json()["history"]

    assert [s["id"] for s in history["suggestions"]] == [suggestion.id]
    first, second = history["annotations"]
    assert (first["status"], first["result"]) == ("rejected", POSITIVE)
    assert [v["result"] for v in first["versions"]] == [NEGATIVE]
    assert first["reviews"][0]["comment"] == "<b>not</b> positive"
    assert first["reviews"][0]["reviewer_username"] == reviewer.username
    assert (second["status"], second["reviews"][0]["verdict"]) == ("accepted", "accept")
    assert [a["id"] for a in own["annotations"]] == [annotation.id]


def test_the_progress_line_counts_the_reviewers_verdicts_and_what_is_left(
    project, annotator, reviewer, api_client
):
    TaskFactory.create_batch(3, project=project)
    for _ in range(3):
        label(project, annotator)
    client = api_client(reviewer)
    verdict(client, next_review(client, project).json()["verdict_url"], verdict="accept")

    progress = client.get(f"/api/v1/projects/{project.id}/review-progress/").json()
    own_work = api_client(annotator).get(f"/api/v1/projects/{project.id}/review-progress/")

    assert progress == {"done_today": 1, "left": 2, "total_reviewed": 1}
    assert own_work.status_code == 403  # annotators have no review queue



def test_a_partial_review_rate_leaves_unsampled_tasks_submitted_and_unreviewed(
    project, annotator
):
    project.annotation_review_rate = 0.5
    project.save()
    TaskFactory.create_batch(40, project=project)
    random.seed(7)

    for _ in range(40):
        label(project, annotator)

    queued = ReviewItem.objects.count()
    assert 8 <= queued <= 32
    unqueued = Annotation.objects.exclude(review_items__isnull=False)
    assert unqueued.count() == 40 - queued
    assert set(unqueued.values_list("task__status", flat=True)) == {TaskStatus.SUBMITTED}


def test_a_reviewer_of_another_type_corrects_boxes_and_the_edit_is_the_box_overlap(
    member, api_client
):
    project = ProjectFactory(task_type=TaskType.IMAGE_BOXES)
    annotator = member(Role.ANNOTATOR, project.organization)
    reviewer = member(Role.REVIEWER, project.organization)
    label_value = project.label_config["labels"][0]["value"]
    TaskFactory(project=project, width=100, height=100)
    box = {"x": 0.1, "y": 0.1, "w": 0.4, "h": 0.4, "label": label_value}
    label(project, annotator, {"boxes": [box]})
    client = api_client(reviewer)
    url = next_review(client, project).json()["verdict_url"]

    moved = {**box, "x": 0.3}
    response = verdict(client, url, verdict="correct", result={"boxes": [moved]})

    assert response.status_code == 201, response.json()
    assert response.json()["edit"]["metric"] == "box_iou"
    assert response.json()["edit"]["value"] == pytest.approx(0.2 * 0.4 / (0.32 - 0.08), abs=1e-6)
