"""Task.accepted_at: when a task became accepted or auto_accepted (the metrics count by it).

Tasks accepted before this migration get the time of their latest accepting review of an
annotation, else of their routing decision (auto-accepted, possibly confirmed by a spot-check
since), else their last update (labels loaded by a script). The index is built after the
backfill, which is cheaper than maintaining it row by row.

The backfill reads the annotator and ml_assist tables, hence the dependencies on their first
migrations with those tables; the platform code itself still does not import those apps.
"""
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill_accepted_at(apps, schema_editor):
    Task = apps.get_model("platform", "Task")
    Review = apps.get_model("annotator", "Review")
    RoutingDecision = apps.get_model("ml_assist", "RoutingDecision")
    reviewed = (
        Review.objects.filter(
            task=OuterRef("pk"), kind="annotation", verdict__in=("accept", "correct")
        )
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    routed = RoutingDecision.objects.filter(task=OuterRef("pk")).values("created_at")[:1]
    Task.objects.filter(status__in=("accepted", "auto_accepted")).update(
        accepted_at=Coalesce(Subquery(reviewed), Subquery(routed), F("updated_at"))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("platform", "0006_job_heartbeat_attempts"),
        ("annotator", "0004_reviews"),
        ("ml_assist", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="task",
            name="accepted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill_accepted_at, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("accepted_at__isnull", False)),
                fields=["project", "accepted_at"],
                name="task_accepted_at_idx",
            ),
        ),
    ]
