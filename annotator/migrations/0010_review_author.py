import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Reviews carry the author of the annotation they judge, so the metrics count verdicts per
# annotator without joining the annotations.


class Migration(migrations.Migration):

    dependencies = [
        ("annotator", "0009_project_copied_required"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="author",
            field=models.ForeignKey(
                blank=True, db_index=False, null=True,
                on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(
            "UPDATE annotator_review SET author_id = (SELECT a.annotator_id FROM "
            "annotator_annotation a WHERE a.id = annotator_review.annotation_id) "
            "WHERE annotation_id IS NOT NULL",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["project", "kind", "created_at"],
                name="review_project_time_idx",
                include=["author", "stage", "verdict"],
            ),
        ),
    ]
