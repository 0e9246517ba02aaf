from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet
from django.urls import reverse

from annotator.core.commands import reports_input_errors
from annotator.core.errors import InputError
from annotator.core.llm import LLMNotConfigured
from annotator.models import ClipSuggestion, Video, WorkBatch
from annotator.models.choices import ClipStatus, EvaluationStatus, VideoKind
from annotator.services.clip_drafts import clip_drafts_run, clip_drafts_start


def chosen_clips(*, batch: int | None, pending: bool, ids: str | None) -> QuerySet[Video]:
    """The dataset clips the options name, all of them together (and)."""
    if batch is None and not pending and ids is None:
        raise InputError("Say which clips: --batch, --pending and/or --ids.")
    clips = Video.objects.filter(kind=VideoKind.DATASET)
    if batch is not None:
        if not WorkBatch.objects.filter(pk=batch).exists():
            raise InputError(f"--batch {batch}: there is no such work batch.")
        clips = clips.filter(assignments__batch_id=batch).distinct()
    if ids is not None:
        try:
            pks = {int(part) for part in ids.split(",") if part.strip()}
        except ValueError:
            raise InputError(f"--ids {ids!r}: expected clip ids separated by commas") from None
        found = set(clips.filter(pk__in=pks).values_list("pk", flat=True))
        where = " of the batch" if batch is not None else ""
        if missing := sorted(pks - found):
            raise InputError([f"--ids: {pk} is not a dataset clip{where}." for pk in missing])
        clips = clips.filter(pk__in=pks)
    if pending:
        clips = clips.filter(clip_status=ClipStatus.PENDING)
    return clips


class Command(BaseCommand):
    help = (
        "Ask the configured model to suggest a caption, a decision and a level for dataset "
        "clips: shown to the experts as suggestions, never as decisions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="the clips of this work batch (id)")
        parser.add_argument("--pending", action="store_true", help="only clips not decided yet")
        parser.add_argument("--ids", help="these clips: 1,2,3")
        parser.add_argument(
            "--sync", action="store_true", help="ask from here, clip after clip, not on workers"
        )

    @reports_input_errors
    def handle(self, *args, batch, pending, ids, sync, **options):
        clips = chosen_clips(batch=batch, pending=pending, ids=ids)
        try:
            if sync:
                job = clip_drafts_run(videos=clips, user=None, on_clip=self._clip_done)
            else:
                job = clip_drafts_start(videos=clips, user=None)
        except LLMNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        job.refresh_from_db()
        self.stdout.write(
            f"job #{job.pk}: {job.finished} of {job.total} clips done, "
            f"{job.succeeded} succeeded, {job.failed} failed"
        )
        if sync:
            return  # each clip was reported as it finished
        for failure in job.failures:
            self.stderr.write(failure)
        if job.finished < job.total:
            self.stdout.write(
                "the rest is queued for the judge workers; follow it at "
                + reverse("job-detail", args=[job.pk])
            )

    def _clip_done(self, suggestion: ClipSuggestion) -> None:
        if suggestion.status == EvaluationStatus.OK:
            self.stdout.write(
                f"clip {suggestion.video_id}: {suggestion.decision}, {suggestion.level}"
            )
        else:
            self.stderr.write(f"clip {suggestion.video_id}: {suggestion.error}")
