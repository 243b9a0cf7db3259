"""`manage.py seed_demo_labels`: prior human work on the demo projects, then train -> pre-label.

Run right after `seed_demo` (same --seed). For each demo project it queues `ml.bootstrap_demo`,
which the worker runs once the project's import finished (it retries every few seconds until
then): accepted annotations by the demo annotator for 40% of the tasks, taken from the demo
generators' ground truth, then a training job that queues a pre-labeling pass when it ends. So
every demo project shows suggestions made by the worker, with no step to wait for here.

Idempotent: a project that has annotations gets none added, and its demo training is queued
once.
"""
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ml_assist.tasks import bootstrap_demo_task
from platform_core.demo.projects import DEMO_PROJECTS
from platform_core.models import Organization, Project

ORGANIZATION_NAME = "Demo"  # as seed_demo names it


class Command(BaseCommand):
    help = "Queue demo labels (from the generators' ground truth), training and pre-labeling."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0, help="The seed given to seed_demo.")

    def handle(self, *args, seed, **options):
        organization = Organization.objects.filter(name=ORGANIZATION_NAME).first()
        if organization is None:
            raise CommandError(f'No "{ORGANIZATION_NAME}" organization: run seed_demo first.')
        names = {(spec.task_type, spec.name) for spec in DEMO_PROJECTS}
        projects = [
            project
            for project in Project.objects.filter(organization=organization).order_by("id")
            if (project.task_type, project.name) in names
        ]
        with transaction.atomic():
            for project in projects:
                transaction.on_commit(partial(bootstrap_demo_task.delay, project.pk, seed))
        self.stdout.write(
            f"Queued demo labels, training and pre-labeling for {len(projects)} demo projects; "
            "the worker runs them once their imports finish."
        )
