"""A hand-made benchmark for the rubric health tests, its counts worked out by hand
(tests/annotator/test_rubric_health.py checks them; the page and API tests reuse it)."""

from decimal import Decimal

from annotator.models import Judgment
from annotator.models.choices import VerdictSource, VerdictStatus
from rubrics_app.choices import CriterionStatus, Dimension, Level, Polarity
from rubrics_app.models import Criterion
from tests.factories import (
    BenchmarkFactory,
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    UserFactory,
    VideoFactory,
)

MODELS = ["A", "B", "C", "D"]


def small_thresholds(settings) -> None:
    """Thresholds small enough for four videos a task and two experts (the page and
    the API read them from the settings)."""
    settings.RUBRIC_HEALTH_MIN_PAIRS = 4
    settings.RUBRIC_HEALTH_MIN_OVERLAP = 2
    settings.RUBRIC_HEALTH_MIN_VIDEOS = 3


def drafts(criterion: Criterion, videos, verdicts: list[int], judge: str = "gpt-judge") -> None:
    for video, verdict in zip(videos, verdicts, strict=True):
        Judgment.objects.create(
            video=video,
            criterion=criterion,
            verdict=verdict,
            source=VerdictSource.LLM,
            judge_model=judge,
            status=VerdictStatus.DRAFT,
        )


def expert(criterion: Criterion, videos, verdicts: list[int | None], user) -> None:
    for video, verdict in zip(videos, verdicts, strict=True):
        if verdict is not None:
            Judgment.objects.create(
                video=video,
                criterion=criterion,
                verdict=verdict,
                source=VerdictSource.HUMAN,
                user=user,
                status=VerdictStatus.CONFIRMED,
            )


def health_world() -> dict:
    """Two tasks, each with one video of models A to D; two experts.

    task 1 (Cellular-level)
      c1 scientific +  drafts 1 1 1 0, expert 1 0 0 0: 1·1=1 1·0=2 0·1=0 0·0=1; accuracy
         1/2, over-calls 2/4, under-calls 0; kappa (0.5 - 0.375) / 0.625 = 0.2
      c2 visual +      drafts 1 0 1 0 = expert: kappa 1 (another judge's opposite drafts
         do not count)
      c3 instruction + no drafts; e1 1 0 1 0, e2 (later) 0 1 1 0: unanimous on 2 of 4;
         alpha = 1 - (n - 1) o01 / (n0 n1) = 1 - 7 * 2 / 16 = 0.125
    task 2 (Organ-level)
      c4 scientific -  drafts 0 0 0 0: penalty never triggered
      c5 visual +      drafts 1 1 1 1: does not discriminate
      c6 instruction + weight 0, drafts 1 0 1 0: zero weight only
      c7 instruction - drafts 1 1 1 1, e1 1 on A: always present, does not discriminate
      c8 visual +      drafts 1 1 on A and B only: too few videos to say
    """
    benchmark = BenchmarkFactory(name="health")
    e1, e2 = UserFactory(username="e1"), UserFactory(username="e2")
    tasks = [
        TaskFactory(benchmark=benchmark, index=1, level=Level.CELLULAR),
        TaskFactory(benchmark=benchmark, index=2, level=Level.ORGAN),
    ]
    generators = [GeneratorModelFactory(name=name) for name in MODELS]
    videos = [[VideoFactory(task=t, generator=g) for g in generators] for t in tasks]

    def criterion(task, dimension, number, **fields):
        return CriterionFactory(task=tasks[task], dimension=dimension, number=number, **fields)

    penalty = {"polarity": Polarity.PENALTY}
    c = {
        1: criterion(0, Dimension.SCIENTIFIC, 1),
        2: criterion(0, Dimension.VISUAL, 1),
        3: criterion(0, Dimension.INSTRUCTION, 1),
        4: criterion(1, Dimension.SCIENTIFIC, 1, **penalty),
        5: criterion(1, Dimension.VISUAL, 1),
        6: criterion(1, Dimension.INSTRUCTION, 1, weight=Decimal(0)),
        7: criterion(1, Dimension.INSTRUCTION, 2, **penalty),
        8: criterion(1, Dimension.VISUAL, 2),
    }
    drafts(c[1], videos[0], [1, 1, 1, 0])
    expert(c[1], videos[0], [1, 0, 0, 0], e1)
    drafts(c[2], videos[0], [1, 0, 1, 0])
    drafts(c[2], videos[0], [0, 1, 0, 1], judge="zz-judge")
    expert(c[2], videos[0], [1, 0, 1, 0], e1)
    expert(c[3], videos[0], [1, 0, 1, 0], e1)
    expert(c[3], videos[0], [0, 1, 1, 0], e2)
    drafts(c[4], videos[1], [0, 0, 0, 0])
    drafts(c[5], videos[1], [1, 1, 1, 1])
    drafts(c[6], videos[1], [1, 0, 1, 0])
    drafts(c[7], videos[1], [1, 1, 1, 1])
    expert(c[7], videos[1], [1, None, None, None], e1)
    drafts(c[8], videos[1][:2], [1, 1])
    retired = criterion(1, Dimension.VISUAL, 9, status=CriterionStatus.RETIRED, weight=0)
    drafts(retired, videos[1], [0, 0, 0, 0])
    return {"benchmark": benchmark, "criteria": c, "tasks": tasks, "experts": (e1, e2)}
