import django.db.models.deletion
from django.db import migrations, models

# Apart from 0008's fill: PostgreSQL refuses to alter a table with foreign key checks still
# pending in the same transaction. The reviews' index comes with their author (0010).


class Migration(migrations.Migration):

    dependencies = [
        ("annotator", "0008_project_copied"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name,
                "project",
                models.ForeignKey(
                    db_index=False, on_delete=django.db.models.deletion.CASCADE,
                    related_name="+", to="platform.project",
                ),
            )
            for model_name in ("annotation", "review")
        ),
        migrations.AddIndex(
            model_name="annotation",
            index=models.Index(
                fields=["project", "created_at"],
                name="annotation_project_time_idx",
                include=["annotator", "lead_time_s", "changed_from_suggestion", "gold_correct"],
            ),
        ),
    ]
