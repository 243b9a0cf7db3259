#!/usr/bin/env bash
# `make test`: the whole suite against real PostgreSQL and Redis, with browser and compose tests,
# then again (browser tests aside) on the embedded defaults: SQLite and the filesystem broker.
#
#   scripts/test.sh [pytest args...]   ensure services and tools, then run pytest
#   scripts/test.sh --services-only    only ensure PostgreSQL and Redis answer (used by .ci/run)
#
# Local services are started when they do not answer; tools (Debian's chromium and
# docker-compose) are installed with apt-get when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
DEFAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/annotate
DEFAULT_REDIS_URL=redis://127.0.0.1:6379/0

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq "$seconds"); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    die "$what did not answer within ${seconds}s"
}

postgres_answers() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

ensure_services() {
    # Only the local defaults are ours to start; a DATABASE_URL / REDIS_URL elsewhere is the
    # caller's business.
    if [ -z "${DATABASE_URL:-}" ] && ! postgres_answers; then
        command -v pg_ctlcluster >/dev/null || die "PostgreSQL is not answering on 127.0.0.1:5432 and pg_ctlcluster is missing"
        say "starting PostgreSQL"
        pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
        wait_for 30 PostgreSQL postgres_answers
    fi
    if [ -z "${REDIS_URL:-}" ] && ! redis_answers; then
        command -v redis-server >/dev/null || die "Redis is not answering on 127.0.0.1:6379 and redis-server is missing"
        say "starting Redis"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
        wait_for 15 Redis redis_answers
    fi
}

APT_UPDATED=
apt_install() {  # apt_install WHY PACKAGE [apt-get options...]
    local why=$1
    shift
    if [ "$(id -u)" != 0 ]; then
        die "$why is missing. Install it as root: apt-get install -y $*"
    fi
    say "installing $* with apt-get ($why)"
    if [ -z "$APT_UPDATED" ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_tools() {
    # Browser tests drive Debian's Chromium; a test tool's own browser download fails here.
    [ -x /usr/bin/chromium ] || apt_install "Chromium for the browser tests (/usr/bin/chromium)" chromium
    # Debian's docker-compose validates docker-compose.yml without a Docker engine. Its
    # recommended docker.io (the engine) is not wanted.
    command -v docker-compose >/dev/null ||
        apt_install "docker-compose for the compose validation test" docker-compose --no-install-recommends
}

ensure_services
if [ "${1:-}" = "--services-only" ]; then
    exit 0
fi
ensure_tools

[ -x "$PY" ] || die "$PY is missing: run 'make test' (it creates the virtualenv)"

export DJANGO_SETTINGS_MODULE=config.settings.test

run_pytest() {  # run_pytest LABEL [pytest args...]: pytest's status; "no tests" is a failure
    local label=$1 status=0
    shift
    "$PY" -m pytest "$@" || status=$?
    if [ "$status" = 5 ]; then
        printf 'error: pytest collected no tests (%s)\n' "$label" >&2
    fi
    return "$status"
}

# 1. PostgreSQL and Redis: every test, browser and real-worker tests included.
say "the suite on PostgreSQL and Redis"
pg_status=0
DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}" REDIS_URL="${REDIS_URL:-$DEFAULT_REDIS_URL}" \
    run_pytest PostgreSQL "$@" || pg_status=$?

# 2. The embedded defaults `make run` starts with: SQLite and the filesystem broker, in a
#    folder of its own. The browser tests drive the same pages and stay on PostgreSQL; the
#    tests of what only PostgreSQL or Redis do are deselected (tests/conftest.py).
say "the suite on SQLite and the filesystem broker (the embedded defaults)"
sqlite_dir=$(mktemp -d)
trap 'rm -rf "$sqlite_dir"' EXIT
sqlite_status=0
# The test database is a file, as make run's is (WAL, and other connections see commits).
DATABASE_URL="sqlite:///$sqlite_dir/db.sqlite3" TEST_DATABASE_NAME="$sqlite_dir/test.sqlite3" \
    REDIS_URL= CELERY_BROKER_URL= VAR_DIR="$sqlite_dir/var" \
    run_pytest SQLite -m "not browser" -p no:cacheprovider "$@" || sqlite_status=$?
if [ "$sqlite_status" = 5 ] && [ $# -gt 0 ]; then
    sqlite_status=0  # the tests asked for (browser ones, say) all run on PostgreSQL only
fi

say "PostgreSQL run: status $pg_status; SQLite run: status $sqlite_status"
[ "$pg_status" = 0 ] && [ "$sqlite_status" = 0 ]
