"""Test overrides: PostgreSQL and Redis on this machine unless the environment says otherwise."""
import os
import re

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/annotate")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from config.settings.base import *  # noqa: E402,F403
from config.settings.base import VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # hashing speed only
MEDIA_ROOT = str(VAR_DIR / "test-media")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# Tests call services directly; a `.delay` reached through on_commit runs inline.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Lets several test runs share one PostgreSQL server without dropping each other's database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME")}  # noqa: F405
# pytest-django runs with DEBUG off; serve static files from the finders instead of a
# collectstatic folder that tests never build. Not from the one `make run` builds either: WhiteNoise
# would serve its copies, stale as soon as a script changes, before the finders' (browser tests
# then ran yesterday's JavaScript). An empty folder of its own keeps STATIC_ROOT's checks content.
STATIC_ROOT = str(VAR_DIR / "test-static")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Eager tasks ignore countdowns: a check queued "for later" would run at the first label only.
ML_RETRAIN_CHECK_DELAY_S = 0
# Not the Redis cache of REDIS_URL: cache.clear() there empties the whole Redis database, under
# other test runs and the broker alike. Files per test database keep runs apart.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        # The name may be a path (the SQLite run's test database is a file).
        "LOCATION": str(VAR_DIR / "test-cache" / re.sub(r"\W", "_", os.environ.get("TEST_DATABASE_NAME") or "test")),
    }
}
# Every test client signs in from 127.0.0.1, so failed sign-ins of unrelated tests would add up
# to the per-address limit; tests/platform_core/test_signin_rate_limit.py sets a small one.
SIGNIN_RATE_PER_ADDRESS = "10000/5m"
