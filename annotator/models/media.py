import uuid

from django.db import models
from django.db.models import Q

from annotator.core.fields import user_reference
from annotator.models.choices import CLIP_KINDS, ClipStatus, MediaStatus, VideoKind
from rubrics_app.choices import Level


class GeneratorModel(models.Model):
    """A video generation model whose outputs are judged."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportBatch(models.Model):
    """Videos brought in together (an upload, an import), so their processing can be
    followed as one."""

    name = models.CharField(max_length=200)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return self.name


class Video(models.Model):
    kind = models.CharField(max_length=10, choices=VideoKind.choices)
    # How pages and media URLs address the video (annotator.core.visibility): database ids
    # follow the import order, <Model>/ folder by folder, so they would give models away.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Empty when only a judge result names the video (its file not imported yet).
    file = models.FileField(max_length=500, blank=True)
    original_name = models.CharField(max_length=500, blank=True)
    # The path the video had where it came from (the video_path of a judge result
    # file, a manifest's video field), written back by exports.
    source_path = models.CharField(max_length=1000, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="videos"
    )

    # Generated videos: which model made it, for which task. A reference video: the
    # task it is the source of.
    task = models.ForeignKey(
        "rubrics_app.Task",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="videos",
    )
    generator = models.ForeignKey(
        GeneratorModel, null=True, blank=True, on_delete=models.PROTECT, related_name="videos"
    )

    # Dataset candidates: what experts verify.
    caption = models.TextField(blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    source_ref = models.TextField(blank=True)
    extra = models.JSONField(default=dict, blank=True)

    # Filled by the media pipeline.
    media_status = models.CharField(
        max_length=10, choices=MediaStatus.choices, default=MediaStatus.MISSING, db_index=True
    )
    media_error = models.TextField(blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="seconds")
    fps = models.FloatField(null=True, blank=True)
    frame_count = models.PositiveIntegerField(null=True, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    codec = models.CharField(max_length=40, blank=True)
    bitrate = models.PositiveBigIntegerField(null=True, blank=True, help_text="bits per second")
    pix_fmt = models.CharField(max_length=20, blank=True)
    container = models.CharField(max_length=40, blank=True)
    faststart = models.BooleanField(null=True, blank=True, help_text="MP4: index before data")
    poster = models.FileField(max_length=500, blank=True)
    filmstrip = models.FileField(max_length=500, blank=True)
    filmstrip_frames = models.PositiveSmallIntegerField(null=True, blank=True)
    filmstrip_tile_width = models.PositiveSmallIntegerField(null=True, blank=True)
    filmstrip_tile_height = models.PositiveSmallIntegerField(null=True, blank=True)
    # Storage names of the 8 frames the GPT judge sees, in order.
    judge_frames = models.JSONField(default=list, blank=True)
    # Their perceptual hashes (imagehash pHash, 64 bits as 16 hex digits), in the same
    # order: what contamination reports compare (services/frame_hashes.py).
    frame_hashes = models.JSONField(default=list, blank=True)
    # A browser-playable copy, made only when the original would not play or seek well.
    playable = models.FileField(max_length=500, blank=True)
    rendition_reason = models.CharField(max_length=200, blank=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    # A dataset clip's verification: `caption` and `level` above are the drafts it
    # came with; the final ones are set when its decision is final.
    external_id = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="the clip's id in its manifest"
    )
    clip_status = models.CharField(
        max_length=12, choices=ClipStatus.choices, default=ClipStatus.PENDING, db_index=True
    )
    final_caption = models.TextField(blank=True)
    final_level = models.CharField(max_length=20, choices=Level.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sha256"], condition=~Q(sha256=""), name="video_sha256_unique"
            ),
            models.UniqueConstraint(
                fields=["task", "generator"],
                condition=Q(kind=VideoKind.GENERATED),
                name="video_one_per_task_and_model",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=CLIP_KINDS)
                | Q(kind=VideoKind.GENERATED, task__isnull=False, generator__isnull=False)
                | Q(kind=VideoKind.REFERENCE, task__isnull=False, generator__isnull=True),
                name="video_generated_has_task_and_model",
            ),
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(kind=VideoKind.REFERENCE),
                name="video_one_reference_per_task",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == VideoKind.REFERENCE:
            return f"reference video of task {self.task_id}"
        if self.kind == VideoKind.GENERATED:
            return f"{self.generator_id and self.generator} on task {self.task_id}"
        return self.original_name or f"clip {self.pk}"
