"""The hourly rollups the metrics read (annotator.rollup_models) stay equal to the GROUP BY of
their source rows through every kind of write: ORM saves, bulk inserts, queryset updates that
move a row to another hour or change its figures, deletes and the cascade of a task's or a
project's deletion; and a window read from them (windowed_rollup) equals the same GROUP BY of
the source rows, to the minute, whatever hour the window starts in."""
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Count, Q, Sum

from annotator.models import (
    AcceptedTaskRollup,
    Annotation,
    AnnotationRollup,
    Review,
    ReviewKind,
    ReviewRollup,
    ReviewVerdict,
)
from platform_core.models import AcceptedSource, Task, TaskStatus
from platform_core.rollups import hour_floor, windowed_rollup
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory, UserFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)


def some_moment(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(3 * 24 * 60), microseconds=rng.randrange(10**6))


def _summed(rows, keys, figures) -> dict:
    """{(key values…, hour): (figures…)} of `rows` (dicts), without rows that sum to nothing."""
    totals: dict[tuple, list] = defaultdict(lambda: [0] * len(figures))
    for row in rows:
        entry = totals[tuple(row[key] for key in keys)]
        for i, figure in enumerate(figures):
            entry[i] += figure(row)
    return {key: tuple(values) for key, values in totals.items() if any(values)}


def rollup_of(model, keys, figures) -> dict:
    rows = model.objects.values(*keys, *figures)
    return _summed(rows, keys, [lambda row, name=name: row[name] for name in figures])


def annotation_figures() -> list:
    return [
        lambda a: 1,
        lambda a: a["lead_time_s"] is not None,
        lambda a: a["lead_time_s"] or 0.0,
        lambda a: a["changed_from_suggestion"] is not None,
        lambda a: a["changed_from_suggestion"] is False,
        lambda a: a["gold_correct"] is not None,
        lambda a: a["gold_correct"] is True,
    ]


def expected_annotations() -> dict:
    rows = [
        {**row, "hour": hour_floor(row["created_at"])}
        for row in Annotation.objects.values(
            "project_id", "annotator_id", "created_at", "lead_time_s",
            "changed_from_suggestion", "gold_correct",
        )
    ]
    return _summed(rows, ["project_id", "annotator_id", "hour"], annotation_figures())


def actual_annotations() -> dict:
    figures = ["submitted", "timed", "lead_s", "from_suggestion", "unchanged",
               "gold_answered", "gold_correct"]
    rows = rollup_of(AnnotationRollup, ["project_id", "annotator_id", "hour"], figures)
    return {key: tuple(values) for key, values in rows.items()}


def make_annotations(rng, project, annotators, count) -> list[Annotation]:
    made = []
    for _ in range(count):
        annotation = AnnotationFactory(
            task=TaskFactory(project=project),
            annotator=rng.choice(annotators),
            lead_time_s=rng.choice([None, 2.5, 7.0]),
            changed_from_suggestion=rng.choice([None, True, False]),
            gold_correct=rng.choice([None, True, False]),
        )
        Annotation.objects.filter(pk=annotation.pk).update(created_at=some_moment(rng))
        made.append(annotation)
    return made


def test_the_annotation_rollup_follows_every_write():
    rng = random.Random(3)
    project, other = ProjectFactory(), ProjectFactory()
    annotators = [UserFactory() for _ in range(3)]
    made = make_annotations(rng, project, annotators, 40)
    make_annotations(rng, other, annotators, 10)
    Annotation.objects.bulk_create(
        Annotation(task=TaskFactory(project=project), annotator=annotators[0],
                   result={"labels": ["x"]}, lead_time_s=1.0)
        for _ in range(5)
    )
    assert actual_annotations() == expected_annotations()

    # Moved to another hour, figures changed, one by one and in bulk.
    for annotation in made[:10]:
        annotation.lead_time_s = None if annotation.lead_time_s else 4.0
        annotation.gold_correct = not annotation.gold_correct
        annotation.save()
    Annotation.objects.filter(pk__in=[a.pk for a in made[10:20]]).update(
        created_at=START + timedelta(hours=30, minutes=7), changed_from_suggestion=False
    )
    assert actual_annotations() == expected_annotations()

    # Deleted, by themselves and with their task.
    Annotation.objects.filter(pk__in=[a.pk for a in made[20:25]]).delete()
    Task.objects.filter(pk__in=[a.task_id for a in made[25:30]]).delete()
    assert actual_annotations() == expected_annotations()

    other.delete()
    assert actual_annotations() == expected_annotations()
    assert not any(key[0] == other.pk for key in actual_annotations())


def expected_reviews() -> dict:
    rows = [
        {**row, "author_id": row["author_id"] or 0, "hour": hour_floor(row["created_at"])}
        for row in Review.objects.values(
            "project_id", "kind", "stage", "author_id", "created_at", "verdict"
        )
    ]
    figures = [lambda r, v=v: r["verdict"] == v for v in ReviewVerdict.values]
    return _summed(rows, ["project_id", "kind", "stage", "author_id", "hour"], figures)


def actual_reviews() -> dict:
    return rollup_of(
        ReviewRollup,
        ["project_id", "kind", "stage", "author_id", "hour"],
        ["accepted", "corrected", "rejected"],
    )


