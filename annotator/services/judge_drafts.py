"""Draft judgments by the GPT judge, following the published protocol so that drafts
are comparable with published results: per video and dimension, one chat request with
the video's 8 judge frames (JPEG, in order) and the task, requirement and that
dimension's criteria numbered in scoring order; the reply's `scores[i]` is the verdict
on the i-th criterion. Replies become draft verdicts exactly as imported judge result
files do (judge_results.drafts_write); experts confirm or override them."""

import base64
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from openai.types.chat import ChatCompletionContentPartImageParam, ChatCompletionMessageParam
from PIL import Image

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.core.jobs import job_create, job_item_finished
from annotator.core.llm import LLMFailed, LLMNotConfigured, LLMReply, chat_json, llm_configured
from annotator.models import GeneratorModel, Job, JudgeEvaluation, Judgment, User, Video
from annotator.models.choices import EvaluationStatus, MediaStatus, VerdictSource, VideoKind
from annotator.services.judge_results import DraftResult, drafts_write
from annotator.video_analysis import JUDGE_FRAMES
from rubrics_app.choices import Dimension, Polarity
from rubrics_app.models import Benchmark, Criterion, Task
from rubrics_app.selectors import live_criteria

JOB_KIND = "judge_drafts"
# Stored on every evaluation: change it whenever JUDGE_PROMPT or the way criteria and
# frames are sent changes, so drafts say which protocol made them.
JUDGE_PROMPT_VERSION = "mwb-judge-1"
JUDGE_PROMPT = """\
You are an expert biologist judging a video made by a video generation model. You are
shown {frames} frames taken evenly across the video, in order from first to last.

Task given to the model: {prompt}

Detailed requirement: {requirement}

Judge the video's {dimension} against each criterion below, in order. Each criterion
is a positive point or a penalty point:
- positive point: score 1 if the video meets it, 0 if it does not;
- penalty point: score 1 if the video shows the described error, 0 if it does not.

Criteria ({dimension}):
{criteria}

Answer with strict JSON only, no other text, in this shape:
{{"scores": [<exactly {n} scores, each 0 or 1, in the order of the criteria>],
 "reasoning": "<why, in a few sentences>"}}"""
POINT_NAMES = {Polarity.POSITIVE: "positive point", Polarity.PENALTY: "penalty point"}

# How the frames are sent, try after try: as the media pipeline stored them, then
# re-encoded smaller (JPEG quality, longest side in pixels) each time the endpoint
# refuses the request as too large (HTTP 413).
COMPRESSION_STEPS: list[tuple[int, int] | None] = [None, (60, 768), (40, 512)]


class ItemFailure(Exception):
    """The item failed for a reason stated before any reply came back."""


T = TypeVar("T")


@dataclass
class Outcome(Generic[T]):
    """What came of one request: the parsed reply, or the error and any raw text."""

    error: str = ""
    raw: str = ""
    reply: LLMReply | None = None
    result: T | None = None


def prompt_text(task: Task, dimension: str, criteria: list[Criterion]) -> str:
    lines = "\n".join(
        f"{n}. ({POINT_NAMES[Polarity(c.polarity)]}) {c.text}"
        for n, c in enumerate(criteria, start=1)
    )
    # The published protocol's English words, whatever language the request that
    # queued the drafts was answered in.
    with translation.override("en"):
        dimension_name = Dimension(dimension).label.lower()
    return JUDGE_PROMPT.format(
        frames=JUDGE_FRAMES,
        prompt=task.prompt,
        requirement=task.requirement,
        dimension=dimension_name,
        criteria=lines,
        n=len(criteria),
    )


def messages_for(text: str, frames: list[bytes]) -> list[ChatCompletionMessageParam]:
    """One user message: the text, then the frames in order as JPEG data URLs."""
    images: list[ChatCompletionContentPartImageParam] = [
        {
            "type": "image_url",
            "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(f).decode()},
        }
        for f in frames
    ]
    return [{"role": "user", "content": [{"type": "text", "text": text}, *images]}]


