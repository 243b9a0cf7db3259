import django.db.models.deletion
from django.db import migrations, models

# Annotations and reviews carry their task's project so that the metrics read a project's rows
# by time from an index instead of joining the project's tasks. Added nullable, filled from the
# tasks, then made NOT NULL (0009: on PostgreSQL, in a transaction of its own, after the fill's
# deferred foreign key checks have run) so that a writer which forgets it fails at once.
FILL = (
    "UPDATE {table} SET project_id = "
    "(SELECT t.project_id FROM platform_task t WHERE t.id = {table}.task_id)"
)


def project_field(null: bool) -> models.ForeignKey:
    return models.ForeignKey(
        db_index=False, null=null, on_delete=django.db.models.deletion.CASCADE,
        related_name="+", to="platform.project",
    )


class Migration(migrations.Migration):

    dependencies = [
        ("annotator", "0007_lead_time_unknown"),
        ("platform", "0010_task_accepted_at_covering"),
    ]

    operations = [
        migrations.AddField("annotation", "project", project_field(null=True)),
        migrations.AddField("review", "project", project_field(null=True)),
        migrations.RunSQL(FILL.format(table="annotator_annotation"), migrations.RunSQL.noop),
        migrations.RunSQL(FILL.format(table="annotator_review"), migrations.RunSQL.noop),
    ]
