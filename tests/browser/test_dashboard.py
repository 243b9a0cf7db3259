"""The managers' dashboards on a demo-like project: two annotators label with the machine's
suggestions (some held out, a few gold tasks), confidence routing auto-accepts the surest
tasks, a reviewer accepts and corrects; the last task is labeled on the labeling page and the
last items are reviewed on the review page. Then a manager reads the project's dashboard and
the organization's. Every figure checked here is compared with the metrics API's own answer.
Screenshots: test-output/dashboard.png and test-output/organization_dashboard.png.
"""
import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from annotator.models import Annotation, Review, ReviewItem
from annotator.services import annotation_submit, task_claim_next
from annotator.services.reviews import review_item_for_verdict, review_record
from ml_assist.routing import route_confident
from platform_core.holdout import suggestion_holdout
from platform_core.models import Project, Role, Task, TaskType
from tests.browser.review_helpers import make_tasks, suggest, switch_user
from tests.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

POSITIVE, NEGATIVE = {"labels": ["positive"]}, {"labels": ["negative"]}
ROUTED, LABELED, LEFT = 8, 34, 5  # tasks auto-accepted, labeled by both, left new
HOLDOUT = 0.25
DAYS = 5  # the work is spread over the last five days


def people(org):
    def make(role, username):
        return MembershipFactory(organization=org, role=role, user__username=username).user

    return {
        "alice": make(Role.ANNOTATOR, "alice"),
        "bob": make(Role.ANNOTATOR, "bob"),
        "rita": make(Role.REVIEWER, "rita"),
        "pat": make(Role.MANAGER, "pat"),
    }


def submit(project, user, lead, result):
    task = task_claim_next(project=project, user=user)
    shown = None if suggestion_holdout(task.pk, HOLDOUT) else task.predictions.first()
    return annotation_submit(
        task_id=task.pk, user=user, result=result(task), lead_time_s=lead,
        prediction_id=shown.pk if shown else None,
    )


def sentiment(*negative_every):
    """The label someone gives: negative when the task's id is a multiple of one of these."""
    return lambda task: NEGATIVE if any(task.pk % n == 0 for n in negative_every) else POSITIVE


def verdict(annotation, reviewer, kind, **fields):
    with transaction.atomic():
        item = review_item_for_verdict(user=reviewer, annotation=annotation)
        return review_record(item=item, reviewer=reviewer, verdict=kind, **fields)


def demo_project(org, who) -> tuple[Project, Task]:
    """The demo's work, as the services do it; returns the project and the task left for the
    labeling page (bob has labeled it, alice has not)."""
    project = ProjectFactory(
        organization=org, name="Product reviews <sentiment>",
        task_type=TaskType.TEXT_CLASSIFICATION, overlap=2, hourly_rate=24,
        suggestion_holdout_rate=HOLDOUT, auto_accept_threshold=0.95, review_sample_rate=0.5,
    )
    texts = [{"text": f"Review {i}: as described."} for i in range(ROUTED + LABELED + 1 + LEFT)]
    tasks = make_tasks(project, *texts)
    routed, labeled = tasks[:ROUTED], tasks[ROUTED:ROUTED + LABELED]
    by_page = tasks[ROUTED + LABELED]
    for i, task in enumerate(tasks[: ROUTED + LABELED]):
        suggest(task, POSITIVE if i % 7 else NEGATIVE, confidence=0.97 if task in routed else 0.7)
    Task.objects.filter(pk__in=[task.pk for task in labeled[:3]]).update(gold_result=POSITIVE)
    route_confident(
        project=project, task_confidences={task.pk: 0.97 for task in routed}, rng=random.Random(3)
    )
    rng = random.Random(7)
    # Alice and bob disagree where bob thinks every fifth review negative as well.
    alice = [submit(project, who["alice"], rng.uniform(12, 30), sentiment(7)) for _ in labeled]
    bob = [submit(project, who["bob"], rng.uniform(20, 45), sentiment(7, 5)) for _ in labeled]
    submit(project, who["bob"], 21.0, lambda t: POSITIVE)  # the page's task, bob's half
    for i, annotation in enumerate(alice + bob):
        if i % 9 == 4:
            verdict(annotation, who["rita"], "correct", result=NEGATIVE)
        else:
            verdict(annotation, who["rita"], "accept")
    spread_over_days(project, [task.pk for task in routed + labeled])
    return project, by_page


