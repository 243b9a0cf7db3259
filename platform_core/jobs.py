"""The life of a job row (platform_core.models.jobs.Job) on the worker, and the sweeper that
finds the ones a lost message or a dead worker left behind.

- `job_begin` marks a job running and counts the attempt. A message for a job that a live
  worker is running (its heartbeat is fresh: a re-sent duplicate) is dropped; one whose worker
  died (stale heartbeat) is taken over; after MAX_JOB_ATTEMPTS starts the job fails instead.
- `job_heartbeat` keeps the heartbeat fresh from a thread while the job's body runs, however
  long one step (a model fit) takes.
- `jobs_sweep` (Celery beat, every JOB_SWEEP_INTERVAL_S) re-sends queued jobs whose message
  seems lost, backing off as they keep waiting; re-queues running jobs whose heartbeat went
  stale, or fails them after MAX_JOB_ATTEMPTS; and resumes purges of deleted projects that
  stopped.

Apps register their job tables with `register_job_kind(model, send)`; `send(job)` hands the
job's message to the broker.
"""
import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError

from platform_core.models import Project
from platform_core.models.jobs import Job, JobStatus

logger = logging.getLogger(__name__)

MAX_JOB_ATTEMPTS = 3
GAVE_UP = (
    "The job stopped its worker {n} times (killed, out of memory or past its time limit) and "
    "was not started again."
)
# A queued job waits at least this long before its message counts as lost, and then as long
# again as it has waited so far (doubling, at most an hour): a job queued behind a long import
# is re-sent a handful of times, not every half minute.
RESEND_AFTER = timedelta(seconds=60)
RESEND_AFTER_MAX = timedelta(hours=1)

_kinds: dict[type[Job], Callable[[Job], None]] = {}


def register_job_kind(model: type[Job], send: Callable[[Job], None]) -> None:
    _kinds[model] = send


class ProjectDeleting(Exception):
    """The job's project was marked for deletion: the job stops writing; the purge removes
    the job's row with the rest."""


def project_hold_unless_deleting(project_id: int, *, exclusive: bool = False) -> None:
    """Inside a transaction that writes rows of the project: ProjectDeleting when it is being
    deleted. The row lock makes the purge's final delete wait for this transaction: a key-share
    lock (what the foreign keys of the rows written take anyway, so concurrent writers do not
    wait for each other), or an exclusive one to serialise writers of the project row itself."""
    if exclusive or connection.vendor != "postgresql":  # SQLite has one writer at a time
        held = Project.objects.select_for_update().filter(pk=project_id, deleting=False).exists()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT 1 FROM {Project._meta.db_table} WHERE id = %s AND NOT deleting FOR KEY SHARE",
                [project_id],
            )
            held = cursor.fetchone() is not None
    if not held:
        raise ProjectDeleting(project_id)


def stale_before():
    return timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_STALE_S)


def job_begin(jobs: QuerySet, job_id: int) -> Job | None:
    """The job `job_id` of `jobs` (a queryset of a job model, with its select_related), marked
    running with this attempt counted; None when there is nothing to run: not found, finished,
    running on a live worker, its project being deleted, or failed here for too many attempts."""
    with transaction.atomic():
        job = jobs.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if Project.objects.filter(pk=job.project_id, deleting=True).exists():
            logger.info("%s not started: its project is being deleted", job)
            return None
        now = timezone.now()
        if job.status == JobStatus.RUNNING and job.heartbeat_at and job.heartbeat_at > stale_before():
            logger.info("%s is running on a live worker; this message is a duplicate", job)
            return None
        if job.attempts >= MAX_JOB_ATTEMPTS:
            _fail(job, GAVE_UP.format(n=job.attempts), now)
            return None
        job.status, job.attempts = JobStatus.RUNNING, job.attempts + 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at"])
    return job


