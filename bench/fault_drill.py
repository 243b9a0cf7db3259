"""Fault drill: annotators label through the real stack while its parts are killed and restarted;
afterwards nothing acknowledged is lost or doubled, no job is left queued or running, and the
site answers again.

    .venv/bin/python bench/fault_drill.py [--clients 20] [--seconds 180] [--seed 1]

The drill starts private servers so that it can kill them without touching anyone else's: a
PostgreSQL cluster (initdb in a temporary folder; as root it runs as the `postgres` user) and a
Redis without persistence (a restart loses every queued message, as a crash of an unconfigured
Redis would). Against them it runs the stack as production does: gunicorn (gunicorn.conf.py)
and a Celery worker with its beat (the job sweeper). The sweep interval and heartbeat staleness
are shortened so that recoveries fit in minutes; they are printed.

While --clients annotators loop next-task → submit over HTTP for --seconds, at random moments
the drill injects, in a shuffled order:
- SIGKILL of the worker while an import (50,000 rows) runs, then a new worker;
- SIGKILL of the worker while a pre-labeling job runs, then a new worker;
- a restart of Redis (queued messages lost);
- a restart of PostgreSQL (every connection cut).
Recovery of a fault is the time from its injection until /healthz answers 200, a submit has
been acknowledged again and, for a worker killed under a job, that job has finished.

After the labeling it waits (at most --settle seconds) for every job to reach a final state, then
checks: every annotation acknowledged with a 2xx is in the database exactly once; no annotator
has two annotations of one task; no task holds more annotations than the overlap, and each
task's count matches its rows; every import and ML job has finished; /healthz is 200.

Last line: `faults: K injected, N submits acknowledged, lost L, duplicated D, stuck jobs S,
recovery max R s`.
"""

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/, when run as a script
from fault_drill_stack import (  # noqa: E402
    BIN,
    DRILL_SETTINGS,
    ROOT,
    SECRET_KEY,
    Servers,
    Stack,
    wait_for,
)

LABELS = ["positive", "negative", "neutral"]
IMPORT_ROWS = 50_000
TRAINING_LABELS = 300
OVERLAP = 2


def seed(clients: int) -> dict:
    """Organization, project, people with tokens, 20,000 tasks and a trained model (runs in
    this process, on the private database)."""
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    from annotator.models import Annotation, AnnotationStatus
    from ml_assist.models import MlJobKind
    from ml_assist.services import ml_job_create, model_train
    from platform_core.demo import make_text_classification
    from platform_core.demo.projects import DEMO_PROJECTS
    from platform_core.imports.records import data_record
    from platform_core.imports.writer import TaskWriter
    from platform_core.models import (
        Dataset,
        Membership,
        Organization,
        Project,
        Role,
        Task,
        TaskStatus,
    )
    from django.contrib.auth import get_user_model

    call_command("migrate", verbosity=0)
    config = next(
        spec.label_config for spec in DEMO_PROJECTS if spec.task_type == "text_classification"
    )
    org = Organization.objects.create(name="Drill")
    project = Project.objects.create(
        organization=org,
        name="Drill",
        task_type="text_classification",
        label_config=config,
        overlap=OVERLAP,
        queue_order="random",
    )
    items = make_text_classification(20_000, 7)
    dataset = Dataset.objects.create(project=project, name="seed")
    writer = TaskWriter(project=project, dataset=dataset)
    for number, item in enumerate(items):
        writer.add(data_record(number, item.data))
    writer.flush()
    # Earlier human work for the model to learn from.
    ids = list(
        Task.objects.filter(project=project)
        .order_by("id")
        .values_list("id", flat=True)[:TRAINING_LABELS]
    )
    User = get_user_model()
    earlier = User.objects.create_user("drill-earlier")
    Annotation.objects.bulk_create(
        Annotation(
            task_id=t,
            annotator=earlier,
            result=items[i].result,
            lead_time_s=5,
            status=AnnotationStatus.ACCEPTED,
        )
        for i, t in enumerate(ids)
    )
    for i, t in enumerate(ids):
        Task.objects.filter(pk=t).update(
            status=TaskStatus.ACCEPTED, annotation_count=1, accepted_result=items[i].result
        )
    model_train(job_id=ml_job_create(project=project, kind=MlJobKind.TRAIN, enqueue=False).pk)
    manager = User.objects.create_user("drill-manager")
    Membership.objects.create(user=manager, organization=org, role=Role.MANAGER)
    tokens = []
    for number in range(clients):
        user = User.objects.create_user(f"drill-annotator-{number}")
        Membership.objects.create(user=user, organization=org, role=Role.ANNOTATOR)
        tokens.append(Token.objects.create(user=user).key)
    return {
        "project": project.pk,
        "manager": Token.objects.create(user=manager).key,
        "annotators": tokens,
    }


