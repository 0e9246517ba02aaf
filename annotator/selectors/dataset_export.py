"""The accepted clips as a training set, at a named snapshot time: the manifest
(metadata.json), a tar of it with the videos, the manifest with download URLs, or
every field and decision as JSONL or CSV.

The same snapshot on the same data gives the same bytes: rows are sorted, JSON keys
come in a fixed order, and tar members carry the snapshot time and fixed owners."""

import csv
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import PurePosixPath
from typing import Any, cast

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.core.fields import moment_parse
from annotator.models import ClipDecision, Video
from annotator.models.choices import ClipStatus, VideoKind
from annotator.selectors.contamination import confirmed_overlap_clips
from annotator.templatetags.media_urls import media_url

_CHUNK = 1024 * 1024
_ROWS_PER_QUERY = 500
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class ExportFormat(StrEnum):
    MANIFEST = "manifest"
    TAR = "tar"
    URLS = "urls"
    JSONL = "jsonl"
    CSV = "csv"


# (end of the file name, content type)
_FILES = {
    ExportFormat.MANIFEST: ("_metadata.json", "application/json; charset=utf-8"),
    ExportFormat.TAR: (".tar", "application/x-tar"),
    ExportFormat.URLS: ("_urls.json", "application/json; charset=utf-8"),
    ExportFormat.JSONL: (".jsonl", "application/x-ndjson; charset=utf-8"),
    ExportFormat.CSV: (".csv", "text/csv; charset=utf-8"),
}
CSV_COLUMNS = [
    "as_of",
    "id",
    "video",
    "prompt",
    "level",
    "draft_caption",
    "draft_level",
    "source_ref",
    "extra",
    "status",
    "decided_at",
    "annotators",
    "reasons",
    "history",
]


def snapshot_parse(value: str | None) -> datetime:
    """The snapshot time: an ISO-8601 date or time (UTC unless it says otherwise), or
    now to the second when not given."""
    if not value:
        return timezone.now().replace(microsecond=0)
    return moment_parse(value, name="as_of")


def iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else ""


def accepted_clips(*, as_of: datetime) -> QuerySet[Video]:
    """The clips in the training set at `as_of`: accepted by then, with a file."""
    return (
        Video.objects.filter(
            kind=VideoKind.DATASET, clip_status=ClipStatus.ACCEPTED, decided_at__lte=as_of
        )
        .exclude(file="")
        .order_by("external_id", "pk")
    )


def answered_clips(*, as_of: datetime) -> QuerySet[Video]:
    """Every candidate clip someone had answered on by `as_of`, whatever its outcome:
    the scope of a decisions export."""
    answered = ClipDecision.objects.filter(created_at__lte=as_of).values("video_id")
    return Video.objects.filter(kind=VideoKind.DATASET, pk__in=answered).order_by(
        "external_id", "pk"
    )


class _Paths:
    """Each clip's id (its manifest id, else clip-<pk>) and its path in the set,
    videos/<id><ext>. Characters unsafe in a file name become "_"; a path taken
    already gets ~<pk> appended ("~" is never left in an id), so every clip has a
    file of its own."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def __call__(self, video: Video) -> tuple[str, str]:
        clip_id = video.external_id or f"clip-{video.pk}"
        stem = _UNSAFE.sub("_", clip_id).lstrip(".") or f"clip-{video.pk}"
        # The set's clips have a file (accepted_clips leaves out those without).
        suffix = PurePosixPath(cast(str, video.file.name)).suffix.lower()
        path = f"videos/{stem}{suffix}"
        if path in self.taken:
            path = f"videos/{stem}~{video.pk}{suffix}"
        self.taken.add(path)
        return clip_id, path


def _manifest_rows(clips: QuerySet[Video]) -> list[tuple[Video, dict[str, str]]]:
    paths = _Paths()
    rows = []
    for video in clips.only("pk", "external_id", "final_caption", "file"):
        clip_id, path = paths(video)
        rows.append((video, {"id": clip_id, "video": path, "prompt": video.final_caption}))
    return rows


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode()


def _sorted(value: Any) -> Any:
    """A JSON value with its objects' keys in order (PostgreSQL's jsonb and SQLite
    give them back in different orders)."""
    return json.loads(json.dumps(value, sort_keys=True))


def _tar_member(info: tarfile.TarInfo, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A tar header and the data padded to whole blocks, one chunk at a time
    (TarFile.addfile would hold a whole video before anything is sent)."""
    yield info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    size = 0
    for chunk in chunks:
        size += len(chunk)
        yield chunk
    if size != info.size:
        raise RuntimeError(f"{info.name}: {size} bytes read, {info.size} expected")
    if remainder := size % tarfile.BLOCKSIZE:
        yield tarfile.NUL * (tarfile.BLOCKSIZE - remainder)


