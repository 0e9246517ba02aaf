from django.db import models


class CalibrationSample(models.Model):
    """The random draw behind a calibration batch: which judge's drafts, scored with
    which criteria (a release, or the current approved ones), the seed and the sizes,
    so the same draw can be made again. The items drawn are its batch's BatchItems."""

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
