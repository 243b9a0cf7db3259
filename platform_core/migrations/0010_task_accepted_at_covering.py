"""The metrics' index of accepted tasks covers their status and id (PostgreSQL; elsewhere the
same index without them): counting a window's accepted tasks reads the index alone."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("platform", "0009_task_final_id_idx"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="task", name="task_accepted_at_idx"),
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                condition=models.Q(("accepted_at__isnull", False)),
                fields=["project", "accepted_at"],
                include=("status", "id"),
                name="task_accepted_at_idx",
            ),
        ),
    ]
