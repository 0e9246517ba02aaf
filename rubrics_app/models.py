from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from annotator.core.fields import user_reference
from annotator.core.history import HistoricalRecords

from .choices import (
    CriterionOrigin,
    CriterionStatus,
    Dimension,
    Level,
    Polarity,
    ProposalStatus,
    SuggestionStatus,
)

if TYPE_CHECKING:
    from annotator.models import User

LIVE_CRITERIA = ~Q(status=CriterionStatus.RETIRED)


class Benchmark(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Task(models.Model):
    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="tasks")
    index = models.PositiveIntegerField(help_text="Task number in the rubric file.")
    prompt = models.TextField()
    requirement = models.TextField(blank=True)
    level = models.CharField(max_length=20, choices=Level.choices, blank=True, db_index=True)
    source_ref = models.TextField(
        blank=True, help_text="Source reference: channel, title and video URL."
    )
    # Rubric files come with English keys or with the Chinese keys 任务/具体要求;
    # remembered so that an export writes the keys the file had.
    chinese_keys = models.BooleanField(default=False)
    # Fields of the rubric file's task object that we do not interpret, written back
    # on export; keys inside a rubrics_<dimension> object that are not d/s/w triples
    # are kept under that dimension's key.
    rubric_extra = models.JSONField(default=dict, blank=True)
    # Fields of the task metadata file that we do not interpret (translations,
    # generation bookkeeping).
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    # Set before save(): django-simple-history records them as who and why.
    _history_user: "User"
    _change_reason: str

    class Meta:
        ordering = ["benchmark", "index"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "index"], name="task_index_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.name} #{self.index}"

    @property
    def prompt_zh(self) -> str:
        return self.metadata.get("任务中文", "")

    @property
    def requirement_zh(self) -> str:
        return self.metadata.get("具体要求中文", "")


class Criterion(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="criteria")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    number = models.PositiveIntegerField(help_text="N of the d<N>/s<N>/w<N> keys in the file.")
    position = models.PositiveIntegerField(default=0)
    text = models.TextField(blank=True)
    polarity = models.SmallIntegerField(choices=Polarity.choices, default=Polarity.POSITIVE)
    weight = models.DecimalField(
        max_digits=12,
        decimal_places=6,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0))],
    )
    status = models.CharField(
        max_length=10, choices=CriterionStatus.choices, default=CriterionStatus.DRAFT
    )
    origin = models.CharField(
        max_length=10, choices=CriterionOrigin.choices, default=CriterionOrigin.EXPERT
    )
    # Bumped on every change; an edit based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    created_by = user_reference()
    updated_by = user_reference()
    # A reviewer's note when sending a criterion back for changes.
    review_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    # Set before save(): django-simple-history records them as who and why.
    _history_user: "User"
    _change_reason: str

    class Meta:
        ordering = ["task", "dimension", "position", "number"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["task", "dimension", "number"], name="criterion_number_unique"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="criterion_weight_gte_0"),
            models.CheckConstraint(condition=Q(polarity__in=[1, -1]), name="criterion_polarity"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.dimension} {self.number}"

    @property
    def is_penalty(self) -> bool:
        return self.polarity == Polarity.PENALTY


class Release(models.Model):
    """A frozen copy of a benchmark's approved rubrics. Nothing changes it after it is
    made: exports and scores that name it always mean the same criteria and weights."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.PROTECT, related_name="releases")
    name = models.CharField(max_length=50)
    weight_scheme = models.CharField(max_length=100, blank=True)
    notes = models.TextField(blank=True)
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "name"], name="release_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.name} {self.name}"


class ReleaseTask(models.Model):
    """A task as it was when the release was made (what an export writes)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tasks")
    task = models.ForeignKey(Task, null=True, on_delete=models.SET_NULL, related_name="+")
    index = models.PositiveIntegerField()
    prompt = models.TextField()
    requirement = models.TextField(blank=True)
    level = models.CharField(max_length=20, blank=True)
    chinese_keys = models.BooleanField(default=False)
    rubric_extra = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["release", "index"]
        constraints = [
            models.UniqueConstraint(fields=["release", "index"], name="release_task_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.release} task {self.index}"


class ReleaseCriterion(models.Model):
    release_task = models.ForeignKey(ReleaseTask, on_delete=models.CASCADE, related_name="criteria")
    criterion = models.ForeignKey(Criterion, null=True, on_delete=models.SET_NULL, related_name="+")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    number = models.PositiveIntegerField()
    position = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    polarity = models.SmallIntegerField(choices=Polarity.choices)
    weight = models.DecimalField(max_digits=12, decimal_places=6)

    class Meta:
        ordering = ["release_task", "dimension", "position", "number"]

    def __str__(self) -> str:
        return f"{self.release_task} {self.dimension} {self.number}"


class PromptTemplate(models.Model):
    """A versioned prompt for a language model. Saving a change makes a new version;
    what a model produced names the version it was asked with."""

    CRITERIA_DRAFT = "criteria_draft"
    KINDS = [(CRITERIA_DRAFT, "drafting criteria")]

    kind = models.CharField(max_length=30, choices=KINDS)
    version = models.PositiveIntegerField()
    text = models.TextField(
        help_text="Placeholders: {prompt}, {requirement}. The reply must be JSON."
    )
    created_by = user_reference()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="prompt_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class CriteriaDraft(models.Model):
    """One reply of the language model asked to draft a task's criteria."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="drafts")
    job = models.ForeignKey("annotator.Job", null=True, on_delete=models.SET_NULL, related_name="+")
    llm_model = models.CharField(max_length=100)
    prompt_version = models.PositiveIntegerField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)
    raw_response = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"draft of {self.task} by {self.llm_model}"


class CriterionSuggestion(models.Model):
    """A criterion the language model suggests; an expert accepts (maybe edited) or
    rejects it. Never part of the rubric until accepted."""

    draft = models.ForeignKey(CriteriaDraft, on_delete=models.CASCADE, related_name="suggestions")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="suggestions")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    text = models.TextField()
    polarity = models.SmallIntegerField(choices=Polarity.choices)
    weight = models.DecimalField(max_digits=12, decimal_places=6)
    status = models.CharField(
        max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    criterion = models.ForeignKey(
        Criterion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = user_reference()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task", "dimension", "pk"]

    def __str__(self) -> str:
        return self.text


class ProposalSet(models.Model):
    """One expert's own version of a task's rubric, merged by a reviewer with the
    other experts' versions."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="proposal_sets")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposal_sets"
    )
    status = models.CharField(
        max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["task", "author"]
        constraints = [
            models.UniqueConstraint(fields=["task", "author"], name="proposal_set_per_expert"),
        ]

    def __str__(self) -> str:
        return f"{self.author} on {self.task}"


class ProposedCriterion(models.Model):
    proposal_set = models.ForeignKey(ProposalSet, on_delete=models.CASCADE, related_name="criteria")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    position = models.PositiveIntegerField(default=0)
    text = models.TextField()
    polarity = models.SmallIntegerField(choices=Polarity.choices, default=Polarity.POSITIVE)
    weight = models.DecimalField(max_digits=12, decimal_places=6, default=Decimal(1))

    class Meta:
        ordering = ["proposal_set", "dimension", "position", "pk"]

    def __str__(self) -> str:
        return self.text
