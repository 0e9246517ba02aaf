from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.core.fields import user_reference
from annotator.core.history import HistoricalRecords
from annotator.models.choices import BatchOrder, Decision, WorkKind
from rubrics_app.choices import Dimension


class WorkBatch(models.Model):
    """Work handed out together: its items go to `overlap` distinct annotators each."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=WorkKind.choices)
    overlap = models.PositiveSmallIntegerField(default=1)
    # A judging batch's tasks in the order of the rubric, or its (video, dimension)
    # items served one by one, the likeliest wrong drafts first (its BatchItems, fixed
    # when the batch is made: selectors/routing.py); below `stop_below` estimated wrong
    # drafts left, a reviewer's choice, experts are no longer sent on.
    order = models.CharField(max_length=10, choices=BatchOrder.choices, default=BatchOrder.TASK)
    stop_below = models.FloatField(null=True, blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "work batches"

    def __str__(self) -> str:
        return self.name

    @property
    def served_by_item(self) -> bool:
        """Whether its experts are served its BatchItems one by one (a calibration
        sample's, a routed judging batch's) rather than its tasks."""
        return self.kind == WorkKind.CALIBRATE or self.order == BatchOrder.ERRORS


class BatchItem(models.Model):
    """One (video, dimension) of a batch served item by item: its expert verifies the
    video's criteria in that dimension. `position` is the order they are served in: a
    calibration sample's random draw, or a routed judging batch's expected wrong drafts
    (the likeliest first). Each expert is served the items of the tasks given to them."""

    batch = models.ForeignKey(WorkBatch, on_delete=models.CASCADE, related_name="items")
    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="batch_items")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["batch_id", "position"]  # not by the batch's own ordering (a join)
        constraints = [
            models.UniqueConstraint(fields=["batch", "video", "dimension"], name="batch_item_once"),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id}, {self.dimension} (batch {self.batch_id})"


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


class GoldAnswer(models.Model):
    """A known answer an admin set on an item, to measure annotators against: a clip's
    decision (and level), or a generated video's verdict on one criterion."""

    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="gold_answers")
    criterion = models.ForeignKey(
        "rubrics_app.Criterion",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="gold_answers",
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    verdict = models.PositiveSmallIntegerField(null=True, blank=True, choices=[(0, "0"), (1, "1")])
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["video"], condition=Q(criterion__isnull=True), name="gold_clip_once"
            ),
            models.UniqueConstraint(
                fields=["video", "criterion"],
                condition=Q(criterion__isnull=False),
                name="gold_verdict_once",
            ),
            models.CheckConstraint(
                condition=(Q(criterion__isnull=True) & ~Q(decision=""))
                | (Q(criterion__isnull=False) & Q(verdict__isnull=False)),
                name="gold_has_answer",
            ),
        ]

    def __str__(self) -> str:
        if self.criterion_id:
            return f"gold {self.verdict} on video {self.video_id}, criterion {self.criterion_id}"
        return f"gold {self.decision} on clip {self.video_id}"