def spread_over_days(project, task_ids):
    """Moves task i's work i % DAYS days back, so the series have several buckets."""
    for back in range(1, DAYS):
        ids = task_ids[back::DAYS]
        shift = timedelta(days=back)
        Annotation.objects.filter(task_id__in=ids).update(created_at=F("created_at") - shift)
        Review.objects.filter(task_id__in=ids).update(created_at=F("created_at") - shift)
        Task.objects.filter(pk__in=ids).update(accepted_at=F("accepted_at") - shift)
    Project.objects.filter(pk=project.pk).update(created_at=timezone.now() - timedelta(days=10))


def label_on_the_page(page, login, user, project, task):
    login(user)
    page.goto(f"/projects/{project.id}/label/")
    page.locator(f'.ws-widget[data-task-id="{task.id}"]').wait_for()
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    until(page, lambda: Annotation.objects.filter(task=task, annotator=user).exists())


def review_on_the_page(page, login, user, project):
    """Accepts every item left in the review queue (the page's task and the spot-checks)."""
    left = ReviewItem.objects.filter(project=project).count()
    done = Review.objects.filter(task__project=project).count()
    switch_user(page, login, user)
    page.goto(f"/projects/{project.id}/review/")
    for _ in range(left):
        page.locator("#review[data-state=item]").wait_for()
        page.wait_for_timeout(200)
        page.keyboard.press("a")
        done += 1
        until(page, lambda: Review.objects.filter(task__project=project).count() == done)
    expect(page.locator("#rv-empty")).to_be_visible()


def until(page, condition, steps=100):
    for _ in range(steps):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page's request did not reach the database")


def metrics(page, url):
    response = page.request.get(url)
    assert response.ok, response.text()
    return response.json()


def main_text(page, selector):
    return page.locator(f"{selector} .db-value, {selector} .db-insufficient").first.inner_text()


def chart_points(page, canvas_id) -> int:
    return page.evaluate(
        "(id) => Chart.getChart(document.getElementById(id)).data.labels.length", canvas_id
    )


