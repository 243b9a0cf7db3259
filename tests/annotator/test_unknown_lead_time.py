"""Annotations whose active time is unknown (lead_time_s NULL: labels made elsewhere, loaded by a
script) go through editing, review and the metrics like any other; their time stays unknown,
never zero. Submitting one through the API is tested in test_annotations_api.py."""
import pytest

from annotator.models import Annotation, AnnotationVersion, Review
from annotator.services import annotation_submit, task_claim_next
from platform_core.models import Role
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

POS, NEG = {"labels": ["positive"]}, {"labels": ["negative"]}


def label(project, user, result=POS, lead_time_s=None):
    task = task_claim_next(project=project, user=user)
    return annotation_submit(task_id=task.pk, user=user, result=result, lead_time_s=lead_time_s)


def test_an_edit_keeps_an_unknown_total_unknown(project, annotator, api_client):
    TaskFactory(project=project)
    annotation = label(project, annotator)
    client = api_client(annotator)

    response = client.patch(
        f"/api/v1/annotations/{annotation.id}/", {"result": NEG, "lead_time_s": 2}, format="json"
    )

    # The edit's 2 s alone are not the time the label took.
    assert response.status_code == 200, response.json()
    assert response.json()["lead_time_s"] is None
    assert [version["lead_time_s"] for version in response.json()["history"]] == [None]
    assert Annotation.objects.get(pk=annotation.id).lead_time_s is None
    assert AnnotationVersion.objects.get(annotation=annotation).lead_time_s is None


def test_a_reviewer_is_served_and_decides_on_an_annotation_of_unknown_time(
    project, annotator, reviewer, api_client
):
    TaskFactory(project=project)
    annotation = label(project, annotator)
    client = api_client(reviewer)

    # next-review reads the annotation through hand-written SQL (review_selectors).
    item = client.post(f"/api/v1/projects/{project.id}/next-review/", {}, format="json")
    assert item.status_code == 200, item.json()
    assert item.json()["annotation"]["id"] == annotation.id
    assert item.json()["annotation"]["lead_time_s"] is None

    verdict = client.post(item.json()["verdict_url"], {"verdict": "accept"}, format="json")
    assert verdict.status_code == 201, verdict.json()
    history = client.get(f"/api/v1/tasks/{annotation.task_id}/").json()["history"]
    assert history["annotations"][0]["lead_time_s"] is None
    assert Annotation.objects.get(pk=annotation.id).lead_time_s is None


def _labelled_project(org, people, reviewer, lead_times):
    """Two annotators on four overlapped tasks, every first annotation reviewed; the first
    annotator's times are `lead_times`, the second's are known."""
    project = ProjectFactory(organization=org, overlap=2)
    first, second = people
    for (a, b), lead_time_s in zip([(POS, POS), (NEG, NEG), (POS, NEG), (NEG, NEG)], lead_times):
        task = TaskFactory(project=project)
        annotation = AnnotationFactory(task=task, annotator=first, result=a, lead_time_s=lead_time_s)
        AnnotationFactory(task=task, annotator=second, result=b, lead_time_s=5.0)
        Review.objects.create(
            task=task, annotation=annotation, kind="annotation", reviewer=reviewer,
            verdict="accept", reviewed_result=a, result=a,
        )
    return project


def test_unknown_times_change_no_metric_and_are_counted_like_known_ones(org, member, api_client):
    reviewer = member(Role.REVIEWER, org)
    people = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    known = _labelled_project(org, people, reviewer, [4.0, 6.0, 2.0, 8.0])
    unknown = _labelled_project(org, people, reviewer, [None, 6.0, None, None])
    client = api_client(reviewer)

    def metrics(project):
        response = client.get(f"/api/v1/projects/{project.id}/metrics/")
        assert response.status_code == 200, response.json()
        return {key: value for key, value in response.json().items() if key != "project"}

    figures = metrics(unknown)
    assert figures["quality"] == metrics(known)["quality"]
    assert figures["quality"]["agreement"]["tasks"] == 4
    assert figures["quality"]["review"]["first_stage"]["reviewed"] == 4
    # Time figures leave the unknown times out rather than count them as zero seconds: the
    # first annotator's one timed item took 6 s, 600 an hour (not 4 items in 6 s).
    first = {row["annotator"]: row for row in figures["annotators"]}[people[0].pk]
    assert (first["submitted"], first["timed"]) == (4, 1)
    assert first["items_per_active_hour"]["value"] == 600.0
