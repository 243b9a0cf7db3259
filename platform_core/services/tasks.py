"""Tasks: managers make a task gold (a known answer) or ordinary again."""
from django.core.exceptions import ValidationError
from django.db import transaction

from platform_core.models import Task
from platform_core.results import validate_result
from platform_core.signals import task_gold_changed


@transaction.atomic
def task_gold_set(*, task: Task, result: dict | None = None) -> Task:
    """Make `task` gold with `result` as its known answer, by default its accepted result.

    Precondition: the caller manages the task's project. ValidationError (a 400 naming the
    field) when there is no answer to use or it does not fit the label config. The task's
    annotations are judged against the new answer (task_gold_changed; the annotator app
    listens, in this transaction).
    """
    task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    if result is None:
        result = task.accepted_result
    if result is None:
        raise ValidationError(
            {"result": ["This task has no accepted result yet; send the gold answer."]}
        )
    task.gold_result = validate_result(project=task.project, task=task, result=result)
    task.save(update_fields=["gold_result", "updated_at"])
    task_gold_changed.send(sender=Task, task=task)
    return task


@transaction.atomic
def task_gold_clear(*, task: Task) -> Task:
    """Make `task` an ordinary task again; its annotations are no longer judged as gold."""
    task = Task.objects.select_for_update().select_related("project").get(pk=task.pk)
    task.gold_result = None
    task.save(update_fields=["gold_result", "updated_at"])
    task_gold_changed.send(sender=Task, task=task)
    return task
