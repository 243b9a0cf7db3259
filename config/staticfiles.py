"""collectstatic and the static finders, minus what the pages never load.

Chart.js's dist/ ships a `platform/` folder of ES-module sources; the dashboards load the
self-contained UMD build, and a folder named `platform` in the tree shadows the standard
library module for anything run from the project root (DESIGN.md, Layout).
"""
from django.contrib.staticfiles.apps import StaticFilesConfig


class PlatformStaticFilesConfig(StaticFilesConfig):
    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "platform"]
