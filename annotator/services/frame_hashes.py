"""Perceptual hashes of the judge frames, and the nearest of them by Hamming distance.

A pHash (imagehash) survives re-encoding, resizing and small crops, so a clip cut from
a task's reference video lands a few bits from it. Hashes are compared in bulk with
numpy: XOR, then a population count over uint64 (np.bitwise_count), never a Python
loop over pairs."""

import io
from collections.abc import Iterable, Sequence

import imagehash
import numpy as np
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from PIL import Image

from annotator.models import Video
from annotator.models.choices import MediaStatus

HASH_BITS = 64


def frame_hash(jpeg: bytes) -> str:
    """The 64-bit pHash of one image, as 16 hex digits."""
    with Image.open(io.BytesIO(jpeg)) as image:
        return str(imagehash.phash(image))


def frame_hashes(frames: Iterable[bytes]) -> list[str]:
    return [frame_hash(frame) for frame in frames]


def as_array(hashes: Sequence[str]) -> np.ndarray:
    """Hex hashes as uint64."""
    return np.array([int(h, 16) for h in hashes], dtype=np.uint64)


def min_distances(query: np.ndarray, pool: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    """For each of `n` owners (clips), the smallest Hamming distance between one of
    `query`'s hashes and one of the owner's hashes in `pool` (`owners[i]` owns
    `pool[i]`); HASH_BITS + 1 for an owner with none."""
    if not len(query) or not len(pool):
        return np.full(n, HASH_BITS + 1, dtype=np.int64)
    nearest = np.bitwise_count(pool[None, :] ^ query[:, None]).min(axis=0)
    best = np.full(n, HASH_BITS + 1, dtype=np.int64)
    np.minimum.at(best, owners, nearest.astype(np.int64))
    return best


def videos_hash_backfill(*, videos: QuerySet[Video] | None = None) -> tuple[int, list[str]]:
    """Hashes the stored judge frames of processed videos that have none yet (those
    processed before hashes were kept). Returns (videos hashed, problems): a frame
    that cannot be read is reported by video, the others go on."""
    if videos is None:
        videos = Video.objects.all()
    todo = videos.filter(media_status=MediaStatus.READY, frame_hashes=[]).exclude(judge_frames=[])
    done, problems = 0, []
    for video in todo.only("pk", "judge_frames").iterator(chunk_size=200):
        try:
            frames = []
            for name in video.judge_frames:
                with default_storage.open(name, "rb") as fh:
                    frames.append(fh.read())
            video.frame_hashes = frame_hashes(frames)
        except (OSError, ValueError) as exc:
            problems.append(f"video {video.pk}: {exc}")
            continue
        video.save(update_fields=["frame_hashes"])
        done += 1
    return done, problems
