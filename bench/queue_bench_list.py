"""The floor and task-list runs of bench/queue_bench.py.

Floor: the same number of clients, back to back, each calling the floor endpoint
(queue_bench_urls: an authenticated request that does no work) twice a round where a labeling
client calls next-task and submit. Every labeling figure is printed as a multiple of the floor's
figure from the same run, which holds across machines of different speeds where milliseconds
do not.

Task list: one reviewer client pages through the project's task list as a person does: the
first page, then `next` a few pages deep, in the default order, the queue's order (-priority)
and filtered by status; then the same client against the floor (GET), for its ratio.

Run alone, it times the task list of a project that `queue_bench.py --keep` left (building
10^6 tasks takes minutes; the list can then be timed again after each change):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate_queue_bench \
        .venv/bin/python bench/queue_bench_list.py --project 1 --seconds 30
"""
import argparse
import http.client
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from queue_bench_server import FLOOR_PATH, measure, percentile  # bench/ is on the path

# (query, pages followed after the first): what a person's session of the list looks like.
LIST_WALKS = (
    ("", 10),
    ("?ordering=-priority", 5),
    ("?status=new", 5),
    ("?ordering=-id&page_size=100", 3),
)


class _Loop:
    """One client process: rounds until --seconds have passed (after a warm-up), the figures
    handed in after the second barrier (see queue_bench.Client.run)."""

    warmup_rounds = 3

    def __init__(self, port: int, token: str, project_id: int, seconds: float, think_ms: float):
        self.seconds, self.project_id = seconds, project_id
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        self.next_ms, self.submit_ms, self.errors = [], [], []

    def call(self, method: str, path: str) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.connection.request(method, path, body=b"{}" if method == "POST" else None, headers=self.headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, (time.perf_counter() - started) * 1000

    def run(self, barrier) -> dict:
        try:
            for _ in range(self.warmup_rounds):
                self.round(measure=False)
            barrier.wait()
            deadline = time.monotonic() + self.seconds
            while time.monotonic() < deadline and self.round(measure=True):
                pass
            barrier.wait()
        except Exception as error:  # reported with the figures, never silently lost
            self.errors.append(repr(error))
            barrier.abort()
        return {
            "next_ms": self.next_ms, "submit_ms": self.submit_ms, "errors": self.errors,
            "conflicts": 0, "submitted": len(self.next_ms),
        }

    def checked(self, method: str, path: str) -> tuple[bytes, float] | None:
        status, data, ms = self.call(method, path)
        if status != 200:
            self.errors.append(f"{method} {path} {status}: {data[:200]!r}")
            return None
        return data, ms


class FloorClient(_Loop):
    """Two floor calls a round (POST, as next-task and submit are), timed as next and submit."""

    def round(self, measure: bool) -> bool:
        first, second = self.checked("POST", FLOOR_PATH), self.checked("POST", FLOOR_PATH)
        if first is None or second is None:
            return False
        if measure:
            self.next_ms.append(first[1])
            self.submit_ms.append(second[1])
        return True


class FloorGetClient(_Loop):
    def round(self, measure: bool) -> bool:
        answer = self.checked("GET", FLOOR_PATH)
        if answer is not None and measure:
            self.next_ms.append(answer[1])
        return answer is not None


class ListClient(_Loop):
    """One walk of LIST_WALKS a round; every page's time goes to next_ms."""

    def __init__(self, *args):
        super().__init__(*args)
        self.walk = 0

    def round(self, measure: bool) -> bool:
        query, depth = LIST_WALKS[self.walk % len(LIST_WALKS)]
        self.walk += 1
        path = f"/api/v1/projects/{self.project_id}/tasks/{query}"
        for _ in range(depth + 1):
            answer = self.checked("GET", path)
            if answer is None:
                return False
            if measure:
                self.next_ms.append(answer[1])
            following = json.loads(answer[0]).get("next")
            if not following:
                break
            parts = urlsplit(following)
            path = f"{parts.path}?{parts.query}"
        return True


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.1f}x" if floor > 0 else "n/a"


def floor_run(args, project, tokens) -> dict:
    return measure(args, project, tokens, FloorClient)


def floor_clause(run: dict, floor: dict) -> str:
    """', floor p50 F ms p99 G ms: next-task 3.1x / 2.0x, submit …' for the summary line."""
    floor_ms = floor["next_ms"] + floor["submit_ms"]
    f50, f99 = percentile(floor_ms, .5), percentile(floor_ms, .99)
    parts = [f"floor p50 {f50:.1f} ms p99 {f99:.1f} ms"]
    for name, key in (("next", "next_ms"), ("submit", "submit_ms")):
        values = run[key]
        parts.append(
            f"{name} {ratio(percentile(values, .5), f50)} p50 / {ratio(percentile(values, .99), f99)} p99"
        )
    return "; ".join(parts)


def list_run(args, project) -> str:
    """Time the task list with one reviewer client and the floor with the same client; the
    summary line."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from platform_core.models import Membership, Role

    user = get_user_model().objects.create(username=f"qbench-lister-{project.pk}")
    Membership.objects.create(user=user, organization=project.organization, role=Role.REVIEWER)
    token = Token.objects.create(user=user).key
    try:
        listing = measure(args, project, [token], ListClient)
        floor = measure(args, project, [token], FloorGetClient)
    finally:
        user.delete()
    for run in (listing, floor):
        for error in run["errors"][:5]:
            print(f"  error: {error}")
    pages, floor_ms = listing["next_ms"], floor["next_ms"]
    p50, p99 = percentile(pages, .5), percentile(pages, .99)
    f50, f99 = percentile(floor_ms, .5), percentile(floor_ms, .99)
    return (
        f"task list: {project.tasks.count()} tasks, 1 client, {len(pages)} pages, "
        f"p50 {p50:.1f} ms p99 {p99:.1f} ms; floor p50 {f50:.1f} ms p99 {f99:.1f} ms; "
        f"ratio {ratio(p50, f50)} p50 / {ratio(p99, f99)} p99"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Times the task list of a kept bench project.")
    parser.add_argument("--project", type=int, required=True, help="its id (queue_bench.py --keep)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time per run")
    parser.add_argument(
        "--workers", type=int, help="gunicorn worker processes (default: gunicorn.conf.py's)"
    )
    parser.add_argument(
        "--threads", type=int, help="threaded workers with this many threads (default: sync)"
    )
    args = parser.parse_args()
    args.think_ms, args.cpu_by_endpoint = 0.0, False

    import django

    django.setup()
    from django.db import connection

    from platform_core.models import Project

    project = Project.objects.get(pk=args.project)
    connection.close()  # the clients and the server open their own
    print(list_run(args, project))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DEBUG", "true")
    main()
