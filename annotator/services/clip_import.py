"""Candidate clips from a training manifest (the format the dataset export writes):
a JSON array, or JSONL, of {id, video, prompt} with optional level, source, title and
any other keys. Every entry is checked before anything is stored: one bad entry and
nothing is imported.

An id that was imported before is unchanged when its prompt, level, source, other
keys and file are the same; with any of them different it is an error (experts may
already have verified that clip, so its draft is not silently replaced)."""

import json
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction
from django.utils.translation import gettext

from annotator.core.errors import InputError
from annotator.models import User, Video
from annotator.models.choices import VideoKind
from annotator.services.s3 import s3_client, s3_files
from annotator.services.videos import (
    VIDEO_EXTENSIONS,
    Added,
    Outcome,
    VideoImportReport,
    batch_create,
    directory_files,
    file_sha256,
    video_add,
    videos_import_clips,
)
from rubrics_app.choices import Level

MANIFEST_NAME = "metadata.json"
_LEVELS = {
    **{level.value.lower(): level.value for level in Level},
    **{level.value.lower().removesuffix("-level"): level.value for level in Level},
}
_OWN_KEYS = {"id", "video", "prompt", "level", "source", "source_ref"}
# A clip field as a manifest calls it.
_MANIFEST_NAMES = {"caption": "prompt", "source_ref": "source", "extra": "other keys"}
_MAX_ID = cast(int, Video._meta.get_field("external_id").max_length)  # a CharField has one


@dataclass
class ManifestEntry:
    where: str  # "entry 3 (id 'abc')", for messages
    external_id: str
    video: str  # relative to the manifest's folder
    caption: str
    level: str = ""
    source_ref: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def clip_fields(self) -> dict[str, Any]:
        return {
            "external_id": self.external_id,
            "caption": self.caption,
            "level": self.level,
            "source_ref": self.source_ref,
            "extra": self.extra,
        }