def compress(jpeg: bytes, quality: int, max_side: int) -> bytes:
    """The frame re-encoded as JPEG at `quality`, its longest side at most `max_side`."""
    with Image.open(io.BytesIO(jpeg)) as original:
        image = original.convert("RGB")
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def judge_frames_read(video: Video) -> list[bytes]:
    """The video's 8 judge frames, in order; ItemFailure says why they cannot be had."""
    if video.media_status != MediaStatus.READY:
        raise ItemFailure(
            f"media not ready (status: {video.get_media_status_display()}): the video has "
            f"no judge frames yet" + (f"; {video.media_error}" if video.media_error else "")
        )
    if len(video.judge_frames) != JUDGE_FRAMES:
        raise ItemFailure(
            f"the video has {len(video.judge_frames)} judge frames, {JUDGE_FRAMES} needed: "
            "process its media again"
        )
    frames = []
    for name in video.judge_frames:
        try:
            with default_storage.open(name) as fh:
                frames.append(fh.read())
        except OSError as exc:
            raise ItemFailure(f"judge frame {name} cannot be read: {exc}") from exc
    return frames


def parse_scores(data: Any, expected: int) -> tuple[list[int], str]:
    """(scores, reasoning) of a reply; ValueError says what does not fit."""
    if not isinstance(data, dict):
        raise ValueError('expected a JSON object {"scores": [...], "reasoning": "..."}')
    scores = data.get("scores")
    if not isinstance(scores, list) or any(
        isinstance(s, bool) or not isinstance(s, int | float) or s not in (0, 1) for s in scores
    ):
        raise ValueError(f"scores: expected a list of 0 and 1, got {scores!r:.200}")
    if len(scores) != expected:
        raise ValueError(f"{len(scores)} scores for {expected} criteria")
    reasoning = data.get("reasoning", "")
    return [int(s) for s in scores], reasoning if isinstance(reasoning, str) else str(reasoning)


def ask_with_frames(text: str, frames: list[bytes], parse: Callable[[Any], T]) -> Outcome[T]:
    """The request and its reply's JSON parsed (`parse` raises ValueError when it does
    not fit). Sent again with smaller frames while the endpoint answers 413; the openai
    client itself retries 429 (honouring Retry-After), 5xx and timeouts,
    LLM_MAX_RETRIES times."""
    for step, compression in enumerate(COMPRESSION_STEPS):
        images = frames if compression is None else [compress(f, *compression) for f in frames]
        try:
            reply = chat_json(messages_for(text, images))
        except LLMFailed as exc:
            if exc.status_code == 413 and step + 1 < len(COMPRESSION_STEPS):
                continue
            error = str(exc)
            if exc.status_code == 413:
                quality, side = COMPRESSION_STEPS[-1] or (0, 0)
                error += f" (even with frames at JPEG quality {quality}, long side {side} px)"
            return Outcome(error=error, raw=exc.raw)
        try:
            result = parse(reply.data)
        except ValueError as exc:
            return Outcome(error=f"the reply does not fit: {exc}", raw=reply.raw, reply=reply)
        return Outcome(raw=reply.raw, reply=reply, result=result)
    raise AssertionError("unreachable")


def _where(video: Video, dimension: str) -> str:
    # Only generated videos are judged, and they have a task and a model (a check
    # constraint on Video).
    task, generator = cast(Task, video.task), cast(GeneratorModel, video.generator)
    return f"task {task.index}, {generator.name}, {dimension} (video {video.pk})"


def _item(video_id: int, dimension: str) -> str:
    """The job item of one video and dimension (failed_pairs reads it back)."""
    return f"{video_id}:{dimension}"


