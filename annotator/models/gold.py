from django.db import models

from annotator.core.fields import user_reference
from annotator.models.choices import GoldDefect, ReportStatus


class GoldVariant(models.Model):
    """A known-bad copy of an accepted clip (annotator/gold_video.py): once encoded it
    is a video of kind gold, processed like any upload and verified like any candidate,
    with the clip's known answer "reject" (a GoldAnswer) and the reason it should get.
    One per clip and defect; a variant that failed to encode keeps its error and no
    video."""

    source = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="gold_sources")
    defect = models.CharField(max_length=10, choices=GoldDefect.choices)
    reason = models.ForeignKey("RejectReason", on_delete=models.PROTECT, related_name="+")
    video = models.OneToOneField(
        "Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="gold_variant"
    )
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    error = models.TextField(blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["source", "defect"], name="gold_variant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_defect_display()} copy of clip {self.source_id}"