def _tar_info(name: str, size: int, as_of: datetime) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(as_of.timestamp()), 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _stored_file(name: str) -> tuple[int, Iterator[bytes]]:
    """(size, chunks) of a file in the default storage. From S3 the object's body is
    read as it arrives: S3File.read() would download all of it into memory first."""
    fh = default_storage.open(name, "rb")
    if hasattr(fh, "obj"):
        response = fh.obj.get()
        body = response["Body"]
        return response["ContentLength"], _closing(body.iter_chunks(_CHUNK), body.close)
    return fh.size, _closing(iter(lambda: fh.read(_CHUNK), b""), fh.close)


def _closing(chunks: Iterator[bytes], close: Callable[[], None]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        close()


def _tar(clips: QuerySet[Video], as_of: datetime) -> Iterator[bytes]:
    rows = _manifest_rows(clips)
    snapshot = _json_bytes({"as_of": iso(as_of), "clips": len(rows)})
    manifest = _json_bytes([row for _, row in rows])
    written = 0
    for name, data in (("snapshot.json", snapshot), ("metadata.json", manifest)):
        for chunk in _tar_member(_tar_info(name, len(data), as_of), [data]):
            written += len(chunk)
            yield chunk
    for video, row in rows:
        size, chunks = _stored_file(cast(str, video.file.name))  # clips with a file
        for chunk in _tar_member(_tar_info(row["video"], size, as_of), chunks):
            written += len(chunk)
            yield chunk
    # Two zero blocks end the archive, padded to a whole record as tar writes it.
    end = written + 2 * tarfile.BLOCKSIZE
    yield tarfile.NUL * (2 * tarfile.BLOCKSIZE + -end % tarfile.RECORDSIZE)


def _urls(clips: QuerySet[Video], base_url: str) -> bytes:
    rows = []
    for video, row in _manifest_rows(clips):
        url = media_url(video, "file")
        rows.append({**row, "url": base_url + url if url.startswith("/") else url})
    return _json_bytes(rows)


_HISTORY_FIELDS = ("user", "decision", "reasons", "caption", "level", "seconds", "adjudication")


def _chunks(clips: QuerySet[Video]) -> Iterator[list[Video]]:
    chunk: list[Video] = []
    for video in clips.iterator(chunk_size=_ROWS_PER_QUERY):
        chunk.append(video)
        if len(chunk) == _ROWS_PER_QUERY:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _histories(videos: list[Video], as_of: datetime) -> dict[int, list[dict[str, Any]]]:
    """The decisions made by `as_of` on these clips, oldest first, as plain rows in one
    query (a prefetch builds a queryset per clip, half the export's time)."""
    rows = (
        ClipDecision.objects.filter(video__in=[v.pk for v in videos], created_at__lte=as_of)
        .order_by("created_at", "pk")
        .values_list("video_id", "user__username", *_HISTORY_FIELDS[1:], "created_at")
    )
    histories: dict[int, list[dict[str, Any]]] = {}
    for video_id, *values, created_at in rows:
        entry = dict(zip(_HISTORY_FIELDS, values, strict=True))
        histories.setdefault(video_id, []).append({**entry, "created_at": iso(created_at)})
    return histories


def _records(clips: QuerySet[Video], as_of: datetime) -> Iterator[dict[str, Any]]:
    """Every field of each clip with its decisions made by `as_of`; clips are read a
    few hundred at a time, with one query for their decisions."""
    paths = _Paths()
    fields = ["external_id", "file", "caption", "level", "source_ref", "extra", "clip_status"]
    fields += ["final_caption", "final_level", "decided_at"]
    for videos in _chunks(clips.only(*fields)):
        histories = _histories(videos, as_of)
        for video in videos:
            clip_id, path = paths(video)
            history = histories.get(video.pk, [])
            yield {
                "as_of": iso(as_of),
                "id": clip_id,
                "video": path,
                "prompt": video.final_caption,
                "level": video.final_level,
                "draft_caption": video.caption,
                "draft_level": video.level,
                "source_ref": video.source_ref,
                "extra": _sorted(video.extra),
                "status": video.clip_status,
                "decided_at": iso(video.decided_at),
                "annotators": list(
                    dict.fromkeys(h["user"] for h in history if not h["adjudication"])
                ),
                "reasons": sorted({reason for h in history for reason in h["reasons"]}),
                "history": history,
            }


def _jsonl(clips: QuerySet[Video], as_of: datetime) -> Iterator[bytes]:
    for record in _records(clips, as_of):
        yield (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _csv(clips: QuerySet[Video], as_of: datetime) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for record in _records(clips, as_of):
        for key in ("extra", "history"):
            record[key] = json.dumps(record[key], ensure_ascii=False)
        for key in ("annotators", "reasons"):
            record[key] = ";".join(record[key])
        writer.writerow(record[column] for column in CSV_COLUMNS)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


@dataclass
class DatasetExport:
    filename: str
    content_type: str
    chunks: Iterator[bytes]
    streamed: bool  # worth a streaming response: a tar, or one row at a time


def dataset_export(
    *,
    export_format: str,
    as_of: datetime,
    base_url: str = "",
    answered: bool = False,
    exclude_overlaps: bool = False,
) -> DatasetExport:
    """The accepted set at `as_of` in one of the ExportFormat formats; `base_url`
    makes the app's own media URLs absolute (URLs format, files stored locally).
    With `answered`, the JSONL or CSV rows cover every clip answered by then, rejected
    and undecided ones too (the decisions, not the training set). With
    `exclude_overlaps`, the clips a reviewer confirmed as overlapping a benchmark task
    (contamination reports) are left out."""
    try:
        fmt = ExportFormat(export_format)
    except ValueError as exc:
        raise InputError(
            gettext("unknown format %(export_format)s (one of %(formats)s)")
            % {"export_format": repr(export_format), "formats": ", ".join(ExportFormat)}
        ) from exc
    if answered and fmt not in (ExportFormat.JSONL, ExportFormat.CSV):
        raise InputError(gettext("Only the JSONL and CSV exports cover every answered clip."))
    clips = answered_clips(as_of=as_of) if answered else accepted_clips(as_of=as_of)
    if exclude_overlaps:
        clips = clips.exclude(pk__in=confirmed_overlap_clips())
    chunks: Iterator[bytes]
    if fmt == ExportFormat.MANIFEST:
        chunks = iter([_json_bytes([row for _, row in _manifest_rows(clips)])])
    elif fmt == ExportFormat.URLS:
        chunks = iter([_urls(clips, base_url.rstrip("/"))])
    elif fmt == ExportFormat.TAR:
        chunks = _tar(clips, as_of)
    elif fmt == ExportFormat.JSONL:
        chunks = _jsonl(clips, as_of)
    else:
        chunks = _csv(clips, as_of)
    suffix, content_type = _FILES[fmt]
    stamp = as_of.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return DatasetExport(
        filename=f"dataset_{stamp}{suffix}",
        content_type=content_type,
        chunks=chunks,
        streamed=fmt in (ExportFormat.TAR, ExportFormat.JSONL, ExportFormat.CSV),
    )
