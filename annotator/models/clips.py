from django.conf import settings
from django.db import models

from annotator.core.history import HistoricalRecords
from annotator.models.choices import Decision, EvaluationStatus
from rubrics_app.choices import Level


class RejectReason(models.Model):
    """Why a clip is rejected; admins edit the list (a retired reason stays on the
    decisions that used it)."""

    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=200)
    key = models.CharField(max_length=1, blank=True, help_text="keyboard shortcut")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.label


class ClipDecision(models.Model):
    """One expert's answer on a candidate clip (their caption and level with it), or,
    with `adjudication`, a reviewer's final answer on a disputed clip."""

    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="clip_decisions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clip_decisions"
    )
    batch = models.ForeignKey(
        "WorkBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reasons = models.JSONField(default=list, blank=True, help_text="RejectReason codes")
    caption = models.TextField(blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="time spent on the clip")
    adjudication = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["video", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["video", "user", "adjudication"], name="clip_decision_once_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} on clip {self.video_id} by {self.user_id}"


class ClipSuggestion(models.Model):
    """A model's draft for a clip (caption, decision, level), shown as a suggestion."""

    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="clip_suggestions")
    judge_model = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=EvaluationStatus.choices)
    caption = models.TextField(blank=True)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    reasons = models.JSONField(default=list, blank=True, help_text="RejectReason codes")
    reasoning = models.TextField(blank=True)
    raw_response = models.TextField(blank=True)
    error = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["video", "-created_at"]

    def __str__(self) -> str:
        return f"{self.judge_model} suggestion for clip {self.video_id}"
