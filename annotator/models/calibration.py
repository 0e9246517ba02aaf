from django.db import models

from rubrics_app.choices import Dimension


class CalibrationSample(models.Model):
    """The random draw behind a calibration batch: which judge's drafts, scored with
    which criteria (a release, or the current approved ones), the seed and the sizes,
    so the same draw can be made again. The items drawn are its CalibrationItems."""

    batch = models.OneToOneField("WorkBatch", on_delete=models.CASCADE, related_name="calibration")
    benchmark = models.ForeignKey(
        "rubrics_app.Benchmark", on_delete=models.PROTECT, related_name="calibration_samples"
    )
    release = models.ForeignKey(
        "rubrics_app.Release",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calibration_samples",
    )
    judge_model = models.CharField(max_length=100)
    seed = models.BigIntegerField()
    size = models.PositiveIntegerField()
    # Items eligible at the draw (the population, less the items earlier samples took),
    # per generator model: {"name": [eligible, drawn]}. Reviewers' eyes only.
    strata = models.JSONField(default=dict)
    population = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"calibration sample of {self.size} (seed {self.seed}) for {self.batch_id}"


class CalibrationItem(models.Model):
    """One drawn (video, dimension): experts verify the judge's drafts of that video's
    criteria in that dimension. `position` is the draw's random order, the order the
    items are handed out in."""

    sample = models.ForeignKey(CalibrationSample, on_delete=models.CASCADE, related_name="items")
    video = models.ForeignKey("Video", on_delete=models.CASCADE, related_name="calibration_items")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["sample", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "video", "dimension"], name="calibration_item_once"
            ),
        ]

    def __str__(self) -> str:
        return f"video {self.video_id}, {self.dimension} (sample {self.sample_id})"
