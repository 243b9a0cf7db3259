"""Pre-labeling and training through a real Celery worker on PostgreSQL and Redis.

    .venv/bin/python bench/prelabel_bench.py            # 100,000 texts, 10,000 images, 1 h of audio
    .venv/bin/python bench/prelabel_bench.py --scale 0.1

Data comes from the demo generators (platform_core.demo) and is loaded with the import writer;
accepted labels are written in bulk. Each job is queued on Redis and run by a separate worker
process (`celery worker --pool=solo`); times are the job row's started_at -> finished_at.
Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/annotate_ml_bench,
created if missing), REDIS_URL (default redis://127.0.0.1:6379/12), BENCH_WORKER_LOGLEVEL=INFO
to keep the worker's per-job timings (inference vs. waiting on reads and writes) in its log.

Last line: `prelabel: text R/s, image R/s, audio Xx real time, train(10k text) S s`.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/annotate_ml_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "true")
MEDIA = tempfile.mkdtemp(prefix="prelabel-bench-media-")
os.environ["MEDIA_ROOT"] = MEDIA

import django  # noqa: E402

CLIP_S = 5.0
JOB_TIMEOUT_S = 3600


def ensure_database(url: str) -> None:
    import psycopg
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


class Worker:
    """A `celery worker` child on its own queue; stopped warm, then killed."""

    def __init__(self, queue: str):
        self.log = Path(MEDIA) / "worker.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "config", "worker", "--pool=solo",
             "--loglevel=" + os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING"),
             f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h", "-Q", queue,
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        from config.celery_app import app

        deadline = time.monotonic() + 60
        while not app.control.ping(destination=None, timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the worker did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def forget_queue(queue: str) -> None:
    """Drop the bench queue's keys from Redis (kombu keeps a binding per queue name)."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.close()


def run_job(project, kind: str, queue: str):
    """Queue a job through Redis for the worker; its row once finished."""
    from config.celery_app import app
    from ml_assist.models import MlJob
    from ml_assist.services import ml_job_create

    job = ml_job_create(project=project, kind=kind, enqueue=False)
    app.send_task(f"ml.{kind}", args=[job.pk], queue=queue)
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not (job := MlJob.objects.get(pk=job.pk)).is_finished:
        if time.monotonic() > deadline:
            raise SystemExit(f"{kind} job {job.pk} did not finish")
        time.sleep(0.2)
    if job.status != "succeeded":
        raise SystemExit(f"{kind} job {job.pk} failed: {job.message}")
    return job, (job.finished_at - job.started_at).total_seconds()


def make_project(task_type: str):
    from platform_core.demo.projects import DEMO_PROJECTS
    from platform_core.models import Organization, Project

    org, _ = Organization.objects.get_or_create(name="Benchmarks")
    config = next(spec.label_config for spec in DEMO_PROJECTS if spec.task_type == task_type)
    return Project.objects.create(organization=org, name=f"{task_type} bench {time.time_ns()}",
                                  task_type=task_type, label_config=config)


def load(project, records) -> list[int]:
    """Write TaskRecords through the import writer; the new task ids in order."""
    from platform_core.imports.writer import TaskWriter
    from platform_core.models import Dataset, Task

    dataset = Dataset.objects.create(project=project, name="bench")
    writer = TaskWriter(project=project, dataset=dataset)
    for record in records:
        writer.add(record)
    writer.flush()
    return list(Task.objects.filter(dataset=dataset).order_by("id").values_list("id", flat=True))


def accept(task_ids, results) -> None:
    from django.contrib.auth import get_user_model

    from annotator.models import Annotation
    from platform_core.models import Task

    user, _ = get_user_model().objects.get_or_create(username="bench-annotator")
    Annotation.objects.bulk_create(
        [Annotation(task_id=t, annotator=user, result=r, lead_time_s=5.0, status="accepted")
         for t, r in zip(task_ids, results, strict=True)], batch_size=2000)
    for start in range(0, len(task_ids), 5000):
        Task.objects.filter(pk__in=task_ids[start:start + 5000]).update(status="accepted", annotation_count=1)


def media_records(items, kind: str):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from platform_core.imports.records import TaskRecord

    for number, item in enumerate(items):
        digest = hashlib.sha256(item.content).hexdigest()
        suffix = ".png" if kind == "image" else ".wav"
        name = default_storage.save(f"bench/{digest[:2]}/{digest}{suffix}", ContentFile(item.content))
        extra = {"width": 64, "height": 64} if kind == "image" else {"duration_s": item.meta["duration_s"],
                                                                     "sample_rate": 16000}
        yield TaskRecord(row=number, data={"file": item.file_name}, checksum=digest, media=name,
                         media_type="image/png" if kind == "image" else "audio/wav", **extra)


