"""Redis hands an unacknowledged message to another worker after its visibility timeout: a
job still running when that passes would run twice at once."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.celery_app import app


@pytest.mark.servers  # Redis's visibility timeout
def test_the_visibility_timeout_outlasts_every_registered_job(settings):
    app.loader.import_default_modules()
    limits = {
        name: task.time_limit for name, task in app.tasks.items() if getattr(task, "time_limit", None)
    }
    assert "platform.import_run" in limits and "ml.prelabel" in limits
    longest = max(limits.values())
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest


def test_a_visibility_timeout_shorter_than_the_longest_job_is_refused_at_start(monkeypatch):
    import importlib

    import config.settings.base as base

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(base.JOB_TIME_LIMIT_S))
    with pytest.raises(ImproperlyConfigured, match="CELERY_VISIBILITY_TIMEOUT"):
        importlib.reload(base)
    monkeypatch.delenv("CELERY_VISIBILITY_TIMEOUT")
    importlib.reload(base)
