"""The model page's routing end to end: the activated version's proposed threshold, turning
auto-accept on with it, the timeline of moves, the reliability curve, and the policy form."""
import pytest

from ml_assist.models import MlJobKind
from ml_assist.routing_models import RoutingPolicy, ThresholdEvent
from ml_assist.services import ml_job_create, model_train
from platform_core.demo import make_text_classification
from platform_core.models import Project, Role
from tests.factories import MembershipFactory
from tests.ml_assist.conftest import accept, demo_project, load_tasks

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def _trained_project(org):
    # A target ~60 held-out labels can certify, so that the version comes with a proposal.
    project = demo_project(org, target_precision=0.8)
    items = make_text_classification(320, 5)
    ids = load_tasks(project, [item.data for item in items])
    accept(ids[:300], [item.result for item in items[:300]])
    job = ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False)
    model_train(job_id=job.pk)
    return project


def _chart_drawn(page, canvas_id: str) -> bool:
    return page.evaluate(
        "(id) => { const c = document.getElementById(id);"
        " return !!(c && globalThis.Chart && globalThis.Chart.getChart(c)); }",
        canvas_id,
    )


def test_manager_turns_auto_accept_on_with_the_proposal_and_sees_the_timeline(
    page, login, screenshot, org
):
    project = _trained_project(org)
    proposal = ThresholdEvent.objects.get(project=project, kind="proposed")
    assert proposal.new_threshold is not None
    manager = MembershipFactory(organization=org, role=Role.MANAGER).user

    login(manager)
    page.goto(f"/projects/{project.id}/models/")
    shown = f"{proposal.new_threshold:.3f}"
    assert page.locator("#proposal-threshold").inner_text() == shown
    assert page.locator("#routing-threshold").inner_text() == "off"
    # The reliability curve of the active version: one table row per bin, and the chart.
    version = project.model_versions.get(is_active=True)
    assert page.locator("#reliability-table tbody tr").count() == len(version.reliability)
    page.wait_for_function("() => globalThis.Chart !== undefined")
    assert _chart_drawn(page, "reliability-chart")

    page.get_by_role("button", name=f"Turn auto-accept on at {shown}").click()

    page.locator("#routing-threshold").get_by_text(shown).wait_for()
    events = page.locator("#threshold-timeline .timeline__event")
    assert events.count() == 2
    assert "Applied" in events.nth(0).inner_text() and manager.username in events.nth(0).inner_text()
    assert f"{proposal.correct} of {proposal.n} right" in events.nth(1).inner_text()
    page.wait_for_function("() => globalThis.Chart !== undefined")
    assert _chart_drawn(page, "timeline-chart")
    assert page.locator("#routing-band").get_by_text("reviewed right").is_visible()
    screenshot("models_page_routing")
    assert Project.objects.get(pk=project.pk).auto_accept_threshold == proposal.new_threshold


def test_a_bad_routing_setting_is_refused_with_a_message(page, login, org):
    project = demo_project(org)
    manager = MembershipFactory(organization=org, role=Role.MANAGER).user

    login(manager)
    page.goto(f"/projects/{project.id}/models/")
    page.get_by_label("Band width").fill("0.9")
    page.get_by_role("button", name="Save routing settings").click()

    message = page.locator("#models-message")
    message.wait_for()
    assert "exploration_width" in message.inner_text()
    assert not RoutingPolicy.objects.filter(project=project).exists()

    page.get_by_label("Band width").fill("0.1")
    page.get_by_label("Apply each new version's proposal by itself").check()
    with page.expect_navigation():  # saved, the page reloads to show the new settings
        page.get_by_role("button", name="Save routing settings").click()
    assert page.get_by_label("Band width").input_value() == "0.1"
    policy = RoutingPolicy.objects.get(project=project)
    assert (policy.exploration_width, policy.apply_proposals) == (0.1, True)