def test_a_manager_reads_the_dashboards_of_a_labeled_and_reviewed_project(page, login, screenshot):
    org = MembershipFactory(role=Role.ADMIN).organization
    who = people(org)
    project, last = demo_project(org, who)
    ProjectFactory(organization=org, name="Second project")

    label_on_the_page(page, login, who["alice"], project, last)
    review_on_the_page(page, login, who["rita"], project)

    switch_user(page, login, who["pat"])
    page.goto(f"/projects/{project.id}/")
    page.get_by_role("link", name="Dashboard").click()
    page.locator("#dashboard[data-state=ready]").wait_for()
    answer = metrics(page, f"/api/v1/projects/{project.id}/metrics/?window=7d&bucket=day")
    minimum = answer["minimum_sample"]

    # Throughput, queue and cost, as the API counts them.
    total = answer["throughput"]["total"]
    expect(page.locator("#sum-submitted")).to_have_text(f"{total['submitted']:,}")
    expect(page.locator("#sum-accepted")).to_have_text(f"{total['accepted']:,}")
    expect(page.locator("#sum-remaining")).to_have_text(f"{answer['queue']['remaining']:,}")
    assert total["submitted"] == 2 * LABELED + 2 and answer["queue"]["remaining"] == LEFT
    cost = answer["cost"]
    assert not cost["per_item"]["insufficient"]
    assert main_text(page, "#cost-per-item") == f"{cost['per_item']['value']:,.2f}"
    assert main_text(page, "#cost-to-finish") == f"{cost['to_finish']['value']:,.2f}"
    assert main_text(page, "#cost-eta") == cost["eta"]["date"]

    # Human and machine.
    machine = answer["machine"]
    assert machine["auto_accepted"] >= 1 and not machine["share"]["insufficient"]
    assert main_text(page, "#hm-share") == f"{machine['share']['value'] * 100:.1f}%"
    acceptance = answer["suggestions"]["acceptance"]
    assert main_text(page, "#hm-acceptance") == f"{acceptance['value'] * 100:.1f}%"
    expect(page.locator("#hm-threshold")).to_contain_text("0.95")
    precision = machine["auto_accept_precision"]
    assert precision["insufficient"]
    expect(page.locator("#hm-precision .db-insufficient")).to_have_text(
        f"not enough data yet: n = {precision['n']} of {minimum}"
    )
    uplift = answer["suggestions"]["uplift"]
    assert uplift["insufficient"] and uplift["n_without"] < minimum
    expect(page.locator("#hm-uplift .db-insufficient")).to_have_text(
        f"not enough data yet: n = {uplift['n_with']} with a suggestion and "
        f"{uplift['n_without']} without, of {minimum} each"
    )

    # People: alice's row, her gold accuracy measured on three tasks only.
    rows = {row["username"]: row for row in answer["annotators"]}
    alice = page.locator(f'#db-annotators tr[data-annotator="{rows["alice"]["annotator"]}"]')
    cells = alice.locator("td")
    expect(cells.nth(0)).to_have_text("alice")
    expect(cells.nth(1)).to_contain_text(f"{rows['alice']['submitted']:,}")
    expect(cells.nth(3)).to_have_text(f"{rows['alice']['items_per_active_hour']['value']:,.1f}")
    expect(cells.nth(4)).to_have_text(f"{rows['alice']['review']['acceptance_rate'] * 100:.1f}%")
    expect(cells.nth(5)).to_have_text(f"not enough data yet: n = 3 of {minimum}")
    assert rows["alice"]["agreement"] and not rows["alice"]["agreement"]["insufficient"]
    expect(cells.nth(6)).to_have_text(f"{rows['alice']['agreement']['value']:.2f}")

    # The charts are drawn, one point per bucket.
    for canvas in ("chart-throughput", "chart-queue", "chart-machine"):
        box = page.locator(f"#{canvas}").bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, canvas
    assert chart_points(page, "chart-throughput") == len(answer["period"]["buckets"])
    assert chart_points(page, "chart-machine") == len(answer["period"]["buckets"])

    # The quote: 2,500 items, 40% by the machine, 15% margin.
    page.locator("#quote-items").fill("2500")
    page.locator("#quote-share").fill("40")
    page.locator("#quote-margin").fill("15")
    per_human = cost["labor_cost"] / (machine["accepted"] - machine["machine"])
    expected = 2500 * (1 - 0.40) * per_human * 1.15
    expect(page.locator("#quote-total")).to_have_text(f"{expected:,.2f}")
    screenshot("dashboard")

    # Another period: the page asks the API again and redraws.
    page.locator("#db-bucket").select_option("hour")
    page.locator("#db-window").select_option("30d")
    page.locator("#dashboard[data-state=ready]").wait_for()
    assert page.url.endswith(f"/projects/{project.id}/dashboard/?window=30d&bucket=hour")
    hourly = metrics(page, f"/api/v1/projects/{project.id}/metrics/?window=30d&bucket=hour")
    until(page, lambda: chart_points(page, "chart-throughput") == len(hourly["period"]["buckets"]))

    # The organization's dashboard lists both projects; one leads back to this dashboard.
    page.goto(f"/organizations/{org.id}/dashboard/")
    page.locator("#dashboard[data-state=ready]").wait_for()
    summed = metrics(page, f"/api/v1/organizations/{org.id}/metrics/?window=7d&bucket=day")
    entry = next(entry for entry in summed["projects"] if entry["project"] == project.id)
    assert entry["submitted"] == total["submitted"] and entry["remaining"] == LEFT
    row = page.locator(f'#db-projects tr[data-project-id="{project.id}"]')
    expect(row.locator("td").first).to_contain_text("Product reviews <sentiment>")
    expect(row.locator('[data-figure="submitted"]')).to_have_text(f"{entry['submitted']:,}")
    expect(row.locator('[data-figure="remaining"]')).to_have_text(f"{LEFT:,}")
    expect(row.locator('[data-figure="per-item"]')).to_have_text(f"{entry['per_item']:,.2f}")
    expect(row.locator('[data-figure="eta"]')).to_have_text(entry["eta_date"])
    expect(page.locator("#sum-remaining")).to_have_text(f"{summed['queue']['remaining']:,}")
    expect(page.locator('#db-total [data-figure="submitted"]')).to_have_text(
        f"{summed['throughput']['total']['submitted']:,}"
    )
    assert page.locator("#chart-throughput").bounding_box()["height"] > 100
    assert chart_points(page, "chart-throughput") == len(summed["period"]["buckets"])
    screenshot("organization_dashboard")
    row.get_by_role("link", name="Dashboard").click()
    page.locator("#dashboard[data-state=ready]").wait_for()
    assert page.url.endswith(f"/projects/{project.id}/dashboard/")
