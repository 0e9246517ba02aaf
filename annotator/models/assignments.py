from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from annotator.choices import WorkKind
from annotator.fields import user_reference


class WorkBatch(models.Model):
    """Work handed out together: its items go to `overlap` distinct annotators each."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=WorkKind.choices)
    overlap = models.PositiveSmallIntegerField(default=1)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "work batches"

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """One item of a batch given to one annotator, served in `position` order;
    `done_at` is set when their answer is saved and cleared when they undo it."""

    batch = models.ForeignKey(WorkBatch, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    video = models.ForeignKey(
        "Video", null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    task = models.ForeignKey(
        "rubrics_app.Task",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    position = models.PositiveIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["batch", "user", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "user", "video"],
                condition=Q(video__isnull=False),
                name="assignment_video_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["batch", "user", "task"],
                condition=Q(task__isnull=False),
                name="assignment_task_once_per_user",
            ),
        ]
        indexes = [models.Index(fields=["batch", "user", "done_at", "position"])]

    def __str__(self) -> str:
        return f"{self.batch}: {self.video_id or self.task_id} to {self.user_id}"
