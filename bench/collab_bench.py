"""Human–machine collaboration, replayed round by round through the real services.

    .venv/bin/python bench/collab_bench.py                      # demo reviews, 10 rounds of 100
    .venv/bin/python bench/collab_bench.py --order random
    .venv/bin/python bench/collab_bench.py --data reviews.jsonl --text-field body --label-field stars

A labeled JSONL file (or, by default, the demo's text classification generator) is imported
into a new project through the import job. Each round, a simulated annotator labels
`--labels-per-round` tasks from the queue in the project's order (answering from gold, wrong
with `--annotator-error` probability), a training job and a pre-labeling job run on the worker
code (services called in-process; the routing tasks they queue run inline), and a simulated
reviewer judges every spot-check and exploration-band item against gold. The project's routing
policy applies each activated version's proposed threshold by itself.

Per round: human labels so far; the active version's held-out accuracy and ECE; the threshold;
the machine share of the remaining tasks (auto-accepted / not labeled by a person); the
precision of auto-accepted labels as measured on spot-checks (95% Wilson interval, n); their
true precision against gold; and the oracle share: the largest share of the remaining tasks
that the same predictions could auto-accept at the target precision if gold were known.
Last line:
`collab: after N human labels, machine share X%, true precision Y% (target T%), measured Z% on K spot-checks, oracle share O%`

Environment: COLLAB_BENCH_DATABASE_URL, an empty database to use (default: a new SQLite file in a
temporary folder; DATABASE_URL is ignored, so a development database is never written).
"""
import argparse
import json
import logging
import os
import random
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = tempfile.mkdtemp(prefix="collab-bench-")
# Its own database, never the one DATABASE_URL names: the bench makes users and a project.
os.environ["DATABASE_URL"] = os.environ.get("COLLAB_BENCH_DATABASE_URL") or f"sqlite:///{WORK}/collab.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")
os.environ["REDIS_URL"] = ""
os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ["VAR_DIR"] = f"{WORK}/var"
os.environ["MEDIA_ROOT"] = f"{WORK}/media"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from annotator.models import Annotation, ReviewKind, ReviewVerdict  # noqa: E402
from annotator.quality import wilson_interval  # noqa: E402
from annotator.services.annotations import annotation_submit  # noqa: E402
from annotator.services.queue import task_claim_next  # noqa: E402
from annotator.services.review_queue import review_item_claim_next  # noqa: E402
from annotator.services.reviews import review_item_for_verdict, review_record  # noqa: E402
from config.celery_app import app as celery_app  # noqa: E402
from ml_assist.models import MlJobKind, MlJobStatus  # noqa: E402
from ml_assist.routing_models import RoutingDecision, RoutingVerdict  # noqa: E402
from ml_assist.selectors import active_version  # noqa: E402
from ml_assist.services import ml_job_create, model_prelabel, model_train  # noqa: E402
from ml_assist.services.thresholds import routing_policy_update  # noqa: E402
from platform_core.imports.runner import import_run  # noqa: E402
from platform_core.imports.services import import_job_create  # noqa: E402
from platform_core.models import Prediction, Role, Task  # noqa: E402
from platform_core.services.organizations import membership_add, organization_create  # noqa: E402
from platform_core.services.projects import project_create  # noqa: E402

# Jobs are run here in-process; what they queue (threshold review after a verdict, routing
# after the threshold moved) runs inline, as the worker would run it right after.
celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True
settings.ML_RETRAIN_EVERY = 0  # the bench trains once per round itself
logging.disable(logging.INFO)  # the jobs' own progress lines would drown the rounds'
PASSWORD = "collab-bench-password-1"  # noqa: S105 - users of a throwaway database


def load_rows(path: Path, text_field: str, label_field: str) -> list[tuple[str, str]]:
    """(text, gold label) per line of a JSONL file; a label may be a string or a one-item list."""
    rows = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise SystemExit(f"{path}:{number}: not a JSON object")
            text, label = row.get(text_field), row.get(label_field)
            if isinstance(label, list) and len(label) == 1:
                label = label[0]
            if not isinstance(text, str) or not text.strip():
                raise SystemExit(f"{path}:{number}: no text in field {text_field!r}")
            if not isinstance(label, str | int) or isinstance(label, bool) or str(label) == "":
                raise SystemExit(f"{path}:{number}: no label in field {label_field!r}")
            rows.append((text, str(label)))
    if len({label for _, label in rows}) < 2:
        raise SystemExit(f"{path}: fewer than two distinct labels in {label_field!r}")
    return rows


def demo_rows(count: int, seed: int) -> list[tuple[str, str]]:
    from platform_core.demo import make_text_classification

    return [(item.data["text"], item.result["labels"][0]) for item in make_text_classification(count, seed)]