def test_the_review_rollup_follows_every_write():
    rng = random.Random(5)
    project = ProjectFactory()
    annotators = [UserFactory() for _ in range(2)]
    reviewer = UserFactory()
    reviews = []
    for annotation in make_annotations(rng, project, annotators, 20):
        kind = rng.choice(ReviewKind.values)
        review = Review.objects.create(
            task=annotation.task, project=project, reviewer=reviewer, kind=kind,
            annotation=annotation if kind == ReviewKind.ANNOTATION else None,
            stage=rng.choice([1, 2]), verdict=rng.choice(ReviewVerdict.values),
            reviewed_result=annotation.result, result=annotation.result, comment="why",
        )
        Review.objects.filter(pk=review.pk).update(created_at=some_moment(rng))
        reviews.append(review)
    assert any(row["author_id"] is None for row in Review.objects.values("author_id"))
    assert actual_reviews() == expected_reviews()

    Review.objects.filter(pk__in=[r.pk for r in reviews[:6]]).update(
        verdict=ReviewVerdict.CORRECT, stage=2
    )
    Review.objects.filter(pk__in=[r.pk for r in reviews[6:9]]).delete()
    Annotation.objects.filter(pk__in=[r.annotation_id for r in reviews[9:15]]).delete()
    assert actual_reviews() == expected_reviews()


def expected_accepted_tasks() -> dict:
    rows = [
        {**row, "accepted_source": row["accepted_source"] or "",
         "hour": hour_floor(row["accepted_at"])}
        for row in Task.objects.filter(accepted_at__isnull=False).values(
            "project_id", "status", "accepted_source", "accepted_at"
        )
    ]
    return _summed(rows, ["project_id", "status", "accepted_source", "hour"], [lambda t: 1])


def actual_accepted_tasks() -> dict:
    return rollup_of(
        AcceptedTaskRollup, ["project_id", "status", "accepted_source", "hour"], ["n"]
    )


def test_the_accepted_task_rollup_counts_tasks_with_an_accepted_time():
    rng = random.Random(7)
    project = ProjectFactory()
    TaskFactory.create_batch(5, project=project)  # never accepted: not counted
    born_accepted = TaskFactory(
        project=project, status=TaskStatus.AUTO_ACCEPTED,
        accepted_source=AcceptedSource.MACHINE, accepted_at=some_moment(rng),
    )
    tasks = TaskFactory.create_batch(12, project=project)
    for task in tasks:
        Task.objects.filter(pk=task.pk).update(
            status=rng.choice([TaskStatus.ACCEPTED, TaskStatus.AUTO_ACCEPTED]),
            accepted_source=rng.choice([None, *AcceptedSource.values]),
            accepted_at=some_moment(rng),
        )
    assert actual_accepted_tasks() == expected_accepted_tasks()
    assert sum(n for (n,) in actual_accepted_tasks().values()) == 13

    # A spot-check keeps the machine's label, a rejection takes the task back, a purge.
    Task.objects.filter(pk=born_accepted.pk).update(status=TaskStatus.ACCEPTED)
    Task.objects.filter(pk__in=[t.pk for t in tasks[:3]]).update(
        status=TaskStatus.NEW, accepted_at=None, accepted_source=None
    )
    Task.objects.filter(pk__in=[t.pk for t in tasks[3:6]]).delete()
    # Changes the rollup does not watch leave it alone.
    Task.objects.filter(project=project).update(priority=0.5)
    assert actual_accepted_tasks() == expected_accepted_tasks()
    assert sum(n for (n,) in actual_accepted_tasks().values()) == 7


@pytest.mark.parametrize("bucket", ["hour", "day"])
def test_a_window_read_from_the_rollup_equals_the_rows_grouped(bucket):
    rng = random.Random(11)
    project = ProjectFactory()
    annotators = [UserFactory() for _ in range(3)]
    make_annotations(rng, project, annotators, 120)
    rows = list(Annotation.objects.filter(project=project).values(
        "annotator_id", "created_at", "lead_time_s", "gold_correct"
    ))
    windows_with_rows = 0
    for attempt in range(10):
        since = some_moment(rng) - timedelta(hours=12)
        if attempt % 3 == 0:  # on the hour: its first hour is whole
            since = hour_floor(since)
        until = since + timedelta(hours=rng.choice([0.5, 5, 30]), minutes=rng.randrange(60))
        read = windowed_rollup(
            since=since, until=until, bucket=bucket,
            rollup=AnnotationRollup.objects.filter(project_id=project.pk),
            source=Annotation.objects.filter(project=project),
            source_time="created_at",
            group=["annotator_id"],
            rollup_sums={"n": Sum("submitted"), "lead": Sum("lead_s"),
                         "correct": Sum("gold_correct")},
            source_sums={"n": Count("id"), "lead": Sum("lead_time_s"),
                         "correct": Count("id", filter=Q(gold_correct=True))},
        )
        got = {(r["annotator_id"], r["bucket"]): (r["n"], r["lead"] or 0.0, r["correct"])
               for r in read}

        def bucket_of(moment):
            if not since <= moment <= until:
                return None
            start = hour_floor(moment)
            return start.replace(hour=0) if bucket == "day" else start

        expected = _summed(
            [{**row, "bucket": bucket_of(row["created_at"])} for row in rows],
            ["annotator_id", "bucket"],
            [lambda r: 1, lambda r: r["lead_time_s"] or 0.0, lambda r: r["gold_correct"] is True],
        )
        assert {key: value for key, value in got.items() if any(value)} == expected
        windows_with_rows += any(key[1] is not None for key in expected)
    assert windows_with_rows >= 5

