"""ML job rows: created by the web process (or a signal), run by the worker, polled by pages."""
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ml_assist.models import OPEN_JOB_STATUSES, MlJob, MlJobKind
from ml_assist.selectors import accepted_label_count
from platform_core.jobs import job_begin, send_quietly
from platform_core.models import Project, Task

# Ids checked per query (SQLite caps the parameters of a statement).
ID_CHUNK = 5000


class TrainingAlreadyRunning(Exception):
    """The project has a training job queued or running; at most one at a time."""

    def __init__(self, job: MlJob | None = None):
        self.job = job
        where = f" (job {job.pk})" if job is not None else ""
        state = job.status if job is not None else "queued or running"
        super().__init__(f"A training job for this project is already {state}{where}.")


def open_training_job(*, project: Project) -> MlJob | None:
    return MlJob.objects.filter(
        project=project, kind=MlJobKind.TRAIN, status__in=OPEN_JOB_STATUSES
    ).first()


@transaction.atomic
def ml_job_create(
    *, project: Project, kind: str, user=None, params: dict | None = None, enqueue: bool = True
) -> MlJob:
    """A queued job row, sent to the worker once the transaction commits.

    TrainingAlreadyRunning for a second training while one is queued or running: checked here
    for the message, and enforced by the conditional unique constraint for racing callers.
    `enqueue=False` leaves the job to the caller (tests, a real-worker test's own queue).
    """
    params = dict(params or {})
    if kind == MlJobKind.TRAIN:
        running = open_training_job(project=project)
        if running is not None:
            raise TrainingAlreadyRunning(running)
        # Where the next automatic retraining counts from (services.retrain).
        params.setdefault("labels", accepted_label_count(project=project))
    if params.get("task_ids"):
        params["task_ids"] = _project_task_ids(project, params["task_ids"])
    job = MlJob(project=project, kind=kind, created_by=user, params=params)
    job.full_clean(exclude=["project", "created_by", "model_version"], validate_constraints=False)
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        raise TrainingAlreadyRunning(open_training_job(project=project)) from None
    if enqueue:
        # Refused by a broker that is down, the message is sent again by the sweeper.
        transaction.on_commit(partial(ml_job_send, job))
    return job


def ml_job_send(job: MlJob) -> bool:
    """Hand the job to the broker; False (logged) when it is down."""
    # Imported here: ml_assist.tasks imports the services.
    from ml_assist import tasks

    task = {MlJobKind.PRELABEL: tasks.prelabel_task, MlJobKind.TRAIN: tasks.train_task}[job.kind]
    return send_quietly(task, job.pk)


def _project_task_ids(project: Project, task_ids) -> list[int]:
    """The ids, deduplicated and sorted; ValidationError naming those that are not tasks of the
    project (another organization's ids read exactly like ids that do not exist)."""
    wanted = sorted({int(i) for i in task_ids})
    found: set[int] = set()
    for start in range(0, len(wanted), ID_CHUNK):
        chunk = wanted[start : start + ID_CHUNK]
        found.update(Task.objects.filter(project=project, pk__in=chunk).values_list("id", flat=True))
    missing = [i for i in wanted if i not in found]
    if missing:
        shown = ", ".join(map(str, missing[:10])) + (" …" if len(missing) > 10 else "")
        raise ValidationError({"task_ids": [f"{len(missing)} ids are not tasks of this project: {shown}"]})
    return wanted


def job_start(*, job_id: int, kind: str) -> MlJob | None:
    """The job marked running, or None when there is nothing to run (platform_core.jobs.job_begin:
    finished, running on a live worker, or failed for too many attempts). A job whose worker
    died is taken up again, and the services make that safe."""
    return job_begin(MlJob.objects.filter(kind=kind).select_related("project", "model_version"), job_id)


def job_finish(*, job: MlJob, status: str, message: str = "", **fields) -> MlJob:
    job.status, job.message, job.finished_at = status, message[:5000], timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "message", "finished_at", *fields])
    return job


def job_progress(*, job: MlJob, done: int = 0, total: int | None = None) -> None:
    """Add `done` (and set `total`) in one UPDATE; call inside the batch's transaction so the
    count never runs ahead of what was committed."""
    changes = {"done": F("done") + done}
    if total is not None:
        changes["total"] = total
    MlJob.objects.filter(pk=job.pk).update(**changes)
    job.done += done
    if total is not None:
        job.total = total
