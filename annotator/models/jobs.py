from django.db import models

from annotator.core.fields import user_reference


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"


class Job(models.Model):
    """A long operation over many items (drafting criteria for many tasks, ...): saved
    before its work is queued, so pages can follow a real record."""

    kind = models.CharField(max_length=40)
    description = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # One line per failed item, saying which and why.
    failures = models.JSONField(default=list, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def finished(self) -> int:
        return self.succeeded + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100


class JobItem(models.Model):
    """One item of a job, recorded when it finishes. A task delivered twice (its worker
    lost before acknowledging it) finds its item and counts once; "re-run failures"
    reads the failed items' keys from here."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    # What the item is, in the job kind's own terms ("<video id>:<dimension>", ...).
    key = models.CharField(max_length=100)
    # The item's line in Job.failures; empty when it succeeded.
    failure = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="job_item_once")]

    def __str__(self) -> str:
        return f"{self.job} {self.key}"


class OutboxMessage(models.Model):
    """A Celery task call written in the same transaction as the work it starts, so
    that committed work is never lost to an unreachable broker: sent and deleted once
    the transaction commits, or sent later by the sweep (annotator.core.queue)."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Sends that failed (the broker unreachable), and the last one's error.
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"
