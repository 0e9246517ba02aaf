from django.conf import settings
from django.db import models

from annotator.core.fields import user_reference
from annotator.core.history import HistoricalRecords
from annotator.models.choices import OverlapDecision, ReportStatus, TrainingSet


class ContaminationReport(models.Model):
    """The overlap between a benchmark (or one release of it) and a training set, as
    computed once: its inputs are stored with it, so a later recompute is a new report
    and this one stays as it was."""

    benchmark = models.ForeignKey(
        "rubrics_app.Benchmark", on_delete=models.CASCADE, related_name="contamination_reports"
    )
    release = models.ForeignKey(
        "rubrics_app.Release", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    training_set = models.CharField(max_length=12, choices=TrainingSet.choices)
    as_of = models.DateTimeField(null=True, blank=True, help_text="snapshot time (accepted set)")
    # The threshold settings used, by name.
    thresholds = models.JSONField(default=dict)
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    tasks_total = models.PositiveIntegerField(default=0)
    tasks_done = models.PositiveIntegerField(default=0)
    clips_total = models.PositiveIntegerField(default=0)
    # What the report could not read (source references, frame hashes), per task or clip.
    problems = models.JSONField(default=list, blank=True)
    # Why there is nothing to compare (no clips, no tasks), or why the job failed.
    note = models.TextField(blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"contamination report #{self.pk} of {self.benchmark_id}"

    @property
    def percent(self) -> int:
        return round(100 * self.tasks_done / self.tasks_total) if self.tasks_total else 100


class ContaminationFinding(models.Model):
    """A clip of the training set that overlaps a task, with the evidence; reviewers
    decide whether it is a real overlap (audited)."""

    report = models.ForeignKey(
        ContaminationReport, on_delete=models.CASCADE, related_name="findings"
    )
    task = models.ForeignKey("rubrics_app.Task", on_delete=models.CASCADE, related_name="+")
    clip = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="overlaps")
    # [{kind, strength, detail}] in EvidenceKind order; `strength` is the strongest.
    evidence = models.JSONField(default=list)
    strength = models.FloatField()
    decision = models.CharField(
        max_length=12, choices=OverlapDecision.choices, default=OverlapDecision.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["task__index", "-strength", "clip_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "task", "clip"], name="contamination_finding_once"
            )
        ]

    def __str__(self) -> str:
        return f"clip {self.clip_id} overlaps task {self.task_id}"