def five_second_clips(n: int, seed: int):
    """Demo sound classes (platform_core.demo.audio), each clip exactly CLIP_S long."""
    from platform_core.demo.audio import SAMPLE_RATE, SOUND_LABELS, _fade, _sound, wav_bytes
    from platform_core.demo.common import DemoItem, pick

    rng = np.random.default_rng(seed)
    t = np.arange(int(CLIP_S * SAMPLE_RATE)) / SAMPLE_RATE
    for number in range(n):
        label = pick(rng, SOUND_LABELS)
        level = rng.uniform(0.05, 0.3)
        clean = _fade(_sound(rng, label, t)) * level
        noisy = clean + rng.normal(0, level * 10 ** (-rng.uniform(6, 30) / 20), len(t))
        yield DemoItem(result={"labels": [label]}, file_name=f"clip5_{number:05d}.wav",
                       content=wav_bytes(noisy), meta={"duration_s": CLIP_S})


def bench_text(n: int, queue: str) -> tuple[float, float, float]:
    from platform_core.demo import make_text_classification
    from platform_core.imports.records import data_record

    labels_small, labels_big = max(50, n // 100), max(100, n // 10)
    project = make_project("text_classification")
    items = make_text_classification(n + labels_big, 11)
    ids = load(project, (data_record(i, item.data) for i, item in enumerate(items)))
    print(f"text: {len(ids)} tasks loaded", flush=True)
    accept(ids[:labels_small], [i.result for i in items[:labels_small]])
    _, train_small = run_job(project, "train", queue)
    print(f"text: train on {labels_small} labels {train_small:.1f} s", flush=True)
    accept(ids[labels_small:labels_big], [i.result for i in items[labels_small:labels_big]])
    job, train_big = run_job(project, "train", queue)
    print(f"text: train on {labels_big} labels {train_big:.1f} s ({job.message})", flush=True)
    job, seconds = run_job(project, "prelabel", queue)
    assert job.done == n, (job.done, n)
    print(f"text: prelabel {n} tasks in {seconds:.1f} s = {n / seconds:.0f}/s", flush=True)
    return n / seconds, train_small, train_big


def bench_images(n: int, queue: str) -> float:
    from platform_core.demo import make_image_classification

    labels = 500
    project = make_project("image_classification")
    items = make_image_classification(n + labels, 12)
    ids = load(project, media_records(items, "image"))
    accept(ids[:labels], [i.result for i in items[:labels]])
    job, train = run_job(project, "train", queue)
    print(f"image: train on {labels} labels {train:.1f} s ({job.message})", flush=True)
    job, seconds = run_job(project, "prelabel", queue)
    assert job.done == n, (job.done, n)
    print(f"image: prelabel {n} images in {seconds:.1f} s = {n / seconds:.0f}/s", flush=True)
    return n / seconds


def bench_audio(hours: float, queue: str) -> float:
    clips = int(round(hours * 3600 / CLIP_S))
    labels = 200
    project = make_project("audio_classification")
    items = list(five_second_clips(clips + labels, 13))
    ids = load(project, media_records(items, "audio"))
    accept(ids[:labels], [i.result for i in items[:labels]])
    job, train = run_job(project, "train", queue)
    print(f"audio: train on {labels} labels {train:.1f} s ({job.message})", flush=True)
    job, seconds = run_job(project, "prelabel", queue)
    assert job.done == clips, (job.done, clips)
    factor = clips * CLIP_S / seconds
    print(f"audio: prelabel {clips} clips ({clips * CLIP_S / 3600:.2f} h) in {seconds:.1f} s = "
          f"{factor:.0f}x real time", flush=True)
    return factor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of the full sizes.")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
          f"broker: {os.environ['REDIS_URL']}; media: {MEDIA}", flush=True)
    queue = f"prelabel-bench-{uuid.uuid4().hex[:8]}"
    worker = Worker(queue)
    try:
        text, train_small, train_big = bench_text(int(100_000 * args.scale), queue)
        image = bench_images(int(10_000 * args.scale), queue)
        audio = bench_audio(1.0 * args.scale, queue)
    finally:
        worker.stop()
        forget_queue(queue)
    print(f"train(1k text) {train_small:.1f} s")
    print(f"prelabel: text {text:.0f}/s, image {image:.0f}/s, audio {audio:.0f}x real time, "
          f"train(10k text) {train_big:.1f} s")


if __name__ == "__main__":
    main()
