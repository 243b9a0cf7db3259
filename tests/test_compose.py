"""docker-compose.yml describes the production-like stack and validates without a Docker engine."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SECRETS = {"SECRET_KEY": "compose-test-" + "k" * 50, "POSTGRES_PASSWORD": "compose-test-password"}


def compose_config(**env_overrides: str | None) -> subprocess.CompletedProcess:
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is not installed (make test installs Debian's package)")
    env = {**os.environ, **SECRETS}
    for name, value in env_overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(
        ["docker-compose", "-f", "docker-compose.yml", "config"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def services() -> dict:
    result = compose_config()
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)["services"]


def test_compose_file_validates_with_the_four_services(services):
    assert {"postgres", "redis", "web", "worker"} <= set(services)


@pytest.mark.parametrize("name", ["postgres", "redis", "web", "worker"])
def test_every_service_has_a_healthcheck(services, name):
    assert services[name]["healthcheck"]["test"]


def test_web_healthcheck_hits_healthz(services):
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", ["web", "worker"])
def test_app_services_wait_for_healthy_database_and_broker(services, name):
    depends_on = services[name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_web_and_worker_share_one_image_and_the_media_volume(services):
    web, worker = services["web"], services["worker"]
    assert web["image"] == worker["image"]
    assert Path(web["build"]["context"]) == ROOT and (ROOT / "Dockerfile").is_file()
    assert "worker" in worker["command"] and "celery" in worker["command"]
    for service in (web, worker):
        env = service["environment"]
        assert env["DEBUG"] == "false"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["SECRET_KEY"] == SECRETS["SECRET_KEY"]
        media = [v for v in service["volumes"] if v.startswith("media:")]
        assert media and media[0].split(":")[1] == env["MEDIA_ROOT"]


def test_compose_refuses_to_start_without_a_secret_key():
    result = compose_config(SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_beat_sends_the_job_sweeper_from_the_app_image(services):
    beat = services["beat"]
    assert beat["image"] == services["worker"]["image"]
    assert beat["command"][:4] == ["celery", "-A", "config", "beat"]
    assert beat["depends_on"]["redis"]["condition"] == "service_healthy"
    assert beat["environment"]["REDIS_URL"] == services["worker"]["environment"]["REDIS_URL"]