def manifest_items(raw: bytes, *, name: str) -> list[tuple[str, Any]]:
    """(position, value) of each entry: "entry N" in a JSON array, "line N" in JSONL
    (told apart by the first character). Invalid JSON names its line and column."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            gettext("%(name)s: not UTF-8 text (%(error)s)") % {"name": name, "error": exc}
        ) from exc
    if text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                gettext("%(name)s: not valid JSON: %(error)s at line %(lineno)s, column %(colno)s")
                % {"name": name, "error": exc.msg, "lineno": exc.lineno, "colno": exc.colno}
            ) from exc
        return [(f"entry {n}", value) for n, value in enumerate(data, start=1)]
    items = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append((f"line {n}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(
                gettext(
                    "%(name)s: not valid JSON Lines: %(error)s at line %(lineno)s, column %(colno)s"
                )
                % {"name": name, "error": exc.msg, "lineno": n, "colno": exc.colno}
            ) from exc
    if not items:
        raise InputError(gettext("%(name)s: no entries") % {"name": name})
    return items


def _text(entry: dict, key: str, problems: list[str], *, required: bool = False) -> str:
    """The entry's string under `key` (an integer id too), stripped; "" with a
    problem noted when it is not one."""
    value = entry.get(key)
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None:
        if required:
            problems.append(f"'{key}' is missing or empty")
        return ""
    if not isinstance(value, str):
        problems.append(f"'{key}' must be a string, got {json.dumps(value)}")
        return ""
    if required and not value.strip():
        problems.append(f"'{key}' is missing or empty")
    return value.strip()


def _video_path(value: str, problems: list[str]) -> str:
    path = PurePosixPath(value.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        problems.append(f"video '{value}' must be a path inside the manifest's folder")
    elif path.suffix.lower() not in VIDEO_EXTENSIONS:
        problems.append(f"video '{value}' is not a video file extension")
    return path.as_posix()


def _entry(where: str, value: Any) -> ManifestEntry:
    """One checked entry; InputError says everything wrong with it."""
    if not isinstance(value, dict):
        raise InputError(
            gettext("%(where)s: expected an object, got %(type)s")
            % {"where": where, "type": type(value).__name__}
        )
    problems: list[str] = []
    external_id = _text(value, "id", problems, required=True)
    video = _text(value, "video", problems, required=True)
    caption = _text(value, "prompt", problems, required=True)
    level = _text(value, "level", problems)
    source, source_ref = _text(value, "source", problems), _text(value, "source_ref", problems)
    if external_id:
        where = f"{where} (id '{external_id}')"
    if len(external_id) > _MAX_ID:
        problems.append(f"'id' is longer than {_MAX_ID} characters")
    if video:
        video = _video_path(video, problems)
    if level and level.lower() not in _LEVELS:
        problems.append(f"unknown level '{level}' (one of {', '.join(Level.values)})")
    if source and source_ref and source != source_ref:
        problems.append("give 'source' or 'source_ref', not both")
    if problems:
        raise InputError(
            gettext("%(where)s: %(problems)s") % {"where": where, "problems": "; ".join(problems)}
        )
    return ManifestEntry(
        where=where,
        external_id=external_id,
        video=video,
        caption=caption,
        level=_LEVELS[level.lower()] if level else "",
        source_ref=source or source_ref,
        extra={k: v for k, v in value.items() if k not in _OWN_KEYS},
    )


def manifest_entries(
    items: Iterable[tuple[str, Any]], *, exists: Callable[[str], bool]
) -> tuple[list[ManifestEntry], list[str]]:
    """The valid entries, and a message per invalid one in order (repeated ids and
    videos that do not `exist` included)."""
    entries: list[ManifestEntry] = []
    errors: list[str] = []
    first: dict[str, str] = {}
    for where, value in items:
        try:
            entry = _entry(where, value)
        except InputError as exc:
            errors += exc.messages
            continue
        if entry.external_id in first:
            errors.append(f"{entry.where}: the id is repeated ({first[entry.external_id]})")
            continue
        if not exists(entry.video):
            errors.append(f"{entry.where}: video file '{entry.video}' not found")
            continue
        first[entry.external_id] = where
        entries.append(entry)
    return entries, errors


def _previous(entries: list[ManifestEntry], folder: Path) -> tuple[dict[str, Video], list[str]]:
    """Clips already imported under these ids, when identical; an error per id whose
    content differs."""
    existing: dict[str, Video] = {}
    for found in Video.objects.filter(
        kind=VideoKind.DATASET, external_id__in=[e.external_id for e in entries]
    ).order_by("-pk"):
        existing[found.external_id] = found  # the oldest wins
    unchanged, errors = {}, []
    for entry in entries:
        video = existing.get(entry.external_id)
        if video is None:
            continue
        differs = [
            _MANIFEST_NAMES.get(key, key)
            for key, value in entry.clip_fields().items()
            if getattr(video, key) != value
        ]
        if video.sha256 != file_sha256(folder / entry.video):
            differs.append("video file")
        if differs:
            errors.append(
                f"{entry.where}: already imported as clip {video.pk} with a different "
                f"{', '.join(differs)}; give the changed clip a new id"
            )
        else:
            unchanged[entry.external_id] = video
    return unchanged, errors


def _clips_store(
    *,
    entries: list[ManifestEntry],
    errors: list[str],
    folder: Path,
    batch_name: str,
    user: User | None = None,
) -> VideoImportReport:
    """Stores the entries' files (relative to `folder`) as candidate clips once every
    entry has been checked, against the clips already imported too; any error and
    nothing is stored."""
    unchanged, conflicts = _previous(entries, folder)
    if errors or conflicts:
        raise InputError(errors + conflicts)
    report = VideoImportReport()
    with transaction.atomic():
        batch = None
        for entry in entries:
            if entry.external_id in unchanged:
                report.add(Added(unchanged[entry.external_id], Outcome.UNCHANGED))
                continue
            batch = batch or batch_create(name=batch_name, user=user)
            added = video_add(
                path=folder / entry.video,
                name=entry.video,
                kind=VideoKind.DATASET,
                batch=batch,
                clip_fields=entry.clip_fields(),
            )
            report.add(added)
    return report


def _read_manifest(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            gettext("%(path)s: cannot read (%(error)s)") % {"path": path, "error": exc.strerror}
        ) from exc


def clips_import_manifest(
    *, manifest: Path, batch_name: str = "", user: User | None = None
) -> VideoImportReport:
    """The clips of a manifest file; video paths are relative to its folder."""
    folder = manifest.parent
    entries, errors = manifest_entries(
        manifest_items(_read_manifest(manifest), name=str(manifest)),
        exists=lambda video: (folder / video).is_file(),
    )
    return _clips_store(
        entries=entries,
        errors=errors,
        folder=folder,
        batch_name=batch_name or f"import_clips {manifest}",
        user=user,
    )


def clips_import_folder(
    *, directory: Path, manifest_name: str = "", user: User | None = None
) -> VideoImportReport:
    """The folder's manifest (metadata.json unless named) when it has one; otherwise
    every video file in it becomes a clip without a caption."""
    if not directory.is_dir():
        raise InputError(gettext("%(directory)s: not a directory") % {"directory": directory})
    manifest = directory / (manifest_name or MANIFEST_NAME)
    if manifest_name or manifest.is_file():
        return clips_import_manifest(manifest=manifest, user=user)
    batch = batch_create(name=f"import_clips {directory}", user=user)
    return videos_import_clips(files=directory_files(directory), batch=batch)


def clips_import_s3(
    *, bucket: str, prefix: str, manifest_name: str = "", user: User | None = None
) -> VideoImportReport:
    """Like a folder: <prefix>/metadata.json (unless named) with keys relative to the
    prefix, else every video under the prefix. The manifest is checked against the
    listing before any video is downloaded."""
    client = s3_client()
    base = prefix.strip("/") + "/" if prefix.strip("/") else ""
    where = f"s3://{bucket}/{base}"
    try:
        keys = {
            obj["Key"][len(base) :]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base)
            for obj in page.get("Contents", [])
        }
    except (BotoCoreError, ClientError) as exc:
        raise InputError(gettext("%(where)s: %(error)s") % {"where": where, "error": exc}) from exc
    name = manifest_name or MANIFEST_NAME
    if name not in keys:
        if manifest_name:
            raise InputError(
                gettext("%(where)s%(key)s: no such key") % {"where": where, "key": name}
            )
        batch = batch_create(name=f"import_clips {where}", user=user)
        return videos_import_clips(files=s3_files(bucket=bucket, prefix=base), batch=batch)
    raw = client.get_object(Bucket=bucket, Key=base + name)["Body"].read()
    entries, errors = manifest_entries(
        manifest_items(raw, name=where + name), exists=keys.__contains__
    )
    if errors:
        raise InputError(errors)
    with tempfile.TemporaryDirectory() as tmp:
        for video in sorted({e.video for e in entries}):
            (Path(tmp) / video).parent.mkdir(parents=True, exist_ok=True)
            client.download_file(bucket, base + video, str(Path(tmp) / video))
        return _clips_store(
            entries=entries,
            errors=[],
            folder=Path(tmp),
            batch_name=f"import_clips {where}{name}",
            user=user,
        )
