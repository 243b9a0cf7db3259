"""Demo bootstrap: prior human work on the demo projects, so the worker has something to learn
from and every demo project shows suggestions after the quick start.

`seed_demo` imports generated items but keeps their answers out of the data. The generators are
deterministic for a seed, so the answers are made again here and matched to tasks by checksum
(text: of the row's data; media: of the file's bytes), which is what the importer stored. A share
of the matched tasks gets an accepted annotation by the demo annotator; then one training job
runs, with a pre-labeling pass after it.
"""
import hashlib
import logging

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from annotator.models import Annotation, AnnotationStatus, ReviewItem, ReviewKind
from ml_assist.models import MlJob, MlJobKind
from ml_assist.services.jobs import TrainingAlreadyRunning, ml_job_create
from platform_core.demo.common import as_rng
from platform_core.demo.files import GENERATORS, MEDIA_TYPES
from platform_core.demo.projects import DEMO_PROJECTS
from platform_core.imports.records import data_checksum
from platform_core.models import ImportJob, ImportStatus, Project, Task, TaskStatus

logger = logging.getLogger(__name__)

DEMO_ANNOTATOR = "demo-annotator"
# Share of each demo project labeled "before" the demo starts: enough for every built-in model
# to learn (300 items -> 120 labels), and most tasks are left for people to try.
LABELED_SHARE = 0.4
# Submitted by the demo annotator and waiting for review, so the review page has work at once.
PENDING_REVIEW_SHARE = 0.1
# Typical active seconds per item, so the cost and throughput pages show sensible numbers.
LEAD_TIME_S = {
    "text_classification": 6.0, "text_spans": 25.0, "preference": 40.0, "sft": 90.0,
    "image_classification": 3.0, "image_boxes": 30.0, "audio_classification": 8.0,
    "audio_transcription": 60.0,
}


def demo_imports_state(*, project: Project) -> str:
    """"pending" while an import is queued or running, "none" when there was none, else "done"."""
    jobs = ImportJob.objects.filter(project=project)
    if jobs.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).exists():
        return "pending"
    return "done" if jobs.filter(status=ImportStatus.SUCCEEDED).exists() else "none"


def _truth_by_checksum(project: Project, *, seed: int) -> dict[str, dict]:
    index = next(
        (i for i, spec in enumerate(DEMO_PROJECTS)
         if spec.task_type == project.task_type and spec.name == project.name),
        None,
    )
    if index is None:
        return {}
    # As many items as seed_demo generated (rows read by its import): same seed, same items.
    n = max(ImportJob.objects.filter(project=project).values_list("total", flat=True), default=0)
    items = GENERATORS[project.task_type](n, as_rng([seed, index]))
    if project.task_type in MEDIA_TYPES:
        return {hashlib.sha256(item.content).hexdigest(): item.result for item in items}
    return {data_checksum(item.data): item.result for item in items}


def demo_labels_record(
    *, project: Project, seed: int = 0, share: float = LABELED_SHARE,
    review_share: float = PENDING_REVIEW_SHARE,
) -> int:
    """Annotations by the demo annotator: accepted ones for `share` of the project's generated
    tasks, and submitted ones waiting in the review queue for another `review_share`; the
    number written. Does nothing (0) once the project has any annotation."""
    if Annotation.objects.filter(task__project=project).exists():
        return 0
    annotator = get_user_model().objects.filter(username=DEMO_ANNOTATOR).first()
    if annotator is None:
        raise ValueError(f"The demo annotator {DEMO_ANNOTATOR!r} does not exist; run seed_demo.")
    truth = _truth_by_checksum(project, seed=seed)
    tasks = list(
        Task.objects.filter(project=project, checksum__in=list(truth))
        .order_by("id")
        .values_list("id", "checksum")
    )
    rng = np.random.default_rng([seed, project.pk])
    order = rng.permutation(len(tasks)).tolist()
    accepted_count = round(share * len(tasks))
    chosen = sorted(order[:accepted_count])
    pending = sorted(order[accepted_count : accepted_count + round(review_share * len(tasks))])
    lead = LEAD_TIME_S.get(project.task_type, 20.0)

    def annotation(i: int, status: str) -> Annotation:
        return Annotation(
            task_id=tasks[i][0], annotator=annotator, result=truth[tasks[i][1]],
            lead_time_s=round(lead * float(rng.uniform(0.6, 1.6)), 1),
            status=status, changed_from_suggestion=None,
        )

    annotations = [annotation(i, AnnotationStatus.ACCEPTED) for i in chosen]
    submitted = [annotation(i, AnnotationStatus.SUBMITTED) for i in pending]
    with transaction.atomic():
        Annotation.objects.bulk_create(annotations + submitted, batch_size=1000)
        now = timezone.now()
        done = [
            Task(pk=tasks[i][0], status=TaskStatus.ACCEPTED, annotation_count=1,
                 accepted_result=truth[tasks[i][1]], accepted_at=now, updated_at=now)
            for i in chosen
        ] + [
            Task(pk=tasks[i][0], status=TaskStatus.SUBMITTED, annotation_count=1, updated_at=now)
            for i in pending
        ]
        Task.objects.bulk_update(
            done, ["status", "annotation_count", "accepted_result", "accepted_at", "updated_at"],
            batch_size=1000,
        )
        ReviewItem.objects.bulk_create(
            ReviewItem(
                project=project, task_id=a.task_id, annotation=a, kind=ReviewKind.ANNOTATION,
                author=annotator,
            )
            for a in submitted
        )
    return len(annotations) + len(submitted)


def demo_bootstrap(*, project: Project, seed: int = 0) -> str:
    """Labels from the ground truth, then a training job that pre-labels when it ends.
    Precondition: the project's imports finished (see demo_imports_state)."""
    written = demo_labels_record(project=project, seed=seed)
    if MlJob.objects.filter(project=project, kind=MlJobKind.TRAIN, params__trigger="demo").exists():
        return f"{project.name}: {written} labels recorded; the demo training was queued before."
    try:
        with transaction.atomic():
            job = ml_job_create(
                project=project, kind=MlJobKind.TRAIN,
                params={"trigger": "demo", "prelabel_after": True},
            )
    except TrainingAlreadyRunning:
        return f"{project.name}: {written} labels recorded; a training job was already running."
    return f"{project.name}: {written} labels recorded; training job {job.pk} queued."