class Annotators:
    """Client threads looping next-task → submit; every acknowledged submit is recorded."""

    def __init__(self, stack: Stack, project_id: int, tokens: list[str], seed: int):
        self.stack, self.project_id, self.tokens = stack, project_id, tokens
        self.acknowledged: list[tuple[int, int, int]] = []  # (annotation, task, client)
        self.failures = Counter()
        self.last_ack = 0.0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.random = random.Random(seed)

    def run(self, client: int) -> None:
        token = self.tokens[client]
        while not self.stop.is_set():
            status, task = self.stack.call(
                "POST", f"/api/v1/projects/{self.project_id}/next-task/", token, {}
            )
            if status != 200:
                self.failures[f"next-task {status}"] += 1
                time.sleep(0.5 if status != 204 else 2)
                continue
            body = {"result": {"labels": [self.random.choice(LABELS)]}, "lead_time_s": 1.0}
            status, answer = self.stack.call(
                "POST", f"/api/v1/tasks/{task['id']}/annotations/", token, body
            )
            if status == 201:
                with self.lock:
                    self.acknowledged.append((answer["id"], task["id"], client))
                    self.last_ack = time.monotonic()
            else:
                self.failures[f"submit {status}"] += 1
                time.sleep(0.5)

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.run, args=(n,), daemon=True)
            for n in range(len(self.tokens))
        ]
        for thread in threads:
            thread.start()
        return threads


def inject(
    fault: str, stack: Stack, servers: Servers, seeded: dict, log
) -> tuple[float, str | None]:
    """Inject the fault; returns the moment it struck (time.monotonic()) and the API path of
    the job it hit, if any."""
    manager, project = seeded["manager"], seeded["project"]
    if fault in ("kill worker during import", "kill worker during pre-label"):
        if fault.endswith("import"):
            rows = [
                {"text": f"drill import row {i} {random.random()}"} for i in range(IMPORT_ROWS)
            ]  # noqa: S311
            status, job = stack.call(
                "POST", f"/api/v1/projects/{project}/imports/", manager, {"tasks": rows}, 120
            )
            poll = f"/api/v1/imports/{job['id']}/" if job else None
        else:
            status, job = stack.call("POST", f"/api/v1/projects/{project}/prelabel/", manager, {})
            poll = f"/api/v1/jobs/{job['id']}/" if job else None
        if poll is None:
            log(
                f"  could not start the job for '{fault}' (HTTP {status}); killing the worker anyway"
            )
        else:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                _, state = stack.call("GET", poll, manager)
                if state and state["status"] == "running":
                    break
                time.sleep(0.1)
            log(f"  job {poll} is {state and state['status']} at the kill")
        struck = time.monotonic()
        stack.kill_worker()
        time.sleep(1)
        stack.start_worker()
        return struck, poll
    struck = time.monotonic()
    if fault == "restart Redis":
        servers.redis_restart()
    elif fault == "restart PostgreSQL":
        servers.pg_restart()
    return struck, None


