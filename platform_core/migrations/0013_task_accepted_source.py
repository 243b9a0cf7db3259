from django.conf import settings
from django.db import migrations, models

# Accepted tasks learn where their label came from, as the review service now records it: a
# spot-check that kept the machine's label, or an accepted annotation that kept the suggestion
# and that no reviewer corrected (what the metrics used to match at every call).
FILL = """
UPDATE platform_task SET accepted_source = CASE
    WHEN EXISTS (SELECT 1 FROM annotator_review r WHERE r.task_id = platform_task.id
                 AND r.kind = 'spot_check' AND r.verdict = 'accept') THEN 'machine'
    WHEN EXISTS (SELECT 1 FROM annotator_annotation a WHERE a.task_id = platform_task.id
                 AND a.status = 'accepted' AND a.changed_from_suggestion = FALSE
                 AND NOT EXISTS (SELECT 1 FROM annotator_review c
                                 WHERE c.annotation_id = a.id AND c.verdict = 'correct'))
        THEN 'suggestion'
    END
WHERE status = 'accepted'
"""


class Migration(migrations.Migration):

    dependencies = [
        ('platform', '0012_task_overlapped_idx'),
        ('annotator', '0010_review_author'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='task',
            name='task_accepted_at_idx',
        ),
        migrations.AddField(
            model_name='task',
            name='accepted_source',
            field=models.CharField(blank=True, choices=[('machine', 'Machine label kept by a spot-check'), ('suggestion', 'Suggestion kept unchanged by the annotator and the reviewers')], max_length=16, null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(condition=models.Q(('accepted_at__isnull', False)), fields=['project', 'accepted_at'], include=('status', 'accepted_source', 'id'), name='task_accepted_at_idx'),
        ),
    ]
