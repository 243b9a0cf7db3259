"""GET /api/v1/projects/{id}/metrics/ and /organizations/{id}/metrics/ as an API: parameters,
who may read them, the organization's sums, a bounded number of queries whatever the size, and
a schema that names every field of the answer. The figures themselves: test_project_metrics.py.
"""
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers

from annotator.models import Annotation, Review, ReviewItem
from ml_assist.routing_models import RoutingDecision
from platform_core.apis.metrics_schema import ProjectMetricsOutputSerializer
from platform_core.apis.organizations import OrganizationMetricsOutputSerializer
from platform_core.holdout import suggestion_holdout
from platform_core.models import Prediction, Role, Task, TaskStatus
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
POS, NEG = {"labels": ["positive"]}, {"labels": ["negative"]}


def frozen(moment=NOW):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def get(client, url):
    with frozen():
        return client.get(url)


# -- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("window=7x", "window"), ("window=0d", "window"), ("window=-1d", "window"),
        ("window=week", "window"), ("window=", "window"), ("bucket=week", "bucket"),
        ("bucket=", "bucket"), ("window=90d&bucket=hour", "window"),
        ("window=9999999d", "window"), ("status=accepted", "status"),
    ],
)
def test_bad_or_unknown_parameters_are_a_400_naming_them(project, member, api_client, query,
                                                          field):
    client = api_client(member(Role.MANAGER, project.organization))
    response = get(client, f"/api/v1/projects/{project.id}/metrics/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_the_default_period_is_seven_days_by_day_and_all_starts_at_creation(
    project, member, api_client
):
    client = api_client(member(Role.REVIEWER, project.organization))
    project.__class__.objects.filter(pk=project.pk).update(created_at=NOW - timedelta(hours=30))

    default = get(client, f"/api/v1/projects/{project.id}/metrics/").json()
    every = get(client, f"/api/v1/projects/{project.id}/metrics/?window=all&bucket=hour").json()

    assert (default["period"]["window"], default["period"]["bucket"]) == ("7d", "day")
    assert default["period"]["hours"] == 168.0
    assert len(default["period"]["buckets"]) == 8  # 12-03 … 12-10
    assert default["throughput"]["submitted"] == [0] * 8  # nothing yet: zeros, not gaps
    assert every["period"]["since"] == "2026-12-09T06:00:00Z"
    assert len(every["period"]["buckets"]) == 31  # 06:00 on the 9th to 12:00 on the 10th


# -- who may read -----------------------------------------------------------------------------


def test_annotators_get_403_and_other_organizations_404(project, member, api_client, other_org):
    url = f"/api/v1/projects/{project.id}/metrics/"
    assert get(api_client(member(Role.ANNOTATOR, project.organization)), url).status_code == 403
    outsider = api_client(member(Role.MANAGER, other_org))
    assert get(outsider, url).status_code == 404
    assert get(outsider, f"/api/v1/organizations/{project.organization_id}/metrics/"
               ).status_code == 404


@pytest.mark.parametrize(
    "role, status", [(Role.ADMIN, 200), (Role.MANAGER, 200), (Role.REVIEWER, 403),
                     (Role.ANNOTATOR, 403)],
)
def test_organization_metrics_are_for_its_managers_and_admins(org, member, api_client, role,
                                                             status):
    response = get(api_client(member(role, org)), f"/api/v1/organizations/{org.id}/metrics/")
    assert response.status_code == status


# -- the organization's sums ------------------------------------------------------------------


def test_the_organization_sums_its_projects_throughput_queue_and_cost(
    org, other_org, member, api_client
):
    alice, bob = member(Role.ANNOTATOR, org), member(Role.ANNOTATOR, org)
    priced = ProjectFactory(organization=org, name="A", hourly_rate=30)
    unpriced = ProjectFactory(organization=org, name="B", hourly_rate=0)
    ProjectFactory(organization=other_org)  # not summed
    with frozen(NOW - timedelta(days=1)):
        for _ in range(2):  # A: two accepted tasks, half an hour each, and two new
            task = TaskFactory(project=priced, status=TaskStatus.ACCEPTED, accepted_at=NOW)
            AnnotationFactory(task=task, annotator=alice, lead_time_s=1800, status="accepted")
            TaskFactory(project=priced)
        task = TaskFactory(project=unpriced, status=TaskStatus.SUBMITTED)  # B: an hour
        AnnotationFactory(task=task, annotator=bob, lead_time_s=3600)
        TaskFactory(project=unpriced)

    body = get(api_client(member(Role.MANAGER, org)),
               f"/api/v1/organizations/{org.id}/metrics/?window=2d").json()

    # Buckets 12-08, 12-09, 12-10: everything submitted on the 9th, accepted on the 10th.
    assert body["throughput"]["submitted"] == [0, 3, 0]
    assert body["throughput"]["accepted"] == [0, 0, 2]
    assert body["queue"]["by_status"] == {
        "new": 3, "suggested": 0, "in_progress": 0, "submitted": 1, "accepted": 2,
        "rejected": 0, "auto_accepted": 0,
    }
    assert (body["queue"]["total"], body["queue"]["remaining"]) == (6, 4)
    # A: 1 h x 30 = 30 over 2 accepted = 15 an item, 2 remaining = 30 to finish. B has an hour
    # of work but no rate: in the hours, not in the cost.
    assert body["cost"] == {
        "active_hours": 2.0, "labor_cost": 30.0, "accepted": 2, "remaining": 4,
        "per_item": 15.0, "to_finish": 30.0, "projects_without_cost": 1,
    }
    a, b = body["projects"]
    assert (a["name"], a["per_item"], a["to_finish"], a["remaining"]) == ("A", 15.0, 30.0, 2)
    assert (b["name"], b["labor_cost"], b["to_finish"], b["submitted"]) == ("B", None, None, 1)


