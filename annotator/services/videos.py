"""Bringing video files into storage: content-addressed by sha256, so the same file
is never stored twice, and queued for the media pipeline once committed."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from annotator.choices import MediaStatus, VideoKind
from annotator.errors import InputError
from annotator.models import GeneratorModel, Video
from rubrics_app.models import Benchmark

VIDEO_EXTENSIONS = {".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v"}
_CHUNK = 1024 * 1024


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
        assert saved == name, f"storage renamed {name} to {saved}"
    return name


def _attach(video: Video, path: Path, sha256: str) -> None:
    video.file.name = _store(path, sha256)
    video.sha256 = sha256
    video.original_name = path.name
    video.media_status = MediaStatus.QUEUED
    video.media_error = ""


def _queue_processing(video_ids: list[int]) -> None:
    from annotator.tasks import video_process

    def enqueue() -> None:
        for video_id in video_ids:
            video_process.delay(video_id)

    transaction.on_commit(enqueue)


@dataclass
class VideoImportReport:
    created: int = 0
    replaced: int = 0
    unchanged: int = 0
    models_created: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"videos {self.created} created, {self.replaced} replaced, {self.unchanged} unchanged"
        ]
        if self.models_created:
            lines.append(f"generator models created: {', '.join(self.models_created)}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def videos_import_dir(*, benchmark: Benchmark, directory: Path) -> VideoImportReport:
    """DIR/<Model>/<index>.<ext> becomes the generated video of that model for that
    task. Files that fit no task are reported and skipped."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    report = VideoImportReport()
    indices = set(benchmark.tasks.values_list("index", flat=True))
    found: list[tuple[str, int, Path]] = []
    for path in sorted(directory.iterdir()):
        if not path.is_dir():
            report.warnings.append(f"{path.name}: not in a <Model>/ folder; skipped")
            continue
        for file in sorted(path.iterdir()):
            where = f"{path.name}/{file.name}"
            if file.suffix.lower() not in VIDEO_EXTENSIONS:
                report.warnings.append(f"{where}: not a video file extension; skipped")
            elif not file.stem.isdigit():
                report.warnings.append(f"{where}: file name is not a task index; skipped")
            elif int(file.stem) not in indices:
                report.warnings.append(
                    f"{where}: task {int(file.stem)} is not in benchmark {benchmark.name}; skipped"
                )
            else:
                found.append((path.name, int(file.stem), file))
    hashes = {file: file_sha256(file) for _, _, file in found}

    with transaction.atomic():
        tasks = {t.index: t for t in benchmark.tasks.all()}
        generators = {}
        for name in sorted({model for model, _, _ in found}):
            generators[name], created = GeneratorModel.objects.get_or_create(name=name)
            if created:
                report.models_created.append(name)
        existing = {
            (v.generator_id, v.task_id): v
            for v in Video.objects.filter(kind=VideoKind.GENERATED, task__benchmark=benchmark)
        }
        by_hash = {v.sha256: v for v in Video.objects.filter(sha256__in=hashes.values())}
        queued = []
        for model, index, file in found:
            sha256 = hashes[file]
            generator, task = generators[model], tasks[index]
            video = existing.get((generator.pk, task.pk))
            twin = by_hash.get(sha256)
            if twin is not None and video is not None and twin.pk == video.pk:
                report.unchanged += 1
                continue
            if twin is not None:
                report.warnings.append(
                    f"{model}/{file.name}: the same file as video "
                    f"{twin.pk} ({twin}); skipped as a duplicate"
                )
                continue
            if video is None:
                video = Video(kind=VideoKind.GENERATED, task=task, generator=generator)
                report.created += 1
            elif video.file:
                report.replaced += 1
            else:
                report.created += 1  # a video known only from a judge result file
            _attach(video, file, sha256)
            video.save()
            by_hash[sha256] = video
            queued.append(video.pk)
        _queue_processing(queued)
    return report


def dataset_clip_create(
    *,
    path: Path,
    caption: str = "",
    level: str = "",
    source_ref: str = "",
    extra: dict[str, Any] | None = None,
) -> tuple[Video, bool]:
    """A candidate clip for the training set. Returns (video, created); the same file
    twice gives back the clip already stored."""
    sha256 = file_sha256(path)
    with transaction.atomic():
        twin = Video.objects.filter(sha256=sha256).first()
        if twin is not None:
            return twin, False
        video = Video(
            kind=VideoKind.DATASET,
            caption=caption,
            level=level,
            source_ref=source_ref,
            extra=extra or {},
            source_path=path.name,
        )
        _attach(video, path, sha256)
        video.save()
        _queue_processing([video.pk])
    return video, True
