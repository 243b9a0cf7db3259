"""Signals annotator sends for the apps built on it (ml_assist), which it does not import."""
from django.dispatch import Signal

# Inside the verdict's transaction, after a reviewer decided on a spot-checked machine label;
# keywords `review` (annotator.models.Review) and `correct` (True when accepted unchanged).
machine_label_reviewed = Signal()
