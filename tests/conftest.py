import pytest
from django.conf import settings
from rest_framework.test import APIClient

from platform_core.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, ProjectFactory
from tests.workers import child_environment, stop_process, worker_starter


def pytest_collection_modifyitems(config, items):
    """On the embedded defaults (SQLite and the filesystem broker: `make test`'s second run)
    the tests of what only PostgreSQL or Redis do are deselected, not skipped."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    left_out = [item for item in items if item.get_closest_marker("servers")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("servers")]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    """Each test writes media into its own folder, so no test sees another's files."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def org(db):
    return OrganizationFactory()


@pytest.fixture
def other_org(db):
    return OrganizationFactory()


@pytest.fixture
def member(db):
    """member(role, org) -> a user with that role in that organization."""

    def make(role: str = Role.ANNOTATOR, organization=None):
        return MembershipFactory(role=role, organization=organization or OrganizationFactory()).user

    return make


@pytest.fixture
def project(org):
    return ProjectFactory(organization=org)


@pytest.fixture
def api_client():
    """api_client(user) -> a DRF client authenticated as that user (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def child_env():
    """child_env(**settings) -> an environment for a manage.py / celery child process."""
    return child_environment


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(env, name, queue=None) -> a ready `celery -A config worker` process,
    stopped (warm, then killed) at teardown."""
    started: list = []
    yield worker_starter(tmp_path, started)
    for process in started:
        stop_process(process)
