import sys
import sysconfig
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_standard_library_platform_module_is_not_shadowed():
    import platform

    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().parent == stdlib
    assert callable(platform.python_version)


def test_platform_app_label_has_the_domain_models():
    config = apps.get_app_config("platform")
    assert config.name == "platform_core"
    names = {model.__name__ for model in config.get_models()}
    assert {"Organization", "Membership", "Project", "Dataset", "Task", "ImportJob"} <= names


def test_no_folder_anywhere_is_named_platform():
    skip = {".venv", "node_modules", ".git"}
    offenders = [
        path
        for path in ROOT.rglob("platform")
        if path.is_dir() and not skip.intersection(path.relative_to(ROOT).parts)
    ]
    assert offenders == []
    assert "platform" not in {p.name for p in map(Path, sys.path) if p.is_dir()}


def test_collectstatic_would_copy_no_folder_named_platform():
    """Chart.js's dist/ has one; collectstatic would put it in staticfiles/ (config.staticfiles)."""
    from django.apps import apps
    from django.contrib.staticfiles.finders import get_finders

    ignore = apps.get_app_config("staticfiles").ignore_patterns
    collected = [
        str(Path(getattr(storage, "prefix", None) or "", path))
        for finder in get_finders()
        for path, storage in finder.list(ignore)
    ]
    assert any(path.startswith("vendor/chartjs/") for path in collected)
    assert not [path for path in collected if "platform" in Path(path).parts]
