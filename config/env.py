"""The one place that reads the environment.

Every setting that differs between a laptop and production comes from here; with nothing set,
the platform runs on embedded defaults under ``var/`` (SQLite, local media, a filesystem broker).
"""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# Embedded-default state lives here; never inside a package.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