def judge_video_dimension(
    *, video_id: int, dimension: str, job_id: int | None = None
) -> JudgeEvaluation:
    """Judges one dimension of one generated video and stores the reply: draft verdicts
    for a good one, a failed evaluation with the raw text and no verdicts otherwise.
    Re-running replaces this judge's evaluation and drafts for the video and dimension.
    With a job, the item is counted on it, in the same transaction as the result."""
    item = _item(video_id, dimension)
    video = Video.objects.select_related("task", "generator").filter(pk=video_id).first()
    if video is None or video.kind != VideoKind.GENERATED:
        if job_id is not None:
            why = "deleted since it was queued" if video is None else "not a generated video"
            failure = f"video {video_id}, {dimension}: {why}"
            job_item_finished(job_id=job_id, item=item, failure=failure)
        raise Video.DoesNotExist(f"no generated video {video_id}")
    if not llm_configured():
        if job_id is not None:
            failure = f"{_where(video, dimension)}: {LLMNotConfigured()}"
            job_item_finished(job_id=job_id, item=item, failure=failure)
        raise LLMNotConfigured()
    criteria = list(live_criteria().filter(task=video.task, dimension=dimension))
    outcome: Outcome[tuple[list[int], str]]
    try:
        if not criteria:
            raise ItemFailure("the task has no criteria in this dimension")
        outcome = ask_with_frames(
            prompt_text(cast(Task, video.task), dimension, criteria),  # generated: has one
            judge_frames_read(video),
            lambda data: parse_scores(data, len(criteria)),
        )
    except ItemFailure as exc:
        outcome = Outcome(error=str(exc))

    reply = outcome.reply
    # The configured model name, so that re-runs replace the same judge's drafts even
    # when the endpoint reports a dated model snapshot.
    judge_model = settings.LLM_MODEL or (reply.model if reply else "")
    for attempt in range(2):
        try:
            with transaction.atomic():
                if outcome.result is not None and reply is not None:
                    evaluation = _store_ok(video, dimension, criteria, outcome, reply, judge_model)
                else:
                    evaluation = _store_failed(video, dimension, outcome, judge_model)
                if job_id is not None:
                    failure = "" if evaluation.status == EvaluationStatus.OK else evaluation.error
                    job_item_finished(
                        job_id=job_id,
                        item=item,
                        failure=failure and f"{_where(video, dimension)}: {failure}",
                    )
            return evaluation
        except IntegrityError:
            # Another run stored the same video and dimension at the same moment (two
            # jobs overlapping): store over it, now that its rows exist.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _store_ok(
    video: Video,
    dimension: str,
    criteria: list[Criterion],
    outcome: Outcome[tuple[list[int], str]],
    reply: LLMReply,
    judge_model: str,
) -> JudgeEvaluation:
    scores, reasoning = outcome.result or ([], "")
    drafts_write(
        [
            DraftResult(
                video=video,
                dimension=dimension,
                criteria=criteria,
                scores=scores,
                raw_response=reply.raw,
                reasoning=reasoning,
                prompt_tokens=reply.prompt_tokens,
                completion_tokens=reply.completion_tokens,
            )
        ],
        judge_model=judge_model,
        prompt_version=JUDGE_PROMPT_VERSION,
    )
    # Drafts of this judge on criteria retired since its last run go with the old reply.
    _drafts(video, dimension, judge_model).exclude(criterion__in=criteria).delete()
    return JudgeEvaluation.objects.get(video=video, dimension=dimension, judge_model=judge_model)


def _store_failed(
    video: Video, dimension: str, outcome: Outcome[Any], judge_model: str
) -> JudgeEvaluation:
    reply = outcome.reply
    evaluation, _ = JudgeEvaluation.objects.update_or_create(
        video=video,
        dimension=dimension,
        judge_model=judge_model,
        defaults={
            "status": EvaluationStatus.FAILED,
            "error": outcome.error,
            "raw_response": outcome.raw,
            "reasoning": "",
            "prompt_version": JUDGE_PROMPT_VERSION,
            "prompt_tokens": reply.prompt_tokens if reply else None,
            "completion_tokens": reply.completion_tokens if reply else None,
        },
    )
    # A failed reply replaces the judge's earlier verdicts too: never a silent verdict
    # that the stored reply does not back.
    _drafts(video, dimension, judge_model).delete()
    return evaluation


def _drafts(video: Video, dimension: str, judge_model: str) -> QuerySet[Judgment]:
    return Judgment.objects.filter(
        video=video,
        source=VerdictSource.LLM,
        judge_model=judge_model,
        criterion__dimension=dimension,
    )


def check_can_start(user: User, what: str | None = None) -> None:
    """`what` is the (translated) name of the work; draft judgments by default."""
    if not getattr(user, "is_admin", False):
        what = what or gettext("draft judgments")
        raise PermissionDenied(gettext("Only admins can start %(what)s.") % {"what": what})
    if not llm_configured():
        raise LLMNotConfigured()