@contextmanager
def job_heartbeat(job: Job):
    """Write the job's heartbeat every JOB_HEARTBEAT_S while the body runs (own connection)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.JOB_HEARTBEAT_S):
            try:
                type(job).objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
            except Exception:  # a database restart: beat again on a new connection
                logger.warning("Heartbeat of %s missed", job, exc_info=True)
                connection.close()
        connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    # SQLite's in-memory test database lives on one connection; a thread would not see it.
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()


def send_quietly(task, *args, **options) -> bool:
    """Queue `task` from an after-commit hook; False, logged, when the broker refuses.

    What triggered it (a label, a verdict, a settings change, a job row) is committed and
    answered as saved: the platform keeps working while the broker is down. A job row's lost
    message is re-sent by the sweeper; the next label or spot-check repeats a lost retrain check
    or threshold adjustment; a lost priority reset keeps the previous order until the order is
    set again.
    """
    try:
        task.apply_async(args, **options)
    except OperationalError:
        logger.exception("The broker refused %s%r; the job was not queued", task.name, args)
        return False
    return True


def _fail(job: Job, message: str, now) -> None:
    job.status, job.message, job.finished_at = JobStatus.FAILED, message, now
    job.save(update_fields=["status", "message", "finished_at"])
    logger.error("%s failed: %s", job, message)


def jobs_sweep() -> dict:
    """One pass of the sweeper; returns what it did, by action."""
    done = {"resent": 0, "requeued": 0, "failed": 0, "purges_resumed": 0}
    now = timezone.now()
    for model, send in _kinds.items():
        for job in _lost_queued(model, now):
            if _mark_sent(model, job, JobStatus.QUEUED, now):
                _send(send, job)
                done["resent"] += 1
        for job in model.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=stale_before()):
            if job.attempts >= MAX_JOB_ATTEMPTS:
                failed = model.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                    status=JobStatus.FAILED, message=GAVE_UP.format(n=job.attempts), finished_at=now
                )
                done["failed"] += failed
                if failed:
                    logger.error("%s failed: %s", job, GAVE_UP.format(n=job.attempts))
            elif _mark_sent(model, job, JobStatus.RUNNING, now, status=JobStatus.QUEUED):
                logger.warning("%s: its worker stopped (no heartbeat); sent again", job)
                _send(send, job)
                done["requeued"] += 1
    done["purges_resumed"] = _resume_purges(now)
    return done


def _lost_queued(model: type[Job], now) -> list[Job]:
    queued = model.objects.filter(status=JobStatus.QUEUED, sent_at__lt=now - RESEND_AFTER)
    # Waited since the last send at least as long as it had waited before it: the interval
    # doubles with each re-send.
    return [
        job
        for job in queued.order_by("sent_at")[:500]
        if now - job.sent_at >= min(max(job.sent_at - job.created_at, RESEND_AFTER), RESEND_AFTER_MAX)
    ]


def _mark_sent(model, job, expected_status, now, **changes) -> bool:
    """Claim the re-send (another sweeper may run at once: a second beat after a restart)."""
    return bool(
        model.objects.filter(pk=job.pk, status=expected_status, sent_at=job.sent_at).update(
            sent_at=now, **changes
        )
    )


def _send(send, job) -> None:
    try:
        send(job)
    except Exception:  # the broker is down: the next sweep tries again
        logger.warning("Could not send %s to the broker", job, exc_info=True)


def _resume_purges(now) -> int:
    """A purge writes `updated_at` on its project as it goes; one quiet for longer than a
    heartbeat's staleness has stopped (its message lost, its worker killed)."""
    from platform_core.tasks import project_purge_task  # tasks import the services

    stalled = Project.objects.filter(deleting=True, updated_at__lt=stale_before())
    resumed = 0
    for project_id in stalled.values_list("id", flat=True)[:100]:
        if Project.objects.filter(pk=project_id, deleting=True, updated_at__lt=stale_before()).update(
            updated_at=now
        ):
            resumed += send_quietly(project_purge_task, project_id)
    return resumed


def purge_heartbeat(project_id: int) -> None:
    Project.objects.filter(pk=project_id, deleting=True).update(updated_at=timezone.now())

