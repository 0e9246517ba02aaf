"""Bringing video files into storage: content-addressed by sha256, so the same file
is never stored twice, and queued for the media pipeline once committed."""

import hashlib
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext

from annotator.core import queue
from annotator.core.errors import InputError
from annotator.models import GeneratorModel, ImportBatch, User, Video
from annotator.models.choices import MediaStatus, VideoKind
from rubrics_app.models import Benchmark, Task

VIDEO_EXTENSIONS = {".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v"}
_CHUNK = 1024 * 1024


def video_name_check(name: str) -> None:
    """Refuses a file whose extension is not a video's, naming the ones that are."""
    if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
        raise InputError(
            gettext("%(name)s: not a video file (%(extensions)s)")
            % {"name": name, "extensions": ", ".join(sorted(VIDEO_EXTENSIONS))}
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _store(path: Path, sha256: str) -> str:
    """Saves the file under a name derived from its content; an existing copy is
    reused, which makes re-imports (and retried imports) write nothing new."""
    name = f"videos/{sha256[:2]}/{sha256}{path.suffix.lower()}"
    if not default_storage.exists(name):
        with open(path, "rb") as fh:
            saved = default_storage.save(name, File(fh))
        if saved != name:
            raise RuntimeError(f"storage saved {name} as {saved}")
    return name


def queue_processing(video_ids: Iterable[int]) -> None:
    """Queues the media pipeline for these videos once the transaction commits."""
    from annotator.tasks import video_process

    queue.enqueue(video_process, [(video_id,) for video_id in video_ids])


class Outcome(StrEnum):
    CREATED = "created"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"


@dataclass
class Added:
    video: Video
    outcome: Outcome
    message: str = ""


def video_add(
    *,
    path: Path,
    name: str,
    kind: str,
    task: Task | None = None,
    generator: GeneratorModel | None = None,
    batch: ImportBatch | None = None,
    clip_fields: dict[str, Any] | None = None,
) -> Added:
    """Stores one file as a video: a dataset candidate, the generated video of a model
    for a task, or a task's reference video (the last two replacing the file that
    video had). The same content twice is a duplicate, reported and not stored again."""
    sha256 = file_sha256(path)
    with transaction.atomic():
        twin = Video.objects.select_related("generator", "task").filter(sha256=sha256).first()
        if kind in (VideoKind.GENERATED, VideoKind.REFERENCE):
            video = Video.objects.filter(kind=kind, task=task, generator=generator).first()
        else:
            video = None
        if twin is not None:
            if video is not None and twin.pk == video.pk:
                return Added(video, Outcome.UNCHANGED)
            return Added(
                twin,
                Outcome.DUPLICATE,
                f"{name}: the same file as video {twin.pk} ({twin}); not stored again",
            )
        outcome = Outcome.REPLACED if video is not None and video.file else Outcome.CREATED
        if video is None:
            video = Video(
                kind=kind, task=task, generator=generator, source_path=name, **(clip_fields or {})
            )
        video.file.name = _store(path, sha256)
        video.sha256 = sha256
        video.original_name = Path(name).name
        video.batch = batch
        video.media_status = MediaStatus.QUEUED
        video.media_error = ""
        video.save()
        queue_processing([video.pk])
    return Added(video, outcome)


@dataclass
class VideoImportReport:
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    models_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, added: Added) -> None:
        self.counts[added.outcome] += 1
        if added.message:
            self.warnings.append(added.message)

    def summary(self) -> str:
        lines = ["videos " + ", ".join(f"{n} {outcome}" for outcome, n in self.counts.items())]
        if self.models_created:
            lines.append(f"generator models created: {', '.join(self.models_created)}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _generated_target(name: str, benchmark: Benchmark, indices: set[int]) -> tuple[str, int]:
    """(model, task index) of a file named <Model>/<index>.<ext>; InputError says what
    does not fit."""
    parts, suffix, stem = Path(name).parts, Path(name).suffix.lower(), Path(name).stem
    if len(parts) != 2:
        raise InputError(gettext("%(name)s: not in a <Model>/ folder") % {"name": name})
    if suffix not in VIDEO_EXTENSIONS:
        raise InputError(gettext("%(name)s: not a video file extension") % {"name": name})
    if not stem.isdigit():
        raise InputError(gettext("%(name)s: file name is not a task index") % {"name": name})
    if int(stem) not in indices:
        raise InputError(
            gettext("%(name)s: task %(index)s is not in benchmark %(benchmark)s")
            % {"name": name, "index": int(stem), "benchmark": benchmark.name}
        )
    return parts[0], int(stem)


def _generated_video_add(
    *,
    name: str,
    path: Path,
    model: str,
    index: int,
    benchmark: Benchmark,
    batch: ImportBatch | None,
    report: VideoImportReport | None = None,
) -> Added:
    generator, created = GeneratorModel.objects.get_or_create(name=model)
    if created and report is not None:
        report.models_created.append(model)
    task = benchmark.tasks.get(index=index)
    return video_add(
        path=path, name=name, kind=VideoKind.GENERATED, task=task, generator=generator, batch=batch
    )


def videos_import_generated(
    *, benchmark: Benchmark, files: Iterable[tuple[str, Path]], batch: ImportBatch | None = None
) -> VideoImportReport:
    """Files named <Model>/<index>.<ext> become the generated videos of those models
    for those tasks. Files that fit no task are reported and skipped."""
    report = VideoImportReport()
    indices = set(benchmark.tasks.values_list("index", flat=True))
    for name, path in files:
        try:
            model, index = _generated_target(name, benchmark, indices)
        except InputError as exc:
            report.warnings.append(f"{exc}; skipped")
            continue
        report.add(
            _generated_video_add(
                name=name,
                path=path,
                model=model,
                index=index,
                benchmark=benchmark,
                batch=batch,
                report=report,
            )
        )
    return report


def videos_import_clips(
    *, files: Iterable[tuple[str, Path]], batch: ImportBatch | None = None
) -> VideoImportReport:
    """Video files become candidate dataset clips; other files are reported."""
    report = VideoImportReport()
    for name, path in files:
        if Path(name).suffix.lower() not in VIDEO_EXTENSIONS:
            report.warnings.append(f"{name}: not a video file extension; skipped")
            continue
        report.add(video_add(path=path, name=name, kind=VideoKind.DATASET, batch=batch))
    return report


def directory_files(directory: Path) -> Iterator[tuple[str, Path]]:
    """(name relative to the directory, path) of every file under it, sorted."""
    if not directory.is_dir():
        raise InputError(gettext("%(directory)s: not a directory") % {"directory": directory})
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        yield path.relative_to(directory).as_posix(), path


def dataset_clip_create(
    *,
    path: Path,
    caption: str = "",
    level: str = "",
    source_ref: str = "",
    extra: dict[str, Any] | None = None,
    batch: ImportBatch | None = None,
) -> Added:
    """A candidate clip for the training set, with its draft caption."""
    return video_add(
        path=path,
        name=path.name,
        kind=VideoKind.DATASET,
        batch=batch,
        clip_fields={
            "caption": caption,
            "level": level,
            "source_ref": source_ref,
            "extra": extra or {},
        },
    )


@contextmanager
def uploaded_path(upload: UploadedFile) -> Iterator[Path]:
    if hasattr(upload, "temporary_file_path"):
        yield Path(upload.temporary_file_path())
        return
    suffix = Path(upload.name or "").suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        for chunk in upload.chunks():
            tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def batch_create(*, name: str, user: User | None) -> ImportBatch:
    return ImportBatch.objects.create(name=name, created_by=user)


def video_upload(
    *,
    upload: UploadedFile,
    batch: ImportBatch,
    benchmark: Benchmark | None = None,
    generator_name: str = "",
) -> Added:
    """One file uploaded in the browser: a dataset clip, or, when a model is named,
    the generated video of the task its file name gives (<index>.<ext>)."""
    name = upload.name or "upload"
    video_name_check(name)
    if not upload.size:
        raise InputError(gettext("%(name)s: the file is empty (0 bytes)") % {"name": name})
    if not generator_name:
        with uploaded_path(upload) as path:
            return video_add(path=path, name=name, kind=VideoKind.DATASET, batch=batch)
    if benchmark is None:
        raise InputError(gettext("choose the benchmark whose tasks these videos show"))
    name = f"{generator_name}/{name}"
    indices = set(benchmark.tasks.values_list("index", flat=True))
    model, index = _generated_target(name, benchmark, indices)
    with uploaded_path(upload) as path:
        return _generated_video_add(
            name=name, path=path, model=model, index=index, benchmark=benchmark, batch=batch
        )


def reference_video_attach(*, task: Task, upload: UploadedFile) -> Added:
    """The task's reference (source) video, replacing the one it had: processed by the
    media pipeline like any video, so its judge frames are hashed for contamination
    reports. It is never judged and never shown to annotators."""
    name = upload.name or "reference"
    video_name_check(name)
    with uploaded_path(upload) as path:
        added = video_add(path=path, name=name, kind=VideoKind.REFERENCE, task=task)
    if added.outcome == Outcome.DUPLICATE:
        raise InputError(added.message)
    return added
