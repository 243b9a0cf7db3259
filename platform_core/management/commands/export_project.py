import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from platform_core.exports import FORMATS, ExportOptions, project_export
from platform_core.models import Project


class Command(BaseCommand):
    help = (
        "Export a project's labeled data (the same file as GET /api/v1/projects/{id}/export/) "
        "to a file, or to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("--format", required=True, choices=list(FORMATS))
        parser.add_argument("--output", "-o", help="File to write; standard output by default.")
        parser.add_argument(
            "--accepted", choices=["only", "all"], default="only",
            help="only (default): accepted and auto-accepted tasks; all: every task.",
        )
        parser.add_argument("--dataset", type=int, help="Only this dataset of the project.")
        parser.add_argument("--annotations", action="store_true",
                            help="Add each annotation (annotator, result, lead time, status).")
        parser.add_argument("--suggestions", action="store_true",
                            help="Add each suggestion (model version, result, confidence).")
        parser.add_argument(
            "--media-base-url", default=settings.ML_MEDIA_BASE_URL,
            help="Prefix of media links, e.g. https://label.example.com (default: "
            "ML_MEDIA_BASE_URL, the platform's address for model servers; unset: site-relative).",
        )

    def handle(self, *args, project_id, output, **options):
        project = Project.objects.filter(pk=project_id, deleting=False).first()
        if project is None:
            raise CommandError(f"No project {project_id}.")
        try:
            export = project_export(project=project, options=ExportOptions(
                format=options["format"],
                accepted_only=options["accepted"] == "only",
                dataset_id=options["dataset"],
                annotations=options["annotations"],
                suggestions=options["suggestions"],
                media_base_url=options["media_base_url"],
            ))
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if output is None:
            self._write(export.chunks, sys.stdout.buffer)
            return
        with open(output, "wb") as target:
            size = self._write(export.chunks, target)
        self.stdout.write(f"Wrote {size} bytes to {output}.")

    @staticmethod
    def _write(chunks, target) -> int:
        size = 0
        for chunk in chunks:
            target.write(chunk)
            size += len(chunk)
        target.flush()
        return size
