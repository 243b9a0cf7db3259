"""Production settings pass Django's deployment checklist and refuse to start without a secret."""
import secrets
import subprocess
import sys
from pathlib import Path

from tests.workers import ROOT, child_environment


def manage(*args: str, env: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    """manage.py in a child process with only `env` on top of the base settings."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=child_environment(VAR_DIR=str(tmp_path / "var"), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://annotate:secret@db.example.com:5432/annotate",
        "REDIS_URL": "redis://redis.example.com:6379/0",
    }


def test_production_settings_pass_the_deployment_checklist_without_warnings(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(), tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_an_empty_secret_key_counts_as_missing(tmp_path):
    result = manage("check", env={**production_env(), "SECRET_KEY": ""}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
