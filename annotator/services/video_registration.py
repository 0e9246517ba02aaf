"""Registering one video through the API: an object already in the configured S3
bucket, or an uploaded file. Stored (content-addressed) and queued for the media
pipeline like every other import, by services.videos.video_add."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import GeneratorModel
from annotator.models.choices import VideoKind
from annotator.services.s3 import s3_client
from annotator.services.videos import Added, uploaded_path, video_add, video_name_check
from rubrics_app.models import Benchmark, Task


class VideoTooLarge(InputError):
    """The file is larger than VIDEO_MAX_BYTES."""


def video_size_check(*, name: str, size: int) -> None:
    if size > settings.VIDEO_MAX_BYTES:
        raise VideoTooLarge(
            gettext(
                "%(name)s: %(size)s bytes, more than the %(limit)s bytes a video may "
                "have (VIDEO_MAX_BYTES)"
            )
            % {"name": name, "size": size, "limit": settings.VIDEO_MAX_BYTES}
        )


def _target(
    *, kind: str, benchmark: Benchmark | None, task_index: int | None, generator_name: str
) -> tuple[Task | None, str]:
    """The task of a generated video and its model's name; InputError says what is
    missing. A dataset clip has neither."""
    if kind == VideoKind.DATASET:
        if benchmark or task_index is not None or generator_name:
            raise InputError(gettext("a dataset clip has no benchmark, task_index or generator"))
        return None, ""
    if benchmark is None or task_index is None or not generator_name:
        raise InputError(gettext("a generated video needs benchmark, task_index and generator"))
    task = benchmark.tasks.filter(index=task_index).first()
    if task is None:
        raise InputError(
            gettext("task %(task_index)s is not in benchmark %(benchmark)s")
            % {"task_index": task_index, "benchmark": benchmark.name}
        )
    return task, generator_name


def _register(
    *,
    path: Path,
    name: str,
    kind: str,
    task: Task | None,
    generator_name: str,
) -> Added:
    generator = None
    if generator_name:
        generator, _ = GeneratorModel.objects.get_or_create(name=generator_name)
    return video_add(path=path, name=name, kind=kind, task=task, generator=generator)


@contextmanager
def _s3_download(bucket: str, key: str) -> Iterator[Path]:
    """A local copy of the object, refused before downloading when it is too large."""
    client = s3_client()
    where = f"s3://{bucket}/{key}"
    try:
        head = client.head_object(Bucket=bucket, Key=key)
        video_size_check(name=where, size=head["ContentLength"])
        with tempfile.NamedTemporaryFile(suffix=Path(key).suffix) as tmp:
            client.download_fileobj(bucket, key, tmp)
            tmp.flush()
            yield Path(tmp.name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey"):
            raise InputError(gettext("%(where)s: no such object") % {"where": where}) from exc
        raise InputError(gettext("%(where)s: %(error)s") % {"where": where, "error": exc}) from exc
    except BotoCoreError as exc:
        raise InputError(gettext("%(where)s: %(error)s") % {"where": where, "error": exc}) from exc


def video_register_s3(
    *,
    key: str,
    kind: str,
    benchmark: Benchmark | None = None,
    task_index: int | None = None,
    generator_name: str = "",
) -> Added:
    """The object at `key` in S3_BUCKET as a dataset clip or as the generated video of a
    model for a task; its key is kept as the video's source path."""
    if not settings.S3_BUCKET:
        raise InputError(gettext("no S3 bucket is configured (S3_BUCKET)"))
    video_name_check(key)
    task, generator_name = _target(
        kind=kind, benchmark=benchmark, task_index=task_index, generator_name=generator_name
    )
    with _s3_download(settings.S3_BUCKET, key) as path:
        return _register(path=path, name=key, kind=kind, task=task, generator_name=generator_name)


def video_register_upload(
    *,
    upload: UploadedFile,
    kind: str,
    benchmark: Benchmark | None = None,
    task_index: int | None = None,
    generator_name: str = "",
) -> Added:
    """An uploaded file as a dataset clip or as the generated video of a model for a
    task. VideoTooLarge when it is over VIDEO_MAX_BYTES."""
    name = upload.name or "upload"
    video_size_check(name=name, size=upload.size or 0)
    video_name_check(name)
    task, generator_name = _target(
        kind=kind, benchmark=benchmark, task_index=task_index, generator_name=generator_name
    )
    with uploaded_path(upload) as path:
        return _register(path=path, name=name, kind=kind, task=task, generator_name=generator_name)