# -- bounded queries --------------------------------------------------------------------------


def populate(project, size, annotators, reviewer):
    """`size` tasks of every kind the sections read: overlapped annotations (timed, untimed,
    from a suggestion or held out), reviews, spot-checks, routing decisions, pending items."""
    tasks = Task.objects.bulk_create(
        Task(project=project, data={"text": f"{size}-{n}"}, checksum=f"{size}-{n}",
             status=[TaskStatus.ACCEPTED, TaskStatus.SUBMITTED, TaskStatus.AUTO_ACCEPTED,
                     TaskStatus.NEW][n % 4],
             accepted_at=NOW - timedelta(hours=n % 48) if n % 4 in (0, 2) else None)
        for n in range(size)
    )
    predictions = Prediction.objects.bulk_create(
        Prediction(task=task, model_version="m", result=POS, confidence=0.95) for task in tasks
    )
    annotations = Annotation.objects.bulk_create(
        Annotation(
            task=task, annotator=annotator, result=POS if k else NEG,
            prediction=None if suggestion_holdout(task.pk, 0.05) else prediction,
            changed_from_suggestion=None if suggestion_holdout(task.pk, 0.05) else bool(k),
            lead_time_s=None if n % 5 == 0 else 10.0 * (n + k),
            status="accepted" if n % 4 == 0 else "submitted", gold_correct=bool(n % 3) or None,
        )
        for n, (task, prediction) in enumerate(zip(tasks, predictions)) if n % 4 in (0, 1)
        for k, annotator in enumerate(annotators)
    )
    Annotation.objects.filter(pk__in=[a.pk for a in annotations]).update(
        created_at=NOW - timedelta(hours=5)
    )
    Review.objects.bulk_create(
        Review(task_id=a.task_id, annotation=a, kind="annotation", reviewer=reviewer,
               verdict="accept", reviewed_result=POS, result=POS)
        for a in annotations if a.status == "accepted"
    )
    auto = [task for n, task in enumerate(tasks) if n % 4 == 2]
    RoutingDecision.objects.bulk_create(
        RoutingDecision(task=task, confidence=0.95, threshold=0.9, sampled_for_review=True,
                        verdict="correct", reviewed_at=NOW) for task in auto
    )
    Review.objects.bulk_create(
        Review(task=task, kind="spot_check", reviewer=reviewer, verdict="accept",
               reviewed_result=POS, result=POS, edit={"metric": "labels_changed", "value": 0})
        for task in auto
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(project=project, task_id=a.task_id, annotation=a, kind="annotation",
                   author=a.annotator) for a in annotations if a.status == "submitted"
    )


def test_the_metrics_call_runs_the_same_queries_for_10_and_100_tasks(
    org, member, api_client, django_assert_max_num_queries
):
    client = api_client(member(Role.MANAGER, org))
    annotators = [member(Role.ANNOTATOR, org) for _ in range(3)]
    reviewer = member(Role.REVIEWER, org)
    counts = []
    for size in (10, 100):
        project = ProjectFactory(organization=org, overlap=3, hourly_rate=20)
        populate(project, size, annotators, reviewer)
        with CaptureQueriesContext(connection) as queries:
            response = get(client, f"/api/v1/projects/{project.id}/metrics/?window=3d")
        assert response.status_code == 200
        assert response.json()["throughput"]["total"]["submitted"] > 0
        counts.append(len(queries))

    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[0]):
        get(client, f"/api/v1/projects/{project.id}/metrics/?window=3d&bucket=hour")


# -- the schema names every field -------------------------------------------------------------


def undocumented(value, field, path="") -> list[str]:
    """Keys of `value` the serializer `field` does not declare, and declared keys missing."""
    if isinstance(field, serializers.ListSerializer):
        return [gap for item in value for gap in undocumented(item, field.child, path + "[]")]
    if not isinstance(field, serializers.Serializer) or value is None:
        return []
    declared = field.fields
    gaps = [f"{path}.{key} (undocumented)" for key in value if key not in declared]
    gaps += [f"{path}.{name} (missing)" for name, child in declared.items()
             if name not in value and child.required]
    for key, item in value.items():
        if key in declared:
            gaps += undocumented(item, declared[key], f"{path}.{key}")
    return gaps