def set_up(rows, args):
    """Organization, people, project, routing policy and the imported tasks; gold by task id."""
    call_command("migrate", verbosity=0)
    organization = organization_create(name="Collaboration bench")
    people = {
        role: membership_add(organization=organization, username=f"bench-{role}", role=role,
                             password=PASSWORD).user
        for role in (Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER)
    }
    labels = sorted({label for _, label in rows})
    project = project_create(
        organization=organization, created_by=people[Role.MANAGER], name="Collaboration",
        task_type="text_classification",
        label_config={"labels": [{"value": label[:100]} for label in labels]},
        queue_order=args.order, target_precision=args.target,
        review_sample_rate=args.spot_check_rate, annotation_review_rate=0.0,
        train_on_unreviewed=True, suggestion_holdout_rate=args.holdout_rate,
    )
    routing_policy_update(project=project, data={
        "apply_proposals": True, "exploration_rate": args.exploration_rate,
        "exploration_width": args.exploration_width,
    })
    content = "".join(json.dumps({"text": text, "row": n}) + "\n" for n, (text, _) in enumerate(rows))
    job = import_job_create(project=project, user=people[Role.MANAGER], enqueue=False,
                            upload=ContentFile(content.encode(), name="collab.jsonl"))
    job = import_run(job_id=job.pk)
    if job.status != "succeeded":
        raise SystemExit(f"the import failed: {job.message}")
    gold = {
        task_id: rows[data["row"]][1]
        for task_id, data in Task.objects.filter(project=project).values_list("id", "data")
    }
    return project, people, labels, gold


def annotate(project, annotator, gold, labels, count, error_rate, rng) -> int:
    """The annotator labels up to `count` tasks from the queue; how many were labeled."""
    done = 0
    while done < count:
        task = task_claim_next(project=project, user=annotator)
        if task is None:
            break
        answer = gold[task.pk]
        if rng.random() < error_rate:
            answer = rng.choice([label for label in labels if label != answer])
        annotation_submit(task_id=task.pk, user=annotator, result={"labels": [answer]},
                          lead_time_s=None)
        done += 1
    return done


def run_job(project, kind, runner):
    job = ml_job_create(project=project, kind=kind, params={"trigger": "collab bench"},
                        enqueue=False)
    runner(job_id=job.pk)
    job.refresh_from_db()
    if job.status != MlJobStatus.SUCCEEDED:
        raise SystemExit(f"{kind} job {job.pk} {job.status}: {job.message}")
    return job


def review_all(project, reviewer, gold) -> int:
    """The reviewer judges every item waiting, spot-checks and band items against gold (a
    verdict may lower the threshold, which routes more tasks, which adds items)."""
    reviewed = 0
    while (item := review_item_claim_next(project=project, user=reviewer)) is not None:
        with transaction.atomic():
            if item.kind == ReviewKind.SPOT_CHECK:
                locked = review_item_for_verdict(user=reviewer, task=Task(pk=item.task_id))
                machine = Prediction.objects.get(pk=locked.prediction_id).result
                right = {"labels": [gold[item.task_id]]}
                if machine.get("labels") == right["labels"]:
                    review_record(item=locked, reviewer=reviewer, verdict=ReviewVerdict.ACCEPT)
                else:
                    review_record(item=locked, reviewer=reviewer, verdict=ReviewVerdict.CORRECT,
                                  result=right)
            else:
                annotation = Annotation.objects.get(pk=item.annotation_id)
                locked = review_item_for_verdict(user=reviewer, annotation=annotation)
                review_record(item=locked, reviewer=reviewer, verdict=ReviewVerdict.ACCEPT)
        reviewed += 1
    return reviewed


def measure(project, gold, target) -> dict:
    tasks = Task.objects.filter(project=project)
    human = set(Annotation.objects.filter(task__project=project).values_list("task_id", flat=True))
    remaining = tasks.count() - len(human)
    auto = RoutingDecision.objects.filter(task__project=project, exploration=False)
    machine_rows = list(auto.values_list("task_id", "prediction__result", "verdict", "sampled_for_review"))
    true_correct = sum(
        1 for task_id, result, _, _ in machine_rows
        if result and result.get("labels") == [gold[task_id]]
    )
    checked = [verdict for *_, verdict, sampled in machine_rows if sampled and verdict]
    measured_correct = sum(verdict == RoutingVerdict.CORRECT for verdict in checked)
    low, high = wilson_interval(measured_correct, len(checked))
    version = active_version(project=project)
    return {
        "human": len(human),
        "accuracy": version.metrics.get("accuracy") if version else None,
        "ece": version.ece if version else None,
        "threshold": project.auto_accept_threshold,
        "remaining": remaining,
        "machine": len(machine_rows),
        "share": len(machine_rows) / remaining if remaining else 0.0,
        "true": true_correct / len(machine_rows) if machine_rows else None,
        "measured": measured_correct / len(checked) if checked else None,
        "low": low, "high": high, "checks": len(checked),
        "oracle": oracle_share(project, human, gold, target, remaining),
    }


