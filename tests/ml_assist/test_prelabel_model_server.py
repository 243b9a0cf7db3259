"""Pre-labeling with a project's model server (Label Studio ML backend protocol), against a
small local server: its suggestions are stored under its model version, and a server that is
down fails the job with the client's message."""
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ml_assist import external
from ml_assist.models import MlJobKind, MlJobStatus
from ml_assist.services import ml_job_create, model_prelabel
from platform_core.models import Prediction, TaskStatus
from tests.ml_assist.conftest import load_tasks


class _Backend(BaseHTTPRequestHandler):
    """/setup names model "v7"; /predict says "positive" (score 0.9) for every task."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.server.calls.append(self.path)
        if self.path == "/setup":
            answer = {"model_version": "v7"}
        else:
            answer = {"results": [
                {"result": [{"from_name": "label", "to_name": "text", "type": "choices",
                             "value": {"choices": ["positive"]}}], "score": 0.9}
                for _ in body["tasks"]
            ]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def backend(settings):
    settings.ML_SERVER_ALLOW_PRIVATE = True  # loopback, for the test
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _prelabel(project):
    job = ml_job_create(project=project, kind=MlJobKind.PRELABEL, enqueue=False)
    model_prelabel(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_the_model_server_suggests_under_its_own_version_once(text_project, backend):
    text_project.model_server_url = f"http://127.0.0.1:{backend.server_port}"
    text_project.use_builtin_model = False
    text_project.save()
    ids = load_tasks(text_project, [{"text": f"review {i}"} for i in range(45)])

    job = _prelabel(text_project)
    again = _prelabel(text_project)

    assert job.status == MlJobStatus.SUCCEEDED, job.message
    predictions = Prediction.objects.filter(task__project=text_project)
    assert predictions.count() == 45
    assert set(predictions.values_list("model_version", flat=True)) == {"external:v7"}
    assert all(p.result == {"labels": ["positive"]} and p.confidence == 0.9 for p in predictions)
    assert set(text_project.tasks.values_list("status", flat=True)) == {TaskStatus.SUGGESTED}
    assert job.params["external_model_version"] == "external:v7"
    assert backend.calls.count("/predict") == 3  # 45 tasks, 20 a request
    assert (again.status, again.total) == (MlJobStatus.SUCCEEDED, 0)
    assert predictions.count() == 45
    assert sorted(predictions.values_list("task_id", flat=True)) == ids


def test_a_model_server_that_is_down_fails_the_job_with_the_reason(text_project, settings, monkeypatch):
    settings.ML_SERVER_ALLOW_PRIVATE = True
    monkeypatch.setattr(external, "_sleep", lambda seconds: None)  # no backoff waits
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    text_project.model_server_url = f"http://127.0.0.1:{port}"
    text_project.use_builtin_model = False
    text_project.save()
    load_tasks(text_project, [{"text": "a review"}])

    job = _prelabel(text_project)

    assert job.status == MlJobStatus.FAILED
    assert "is down" in job.message and str(port) in job.message
    assert not Prediction.objects.filter(task__project=text_project).exists()


class _Failing(BaseHTTPRequestHandler):
    """Answers every request with the server's `.answer` (status, body)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, data = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("status", "reason"),
    [(500, "is down: HTTP 500 on /setup"), (403, "refused /setup: HTTP 403 (Forbidden)"),
     (200, "/setup answered non-JSON")],
)
def test_what_a_failing_server_says_stays_out_of_the_job_message(
    text_project, settings, monkeypatch, status, reason
):
    # Every member of the project reads the job message; an error page may carry secrets.
    settings.ML_SERVER_ALLOW_PRIVATE = True
    monkeypatch.setattr(external, "_sleep", lambda seconds: None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    server.answer = (status, b"Traceback ... DATABASE_URL=postgres://ml:hunter2@db/ml")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    text_project.model_server_url = f"http://127.0.0.1:{server.server_port}"
    text_project.use_builtin_model = False
    text_project.save()
    load_tasks(text_project, [{"text": "a review"}])
    try:
        job = _prelabel(text_project)
    finally:
        server.shutdown()
        server.server_close()

    assert job.status == MlJobStatus.FAILED
    assert reason in job.message and "hunter2" not in job.message