def _queue(pairs: list[tuple[int, str]], user: User, description: str) -> Job:
    from annotator.tasks import judge_draft_task

    with transaction.atomic():
        job = job_create(kind=JOB_KIND, total=len(pairs), user=user, description=description[:200])
        queue.enqueue(judge_draft_task, [(v, d, job.pk) for v, d in pairs])
    return job


def judge_drafts_start(*, videos: QuerySet[Video], user: User, description: str = "") -> Job:
    """One job drafting judgments for every generated video given, on all three
    dimensions: one task (one model request) per video and dimension on the workers
    of the "judge" queue."""
    check_can_start(user)
    video_ids = list(
        videos.filter(kind=VideoKind.GENERATED).order_by("pk").values_list("pk", flat=True)
    )
    pairs = [(v, d) for v in video_ids for d in Dimension.values]
    n = len(video_ids)
    return _queue(
        pairs,
        user,
        description or f"draft judgments: {n} video{'s' if n != 1 else ''} x 3 dimensions",
    )


def failed_pairs(job: Job) -> list[tuple[int, str]]:
    """The (video, dimension) items that failed in the job, less those the configured
    judge has judged successfully since and videos deleted since."""
    pairs = []
    for key in job.items.exclude(failure="").order_by("pk").values_list("key", flat=True):
        video_id, dimension = key.split(":")
        pairs.append((int(video_id), dimension))
    ok = set(
        JudgeEvaluation.objects.filter(
            video_id__in={v for v, _ in pairs},
            judge_model=settings.LLM_MODEL,
            status=EvaluationStatus.OK,
        ).values_list("video_id", "dimension")
    )
    existing = set(Video.objects.filter(pk__in={v for v, _ in pairs}).values_list("pk", flat=True))
    return list(dict.fromkeys(p for p in pairs if p not in ok and p[0] in existing))


def judge_drafts_rerun(*, job: Job, user: User) -> Job:
    """A new job for the failed items of `job`."""
    check_can_start(user)
    pairs = failed_pairs(job)
    return _queue(pairs, user, f"re-run the {len(pairs)} failures of job #{job.pk}")


def _chosen(model, value: str, what: str):
    if not value:
        return None
    try:
        return model.objects.get(pk=int(value))
    except (ValueError, model.DoesNotExist):
        raise InputError(
            gettext("%(what)s %(value)s: there is no such %(what)s.")
            % {"what": what, "value": repr(value)}
        ) from None


def _videos(videos: QuerySet[Video]) -> str:
    n = videos.count()
    return f"{n} video{'s' if n != 1 else ''}"


def videos_chosen(data: Mapping[str, str]) -> tuple[QuerySet[Video], str]:
    """The generated videos a start form (page or API) names, and a description for
    the job; InputError when it names none."""
    videos, description = _videos_named(data)
    if not videos.exists():
        raise InputError(gettext("No generated videos there: nothing to judge."))
    return videos, description


def _videos_named(data: Mapping[str, str]) -> tuple[QuerySet[Video], str]:
    generated = Video.objects.filter(kind=VideoKind.GENERATED)
    scope = data.get("scope")
    if scope == "video":
        video = _chosen(Video, data.get("video", "").strip(), "video")
        if video is None:
            raise InputError(gettext("Give the id of a video."))
        if video.kind != VideoKind.GENERATED:
            raise InputError(
                gettext("Video %(video)s is a dataset clip: only generated videos are judged.")
                % {"video": video.pk}
            )
        return generated.filter(pk=video.pk), f"draft judgments: video {video.pk} ({video})"
    benchmark = _chosen(Benchmark, data.get("benchmark", ""), "benchmark")
    if scope == "generator":
        generator = _chosen(GeneratorModel, data.get("generator", ""), "model")
        if generator is None:
            raise InputError(gettext("Choose a generator model."))
        videos = generated.filter(generator=generator)
        where = f" in {benchmark.name}" if benchmark else ""
        if benchmark:
            videos = videos.filter(task__benchmark=benchmark)
        return videos, f"draft judgments: {generator.name}{where}, {_videos(videos)}"
    if scope == "benchmark":
        if benchmark is None:
            raise InputError(gettext("Choose a benchmark."))
        videos = generated.filter(task__benchmark=benchmark)
        return videos, f"draft judgments: {benchmark.name}, {_videos(videos)}"
    raise InputError(gettext("Choose a video, a model or a benchmark."))
