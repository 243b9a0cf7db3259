"""Exports of a project's labeled data, streamed: `project_export` gives the chunks of a file
in one of FORMATS; the API (platform_core.apis.exports) sends them as they come and
`manage.py export_project` writes them to a file. One module per format family; `reader`
reads the tasks in batches for all of them."""
from platform_core.exports.services import (
    FORMATS,
    Export,
    ExportFormat,
    ExportOptions,
    export_formats_for,
    project_export,
)

__all__ = ["FORMATS", "Export", "ExportFormat", "ExportOptions", "export_formats_for",
           "project_export"]
