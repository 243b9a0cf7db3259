"""The dashboard's precision of auto-accepted labels counts spot-checks of auto-accepted labels
only: a verdict on an exploration-band label (under the threshold, never auto-accepted) is
routing's evidence for lowering, not a sample of what the machine accepted."""
import pytest

from annotator.models import Review
from ml_assist.routing_models import RoutingDecision
from platform_core.models import Role
from tests.factories import ProjectFactory
from tests.platform_core.factories import PredictionFactory, TaskFactory

pytestmark = pytest.mark.django_db

LABEL = {"labels": ["positive"]}


def test_exploration_band_verdicts_are_not_in_the_auto_accept_precision(
    org, member, api_client
):
    project = ProjectFactory(organization=org, auto_accept_threshold=0.9)
    reviewer = member(Role.REVIEWER, org)
    for exploration, verdict in ((False, "accept"), (True, "correct"), (True, "correct")):
        task = TaskFactory(project=project)
        prediction = PredictionFactory(task=task, result=LABEL, confidence=0.85)
        RoutingDecision.objects.create(
            task=task, prediction=prediction, confidence=0.85, threshold=0.9,
            sampled_for_review=True, exploration=exploration,
        )
        Review.objects.create(
            task=task, prediction=prediction, kind="spot_check", reviewer=reviewer,
            verdict=verdict, reviewed_result=LABEL, result={"labels": ["negative"]},
        )

    figures = api_client(member(Role.MANAGER, org)).get(
        f"/api/v1/projects/{project.id}/metrics/"
    ).json()

    precision = figures["quality"]["auto_accept_precision"]
    assert (precision["n"], precision["precision"]) == (1, 1.0)
    assert figures["machine"]["auto_accept_precision"]["n"] == 1
