"""How far the GPT judge agrees with the experts: wherever a criterion of a video has
both a draft and a human-confirmed verdict, per dimension and per generator model."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from annotator.models import Judgment, User
from annotator.models.choices import VerdictSource, VerdictStatus
from rubrics_app.models import Benchmark, Task


@dataclass
class Agreement:
    """Counts with the expert as the reference: `judge_1_expert_0` is the judge saying
    1 where the expert said 0."""

    both_1: int = 0
    judge_1_expert_0: int = 0
    judge_0_expert_1: int = 0
    both_0: int = 0

    def add(self, judge: int, expert: int) -> None:
        if judge and expert:
            self.both_1 += 1
        elif judge:
            self.judge_1_expert_0 += 1
        elif expert:
            self.judge_0_expert_1 += 1
        else:
            self.both_0 += 1

    def __iadd__(self, other: "Agreement") -> "Agreement":
        """Counts pooled: a group's agreement from its members'."""
        self.both_1 += other.both_1
        self.judge_1_expert_0 += other.judge_1_expert_0
        self.judge_0_expert_1 += other.judge_0_expert_1
        self.both_0 += other.both_0
        return self

    @property
    def n(self) -> int:
        return self.both_1 + self.judge_1_expert_0 + self.judge_0_expert_1 + self.both_0

    @property
    def accuracy(self) -> float | None:
        return (self.both_1 + self.both_0) / self.n if self.n else None

    @property
    def over_call_rate(self) -> float | None:
        """The share of the pairs where the judge says met (or, for a penalty point,
        present) and the expert says not: with the under-call rate and the accuracy it
        adds up to 1, and over minus under is how far the judge inflates the criterion."""
        return self.judge_1_expert_0 / self.n if self.n else None

    @property
    def under_call_rate(self) -> float | None:
        """The share of the pairs where the judge says not met (absent), the expert met."""
        return self.judge_0_expert_1 / self.n if self.n else None

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None where it is undefined (one category only). Worked out
        from the four counts (the value statsmodels' cohens_kappa gives, which the tests
        hold it to): the Rubric health page takes one per criterion, thousands at once."""
        n = self.n
        if not n:
            return None
        judge_1, expert_1 = self.both_1 + self.judge_1_expert_0, self.both_1 + self.judge_0_expert_1
        # (observed - expected) / (1 - expected), both agreements scaled by n * n.
        observed = n * (self.both_1 + self.both_0)
        expected = judge_1 * expert_1 + (n - judge_1) * (n - expert_1)
        return None if expected == n * n else (observed - expected) / (n * n - expected)

    def as_dict(self) -> dict[str, int | float | None]:
        """The counts and the figures drawn from them, as the API and exports give them."""
        return {
            "n": self.n,
            "both_1": self.both_1,
            "judge_1_expert_0": self.judge_1_expert_0,
            "judge_0_expert_1": self.judge_0_expert_1,
            "both_0": self.both_0,
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "over_call_rate": self.over_call_rate,
            "under_call_rate": self.under_call_rate,
        }


@dataclass
class JudgeAgreement:
    judge_model: str
    overall: Agreement
    by_dimension: dict[str, Agreement]
    by_generator: dict[str, Agreement]


def judge_agreement(
    *,
    benchmark: Benchmark,
    judge_model: str,
    tasks: QuerySet[Task] | None = None,
    experts: QuerySet[User] | None = None,
) -> JudgeAgreement:
    """Over the benchmark, or only these tasks and these experts' verdicts (a batch)."""
    judgments = Judgment.objects.filter(video__task__benchmark=benchmark)
    if tasks is not None:
        judgments = judgments.filter(video__task__in=tasks)
    drafts = {
        (v, c): x
        for v, c, x in judgments.filter(
            source=VerdictSource.LLM, judge_model=judge_model
        ).values_list("video_id", "criterion_id", "verdict")
    }
    confirmed = judgments.filter(source=VerdictSource.HUMAN, status=VerdictStatus.CONFIRMED)
    if experts is not None:
        confirmed = confirmed.filter(user__in=experts)
    expert: dict[tuple[int, int], tuple[int, str, str]] = {}
    for v, c, x, dimension, generator in confirmed.order_by("updated_at", "pk").values_list(
        "video_id", "criterion_id", "verdict", "criterion__dimension", "video__generator__name"
    ):
        expert[(v, c)] = (x, dimension, generator)  # the newest confirmed verdict stays
    result = JudgeAgreement(
        judge_model, Agreement(), defaultdict(Agreement), defaultdict(Agreement)
    )
    for key, (verdict, dimension, generator) in expert.items():
        if key in drafts:
            for agreement in (
                result.overall,
                result.by_dimension[dimension],
                result.by_generator[generator],
            ):
                agreement.add(drafts[key], verdict)
    result.by_dimension, result.by_generator = dict(result.by_dimension), dict(result.by_generator)
    return result
