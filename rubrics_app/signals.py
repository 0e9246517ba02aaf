"""What rubrics_app tells the annotation side without importing it (the dependency rule,
tests/rules/test_layout.py)."""

from django.dispatch import Signal

# Sent inside the write's transaction, with `task_ids` (a set), after criteria of those
# tasks left the live rubric: judging that waited only on them may be complete now.
criteria_retired = Signal()