def test_the_schema_documents_every_field_of_both_answers(org, member, api_client):
    client = api_client(member(Role.MANAGER, org))
    project = ProjectFactory(organization=org, overlap=3, hourly_rate=20)
    populate(project, 40, [member(Role.ANNOTATOR, org) for _ in range(3)],
             member(Role.REVIEWER, org))

    answer = get(client, f"/api/v1/projects/{project.id}/metrics/?window=3d").json()
    summed = get(client, f"/api/v1/organizations/{org.id}/metrics/?window=3d").json()

    assert answer["annotators"][0]["agreement"] is not None  # overlapped tasks: filled in
    assert undocumented(answer, ProjectMetricsOutputSerializer()) == []
    assert undocumented(summed, OrganizationMetricsOutputSerializer()) == []


# -- figures the fixed project does not reach -------------------------------------------------


def test_each_annotator_has_the_agreement_of_the_overlapped_tasks_they_labeled(
    org, member, api_client
):
    project = ProjectFactory(organization=org, overlap=2)
    first, second, third = (member(Role.ANNOTATOR, org) for _ in range(3))
    # first and second: 3 of 4 agree, chance 0.5, kappa 0.5 (as test_quality_metrics).
    for a, b in [(POS, POS), (NEG, NEG), (POS, NEG), (NEG, NEG)]:
        task = TaskFactory(project=project)
        AnnotationFactory(task=task, annotator=first, result=a)
        AnnotationFactory(task=task, annotator=second, result=b)
    AnnotationFactory(task=TaskFactory(project=project), annotator=third)  # nothing overlapped

    rows = get(api_client(member(Role.MANAGER, org)),
               f"/api/v1/projects/{project.id}/metrics/?window=all").json()["annotators"]

    by_user = {row["annotator"]: row["agreement"] for row in rows}
    assert by_user[first.pk] | {"reason": None} == {
        "metric": "cohen_kappa", "value": pytest.approx(0.5), "tasks": 4, "n": 4,
        "insufficient": True, "reason": None,
    }
    assert by_user[second.pk]["value"] == pytest.approx(0.5)
    assert by_user[third.pk] is None


def test_uplift_is_sufficient_with_30_in_each_group(org, member, api_client):
    project = ProjectFactory(organization=org, suggestion_holdout_rate=0.5)
    annotator = member(Role.ANNOTATOR, org)
    with frozen(NOW - timedelta(days=2)):
        tasks = [TaskFactory(project=project) for _ in range(200)]
        suggestions = {task.pk: Prediction.objects.create(task=task, model_version="m",
                                                          result=POS) for task in tasks}
    held = [task for task in tasks if suggestion_holdout(task.pk, 0.5)][:30]
    shown = [task for task in tasks if not suggestion_holdout(task.pk, 0.5)][:30]
    with frozen(NOW - timedelta(days=1)):
        for seconds, task in enumerate(shown, start=1):  # 1 … 30 s: median 15.5
            AnnotationFactory(task=task, annotator=annotator, lead_time_s=seconds,
                              prediction=suggestions[task.pk], changed_from_suggestion=False)
        for seconds, task in enumerate(held, start=11):  # 11 … 40 s: median 25.5
            AnnotationFactory(task=task, annotator=annotator, lead_time_s=seconds)

    uplift = get(api_client(member(Role.MANAGER, org)),
                 f"/api/v1/projects/{project.id}/metrics/").json()["suggestions"]["uplift"]

    assert (uplift["n_with"], uplift["n_without"]) == (30, 30)
    assert (uplift["median_with_s"], uplift["median_without_s"]) == (15.5, 25.5)
    assert uplift["difference_s"] == -10.0
    assert uplift["low_s"] < -10.0 < uplift["high_s"] < 0  # a real saving at this size
    assert (uplift["insufficient"], uplift["reason"]) == (False, None)


def test_the_organization_reads_only_the_sections_it_sums(org, member, api_client):
    client = api_client(member(Role.MANAGER, org))
    project = ProjectFactory(organization=org, overlap=3, hourly_rate=20,
                             suggestion_holdout_rate=0.2)
    populate(project, 10, [member(Role.ANNOTATOR, org) for _ in range(3)],
             member(Role.REVIEWER, org))
    with CaptureQueriesContext(connection) as summed:
        assert get(client, f"/api/v1/organizations/{org.id}/metrics/?window=3d").status_code == 200
    with CaptureQueriesContext(connection) as whole:
        get(client, f"/api/v1/projects/{project.id}/metrics/?window=3d")

    # The suggestions' uplift reads predictions and the machine's precision routing decisions:
    # the project's call needs both, the organization's sum (throughput, queue, cost) neither.
    skipped = [Prediction._meta.db_table, RoutingDecision._meta.db_table]

    def tables_read(queries) -> set[str]:
        return {table for table in skipped if any(table in q["sql"] for q in queries)}

    assert tables_read(whole.captured_queries) == set(skipped)
    assert tables_read(summed.captured_queries) == set()
    assert len(summed) < len(whole)
