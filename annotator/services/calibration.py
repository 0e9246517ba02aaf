"""Calibration batches: a seeded, uniformly random, stratified sample of a benchmark's
(video, dimension) items, handed out to experts like a judging batch, whose verdicts
correct the judge's score (annotator/selectors/calibration.py)."""

import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import BatchItem, CalibrationSample, Judgment, User, WorkBatch
from annotator.models.choices import WorkKind
from annotator.selectors import calibration
from annotator.selectors.leaderboard import rubric_of, scored_videos
from annotator.selectors.verdicts import Source, judges_of, verdicts_of
from annotator.services.assignments import _assignments_insert, distribute
from annotator.services.verdicts import calibration_done_refresh
from rubrics_app.calibration import stratified_draw
from rubrics_app.models import Benchmark, Release

MAX_SEED = 2**31 - 1


def calibration_batch_create(
    *,
    benchmark: Benchmark,
    release: Release | None,
    judge_model: str | None,
    size: int,
    users: Sequence[User],
    overlap: int = 1,
    seed: int | None = None,
    name: str = "",
    created_by: User | None,
) -> WorkBatch:
    """Draws `size` items of the judge's drafts (stratified by generator model; among
    the items no earlier sample of the same benchmark, criteria and judge took) and
    hands their tasks out, each to `overlap` of the experts: the workspace shows each
    expert the items to verify. The seed (a random one unless given) and the sizes are
    recorded with the sample."""
    if release is not None and release.benchmark_id != benchmark.pk:
        raise InputError(
            gettext("Release %(release)s is not a release of %(benchmark)s.")
            % {"release": release.name, "benchmark": benchmark.name}
        )
    if size < 1:
        raise InputError(gettext("The sample size must be at least 1."))
    if not users:
        raise InputError(gettext("Choose the experts who verify the sample."))
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InputError(gettext("The seed must be between 0 and %(max)d.") % {"max": MAX_SEED})
    judgments = Judgment.objects.filter(video__task__benchmark=benchmark)
    judges = judges_of(judgments)
    if not judges:
        raise InputError(
            gettext("%(benchmark)s has no judge drafts yet: there is nothing to verify.")
            % {"benchmark": benchmark.name}
        )
    if judge_model is None and len(judges) > 1:
        raise InputError(
            gettext("Drafts from several judges (%(judges)s): choose one.")
            % {"judges": ", ".join(judges)}
        )
    judge = judge_model or judges[0]
    if judge not in judges:
        raise InputError(
            gettext("%(benchmark)s has no drafts from the judge %(judge)s.")
            % {"benchmark": benchmark.name, "judge": judge}
        )
    rubric, _ = rubric_of(benchmark, release)
    scored = scored_videos(benchmark, rubric, verdicts_of(judgments, Source.DRAFTS, judge))
    taken = calibration.drawn_items(calibration.samples_of(benchmark, release, judge))
    eligible = {
        generator: [i for i in items if (i.video_id, i.dimension) not in taken]
        for generator, items in calibration.population(scored, rubric).items()
    }
    total = sum(len(items) for items in eligible.values())
    if total == 0 and not taken:
        raise InputError(
            gettext(
                "No video of %(benchmark)s has drafts from %(judge)s on every criterion: "
                "there is nothing to draw."
            )
            % {"benchmark": benchmark.name, "judge": judge}
        )
    if total == 0:
        raise InputError(
            gettext(
                "Earlier calibration samples took all %(n)d items of these criteria and "
                "judge: nothing is left to draw."
            )
            % {"n": len(taken)}
        )
    if size > total:
        raise InputError(
            (
                gettext(
                    "A sample of %(size)d is larger than the %(total)d items there are to draw"
                    " (earlier calibration samples took the others)."
                )
                if taken
                else gettext(
                    "A sample of %(size)d is larger than the %(total)d items there are to draw."
                )
            )
            % {"size": size, "total": total}
        )
    seed = secrets.randbelow(MAX_SEED + 1) if seed is None else seed
    strata = {generator: len(items) for generator, items in eligible.items()}
    picks = stratified_draw(strata, size, seed)
    drawn = [eligible[g][index] for g, index in picks]
    # Tasks in the order their first item was drawn: experts working through their
    # queue leave a random part of the sample verified.
    tasks = list(dict.fromkeys(item.task_id for item in drawn))
    users = sorted(users, key=lambda u: u.pk)
    targets = distribute(len(tasks), len(users), overlap)
    drawn_per_model = dict.fromkeys(strata, 0)
    for g, _ in picks:
        drawn_per_model[g] += 1
    with transaction.atomic():
        batch = WorkBatch.objects.create(
            name=name.strip() or _default_name(benchmark, release, size),
            kind=WorkKind.CALIBRATE,
            overlap=overlap,
            created_by=created_by,
        )
        CalibrationSample.objects.create(
            batch=batch,
            benchmark=benchmark,
            release=release,
            judge_model=judge,
            seed=seed,
            size=size,
            population=total,
            strata={g: [strata[g], drawn_per_model[g]] for g in sorted(strata)},
        )
        BatchItem.objects.bulk_create(
            BatchItem(batch=batch, video_id=item.video_id, dimension=item.dimension, position=k)
            for k, item in enumerate(drawn)
        )
        positions = dict.fromkeys((u.pk for u in users), 0)
        rows = []
        for task_id, indices in zip(tasks, targets, strict=True):
            for index in indices:
                user = users[index]
                rows.append((batch.pk, user.pk, task_id, positions[user.pk]))
                positions[user.pk] += 1
        _assignments_insert(rows, "task_id", created_by)
        # Experts may have verified some items already (their verdicts count: the
        # items were drawn at random, whoever looked at them before).
        calibration_done_refresh(batch.assignments.all())
    return batch


def _default_name(benchmark: Benchmark, release: Release | None, size: int) -> str:
    of = f"{benchmark.name} {release.name}" if release else benchmark.name
    return f"Calibration of {of}: {size} items"
