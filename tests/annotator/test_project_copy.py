"""Annotation.project and Review.project copy the task's project, Review.author the judged
annotation's annotator (the metrics read by them): every way rows are written fills them, and
the migrations fill rows written before them."""
import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from annotator.models import Annotation, Review
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory, UserFactory
from tests.platform_core.factories import TaskFactory

pytestmark = pytest.mark.django_db


def test_save_copies_the_project_of_a_loaded_or_unloaded_task():
    task = TaskFactory()
    loaded = AnnotationFactory(task=task)
    by_id = Annotation(task_id=TaskFactory(project=task.project).pk,
                       annotator=UserFactory(), result={"labels": ["positive"]})
    by_id.save()
    assert loaded.project_id == task.project_id
    assert Annotation.objects.get(pk=by_id.pk).project_id == task.project_id


def test_bulk_create_copies_each_task_project_in_one_query(django_assert_num_queries):
    first, second = TaskFactory(), TaskFactory(project=ProjectFactory())
    user, reviewer = UserFactory(), UserFactory()
    rows = [Annotation(task_id=t.pk, annotator=user, result={"labels": ["x"]})
            for t in (first, second)]
    # One lookup of the tasks' projects, then the insert.
    with django_assert_num_queries(2):
        annotations = Annotation.objects.bulk_create(rows)
    assert [a.project_id for a in annotations] == [first.project_id, second.project_id]
    reviews = Review.objects.bulk_create(
        Review(task=a.task, annotation=a, kind="annotation", reviewer=reviewer,
               verdict="accept", reviewed_result=a.result, result=a.result)
        for a in annotations
    )
    assert {r.project_id for r in Review.objects.filter(pk__in=[r.pk for r in reviews])} == {
        first.project_id, second.project_id
    }


def test_a_row_without_a_project_is_refused():
    task = TaskFactory()
    table = Annotation._meta.db_table
    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (task_id, annotator_id, result, status, created_at, updated_at)"
            " VALUES (%s, %s, '{}', 'submitted', %s, %s)",
            [task.pk, UserFactory().pk, task.created_at, task.created_at],
        )


@pytest.mark.django_db(transaction=True)
def test_migrations_fill_the_copies_in_existing_rows():
    task, user = TaskFactory(), UserFactory()
    before = [("annotator", "0007_lead_time_unknown")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        annotation = old.get_model("annotator", "Annotation").objects.create(
            task_id=task.pk, annotator_id=user.pk, result={"labels": ["positive"]}
        )
        review = old.get_model("annotator", "Review").objects.create(
            task_id=task.pk, annotation=annotation, kind="annotation", reviewer_id=user.pk,
            verdict="accept", reviewed_result={}, result={},
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())  # later apps' migrations too
    assert Annotation.objects.get(pk=annotation.pk).project_id == task.project_id
    review = Review.objects.get(pk=review.pk)
    assert (review.project_id, review.author_id) == (task.project_id, user.pk)


def test_reviews_copy_the_author_of_the_annotation_they_judge():
    annotation = AnnotationFactory()
    reviewer = UserFactory()
    saved = Review.objects.create(
        task=annotation.task, annotation=annotation, kind="annotation", reviewer=reviewer,
        verdict="accept", reviewed_result={}, result={},
    )
    [bulk] = Review.objects.bulk_create([Review(
        task_id=annotation.task_id, annotation_id=annotation.pk, kind="annotation",
        reviewer=reviewer, verdict="accept", reviewed_result={}, result={},
    )])
    spot_check = Review.objects.create(
        task=annotation.task, kind="spot_check", reviewer=reviewer, verdict="accept",
        reviewed_result={}, result={},
    )
    assert Review.objects.get(pk=saved.pk).author_id == annotation.annotator_id
    assert Review.objects.get(pk=bulk.pk).author_id == annotation.annotator_id
    assert Review.objects.get(pk=spot_check.pk).author_id is None
