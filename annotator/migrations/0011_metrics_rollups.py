# Hourly rollups of annotations, reviews and accepted tasks, kept by triggers
# (platform_core.rollups), filled here from the rows already there.
from django.db import migrations, models

from annotator.rollup_models import AcceptedTaskRollup, AnnotationRollup, ReviewRollup
from platform_core.rollups import InstallRollup


class Migration(migrations.Migration):

    dependencies = [
        ('annotator', '0010_review_author'),
        ('platform', '0013_task_accepted_source'),
    ]

    operations = [
        migrations.CreateModel(
            name='AcceptedTaskRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('project_id', models.BigIntegerField()),
                ('status', models.CharField(max_length=16)),
                ('accepted_source', models.CharField(max_length=16)),
                ('hour', models.DateTimeField()),
                ('n', models.BigIntegerField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project_id', 'status', 'accepted_source', 'hour'), name='accepted_task_rollup_key')],
            },
        ),
        migrations.CreateModel(
            name='AnnotationRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('project_id', models.BigIntegerField()),
                ('annotator_id', models.BigIntegerField()),
                ('hour', models.DateTimeField()),
                ('submitted', models.BigIntegerField()),
                ('timed', models.BigIntegerField()),
                ('lead_s', models.FloatField()),
                ('from_suggestion', models.BigIntegerField()),
                ('unchanged', models.BigIntegerField()),
                ('gold_answered', models.BigIntegerField()),
                ('gold_correct', models.BigIntegerField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project_id', 'annotator_id', 'hour'), name='annotation_rollup_key')],
            },
        ),
        migrations.CreateModel(
            name='ReviewRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('project_id', models.BigIntegerField()),
                ('kind', models.CharField(max_length=16)),
                ('stage', models.PositiveSmallIntegerField()),
                ('author_id', models.BigIntegerField()),
                ('hour', models.DateTimeField()),
                ('accepted', models.BigIntegerField()),
                ('corrected', models.BigIntegerField()),
                ('rejected', models.BigIntegerField()),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('project_id', 'kind', 'stage', 'author_id', 'hour'), name='review_rollup_key')],
            },
        ),
        InstallRollup(AnnotationRollup.SPEC),
        InstallRollup(ReviewRollup.SPEC),
        InstallRollup(AcceptedTaskRollup.SPEC),
    ]
