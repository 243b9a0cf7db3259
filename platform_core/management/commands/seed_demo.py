"""`manage.py seed_demo`: a demo organization with one member per role and one project per
task type, its generated data queued for import on the Celery worker.

Idempotent: when the "Demo" organization exists the command only prints the logins.

Passwords are random and printed once, or all equal to $DEMO_PASSWORD when that is set (tests,
scripted demos). The demo admin is the organization's admin and also Django staff and superuser,
so the same login opens the Django admin (/admin/) to look at rows and jobs. That suits a demo
instance; on a production one holding customer data, don't run it.
"""
import os
import secrets
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from platform_core.demo import write_demo_file
from platform_core.demo.projects import DEMO_PROJECTS
from platform_core.imports.services import import_job_create
from platform_core.models import ImportJob, Organization, Project, Role
from platform_core.services.organizations import membership_add, organization_create
from platform_core.services.projects import project_create

ORGANIZATION_NAME = "Demo"
USERNAMES = {role: f"demo-{role.value}" for role in Role}  # demo-admin, demo-manager, ...
SIZES = {"small": 40, "normal": 300}  # items per project; normal writes ~90 MB of media
# What a demo hour costs, so cost per item and quotes show numbers from the first label.
HOURLY_RATE = "18.00"


class Command(BaseCommand):
    help = "Create the demo organization, its members and one project per task type with data."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=tuple(SIZES), default="normal",
                            help="Items per project: small=40, normal=300.")
        parser.add_argument("--no-import", action="store_true",
                            help="Create the organization and projects without data.")
        parser.add_argument("--seed", type=int, default=0, help="Seed of the data generators.")
        parser.add_argument("--url", default="http://127.0.0.1:8000/",
                            help="Where the site answers, for the hint printed at the end.")

    def handle(self, *args, size, no_import, seed, url, **options):
        self.verbosity = options["verbosity"]
        if Organization.objects.filter(name=ORGANIZATION_NAME).exists():
            self.stdout.write(
                f'The "{ORGANIZATION_NAME}" organization already exists; nothing changed.'
            )
            self._print_logins(url, {role: None for role in USERNAMES})
            return
        try:
            with tempfile.TemporaryDirectory(prefix="seed-demo-") as folder:
                # One transaction: a failure leaves no half-made demo, so a rerun starts clean.
                # The imports are enqueued on commit, after the rows they need exist.
                with transaction.atomic():
                    organization = organization_create(name=ORGANIZATION_NAME)
                    admin, passwords = self._members(organization)
                    projects = self._projects(organization, admin)
                    jobs = [] if no_import else self._imports(
                        projects, admin, Path(folder), n=SIZES[size], seed=seed
                    )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        where = "the Celery worker loads them" if jobs else "no data imported (--no-import)"
        self.stdout.write(
            f'Created the "{ORGANIZATION_NAME}" organization with {len(projects)} projects; '
            f"{len(jobs)} imports queued, {where}."
        )
        self._print_logins(url, passwords)

    def _members(self, organization: Organization):
        """One member per role; returns the admin user and role -> password (None: the user
        existed before, e.g. from a deleted demo, and keeps their password)."""
        shared = os.environ.get("DEMO_PASSWORD") or None
        user_model = get_user_model()
        passwords, admin = {}, None
        for role, username in USERNAMES.items():
            is_new = not user_model.objects.filter(username=username).exists()
            password = (shared or secrets.token_urlsafe(12)) if is_new else None
            membership = membership_add(
                organization=organization, username=username, role=role, password=password
            )
            if role == Role.ADMIN:
                admin = membership.user
                admin.is_staff = admin.is_superuser = True
                admin.save(update_fields=["is_staff", "is_superuser"])
            passwords[role] = password
        return admin, passwords

    @staticmethod
    def _projects(organization: Organization, admin) -> list[Project]:
        return [
            project_create(
                organization=organization,
                created_by=admin,
                name=spec.name,
                task_type=spec.task_type,
                label_config=spec.label_config,
                guidelines=spec.guidelines,
                hourly_rate=HOURLY_RATE,
            )
            for spec in DEMO_PROJECTS
        ]

    def _imports(
        self, projects: list[Project], admin, folder: Path, *, n: int, seed: int
    ) -> list[ImportJob]:
        jobs = []
        for index, (spec, project) in enumerate(zip(DEMO_PROJECTS, projects, strict=True)):
            # A seed per project keeps each data set independent of the others.
            demo_file = write_demo_file(folder, project.task_type, n=n, seed=[seed, index])
            with demo_file.path.open("rb") as handle:
                jobs.append(
                    import_job_create(
                        project=project,
                        user=admin,
                        upload=File(handle, name=demo_file.path.name),
                        dataset_name=spec.dataset_name,
                    )
                )
            if self.verbosity >= 2:
                self.stdout.write(f"  {project.name}: {demo_file.count} items queued")
        return jobs

    def _print_logins(self, url: str, passwords: dict[str, str | None]) -> None:
        self.stdout.write(f"Open {url} and log in as:")
        for role, username in USERNAMES.items():
            password = passwords.get(role)
            shown = password or "(password as printed when it was created)"
            extra = "  also Django staff and superuser: /admin/" if role == Role.ADMIN else ""
            self.stdout.write(f"  {role.label:<16} {username:<14} {shown}{extra}")
