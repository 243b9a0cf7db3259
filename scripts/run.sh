#!/usr/bin/env bash
# `make run`: the platform on this machine, web and worker, until Ctrl-C.
#
# With no environment set it runs on the embedded defaults (SQLite, local media and a
# filesystem broker under var/); DATABASE_URL and REDIS_URL / CELERY_BROKER_URL switch it to
# PostgreSQL and Redis. `make` has already created .venv; everything here is idempotent, so a
# second run starts in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# Local runs default to DEBUG so that no SECRET_KEY is needed; static files are still served
# by whitenoise from the collected folder, as in production.
export DEBUG="${DEBUG:-true}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.base}"
PORT="${PORT:-8000}"
VAR_DIR="${VAR_DIR:-$PWD/var}"
BIN=.venv/bin
URL="http://127.0.0.1:$PORT/"

say() { printf '==> %s\n' "$*"; }

mkdir -p "$VAR_DIR"
say "collecting static files and migrating the database"
# One Python start for the three steps, not one each (Django starts in 1-3 s on a busy 2-core
# machine): a restart answers that much sooner.
has_org=$("$BIN/python" manage.py shell -v 0 -c "
from django.core.management import call_command
call_command('collectstatic', interactive=False, verbosity=0)
call_command('migrate', interactive=False, verbosity=0)
from platform_core.models import Organization
print(int(Organization.objects.exists()))")

# Demo logins are generated once; they are kept (owner-readable only) beside the database they
# belong to so that later runs can print them again.
logins_file="$VAR_DIR/demo-logins-$(printf '%s' "${DATABASE_URL:-sqlite}" | sha1sum | cut -c1-12).txt"
if [ "$has_org" = 0 ]; then
    say "seeding the demo"
    (umask 077 && : >"$logins_file")  # tee keeps this mode; the media seeded keeps the usual one
    if ! "$BIN/python" manage.py seed_demo --url "$URL" | tee "$logins_file"; then
        rm -f "$logins_file"
        exit 1
    fi
    # Records part of the generated truth as earlier human work, then queues train → pre-label;
    # the worker started below does it once the imports are in.
    "$BIN/python" manage.py seed_demo_labels
fi

# Each server gets its own process group (job control), so Ctrl-C reaches only this script,
# which then stops both groups in order.
set -m
# -B: the worker also runs Celery beat, whose sweeper re-sends lost jobs and fails stuck ones
# (one machine, one worker: production runs beat as its own single process, see compose).
"$BIN/celery" -A config worker -B -l info --concurrency 2 &
worker=$!
"$BIN/gunicorn" config.wsgi --bind "127.0.0.1:$PORT" --error-logfile - &  # gunicorn.conf.py
web=$!
set +m

stop() {
    trap - INT TERM EXIT
    say "stopping web and worker"
    # TERM to the two main processes only: each stops its own children (gunicorn its workers,
    # Celery its pool after the current task, a warm shutdown). Whatever is left after 20 s is
    # killed; a task killed that way is redelivered on the next start (acks_late).
    kill -TERM "$web" "$worker" 2>/dev/null || true
    for _ in $(seq 20); do
        kill -0 -- "-$web" 2>/dev/null || kill -0 -- "-$worker" 2>/dev/null || break
        sleep 1
    done
    kill -KILL -- "-$web" "-$worker" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

# The banner goes below both start-up logs: once the web server answers (any HTTP status) and
# the worker has forked its pool, which it does just before it reports ready.
answers='
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError:
    pass
'
web_up=
for _ in $(seq 60); do
    if ! kill -0 "$web" 2>/dev/null || ! kill -0 "$worker" 2>/dev/null; then
        break  # one of them failed to start; `wait -n` below reports it
    fi
    if [ -z "$web_up" ] && "$BIN/python" -c "$answers" "${URL}healthz" >/dev/null 2>&1; then
        web_up=1
    fi
    [ -n "$web_up" ] && pgrep -P "$worker" >/dev/null && sleep 0.5 && break
    sleep 0.5
done
kill -0 "$web" 2>/dev/null && kill -0 "$worker" 2>/dev/null && {
    echo
    echo "================================================================"
    echo " Annotation platform: $URL   (API docs: ${URL}api/docs/)"
    if [ -s "$logins_file" ]; then
        # From "log in as" on: what seed_demo printed about the imports was true only then.
        if grep -q 'log in as' "$logins_file"; then
            sed -n '/log in as/,$p' "$logins_file"
        else
            cat "$logins_file"
        fi | sed 's/^/ /'
    else
        echo " The database already had organizations; no demo was seeded."
    fi
    echo " Ctrl-C stops the web server and the worker."
    echo "================================================================"
    echo
} >&2

# Whichever server exits first (a taken port, a crash) stops the other.
status=0
wait -n "$web" "$worker" || status=$?
if kill -0 "$web" 2>/dev/null; then which="the worker"; else which="the web server"; fi
say "$which exited (status $status); see its log above"
exit "$status"
