"""Memory of the `make run` stack at rest, and how long a restart takes.

    .venv/bin/python bench/footprint.py [--stack embedded|servers|both] [--keep DIR]

For each stack (embedded: SQLite + the filesystem broker; servers: PostgreSQL + Redis, a database
`bench_footprint` on DATABASE_URL's server and Redis database 13, both emptied first), this starts
scripts/run.sh (what `make run` runs once .venv exists) on a fresh folder, so the demo is seeded
and the worker trains and pre-labels as on a first start. Once /healthz answers, it signs in as
the demo manager and requests the usual pages and API calls a few times over (every web process
then has served them), waits until the whole process tree has been idle for IDLE_WINDOW_S, and
sums the proportional set size (PSS: a page shared by n processes counts 1/n in each) of every
process from /proc/PID/smaps_rollup, split into web (gunicorn) and worker (Celery, its pool and
beat). Then it stops the stack the way Ctrl-C does and starts it again on the same folder, and
times that second start until /healthz answers 200.

Per stack, the last line:
    footprint: web PSS W MB (N processes), worker PSS K MB, total T MB, restart R s
PSS does not depend on CPU speed, the restart time does: a Django start-up measured in the same
run (run.sh needs at least two in a row: its checks, then gunicorn's) is printed beside it.
"""
import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
DEMO_PASSWORD = "footprint-bench-password"
FOOTPRINT_DATABASE = "bench_footprint"
FOOTPRINT_REDIS_DB = 13
# Idle: the whole tree used less than IDLE_CPU_SHARE of one core over the last IDLE_WINDOW_S,
# longer than the demo bootstrap's pauses between its jobs (it polls the imports every 5 s and
# queues training, then pre-labeling, from its worker).
IDLE_WINDOW_S = 30
IDLE_CPU_SHARE = 0.03
SETTINGS_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "VAR_DIR", "PORT")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- processes -----------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc (children files are per thread)."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                pending.extend(int(child) for child in (task / "children").read_text().split())
            except OSError:
                pass
    return found


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def pss_mb(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return int(re.search(r"^Pss:\s+(\d+) kB", text, re.M).group(1)) / 1024


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def footprint(root: int) -> dict:
    """PSS of the web processes (gunicorn) and the worker's (Celery: main, pool, beat)."""
    web, worker = [], []
    for pid in process_tree(root):
        line = command_line(pid)
        if "gunicorn" in line:
            web.append((pid, pss_mb(pid)))
        elif "celery" in line:
            worker.append((pid, pss_mb(pid)))
    return {"web": web, "worker": worker}


# -- the stack -----------------------------------------------------------------------------------


class Stack:
    """scripts/run.sh in its own session, on one folder, with one set of servers."""

    def __init__(self, name: str, folder: Path, port: int, extra_env: dict):
        self.name, self.folder, self.port = name, folder, port
        self.env = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
        self.env.update(VAR_DIR=str(folder / "var"), PORT=str(port), DEMO_PASSWORD=DEMO_PASSWORD)
        self.env.update(extra_env)
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{port}"

    def start(self, log_name: str) -> float:
        """Start run.sh; seconds until /healthz answers 200."""
        log = (self.folder / log_name).open("wb")
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["bash", "scripts/run.sh"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while True:
            if self.process.poll() is not None:
                sys.exit(f"{self.name}: run.sh exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.05)

    def stop(self) -> float:
        """Ctrl-C, as a person stops `make run`; seconds until run.sh has stopped both servers."""
        started = time.monotonic()
        os.kill(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        return time.monotonic() - started

    def wait_idle(self, timeout_s: float) -> float:
        """Seconds until the tree used under IDLE_CPU_SHARE of a core over IDLE_WINDOW_S."""
        started = time.monotonic()
        samples = []
        while time.monotonic() - started < timeout_s:
            now = time.monotonic()
            samples.append((now, cpu_seconds(process_tree(self.process.pid))))
            # The newest sample at least IDLE_WINDOW_S old is where the window starts.
            old = [sample for sample in samples if sample[0] <= now - IDLE_WINDOW_S]
            if old:
                since, used = now - old[-1][0], samples[-1][1] - old[-1][1]
                if used < IDLE_CPU_SHARE * since:
                    return now - started
            time.sleep(1)
        sys.exit(f"{self.name}: the stack was still busy after {timeout_s:.0f} s")

    def use(self, rounds: int) -> dict[int, int]:
        """Sign in as the demo manager and request the pages and calls a person's session makes;
        the number of answers by HTTP status."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_page = opener.open(f"{self.base}/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode(
            {"username": "demo-manager", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(f"{self.base}/login/", data=form, headers={"Referer": f"{self.base}/login/"})
        opener.open(request, timeout=30).read()
        projects = _json(opener, f"{self.base}/api/v1/projects/")["results"]
        paths = ["/", "/api/docs/", "/api/schema/", "/api/v1/projects/"]
        for project in projects:
            paths += [
                f"/projects/{project['id']}/",
                f"/api/v1/projects/{project['id']}/tasks/",
                f"/api/v1/projects/{project['id']}/metrics/",
                f"/api/v1/projects/{project['id']}/models/",
            ]
        answers: dict[int, int] = {}
        failed: set[str] = set()
        for _ in range(rounds):
            for path in paths:
                try:
                    with opener.open(f"{self.base}{path}", timeout=60) as answer:
                        answer.read()
                        status = answer.status
                except urllib.error.HTTPError as error:
                    status = error.code
                    failed.add(f"{path} {status}")
                answers[status] = answers.get(status, 0) + 1
        if failed:
            print(f"{self.name}: failed requests (the stack's log has why): {', '.join(sorted(failed))}")
        return answers


def _json(opener, url: str):
    import json

    return json.loads(opener.open(url, timeout=60).read())


def django_startup_s(env: dict) -> float:
    """The reference: one start of the platform's Django (settings, apps, models) in a fresh
    .venv Python, as each of run.sh's steps pays it; best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.monotonic()
        subprocess.run(
            [str(PYTHON), "-c", "import django; django.setup()"], check=True, cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "true"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        best = min(best, time.monotonic() - started)
    return best


def servers_environment() -> dict:
    """A fresh database on DATABASE_URL's server (default: this machine's) and an empty Redis
    database 13 on REDIS_URL's server."""
    database_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/annotate"
    parts = urllib.parse.urlsplit(database_url)
    admin = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    subprocess.run(["dropdb", "--if-exists", *admin, FOOTPRINT_DATABASE], check=True)
    subprocess.run(["createdb", *admin, FOOTPRINT_DATABASE], check=True)
    redis_parts = urllib.parse.urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    redis_url = urllib.parse.urlunsplit(redis_parts._replace(path=f"/{FOOTPRINT_REDIS_DB}"))
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    return {
        "DATABASE_URL": urllib.parse.urlunsplit(parts._replace(path=f"/{FOOTPRINT_DATABASE}")),
        "REDIS_URL": redis_url,
    }


def measure(name: str, folder: Path, extra_env: dict, args) -> None:
    folder.mkdir(parents=True)
    stack = Stack(name, folder, free_port(), extra_env)
    first_start = stack.start("first-start.log")
    try:
        print(f"{name}: first start (migrations and demo seeding) answered after {first_start:.1f} s")
        busy = stack.wait_idle(args.idle_timeout)
        print(f"{name}: the worker imported, trained and pre-labeled the demo in {busy:.0f} s")
        answers = stack.use(args.rounds)
        idle_after = stack.wait_idle(args.idle_timeout)
        print(f"{name}: requests as the demo manager by status {answers}; idle {idle_after:.0f} s later")
        sizes = footprint(stack.process.pid)
    finally:
        stopped = stack.stop()
    for role, processes in sizes.items():
        listed = ", ".join(f"{pss:.0f}" for _, pss in processes)
        print(f"{name}: {role} processes PSS MB: {listed}")
    reference = django_startup_s(stack.env)
    restart = stack.start("restart.log")
    try:
        restarted_sizes = footprint(stack.process.pid)
    finally:
        stack.stop()
    web = sum(pss for _, pss in sizes["web"])
    worker = sum(pss for _, pss in sizes["worker"])
    fresh_web = sum(pss for _, pss in restarted_sizes["web"])
    print(
        f"{name}: stopped in {stopped:.1f} s; restart {restart:.2f} s = {restart / reference:.1f}x "
        f"a Django start-up ({reference:.2f} s, load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores); right after the restart the web processes hold "
        f"{fresh_web:.0f} MB PSS"
    )
    print(
        f"footprint: web PSS {web:.0f} MB ({len(sizes['web'])} processes), worker PSS "
        f"{worker:.0f} MB, total {web + worker:.0f} MB, restart {restart:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", choices=("embedded", "servers", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="times each page and call is requested")
    parser.add_argument("--idle-timeout", type=float, default=1200, help="seconds to wait for the worker")
    parser.add_argument("--keep", type=Path, help="keep the stacks' folders (logs, databases) here")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows while the stacks run
    # A TERM (timeout, Ctrl-C's cousin) unwinds through the `finally`s that stop the stack.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="footprint-", dir=args.keep))
    try:
        if args.stack in ("embedded", "both"):
            measure("embedded", folder / "embedded", {}, args)
        if args.stack in ("servers", "both"):
            measure("servers", folder / "servers", servers_environment(), args)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
