"""Fixtures of the ml_assist tests: demo-generated projects and labels, and a real worker.

The worker fixtures build on tests/conftest.py's and add what a kill-and-restart test needs: a Redis database and a
queue of the test's own, and a short visibility timeout so a killed worker's message comes back.
"""
import shutil
import socket
import ssl
import subprocess
import uuid
from types import SimpleNamespace

import pytest
import redis
from celery import Celery
from django.contrib.auth import get_user_model
from django.db import connection

from annotator.models import Annotation, AnnotationStatus
from platform_core.demo import make_text_classification
from platform_core.demo.projects import DEMO_PROJECTS
from platform_core.imports.records import data_record
from platform_core.imports.writer import TaskWriter
from platform_core.models import Dataset, Project, Task, TaskStatus
from ml_assist import external
from tests.factories import ProjectFactory, UserFactory
from tests.ml_assist.model_server_fakes import FakeServer, Handler, serving
from tests.workers import redis_test_url as redis_url_for_db
from tests.workers import worker_database_url

REDIS_TEST_DB = 13  # tests/platform_core uses 14
DEMO_CONFIGS = {spec.task_type: spec.label_config for spec in DEMO_PROJECTS}


# -- data ----------------------------------------------------------------------------------------


def load_tasks(project: Project, rows: list[dict]) -> list[int]:
    """Tasks for `rows` (task data) through the import writer; their ids in row order."""
    dataset = Dataset.objects.create(project=project, name="test rows")
    writer = TaskWriter(project=project, dataset=dataset)
    for number, data in enumerate(rows):
        writer.add(data_record(number, data))
    writer.flush()
    return list(Task.objects.filter(dataset=dataset).order_by("id").values_list("id", flat=True))


def accept(task_ids, results, *, user=None, status=AnnotationStatus.ACCEPTED) -> None:
    """Accepted (or other-status) annotations for the tasks, written in bulk (no signals)."""
    user = user or UserFactory()
    Annotation.objects.bulk_create(
        [
            Annotation(task_id=t, annotator=user, result=r, lead_time_s=5.0, status=status)
            for t, r in zip(task_ids, results, strict=True)
        ]
    )
    accepted = status == AnnotationStatus.ACCEPTED
    Task.objects.bulk_update(
        [
            Task(
                pk=t,
                status=TaskStatus.ACCEPTED if accepted else TaskStatus.SUBMITTED,
                annotation_count=1,
                accepted_result=r if accepted else None,
            )
            for t, r in zip(task_ids, results, strict=True)
        ],
        ["status", "annotation_count", "accepted_result"],
    )


def demo_project(organization, task_type: str = "text_classification", **fields) -> Project:
    return ProjectFactory(
        organization=organization, task_type=task_type, label_config=DEMO_CONFIGS[task_type], **fields
    )


@pytest.fixture
def text_project(org):
    return demo_project(org)


@pytest.fixture
def labeled_text_project(text_project):
    """A sentiment project: 300 generated reviews, the first 200 with accepted labels.
    Returns (project, ids of the 100 unlabeled tasks)."""
    items = make_text_classification(300, 7)
    ids = load_tasks(text_project, [item.data for item in items])
    accept(ids[:200], [item.result for item in items[:200]])
    return text_project, ids[200:]


# -- a real worker through Redis ----------------------------------------------------------------


def redis_test_url() -> str:
    return redis_url_for_db(REDIS_TEST_DB)


@pytest.fixture
def ml_queue():
    name = f"test-ml-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_test_url())
    client.delete(
        name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}", "unacked", "unacked_index"
    )
    client.close()


@pytest.fixture
def ml_send(ml_queue):
    """ml_send(task_name, *args) -> the message, on the test's queue of the test Redis."""
    sender = Celery("ml-test-sender", broker=redis_test_url(), set_as_current=False)
    yield lambda name, *args: sender.send_task(name, args=list(args), queue=ml_queue)
    sender.close()


@pytest.fixture
def ml_worker_env(transactional_db, child_env, settings):
    """worker_env(**extra) -> the environment of a worker on the test database and Redis."""
    assert connection.vendor == "postgresql", "the worker tests need the PostgreSQL test database"

    def make(**extra: str) -> dict:
        return child_env(
            DATABASE_URL=worker_database_url(),
            CELERY_BROKER_URL=redis_test_url(),
            REDIS_URL=redis_test_url(),
            MEDIA_ROOT=settings.MEDIA_ROOT,
            VAR_DIR=str(settings.MEDIA_ROOT) + "-var",
            SECRET_KEY=settings.SECRET_KEY,
            **extra,
        )

    return make


@pytest.fixture
def annotator_user(db):
    return get_user_model().objects.create_user("ml-test-annotator", password="x")


# -- model servers (tests/ml_assist/model_server_fakes.py) ---------------------------------------


@pytest.fixture
def model_server(settings):
    """A Label Studio ML backend stand-in on 127.0.0.1: set `.routes[path] = [(status, body,
    delay?), ...]` (answers in turn, the last repeats); `.calls` records what it was sent and
    `.hosts` the Host headers."""
    settings.ML_SERVER_ALLOW_PRIVATE = True
    settings.ML_SERVER_TIMEOUT_S = 2.0
    yield from serving(FakeServer(("127.0.0.1", 0), Handler))


@pytest.fixture
def internal_server():
    """Another server on 127.0.0.1: what a rebound name or a proxy would reach instead."""
    yield from serving(FakeServer(("127.0.0.1", 0), Handler))


@pytest.fixture
def network(monkeypatch):
    """A resolver to script: `.names[name] = [address, ...]` answers in turn (the last repeats);
    a connection to an address in `.routes` (address -> local port) reaches that local port.
    Other names resolve as usual."""
    real = socket.getaddrinfo
    net = SimpleNamespace(names={}, routes={})

    def getaddrinfo(host, port, *args, **kwargs):
        if host in net.names:
            answers = net.names[host]
            address = answers.pop(0) if len(answers) > 1 else answers[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        if host in net.routes:  # the connection itself resolves the address it was given
            return real("127.0.0.1", net.routes[host], *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return net


@pytest.fixture
def tls_server(tmp_path, settings):
    """A model server on 127.0.0.1 behind TLS with a certificate for models.example.com only;
    `.cert` is the file to trust, `.server_names` the SNI names clients sent."""
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=models.example.com", "-addext", "subjectAltName=DNS:models.example.com"],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = FakeServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.cert, server.server_names = str(cert), []
    context.sni_callback = lambda sock, name, ctx: server.server_names.append(name)
    settings.ML_SERVER_TIMEOUT_S = 2.0
    yield from serving(server)


@pytest.fixture
def sleeps(monkeypatch):
    """The backoff pauses, recorded instead of slept."""
    recorded = []
    monkeypatch.setattr(external, "_sleep", recorded.append)
    return recorded
