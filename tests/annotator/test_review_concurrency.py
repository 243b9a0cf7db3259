"""Two reviewers racing for one item never both get it: threads with their own PostgreSQL
connections released together by a barrier, and processes racing on one SQLite file (as
tests/annotator/test_queue_concurrency.py)."""
import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from django.db import transaction

from annotator.models import Annotation, Review, ReviewItem
from annotator.services import (
    QueueConflict,
    review_item_claim_next,
    review_item_for_verdict,
    review_record,
)
from platform_core.models import Role, Task
from tests.annotator.test_queue_concurrency import (
    RACE_SCRIPT,
    ROOT,
    SETTINGS_ENV,
    postgres_only,
    run_together,
)
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory


def project_with_items(*, items: int, reviewers: int):
    org = OrganizationFactory()
    project = ProjectFactory(organization=org)
    annotator = MembershipFactory(organization=org, role=Role.ANNOTATOR).user
    tasks = Task.objects.bulk_create(
        Task(project=project, data={"text": f"t{i}"}, checksum=f"{i:064x}", status="submitted",
             annotation_count=1)
        for i in range(items)
    )
    annotations = Annotation.objects.bulk_create(
        Annotation(task=task, annotator=annotator, result={"labels": ["positive"]},
                   lead_time_s=1.0)
        for task in tasks
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(project=project, task=a.task, annotation=a, kind="annotation",
                   author=annotator)
        for a in annotations
    )
    users = [
        MembershipFactory(organization=org, role=Role.REVIEWER).user for _ in range(reviewers)
    ]
    return project, users


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_simultaneous_next_review_calls_never_share_an_item():
    project, reviewers = project_with_items(items=4, reviewers=10)

    for _ in range(4):  # each round frees the items again
        ReviewItem.objects.update(locked_by=None, locked_until=None)
        claims = run_together(reviewers, lambda user: _claim(project, user))

        won = [item for item in claims.values() if item is not None]
        assert sorted(won) == sorted(set(won)) and len(won) == 4, claims


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_deciding_one_annotation_at_once_record_one_verdict():
    project, reviewers = project_with_items(items=1, reviewers=2)
    annotation = Annotation.objects.get()

    outcomes = run_together(reviewers, lambda user: _decide(annotation, user))

    assert Counter(outcomes.values()) == Counter({"recorded": 1, "not_pending": 1})
    assert Review.objects.count() == 1 and not ReviewItem.objects.exists()


def _claim(project, user):
    item = review_item_claim_next(project=project, user=user)
    return None if item is None else item.pk


def _decide(annotation, user):
    try:
        with transaction.atomic():
            item = review_item_for_verdict(user=user, annotation=annotation)
            review_record(item=item, reviewer=user, verdict="accept")
    except QueueConflict as conflict:
        return conflict.code
    return "recorded"


def test_concurrent_labelers_then_reviewers_on_sqlite_never_share_an_item(tmp_path):
    """The embedded default (make run) races the same way: processes on one SQLite file."""
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.base", DEBUG="true", VAR_DIR=str(tmp_path))
    command = [sys.executable, str(RACE_SCRIPT), "--processes", "3", "--threads", "2"]
    command += ["--tasks", "60", "--review"]

    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["reviews"] == summary["tasks_accepted"] == 60
    assert summary["reviewed_twice"] == 0 and summary["review_conflicts"] == []
    assert summary["review_items_left"] == 0
    assert summary["rows_load_as_the_orm_does"]