def open_jobs(stack: Stack, seeded: dict) -> list[str]:
    """Jobs not finished, read from the database by a short-lived process of the stack."""
    script = (
        "from ml_assist.models import MlJob\nfrom platform_core.models import ImportJob\n"
        "import json\nprint(json.dumps([str(j) + ' ' + j.status for m in (ImportJob, MlJob) "
        "for j in m.objects.filter(status__in=['queued','running'])]))"
    )
    output = subprocess.run(
        [str(BIN / "python"), "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    if output.returncode != 0:
        return [f"(could not read jobs: {output.stderr.strip()[-300:]})"]
    return json.loads(output.stdout.strip().splitlines()[-1])


def verify(acknowledged: list[tuple[int, int, int]]) -> dict:
    from django.db import connection
    from django.db.models import Count, F

    from annotator.models import Annotation, AnnotationStatus
    from platform_core.models import Task

    connection.close()  # its server was restarted
    ids = [annotation for annotation, _, _ in acknowledged]
    found = set()
    for start in range(0, len(ids), 5000):
        found |= set(
            Annotation.objects.filter(pk__in=ids[start : start + 5000]).values_list("id", flat=True)
        )
    per_person = (
        Annotation.objects.exclude(status=AnnotationStatus.REJECTED)
        .values("task", "annotator")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    live = Annotation.objects.exclude(status=AnnotationStatus.REJECTED)
    counts = dict(live.values_list("task").annotate(n=Count("id")).values_list("task", "n"))
    over = sum(1 for n in counts.values() if n > OVERLAP)
    mismatched = sum(
        1
        for task_id, count in Task.objects.filter(pk__in=list(counts)).values_list(
            "id", "annotation_count"
        )
        if count != counts[task_id]
    )
    return {
        "lost": len(set(ids) - found),
        "duplicated": (len(ids) - len(set(ids))) + per_person,
        "over overlap": over
        + Task.objects.filter(annotation_count__gt=F("project__overlap")).count(),
        "count mismatches": mismatched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=180, help="labeling time with faults")
    parser.add_argument(
        "--settle", type=int, default=240, help="at most this long for jobs to finish"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, database)")
    args = parser.parse_args()
    # Ctrl-C or a TERM still stops the private servers and the stack (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    random.seed(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="fault-drill-"))
    os.chmod(folder, 0o755)
    servers = Servers(folder)
    stack = None
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", flush=True)

    try:
        servers.start()
        os.environ.update(
            DJANGO_SETTINGS_MODULE="config.settings.base",
            DEBUG="true",
            SECRET_KEY=SECRET_KEY,  # the stack's: the model trained here is signed with it
            DATABASE_URL=servers.database_url,
            REDIS_URL=servers.redis_url,
            VAR_DIR=str(folder / "var"),
            MEDIA_ROOT=str(folder / "media"),
        )
        sys.path.insert(0, str(ROOT))
        seeded = seed(args.clients)
        log(f"seeded: 20000 tasks, overlap {OVERLAP}, {args.clients} annotators, a trained model")
        stack = Stack(servers, folder)
        stack.start_web()
        stack.start_worker()
        log(f"stack up on port {stack.port}; drill settings {DRILL_SETTINGS}")

        people = Annotators(stack, seeded["project"], seeded["annotators"], args.seed)
        threads = people.start()
        faults = [
            "kill worker during import",
            "kill worker during pre-label",
            "restart Redis",
            "restart PostgreSQL",
        ]
        random.shuffle(faults)
        window = args.seconds / (len(faults) + 1)
        recoveries = []
        for fault in faults:
            time.sleep(random.uniform(0.5 * window, window))  # noqa: S311
            log(f"fault: {fault}")
            injected, job = inject(fault, stack, servers, seeded, log)
            acks_before = len(people.acknowledged)

            def recovered():
                if stack.worker.poll() is not None:
                    sys.exit(f"the worker died after '{fault}'; see {folder}/worker-*.log")
                if stack.healthz() != 200 or len(people.acknowledged) == acks_before:
                    return False
                if job is None:
                    return True
                _, state = stack.call("GET", job, seeded["manager"])
                return state is not None and state["status"] in ("succeeded", "failed")

            wait_for(recovered, 180, f"recovery from '{fault}'")
            recoveries.append(time.monotonic() - injected)
            _, state = stack.call("GET", job, seeded["manager"]) if job else (0, None)
            finished = (
                f"; job {job} {state['status']}: {state.get('message', '')[:120]}" if state else ""
            )
            log(f"  recovered in {recoveries[-1]:.1f} s{finished}")
        time.sleep(max(0.0, args.seconds - (time.monotonic() - started)))
        people.stop.set()
        for thread in threads:
            thread.join(60)
        log(
            f"labeling stopped: {len(people.acknowledged)} submits acknowledged; refused or failed: {dict(people.failures)}"
        )

        deadline = time.monotonic() + args.settle
        while (still := open_jobs(stack, seeded)) and time.monotonic() < deadline:
            time.sleep(3)
        log(f"jobs not finished: {still or 'none'}")
        healthy = stack.healthz()
        result = verify(people.acknowledged)
        log(f"checks: {result}, /healthz {healthy}")
        print(
            f"faults: {len(faults)} injected, {len(people.acknowledged)} submits acknowledged, "
            f"lost {result['lost']}, duplicated {result['duplicated']}, stuck jobs {len(still)}, "
            f"recovery max {max(recoveries):.1f} s"
        )
        if stack.worker.poll() is not None:
            sys.exit(f"the worker died; see {folder}/worker-*.log")
        if result["over overlap"] or result["count mismatches"] or healthy != 200:
            sys.exit(1)
    finally:
        if stack is not None:
            stack.stop()
        servers.stop()
        if args.keep:
            print(f"kept: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
