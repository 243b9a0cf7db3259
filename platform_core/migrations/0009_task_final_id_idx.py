"""An index of each project's accepted and auto-accepted tasks in id order: what exports read
(platform_core.exports.reader), without stepping over the tasks of other states."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("platform", "0008_export_jobs_and_deliveries"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("status__in", ("accepted", "auto_accepted"))),
                fields=["project", "id"],
                name="task_final_id_idx",
            ),
        ),
    ]
