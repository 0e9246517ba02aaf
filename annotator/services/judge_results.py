"""Judge result files (`<Model>_result.json`): imported as draft verdicts, exported
from drafts or from human-confirmed verdicts."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import GeneratorModel, JudgeEvaluation, Judgment, Video
from annotator.models.choices import (
    EvaluationStatus,
    MediaStatus,
    VerdictSource,
    VerdictStatus,
    VideoKind,
)
from annotator.selectors.verdicts import Source, judge_choose, verdicts_of
from rubrics_app.choices import Dimension
from rubrics_app.models import Benchmark, Criterion, Task
from rubrics_app.selectors import live_criteria

EVAL_KEYS = {dimension: f"{dimension}_eval" for dimension in Dimension.values}
IMPORTED_JUDGE = "published-judge"
IMPORTED_PROMPT_VERSION = "published"


@dataclass
class ResultsImportReport:
    generator: GeneratorModel
    entries: int = 0
    dimensions_imported: int = 0
    dimensions_skipped: int = 0
    videos_created: int = 0
    verdicts_created: int = 0
    verdicts_updated: int = 0
    verdicts_unchanged: int = 0
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"model {self.generator.name}: {self.entries} entries; dimensions "
            f"{self.dimensions_imported} imported, {self.dimensions_skipped} skipped; "
            f"videos {self.videos_created} created; draft verdicts {self.verdicts_created} "
            f"created, {self.verdicts_updated} updated, {self.verdicts_unchanged} unchanged"
        ]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


@dataclass
class _DimensionResult:
    index: int
    dimension: str
    scores: list[int]
    raw_response: str
    reasoning: str


def _scores(value: Any) -> list[int] | None:
    if not isinstance(value, list):
        return None
    scores = []
    for score in value:
        if isinstance(score, bool) or not isinstance(score, int | float) or score not in (0, 1):
            return None
        scores.append(int(score))
    return scores


def _parse_dimension(
    index: int, dimension: str, evaluation: Any, expected: int, warnings: list[str]
) -> _DimensionResult | None:
    where = f"task {index}, {EVAL_KEYS[dimension]}"
    if evaluation is None:
        warnings.append(f"{where}: null (the judge failed); not imported")
        return None
    parsed = evaluation.get("parsed_result") if isinstance(evaluation, dict) else None
    if not isinstance(parsed, dict):
        warnings.append(f"{where}: no parsed_result object; not imported")
        return None
    scores = _scores(parsed.get("scores"))
    if scores is None:
        warnings.append(
            f"{where}.parsed_result.scores: expected a list of 0 and 1, "
            f"got {parsed.get('scores')!r}; not imported"
        )
        return None
    if len(scores) != expected:
        warnings.append(f"{where}: {len(scores)} scores for {expected} criteria; not imported")
        return None
    raw = evaluation.get("raw_response", "")
    reasoning = parsed.get("reasoning", "")
    return _DimensionResult(
        index,
        dimension,
        scores,
        raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False),
        reasoning if isinstance(reasoning, str) else json.dumps(reasoning, ensure_ascii=False),
    )


def _criteria_by_task(benchmark: Benchmark) -> dict[int, dict[str, list[Criterion]]]:
    grouped: dict[int, dict[str, list[Criterion]]] = defaultdict(lambda: defaultdict(list))
    for criterion in live_criteria().filter(task__benchmark=benchmark).select_related("task"):
        grouped[criterion.task.index][criterion.dimension].append(criterion)
    return grouped


def results_import(
    *,
    benchmark: Benchmark,
    generator_name: str,
    data: Any,
    judge_model: str = IMPORTED_JUDGE,
    prompt_version: str = IMPORTED_PROMPT_VERSION,
) -> ResultsImportReport:
    """Draft llm verdicts from a judge result file. A dimension that is null, or whose
    scores do not match its criteria, is reported and skipped whole; the entry's other
    dimensions are imported. A malformed file raises InputError and writes nothing."""
    if not isinstance(data, list):
        raise InputError(
            gettext("judge result file: expected a JSON array, got %(type)s")
            % {"type": type(data).__name__}
        )
    criteria = _criteria_by_task(benchmark)
    task_indices = set(benchmark.tasks.values_list("index", flat=True))
    errors: list[str] = []
    warnings: list[str] = []
    seen: set[int] = set()
    paths: dict[int, str] = {}
    results: list[_DimensionResult] = []
    for position, entry in enumerate(data, start=1):
        index = entry.get("index") if isinstance(entry, dict) else None
        if isinstance(index, bool) or not isinstance(index, int):
            errors.append(
                f"entry {position}, key 'index': expected an object with an "
                f"integer index, got {entry!r:.80}"
            )
            continue
        if index in seen:
            errors.append(f"task {index}, key 'index': the index appears more than once")
            continue
        seen.add(index)
        if index not in task_indices:
            warnings.append(f"task {index}: not in benchmark {benchmark.name}; skipped")
            continue
        path = entry.get("video_path", "")
        if not isinstance(path, str):
            errors.append(f"task {index}, key 'video_path': expected a string, got {path!r}")
            continue
        paths[index] = path
        for dimension in Dimension.values:
            result = _parse_dimension(
                index,
                dimension,
                entry.get(EVAL_KEYS[dimension]),
                len(criteria[index][dimension]),
                warnings,
            )
            if result:
                results.append(result)
    if errors:
        raise InputError(errors)

    with transaction.atomic():
        generator, _ = GeneratorModel.objects.get_or_create(name=generator_name)
        report = ResultsImportReport(generator=generator, warnings=warnings)
        report.entries = len(paths)
        report.dimensions_imported = len(results)
        report.dimensions_skipped = 3 * len(paths) - len(results)
        videos = _videos_for(benchmark, generator, paths, report)
        _write_drafts(results, videos, criteria, judge_model, prompt_version, report)
    return report


def _videos_for(
    benchmark: Benchmark,
    generator: GeneratorModel,
    paths: dict[int, str],
    report: ResultsImportReport,
) -> dict[int, Video]:
    """The model's video for each task index, created without a file where the
    video itself has not been imported yet."""
    videos = {
        cast(Task, v.task).index: v  # filtered on their task
        for v in Video.objects.filter(
            kind=VideoKind.GENERATED,
            generator=generator,
            task__benchmark=benchmark,
            task__index__in=paths,
        ).select_related("task")
    }
    tasks = {t.index: t for t in benchmark.tasks.filter(index__in=paths)}
    created, changed = [], []
    for index, path in paths.items():
        video = videos.get(index)
        if video is None:
            video = videos[index] = Video(
                kind=VideoKind.GENERATED,
                task=tasks[index],
                generator=generator,
                source_path=path,
                media_status=MediaStatus.MISSING,
            )
            created.append(video)
        elif path and video.source_path != path:
            video.source_path = path
            changed.append(video)
    Video.objects.bulk_create(created)
    Video.objects.bulk_update(changed, ["source_path"])
    report.videos_created = len(created)
    return videos


def _write_drafts(
    results: list[_DimensionResult],
    videos: dict[int, Video],
    criteria: dict[int, dict[str, list[Criterion]]],
    judge_model: str,
    prompt_version: str,
    report: ResultsImportReport,
) -> None:
    written = drafts_write(
        [
            DraftResult(
                video=videos[r.index],
                dimension=r.dimension,
                criteria=criteria[r.index][r.dimension],
                scores=r.scores,
                raw_response=r.raw_response,
                reasoning=r.reasoning,
            )
            for r in results
        ],
        judge_model=judge_model,
        prompt_version=prompt_version,
    )
    report.verdicts_created = written.created
    report.verdicts_updated = written.updated
    report.verdicts_unchanged = written.unchanged


@dataclass
class DraftResult:
    """One good judge reply: the verdicts on one dimension of one video, `scores[i]`
    for `criteria[i]` (that dimension's live criteria in scoring order)."""

    video: Video
    dimension: str
    criteria: list[Criterion]
    scores: list[int]
    raw_response: str
    reasoning: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class DraftsWritten:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def drafts_write(
    results: list[DraftResult], *, judge_model: str, prompt_version: str
) -> DraftsWritten:
    """Upserts one ok JudgeEvaluation per result and a draft llm Judgment per criterion,
    for imported judge result files and live judge replies alike. Run inside a
    transaction."""
    video_ids = list({r.video.pk for r in results})
    evaluations = {
        (e.video_id, e.dimension): e
        for e in JudgeEvaluation.objects.filter(video_id__in=video_ids, judge_model=judge_model)
    }
    drafts = {
        (j.video_id, j.criterion_id): j
        for j in Judgment.objects.filter(
            video_id__in=video_ids, source=VerdictSource.LLM, judge_model=judge_model
        )
    }
    new_evaluations, changed_evaluations = [], []
    now = timezone.now()
    for result in results:
        video = result.video
        values = {
            "raw_response": result.raw_response,
            "reasoning": result.reasoning,
            "prompt_version": prompt_version,
            "status": EvaluationStatus.OK,
            "error": "",
            "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens,
        }
        evaluation = evaluations.get((video.pk, result.dimension))
        if evaluation is None:
            evaluation = evaluations[(video.pk, result.dimension)] = JudgeEvaluation(
                video=video, dimension=result.dimension, judge_model=judge_model, **values
            )
            new_evaluations.append(evaluation)
        elif any(getattr(evaluation, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(evaluation, k, v)
            evaluation.updated_at = now  # bulk_update does not apply auto_now
            changed_evaluations.append(evaluation)
    JudgeEvaluation.objects.bulk_create(new_evaluations, batch_size=2000)
    JudgeEvaluation.objects.bulk_update(
        changed_evaluations,
        [
            "raw_response",
            "reasoning",
            "prompt_version",
            "status",
            "error",
            "prompt_tokens",
            "completion_tokens",
            "updated_at",
        ],
        batch_size=2000,
    )

    written = DraftsWritten()
    new_drafts, changed_drafts = [], []
    for result in results:
        video = result.video
        evaluation = evaluations[(video.pk, result.dimension)]
        for criterion, verdict in zip(result.criteria, result.scores, strict=True):
            draft = drafts.get((video.pk, criterion.pk))
            if draft is None:
                new_drafts.append(
                    Judgment(
                        video=video,
                        criterion=criterion,
                        verdict=verdict,
                        source=VerdictSource.LLM,
                        judge_model=judge_model,
                        evaluation=evaluation,
                        status=VerdictStatus.DRAFT,
                    )
                )
            elif draft.verdict != verdict or draft.evaluation_id != evaluation.pk:
                draft.verdict, draft.evaluation = verdict, evaluation
                changed_drafts.append(draft)
            else:
                written.unchanged += 1
    Judgment.objects.bulk_create(new_drafts, batch_size=5000)
    Judgment.objects.bulk_update(changed_drafts, ["verdict", "evaluation"], batch_size=5000)
    written.created, written.updated = len(new_drafts), len(changed_drafts)
    return written


def results_export(
    *,
    benchmark: Benchmark,
    generator: GeneratorModel,
    confirmed: bool = False,
    judge_model: str | None = None,
) -> list[dict[str, Any]]:
    """The judge result file of one model: from one judge's drafts, or from
    human-confirmed verdicts (the latest confirmed verdict per criterion where several
    experts confirmed). A dimension with any criterion lacking a verdict is null."""
    if not confirmed:
        own = Judgment.objects.filter(video__generator=generator, video__task__benchmark=benchmark)
        judge_model = judge_choose(own, judge_model) or IMPORTED_JUDGE
    videos = list(
        Video.objects.filter(
            kind=VideoKind.GENERATED, generator=generator, task__benchmark=benchmark
        )
        .select_related("task")
        .order_by("task__index")
    )
    criteria = _criteria_by_task(benchmark)
    verdicts = verdicts_of(
        Judgment.objects.filter(video__in=videos),
        Source.CONFIRMED if confirmed else Source.DRAFTS,
        judge_model,
    )
    evaluations = (
        {}
        if confirmed
        else {
            (e.video_id, e.dimension): e
            for e in JudgeEvaluation.objects.filter(
                video__in=videos, judge_model=judge_model, status=EvaluationStatus.OK
            )
        }
    )
    entries = []
    for video in videos:
        task = cast(Task, video.task)  # filtered on their task
        entry: dict[str, Any] = {
            "index": task.index,
            "video_path": video.source_path or video.file.name,
        }
        for dimension in Dimension.values:
            scores = [verdicts.get((video.pk, c.pk)) for c in criteria[task.index][dimension]]
            evaluation = evaluations.get((video.pk, dimension))
            if None in scores or not (confirmed or evaluation):
                entry[EVAL_KEYS[dimension]] = None
                continue
            entry[EVAL_KEYS[dimension]] = {
                "raw_response": evaluation.raw_response if evaluation else "",
                "parsed_result": {
                    "scores": scores,
                    "reasoning": evaluation.reasoning if evaluation else "",
                },
            }
        entries.append(entry)
    return entries
