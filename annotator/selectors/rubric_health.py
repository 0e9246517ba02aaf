"""Rubric health: where the rubric, rather than a model, needs work. Per criterion, the
GPT judge against the experts (agreement, Cohen's kappa, over- and under-calls, with
the counts), the experts among themselves (Krippendorff's alpha on the videos two or
more of them verdicted) and whether its verdicts tell videos apart; from these the
findings a reviewer acts on, and the judge's figures aggregated by dimension,
polarity, level and generator model. Five queries whatever the benchmark's size."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from annotator.models import Judgment, Video
from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
from annotator.selectors.agreement import Agreement
from annotator.selectors.verdicts import judges_of
from rubrics_app.choices import Dimension, Level, Polarity
from rubrics_app.models import Benchmark, Release, ReleaseCriterion, Task
from rubrics_app.selectors import live_criteria


class Finding(StrEnum):
    JUDGE_UNRELIABLE = "judge-unreliable"
    EXPERTS_DISAGREE = "experts-disagree"
    NOT_DISCRIMINATING = "not-discriminating"
    PENALTY_NEVER_TRIGGERED = "penalty-never-triggered"
    ZERO_WEIGHT = "zero-weight"

    @property
    def label(self) -> str:
        return FINDING_LABELS[self]


FINDING_LABELS = {
    Finding.JUDGE_UNRELIABLE: gettext_noop("judge unreliable"),
    Finding.EXPERTS_DISAGREE: gettext_noop("experts disagree"),
    Finding.NOT_DISCRIMINATING: gettext_noop("does not discriminate"),
    Finding.PENALTY_NEVER_TRIGGERED: gettext_noop("penalty never triggered"),
    Finding.ZERO_WEIGHT: gettext_noop("zero weight"),
}
POLARITIES = {Polarity.POSITIVE: "positive", Polarity.PENALTY: "penalty"}
# What exports may select besides a finding: criteria with any finding.
ANY = "any"
CRITERION_COLUMNS = ("dimension", "number", "text", "polarity", "weight")


@dataclass(frozen=True)
class Thresholds:
    """When figures make a finding (settings RUBRIC_HEALTH_*; annotator/settings.py)."""

    min_pairs: int
    kappa_below: float
    min_overlap: int
    alpha_below: float
    min_videos: int

    @classmethod
    def from_settings(cls) -> "Thresholds":
        return cls(
            min_pairs=settings.RUBRIC_HEALTH_MIN_PAIRS,
            kappa_below=settings.RUBRIC_HEALTH_KAPPA_BELOW,
            min_overlap=settings.RUBRIC_HEALTH_MIN_OVERLAP,
            alpha_below=settings.RUBRIC_HEALTH_ALPHA_BELOW,
            min_videos=settings.RUBRIC_HEALTH_MIN_VIDEOS,
        )


@dataclass
class CriterionHealth:
    criterion_id: int
    task_id: int
    task_index: int
    level: str
    dimension: str
    number: int
    text: str
    polarity: int
    weight: float
    judge: Agreement = field(default_factory=Agreement)
    # The judge's kappa, worked out once (Agreement.kappa computes it on each read).
    kappa: float | None = None
    # Videos verdicted by two or more experts, those where all of them agreed, and
    # Krippendorff's alpha over them.
    expert_items: int = 0
    expert_unanimous: int = 0
    expert_alpha: float | None = None
    # Over the videos with a verdict (an expert's where there is one, else the draft):
    # how many, of how many generator models, and how many met (a penalty: present).
    videos: int = 0
    generators: int = 0
    met: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def is_penalty(self) -> bool:
        return self.polarity == Polarity.PENALTY

    def as_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion_id,
            "task": self.task_id,
            "task_index": self.task_index,
            "level": self.level,
            "dimension": self.dimension,
            "number": self.number,
            "text": self.text,
            "polarity": self.polarity,
            "weight": self.weight,
            "judge": self.judge.as_dict(),
            "experts": {
                "items": self.expert_items,
                "unanimous": self.expert_unanimous,
                "alpha": self.expert_alpha,
            },
            "videos": self.videos,
            "generators": self.generators,
            "met": self.met,
            "findings": [str(f) for f in self.findings],
        }


CSV_HEADER = [
    "task_index",
    "dimension",
    "number",
    "criterion_id",
    "level",
    "polarity",
    "weight",
    "text",
    "pairs",
    "both_1",
    "judge_1_expert_0",
    "judge_0_expert_1",
    "both_0",
    "accuracy",
    "kappa",
    "over_call_rate",
    "under_call_rate",
    "expert_items",
    "expert_unanimous",
    "expert_alpha",
    "videos",
    "generators",
    "met",
    "findings",
]


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def csv_rows(criteria: list[CriterionHealth]) -> Iterator[list[Any]]:
    """The CSV export: the header, then a row per criterion; findings space-separated."""
    yield CSV_HEADER
    for c in criteria:
        a = c.judge
        yield [
            c.task_index,
            c.dimension,
            c.number,
            c.criterion_id,
            c.level,
            c.polarity,
            f"{c.weight:g}",
            c.text,
            a.n,
            a.both_1,
            a.judge_1_expert_0,
            a.judge_0_expert_1,
            a.both_0,
            _cell(a.accuracy),
            _cell(c.kappa),
            _cell(a.over_call_rate),
            _cell(a.under_call_rate),
            c.expert_items,
            c.expert_unanimous,
            _cell(c.expert_alpha),
            c.videos,
            c.generators,
            c.met,
            " ".join(c.findings),
        ]


@dataclass
class RubricHealth:
    benchmark: str
    release: str | None
    judge_model: str | None
    thresholds: Thresholds
    criteria: list[CriterionHealth] = field(default_factory=list)
    overall: Agreement = field(default_factory=Agreement)
    by_dimension: dict[str, Agreement] = field(default_factory=dict)
    by_polarity: dict[str, Agreement] = field(default_factory=dict)
    by_level: dict[str, Agreement] = field(default_factory=dict)
    by_generator: dict[str, Agreement] = field(default_factory=dict)

    def with_finding(self, finding: Finding) -> list[CriterionHealth]:
        """The criteria with this finding, the worst first where there is a measure."""
        found = [c for c in self.criteria if finding in c.findings]
        if finding == Finding.JUDGE_UNRELIABLE:
            found.sort(key=lambda c: (c.kappa if c.kappa is not None else 1, -c.judge.n))
        elif finding == Finding.EXPERTS_DISAGREE:
            found.sort(key=lambda c: (c.expert_alpha or 0, -c.expert_items))
        return found

    def select(self, finding: str = "") -> list[CriterionHealth]:
        """What exports list: every criterion (""), those with any finding ("any"), or
        those with one finding (its value), the worst first."""
        if finding == ANY:
            return [c for c in self.criteria if c.findings]
        return self.with_finding(Finding(finding)) if finding else self.criteria

    def counts(self) -> dict[Finding, int]:
        counted = dict.fromkeys(Finding, 0)
        for c in self.criteria:
            for finding in c.findings:
                counted[finding] += 1
        return counted

    def aggregates(self) -> dict[str, dict[str, Agreement]]:
        return {
            "dimension": self.by_dimension,
            "polarity": self.by_polarity,
            "level": self.by_level,
            "generator": self.by_generator,
        }

    def as_dict(self, criteria: list[CriterionHealth] | None = None) -> dict[str, Any]:
        """For the API: every figure, and these criteria (by default all of them)."""
        return {
            "benchmark": self.benchmark,
            "release": self.release,
            "judge_model": self.judge_model,
            "thresholds": vars(self.thresholds),
            "findings": {str(f): n for f, n in self.counts().items()},
            "overall": self.overall.as_dict(),
            **{
                f"by_{name}": {key: a.as_dict() for key, a in groups.items()}
                for name, groups in self.aggregates().items()
            },
            "criteria": [c.as_dict() for c in (self.criteria if criteria is None else criteria)],
        }


def _criteria(
    benchmark: Benchmark, release: Release | None, task: Task | None
) -> list[CriterionHealth]:
    """The release's frozen criteria (text, polarity and weight as frozen), else the
    live ones; in the order of the rubric."""
    rows: list[tuple[Any, ...]]
    if release is not None:
        frozen = ReleaseCriterion.objects.filter(
            release_task__release=release, criterion__isnull=False
        )
        if task is not None:
            frozen = frozen.filter(release_task__task=task)
        order = ("release_task__index", "dimension", "position", "number")
        columns = ("criterion_id", "release_task__task_id", "release_task__index")
        rows = list(
            frozen.order_by(*order).values_list(*columns, "release_task__level", *CRITERION_COLUMNS)
        )
    else:
        live = live_criteria().filter(task__benchmark=benchmark)
        if task is not None:
            live = live.filter(task=task)
        order = ("task__index", "dimension", "position", "number")
        rows = list(
            live.order_by(*order).values_list(
                "pk", "task_id", "task__index", "task__level", *CRITERION_COLUMNS
            )
        )
    return [
        CriterionHealth(pk, task_id, index, level, dimension, number, text, polarity, float(weight))
        for pk, task_id, index, level, dimension, number, text, polarity, weight in rows
    ]


def rubric_health(
    *,
    benchmark: Benchmark,
    release: Release | None = None,
    judge_model: str | None = None,
    task: Task | None = None,
    thresholds: Thresholds | None = None,
) -> RubricHealth:
    """Over the benchmark's criteria (a release's, else the live ones), or one task's
    (the editor's badges); the drafts of `judge_model`, else of the first judge by name."""
    thresholds = thresholds or Thresholds.from_settings()
    criteria = {c.criterion_id: c for c in _criteria(benchmark, release, task)}
    judgments: QuerySet[Judgment] = (
        Judgment.objects.filter(criterion__task=task)
        if task is not None
        else Judgment.objects.filter(video__task__benchmark=benchmark)
    )
    if judge_model is None:
        judges = judges_of(judgments)
        judge_model = judges[0] if judges else None
    health = RubricHealth(
        benchmark.name, release.name if release else None, judge_model, thresholds
    )
    health.criteria = list(criteria.values())

    videos = Video.objects.filter(kind=VideoKind.GENERATED)
    videos = (
        videos.filter(task=task) if task is not None else videos.filter(task__benchmark=benchmark)
    )
    generator_of = dict(videos.values_list("pk", "generator__name"))
    drafts = {
        (v, c): x
        for v, c, x in judgments.filter(
            source=VerdictSource.LLM, judge_model=judge_model or ""
        ).values_list("video_id", "criterion_id", "verdict")
        if c in criteria
    }
    # Per (video, criterion) each expert's verdict, and the newest one, which counts.
    experts: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    newest: dict[tuple[int, int], int] = {}
    confirmed = judgments.filter(source=VerdictSource.HUMAN, status=VerdictStatus.CONFIRMED)
    for v, c, user_id, x in confirmed.order_by("updated_at", "pk").values_list(
        "video_id", "criterion_id", "user_id", "verdict"
    ):
        if c in criteria:
            experts[(v, c)][user_id] = x
            newest[(v, c)] = x

    # Per pair the criterion's and the model's counts; the rest sums criteria.
    by_generator: dict[str, Agreement] = defaultdict(Agreement)
    for (v, c), expert in newest.items():
        if (v, c) in drafts:
            judge = drafts[(v, c)]
            criteria[c].judge.add(judge, expert)
            by_generator[generator_of.get(v) or "no model"].add(judge, expert)
    groups: dict[str, dict[str, Agreement]] = {
        name: defaultdict(Agreement) for name in ("dimension", "polarity", "level")
    }
    for criterion in health.criteria:
        if criterion.judge.n:
            health.overall += criterion.judge
            groups["dimension"][criterion.dimension] += criterion.judge
            groups["polarity"][POLARITIES[Polarity(criterion.polarity)]] += criterion.judge
            groups["level"][criterion.level or "no level"] += criterion.judge
    health.by_dimension = _ordered(groups["dimension"], Dimension.values)
    health.by_polarity = _ordered(groups["polarity"], list(POLARITIES.values()))
    health.by_level = _ordered(groups["level"], [*Level.values, "no level"])
    health.by_generator = dict(sorted(by_generator.items()))

    overlap: dict[int, list[dict[int, int]]] = defaultdict(list)
    for (_, c), answers in experts.items():
        if len(answers) >= 2:
            overlap[c].append(answers)
    verdicts = {**drafts, **newest}  # the expert's verdict where there is one
    seen: dict[int, set[str]] = defaultdict(set)
    for (v, c), x in verdicts.items():
        criterion = criteria[c]
        criterion.videos += 1
        criterion.met += x
        seen[c].add(generator_of.get(v) or "")
    for criterion in health.criteria:
        criterion.generators = len(seen[criterion.criterion_id])
        items = overlap.get(criterion.criterion_id, [])
        if items:
            criterion.expert_items = len(items)
            criterion.expert_unanimous = sum(len(set(a.values())) == 1 for a in items)
            criterion.expert_alpha = binary_alpha(items)
        criterion.kappa = criterion.judge.kappa
        criterion.findings = _findings(criterion, thresholds)
    return health


def binary_alpha(items: list[dict[int, int]]) -> float | None:
    """Krippendorff's alpha (nominal) of 0/1 verdicts, each item's verdicts by rater,
    from its closed form for two categories: 1 - (n - 1) D / (n_0 n_1), with n the
    verdicts of items verdicted twice or more, n_0 and n_1 the zeros and ones among
    them, D the sum over items of zeros x ones / (verdicts - 1). The value of
    work_stats.krippendorff_alpha (the tests hold it to it, None where that is None)
    at a fraction of the cost of building its matrix: the page takes one per criterion."""
    n = ones = 0
    disagreement = 0.0
    for answers in items:
        m = len(answers)
        if m >= 2:
            k = sum(answers.values())
            n, ones = n + m, ones + k
            disagreement += k * (m - k) / (m - 1)
    if not ones or ones == n:
        return None
    return 1 - (n - 1) * disagreement / (ones * (n - ones))


def _ordered(groups: dict[str, Agreement], order: list[str]) -> dict[str, Agreement]:
    return {key: groups[key] for key in order if key in groups}


def _findings(c: CriterionHealth, t: Thresholds) -> list[Finding]:
    found = []
    if c.judge.n >= t.min_pairs and c.kappa is not None and c.kappa < t.kappa_below:
        found.append(Finding.JUDGE_UNRELIABLE)
    if (
        c.expert_items >= t.min_overlap
        and c.expert_alpha is not None
        and c.expert_alpha < t.alpha_below
    ):
        found.append(Finding.EXPERTS_DISAGREE)
    if c.videos >= t.min_videos and c.generators >= 2 and c.met in (0, c.videos):
        # A penalty point never charged is its own finding (listed once, there).
        never = c.is_penalty and c.met == 0
        found.append(Finding.PENALTY_NEVER_TRIGGERED if never else Finding.NOT_DISCRIMINATING)
    if c.weight == 0:
        found.append(Finding.ZERO_WEIGHT)
    return found
