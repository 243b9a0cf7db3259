"""The web process carries no numpy, SciPy or scikit-learn (168 MB a process when it did): the
estimators load on the worker only.

A child process imports the WSGI application as gunicorn does, loads every view of the URLconf,
then serves a session from this test's database: an annotator claims and submits (which queues
the retrain check), a reviewer gives a verdict, a manager reads the pages, lists, metrics and
models and asks for training (which queues a job). It reports the heavy packages it imported.
Its broker is the filesystem one in a throwaway folder, so nothing reaches a shared Redis.
"""
import json
import subprocess
import sys

import pytest
from django.db import connection

from platform_core.models import Role
from tests.annotator.factories import AnnotationFactory
from tests.factories import ProjectFactory
from tests.platform_core.factories import TaskFactory
from tests.workers import ROOT, child_environment, worker_database_url

pytestmark = pytest.mark.django_db(transaction=True)

HEAVY = ("numpy", "scipy", "sklearn")

CHILD = r"""
import json, sys

HEAVY = ("numpy", "scipy", "sklearn")
from config.wsgi import application  # noqa: F401 - what gunicorn imports
from django.urls import get_resolver


def load(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            load(pattern.url_patterns)
        else:
            pattern.callback  # imports the view's module


load(get_resolver().url_patterns)
at_start = [name for name in HEAVY if name in sys.modules]

from django.contrib.auth import get_user_model
from django.test import Client

plan = json.loads(sys.argv[1])
answers = []
for username, steps in plan:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    for method, path, body in steps:
        if "{annotation}" in path:
            path = path.format(annotation=answers[-1][2]["annotation"]["id"])
        if method == "get":
            response = client.get(path)
        else:
            response = client.post(path, json.dumps(body), content_type="application/json")
        payload = response.json() if response.get("Content-Type") == "application/json" else {}
        answers.append((path, response.status_code, payload if isinstance(payload, dict) else {}))
print(json.dumps({
    "at_start": at_start,
    "after_session": [name for name in HEAVY if name in sys.modules],
    "statuses": [(path, status) for path, status, _ in answers],
    "metrics": [body for path, _, body in answers if "/metrics/" in path],
}))
"""


def child_database_url() -> str:
    if connection.vendor == "postgresql":
        return worker_database_url()
    return f"sqlite:///{connection.settings_dict['NAME']}"


def run_child(tmp_path, plan) -> dict:
    env = child_environment(
        DATABASE_URL=child_database_url(),
        REDIS_URL="",
        CELERY_BROKER_URL="",
        VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
        ALLOWED_HOSTS="testserver",
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(plan)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_web_process_serves_a_whole_session_without_the_ml_libraries(
    tmp_path, project, member
):
    annotator = member(Role.ANNOTATOR, project.organization)
    reviewer = member(Role.REVIEWER, project.organization)
    manager = member(Role.MANAGER, project.organization)
    tasks = TaskFactory.create_batch(3, project=project)
    p = project.pk
    plan = [
        (annotator.username, [
            ("post", f"/api/v1/projects/{p}/next-task/", {}),
            ("post", f"/api/v1/tasks/{tasks[0].pk}/annotations/",
             {"result": {"labels": ["positive"]}, "lead_time_s": 2.0}),
            ("get", f"/projects/{p}/label/", None),
        ]),
        (reviewer.username, [
            ("post", f"/api/v1/projects/{p}/next-review/", {}),
            ("post", "/api/v1/annotations/{annotation}/review/", {"verdict": "accept"}),
        ]),
        (manager.username, [
            ("get", "/", None),
            ("get", f"/projects/{p}/", None),
            ("get", f"/projects/{p}/dashboard/", None),
            ("get", f"/tasks/{tasks[0].pk}/", None),
            ("get", f"/api/v1/projects/{p}/tasks/?ordering=-priority", None),
            ("get", f"/api/v1/tasks/{tasks[0].pk}/", None),
            ("get", f"/api/v1/projects/{p}/metrics/", None),
            ("get", f"/api/v1/projects/{p}/models/", None),
            ("post", f"/api/v1/projects/{p}/train/", {}),
            ("get", "/api/schema/", None),
        ]),
    ]

    report = run_child(tmp_path, plan)

    statuses = dict(report["statuses"])
    assert statuses[f"/api/v1/projects/{p}/next-task/"] == 200
    assert statuses[f"/api/v1/tasks/{tasks[0].pk}/annotations/"] == 201
    assert statuses[f"/api/v1/projects/{p}/train/"] == 202
    failed = [(path, status) for path, status in report["statuses"] if status >= 400]
    assert not failed
    assert report["at_start"] == []
    assert report["after_session"] == []


def test_agreement_of_overlapped_labels_is_computed_without_the_ml_libraries(
    tmp_path, member
):
    """Cohen's kappa and Krippendorff's alpha, which the metrics of every classification project
    labeled twice show, are computed in the web process without scikit-learn or NumPy."""
    project = ProjectFactory(overlap=2)
    first, second = (member(Role.ANNOTATOR, project.organization) for _ in range(2))
    manager = member(Role.MANAGER, project.organization)
    for n, task in enumerate(TaskFactory.create_batch(6, project=project)):
        AnnotationFactory(task=task, annotator=first, result={"labels": ["positive"]})
        label = "positive" if n % 3 else "negative"
        AnnotationFactory(task=task, annotator=second, result={"labels": [label]})
    plan = [(manager.username, [("get", f"/api/v1/projects/{project.pk}/metrics/", None)])]

    report = run_child(tmp_path, plan)

    [metrics] = report["metrics"]
    assert metrics["quality"]["agreement"]["metric"] == "cohen_kappa"
    assert metrics["quality"]["agreement"]["tasks"] == 6
    assert metrics["quality"]["agreement"]["observed_agreement"] == pytest.approx(4 / 6)
    assert report["after_session"] == []


def test_the_child_would_see_a_heavy_import(tmp_path, project, member):
    """The probe itself works: a view module that imported numpy would be reported."""
    manager = member(Role.MANAGER, project.organization)
    plan = [(manager.username, [("get", f"/api/v1/projects/{project.pk}/", None)])]
    env_child = CHILD.replace(
        "load(get_resolver().url_patterns)", "load(get_resolver().url_patterns); import numpy"
    )

    env = child_environment(
        DATABASE_URL=child_database_url(), REDIS_URL="", CELERY_BROKER_URL="",
        VAR_DIR=str(tmp_path / "var"), ALLOWED_HOSTS="testserver",
    )
    done = subprocess.run(
        [sys.executable, "-c", env_child, json.dumps(plan)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["at_start"] == ["numpy"]
