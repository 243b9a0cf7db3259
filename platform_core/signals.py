"""Signals platform_core sends for the apps built on it, which it does not import."""
from django.dispatch import Signal

# After the transaction that changed a project's queue_order commits; keyword `project`.
# ml_assist re-derives the open tasks' priorities from it.
queue_order_changed = Signal()
