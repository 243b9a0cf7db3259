"""The `quality` section of GET /api/v1/projects/{id}/metrics/, from stored annotations and
reviews (the arithmetic itself is tested in test_quality.py)."""
import pytest

from annotator.models import Review
from platform_core.models import Role
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

POS, NEG = {"labels": ["positive"]}, {"labels": ["negative"]}


def metrics(client, project):
    response = client.get(f"/api/v1/projects/{project.id}/metrics/")
    assert response.status_code == 200, response.json()
    return response.json()["quality"]


def test_two_annotators_on_overlapped_tasks_give_cohens_kappa(org, member, api_client):
    project = ProjectFactory(organization=org, overlap=2)
    first, second = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    # Observed agreement 3/4; chance 0.5·0.25 + 0.5·0.75 = 0.5; kappa (0.75 − 0.5) / 0.5 = 0.5.
    for a, b in [(POS, POS), (NEG, NEG), (POS, NEG), (NEG, NEG)]:
        task = TaskFactory(project=project)
        AnnotationFactory(task=task, annotator=first, result=a)
        AnnotationFactory(task=task, annotator=second, result=b)
    TaskFactory(project=project)  # a task with no overlap does not count

    agreement = metrics(api_client(member(Role.MANAGER, org)), project)["agreement"]

    assert agreement["metric"] == "cohen_kappa"
    assert agreement["value"] == pytest.approx(0.5)
    assert agreement["tasks"] == 4


def test_review_acceptance_and_gold_accuracy_are_per_annotator(org, member, api_client):
    project = ProjectFactory(organization=org)
    reviewer, annotator = member(Role.REVIEWER, org), member(Role.ANNOTATOR, org)
    verdicts = ["accept", "accept", "correct", "reject"]
    for verdict in verdicts:
        annotation = AnnotationFactory(task=TaskFactory(project=project), annotator=annotator)
        Review.objects.create(
            task=annotation.task, annotation=annotation, kind="annotation", reviewer=reviewer,
            verdict=verdict, reviewed_result=POS, result=None if verdict == "reject" else POS,
            comment="wrong" if verdict == "reject" else "",
        )
    gold = TaskFactory(project=project, gold_result=POS)
    AnnotationFactory(task=gold, annotator=annotator, result=NEG, gold_correct=False)

    quality = metrics(api_client(reviewer), project)

    [row] = quality["annotators"]
    assert row["username"] == annotator.username
    assert row["review"]["reviewed"] == 4
    assert row["review"]["acceptance_rate"] == 0.5
    assert row["review"]["kept_rate"] == 0.75
    assert row["gold"] == {"answered": 1, "correct": 0, "accuracy": 0.0}
    assert quality["review"]["first_stage"]["reviewed"] == 4
    assert quality["auto_accept_precision"] == {"precision": None, "low": 0.0, "high": 1.0, "n": 0}


def test_annotators_may_not_read_the_metrics(project, member, api_client):
    response = api_client(member(Role.ANNOTATOR, project.organization)).get(
        f"/api/v1/projects/{project.id}/metrics/"
    )
    assert response.status_code == 403
