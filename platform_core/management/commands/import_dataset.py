from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from platform_core.imports.runner import import_run
from platform_core.imports.services import import_job_create
from platform_core.models import ImportStatus, Project


class Command(BaseCommand):
    help = "Import a dataset file (JSONL, JSON, CSV, Label Studio JSON or ZIP of media) into a project."

    def add_arguments(self, parser):
        parser.add_argument("project", help="Project id or exact name.")
        parser.add_argument("path", type=Path)
        parser.add_argument("--dataset-name", default="")
        parser.add_argument(
            "--queue", action="store_true", help="Hand the job to the Celery worker instead."
        )

    def handle(self, *args, project, path, dataset_name, queue, **options):
        target = self._project(project)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            with path.open("rb") as handle:
                job = import_job_create(
                    project=target,
                    user=None,
                    upload=File(handle, name=path.name),
                    dataset_name=dataset_name,
                    enqueue=queue,
                )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if queue:
            self.stdout.write(f"Queued import job {job.pk}.")
            return
        with tqdm(total=job.file_size, unit="B", unit_scale=True, desc=path.name) as bar:
            def show(current):
                bar.update(current.file_position - bar.n)
                bar.set_postfix(imported=current.imported, duplicates=current.duplicates, errors=current.error_count)

            job = import_run(job_id=job.pk, on_progress=show)
        for error in job.errors[:20]:
            self.stderr.write(f"row {error['row']}: {error['error']}")
        summary = (
            f"Import {job.pk} {job.status}: {job.imported} imported, {job.duplicates} duplicates, "
            f"{job.error_count} bad rows."
        )
        if job.status != ImportStatus.SUCCEEDED:
            raise CommandError(f"{summary} {job.message}")
        self.stdout.write(self.style.SUCCESS(summary))

    @staticmethod
    def _project(reference: str) -> Project:
        lookup = {"pk": int(reference)} if reference.isdigit() else {"name": reference}
        try:
            return Project.objects.get(**lookup)
        except Project.DoesNotExist:
            raise CommandError(f"No project {reference!r}.") from None
        except Project.MultipleObjectsReturned:
            raise CommandError(f"Several projects are named {reference!r}; give its id.") from None
