"""Hourly rollups of what the metrics count (platform_core.rollups): triggers keep each equal to
the GROUP BY of its source table, and annotator.metrics_selectors reads them instead of
scanning the project's rows. The SPECs are the triggers' SQL: changing one takes a migration
that uninstalls the old triggers and installs the new (InstallRollup).

Columns hold plain ids without foreign keys: a delete that cascades from a project removes
its annotations, reviews and tasks, whose triggers take their figures back out; the rollup's
rows must still be there for that, whatever order the deletion collector picks.
"""
from django.db import models

from platform_core.rollups import RollupSpec


def _count_where(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 1 ELSE 0 END"


class AnnotationRollup(models.Model):
    """Annotations per (project, annotator, hour of created_at)."""

    project_id = models.BigIntegerField()
    annotator_id = models.BigIntegerField()
    hour = models.DateTimeField()
    submitted = models.BigIntegerField()
    timed = models.BigIntegerField()
    lead_s = models.FloatField()
    from_suggestion = models.BigIntegerField()
    unchanged = models.BigIntegerField()
    gold_answered = models.BigIntegerField()
    gold_correct = models.BigIntegerField()

    SPEC = RollupSpec(
        table="annotator_annotationrollup",
        source="annotator_annotation",
        keys={"project_id": "{R}.project_id", "annotator_id": "{R}.annotator_id"},
        hour_of="created_at",
        sums={
            "submitted": "1",
            "timed": _count_where("{R}.lead_time_s IS NOT NULL"),
            "lead_s": "COALESCE({R}.lead_time_s, 0)",
            "from_suggestion": _count_where("{R}.changed_from_suggestion IS NOT NULL"),
            "unchanged": _count_where("{R}.changed_from_suggestion = false"),
            "gold_answered": _count_where("{R}.gold_correct IS NOT NULL"),
            "gold_correct": _count_where("{R}.gold_correct = true"),
        },
        watched=(
            "project_id", "annotator_id", "created_at", "lead_time_s",
            "changed_from_suggestion", "gold_correct",
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "annotator_id", "hour"], name="annotation_rollup_key"
            )
        ]


class ReviewRollup(models.Model):
    """Verdicts per (project, kind, stage, author of the judged annotation (0: none), hour of
    created_at)."""

    project_id = models.BigIntegerField()
    kind = models.CharField(max_length=16)
    stage = models.PositiveSmallIntegerField()
    author_id = models.BigIntegerField()
    hour = models.DateTimeField()
    accepted = models.BigIntegerField()
    corrected = models.BigIntegerField()
    rejected = models.BigIntegerField()

    SPEC = RollupSpec(
        table="annotator_reviewrollup",
        source="annotator_review",
        keys={
            "project_id": "{R}.project_id",
            "kind": "{R}.kind",
            "stage": "{R}.stage",
            "author_id": "COALESCE({R}.author_id, 0)",
        },
        hour_of="created_at",
        sums={
            "accepted": _count_where("{R}.verdict = 'accept'"),
            "corrected": _count_where("{R}.verdict = 'correct'"),
            "rejected": _count_where("{R}.verdict = 'reject'"),
        },
        watched=("project_id", "kind", "stage", "author_id", "created_at", "verdict"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "kind", "stage", "author_id", "hour"],
                name="review_rollup_key",
            )
        ]


class AcceptedTaskRollup(models.Model):
    """Tasks per (project, status, accepted_source ('': none), hour of accepted_at), of the
    tasks that have an accepted_at."""

    project_id = models.BigIntegerField()
    status = models.CharField(max_length=16)
    accepted_source = models.CharField(max_length=16)
    hour = models.DateTimeField()
    n = models.BigIntegerField()

    SPEC = RollupSpec(
        table="annotator_acceptedtaskrollup",
        source="platform_task",
        keys={
            "project_id": "{R}.project_id",
            "status": "{R}.status",
            "accepted_source": "COALESCE({R}.accepted_source, '')",
        },
        hour_of="accepted_at",
        sums={"n": "1"},
        watched=("project_id", "status", "accepted_source", "accepted_at"),
        where="{R}.accepted_at IS NOT NULL",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project_id", "status", "accepted_source", "hour"],
                name="accepted_task_rollup_key",
            )
        ]
