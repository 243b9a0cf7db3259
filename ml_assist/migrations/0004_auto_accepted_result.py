"""Auto-accepted tasks get their machine label as `accepted_result`, as routing now stores it.

Set-based: the prediction of the task's routing decision, else its latest prediction (what
exports delivered for such a task until now). Tasks a spot-check settled have theirs already.
Backwards: nothing to undo; the code before this reads a stored label as well.
"""
from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill_auto_accepted_result(apps, schema_editor):
    Task = apps.get_model("platform", "Task")
    Prediction = apps.get_model("platform", "Prediction")
    RoutingDecision = apps.get_model("ml_assist", "RoutingDecision")
    routed = RoutingDecision.objects.filter(
        task=OuterRef("pk"), prediction__isnull=False
    ).values("prediction__result")[:1]
    latest = Prediction.objects.filter(task=OuterRef("pk")).order_by(
        "-created_at", "-id"
    ).values("result")[:1]
    Task.objects.filter(status="auto_accepted", accepted_result__isnull=True).update(
        accepted_result=Coalesce(Subquery(routed), Subquery(latest))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("ml_assist", "0003_job_heartbeat_attempts"),
        ("platform", "0008_export_jobs_and_deliveries"),
    ]

    operations = [
        migrations.RunPython(backfill_auto_accepted_result, migrations.RunPython.noop),
    ]