def oracle_share(project, human, gold, target, remaining) -> float:
    """Of the tasks no person labeled, the largest share whose latest suggestions, taken from
    the most confident down, keep a precision of at least `target` against gold."""
    latest: dict[int, tuple[float, bool]] = {}
    rows = (
        Prediction.objects.filter(task__project=project, confidence__isnull=False)
        .order_by("task_id", "id")
        .values_list("task_id", "confidence", "result")
    )
    for task_id, confidence, result in rows.iterator(chunk_size=5000):
        if task_id not in human:
            latest[task_id] = (confidence, result.get("labels") == [gold[task_id]])
    best = correct = 0
    for kept, (_, right) in enumerate(sorted(latest.values(), key=lambda r: -r[0]), 1):
        correct += right
        if correct / kept >= target:
            best = kept
    return best / remaining if remaining else 0.0


def percent(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def round_line(number: int, m: dict, reviewed: int) -> str:
    threshold = "off" if m["threshold"] is None else f"{m['threshold']:.3f}"
    quality = (
        f"held-out accuracy {m['accuracy']:.3f} ECE {m['ece']:.3f}"
        if m["accuracy"] is not None and m["ece"] is not None else "no model yet"
    )
    measured = (
        f"{percent(m['measured'])} [{percent(m['low'])}, {percent(m['high'])}] n={m['checks']}"
        if m["checks"] else "— n=0"
    )
    return (
        f"round {number:2d}: {m['human']} human labels, {reviewed} reviews, {quality}, "
        f"threshold {threshold}, "
        f"machine share {percent(m['share'])} of {m['remaining']} remaining, "
        f"measured precision {measured}, true precision {percent(m['true'])}, "
        f"oracle share {percent(m['oracle'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="labeled JSONL; default: demo reviews")
    parser.add_argument("--text-field", default="text")
    parser.add_argument("--label-field", default="label")
    parser.add_argument("--tasks", type=int, default=12000, help="demo items generated")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--labels-per-round", type=int, default=100)
    parser.add_argument("--order", choices=("uncertainty", "random"), default="uncertainty")
    parser.add_argument("--target", type=float, default=0.95, help="target precision")
    parser.add_argument("--spot-check-rate", type=float, default=0.1)
    parser.add_argument("--exploration-rate", type=float, default=0.2)
    parser.add_argument("--exploration-width", type=float, default=0.05)
    parser.add_argument("--annotator-error", type=float, default=0.0)
    parser.add_argument("--holdout-rate", type=float, default=0.05,
                        help="share of tasks always served to people without a suggestion "
                        "(the project default): never auto-accepted, so people always have work")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in ("target", "spot_check_rate", "exploration_rate", "annotator_error", "holdout_rate"):
        if not 0.0 <= getattr(args, name) <= 1.0:
            parser.error(f"--{name.replace('_', '-')} must be in 0..1")
    if args.data is not None and not args.data.is_file():
        parser.error(f"--data {args.data}: no such file")

    rows = (load_rows(args.data, args.text_field, args.label_field) if args.data
            else demo_rows(args.tasks, args.seed))
    project, people, labels, gold = set_up(rows, args)
    source = args.data.name if args.data else f"demo reviews (seed {args.seed})"
    print(f"collab bench: {len(gold)} tasks from {source}, {len(labels)} labels, "
          f"order {args.order}, target {args.target:.2f}, spot-checks {args.spot_check_rate:.2f}, "
          f"exploration {args.exploration_rate:.2f} of a {args.exploration_width:.2f} band", flush=True)
    rng = random.Random(args.seed)
    m = None
    for number in range(1, args.rounds + 1):
        labeled = annotate(project, people[Role.ANNOTATOR], gold, labels, args.labels_per_round,
                           args.annotator_error, rng)
        run_job(project, MlJobKind.TRAIN, model_train)
        run_job(project, MlJobKind.PRELABEL, model_prelabel)
        reviewed = review_all(project, people[Role.REVIEWER], gold)
        project.refresh_from_db()
        m = measure(project, gold, args.target)
        print(round_line(number, m, reviewed), flush=True)
        if labeled < args.labels_per_round:
            print("the queue is empty: every task is labeled or routed", flush=True)
            break
    print(
        f"collab: after {m['human']} human labels, machine share {percent(m['share'])}, "
        f"true precision {percent(m['true'])} (target {percent(args.target)}), "
        f"measured {percent(m['measured'])} on {m['checks']} spot-checks, "
        f"oracle share {percent(m['oracle'])}"
    )


if __name__ == "__main__":
    main()
