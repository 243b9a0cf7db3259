"""Extension points: the apps built on the platform add to what it shows, without the
platform importing them (dependencies point one way, DESIGN.md).

- task detail sections: `register_task_detail_section(name, section)` adds `name` to
  GET /api/v1/tasks/{id}/; `section(task=, user=, role=)` returns JSON-ready data.
- worker task scope: `register_worker_task_scope(scope)`; `scope(tasks=, user=)` narrows a
  task queryset to what someone without a reviewing role may see (the tasks they hold or
  labeled). Without a registered scope such callers see the tasks they hold.
- work on tasks: `register_task_work_filter(exclude)`; `exclude(tasks=)` drops from a task
  queryset the tasks people have worked on in that app (annotated, skipped, reviewed), so
  that a failed import never deletes them.
- imported tasks: `register_tasks_imported(name, hook)`; `hook(project=, tasks=)` is called
  by the import runner after each committed batch with a queryset of the tasks it just wrote
  (ml_assist queues a pre-labeling pass for them under uncertainty order).
- new tasks' queue priority: `register_new_task_priority(priority)`; `priority(project=)`
  returns None (new tasks keep priority 0) or a function `(task_id, confidence) -> float` the
  import applies to each task as it writes the row, `confidence` being that of the task's
  latest imported suggestion (None without one). One at a time: the last registered wins.
- project metrics sections: `register_metrics_section(name, section)` adds `name` to
  GET /api/v1/projects/{id}/metrics/; `section(project=)` returns JSON-ready data.

Apps register in their AppConfig.ready(). Names are unique: registering one twice replaces it
(a reloaded module must not add a second copy).
"""
from collections.abc import Callable

from django.db.models import QuerySet

_task_detail_sections: dict[str, Callable] = {}
_metrics_sections: dict[str, Callable] = {}
_worker_task_scope: list[Callable] = []
_task_work_filters: dict[str, Callable] = {}
_tasks_imported_hooks: dict[str, Callable] = {}
_new_task_priority: list[Callable] = []


def register_task_detail_section(name: str, section: Callable) -> None:
    _task_detail_sections[name] = section


def task_detail_sections(*, task, user, role: str | None) -> dict:
    return {
        name: section(task=task, user=user, role=role)
        for name, section in _task_detail_sections.items()
    }


def register_worker_task_scope(scope: Callable) -> None:
    _worker_task_scope[:] = [scope]


def worker_task_scope(*, tasks: QuerySet, user) -> QuerySet:
    if _worker_task_scope:
        return _worker_task_scope[0](tasks=tasks, user=user)
    return tasks.filter(locked_by=user)


def register_metrics_section(name: str, section: Callable) -> None:
    _metrics_sections[name] = section


def metrics_sections(*, project, only: tuple[str, ...] | None = None) -> dict:
    """The registered sections of `project`'s metrics (`only` those named, when given)."""
    return {
        name: section(project=project)
        for name, section in _metrics_sections.items()
        if only is None or name in only
    }


def register_task_work_filter(name: str, exclude: Callable) -> None:
    _task_work_filters[name] = exclude


def tasks_without_work(tasks: QuerySet) -> QuerySet:
    for exclude in _task_work_filters.values():
        tasks = exclude(tasks=tasks)
    return tasks


def register_tasks_imported(name: str, hook: Callable) -> None:
    _tasks_imported_hooks[name] = hook


def tasks_imported(*, project, tasks: QuerySet) -> None:
    for hook in _tasks_imported_hooks.values():
        hook(project=project, tasks=tasks)


def register_new_task_priority(priority: Callable) -> None:
    _new_task_priority[:] = [priority]


def new_task_priority(*, project) -> Callable[[int, float | None], float] | None:
    return _new_task_priority[0](project=project) if _new_task_priority else None
