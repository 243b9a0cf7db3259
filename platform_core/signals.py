"""Signals platform_core sends for the apps built on it, which it does not import."""
from django.dispatch import Signal

# After the transaction that changed a project's queue_order commits; keyword `project`.
# ml_assist re-derives the open tasks' priorities from it.
queue_order_changed = Signal()

# Inside the transaction that lowered a project's overlap, for each chunk of tasks that now hold
# all the annotations they need and became `submitted` without a submit; keywords `project` and
# `task_ids`. The annotator app puts their annotations in the review queue.
tasks_reached_overlap = Signal()

# Inside the transaction that set or cleared a task's gold_result; keyword `task`. The
# annotator app judges the task's annotations against the new answer (or stops judging them).
task_gold_changed = Signal()
