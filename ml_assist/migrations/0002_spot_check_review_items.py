"""Spot-checks sampled before the review queue existed become review items, so they are served."""
from django.db import migrations

BATCH = 2000


def queue_pending_spot_checks(apps, schema_editor):
    RoutingDecision = apps.get_model("ml_assist", "RoutingDecision")
    ReviewItem = apps.get_model("annotator", "ReviewItem")
    pending = (
        RoutingDecision.objects.filter(
            sampled_for_review=True, verdict__isnull=True, prediction__isnull=False
        )
        .order_by("id")
        .values_list("task_id", "task__project_id", "prediction_id", "confidence")
    )
    items = []
    for task_id, project_id, prediction_id, confidence in pending.iterator(chunk_size=BATCH):
        items.append(
            ReviewItem(
                project_id=project_id,
                task_id=task_id,
                prediction_id=prediction_id,
                kind="spot_check",
                confidence=confidence,
            )
        )
        if len(items) >= BATCH:
            ReviewItem.objects.bulk_create(items, ignore_conflicts=True)
            items = []
    ReviewItem.objects.bulk_create(items, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ml_assist", "0001_initial"),
        ("annotator", "0004_reviews"),
    ]

    operations = [
        migrations.RunPython(queue_pending_spot_checks, migrations.RunPython.noop),
    ]
