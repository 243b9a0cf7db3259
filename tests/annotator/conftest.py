"""People of the `project` fixture's organization, by role, shared by the annotator tests."""
import pytest

from platform_core.models import Role


@pytest.fixture
def annotator(project, member):
    return member(Role.ANNOTATOR, project.organization)


@pytest.fixture
def colleague(project, member):
    """A second annotator of the same organization."""
    return member(Role.ANNOTATOR, project.organization)


@pytest.fixture
def reviewer(project, member):
    return member(Role.REVIEWER, project.organization)
