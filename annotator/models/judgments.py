from django.conf import settings
from django.db import models
from django.db.models import Q

from annotator.core.history import HistoricalRecords
from annotator.models.choices import EvaluationStatus, VerdictSource, VerdictStatus
from rubrics_app.choices import Dimension


class JudgeEvaluation(models.Model):
    """One judge reply: a video judged on one dimension, as drafts are made (one
    request per dimension) and as judge result files carry them."""

    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="evaluations")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    judge_model = models.CharField(max_length=100)
    prompt_version = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=EvaluationStatus.choices)
    error = models.TextField(blank=True)
    raw_response = models.TextField(blank=True)
    reasoning = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["video", "dimension", "judge_model"], name="evaluation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge_model} on {self.video_id} ({self.dimension})"


class Judgment(models.Model):
    """A verdict on one criterion for one video: a judge's draft or an expert's."""

    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="judgments")
    criterion = models.ForeignKey(
        "rubrics_app.Criterion", on_delete=models.CASCADE, related_name="judgments"
    )
    verdict = models.PositiveSmallIntegerField(choices=[(0, "0"), (1, "1")])
    source = models.CharField(max_length=5, choices=VerdictSource.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="judgments",
    )
    judge_model = models.CharField(max_length=100, blank=True)
    evaluation = models.ForeignKey(
        JudgeEvaluation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="judgments",
    )
    # The expert's note, or for a draft the judge's reasoning for the dimension.
    reasoning = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=VerdictStatus.choices)
    # Where in the video the expert saw what the verdict rests on (seconds): "the
    # nucleated cell appears at 2.3 s". Experts' verdicts only.
    time_mark = models.FloatField(null=True, blank=True)
    # What the expert had watched of the video when they gave the verdict (measured by
    # the judging page, experts' verdicts only; null when no page measured it, as for
    # verdicts from before or from elsewhere): the share of its duration played, the
    # times it was played to the end and again, the frame steps, and the seconds the
    # page had been open. Reviewers read them against rubber-stamping.
    watch_coverage = models.FloatField(null=True, blank=True)
    watch_replays = models.PositiveIntegerField(null=True, blank=True)
    watch_frame_steps = models.PositiveIntegerField(null=True, blank=True)
    watch_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Experts' verdicts are saved one by one and so recorded for the audit log; the
    # judge's drafts are written in bulk, which history does not record.
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["video", "criterion", "user"],
                condition=Q(source=VerdictSource.HUMAN),
                name="judgment_one_per_expert",
            ),
            models.UniqueConstraint(
                fields=["video", "criterion", "judge_model"],
                condition=Q(source=VerdictSource.LLM),
                name="judgment_one_draft_per_judge",
            ),
            models.CheckConstraint(condition=Q(verdict__in=[0, 1]), name="judgment_verdict_0_1"),
            models.CheckConstraint(
                condition=(Q(source=VerdictSource.HUMAN) & Q(user__isnull=False))
                | (Q(source=VerdictSource.LLM) & ~Q(judge_model="")),
                name="judgment_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}={self.verdict} on {self.video_id} ({self.source})"
