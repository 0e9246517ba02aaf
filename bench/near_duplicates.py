"""Times near-duplicate grouping (selectors.near_duplicates.near_duplicate_groups:
hashes read from the database, frame pairs found, clips grouped) over 12,000 clips
(96,000 judge-frame hashes), on SQLite.

    .venv/bin/python bench/near_duplicates.py [--clips 12000] [--groups 600]

Random 64-bit hashes, with planted groups of 2 to 4 clips: a copy of a clip with a
few bits of each frame changed (re-encoded), a mirrored copy (the hash XOR the mirror
mask, plus a few bits) and a cut overlapping half of it (4 of its frames, shifted).
The bench checks that exactly the planted groups come out.

Target (issue 17): <= 30 s on these 2 cores."""

import argparse
import json
import tempfile
import time

import numpy as np
from databases import django_on, results_per_database

MIRROR = np.uint64(0x5555555555555555)


def noisy(rng: np.random.Generator, frames: np.ndarray, bits: int = 3) -> np.ndarray:
    flips = rng.integers(0, 64, (len(frames), bits)).astype(np.uint64)
    return frames ^ np.bitwise_or.reduce(np.left_shift(np.uint64(1), flips), axis=1)


def populate(clips: int, groups: int) -> list[list[int]]:
    """The clips, and the planted groups (as clip numbers)."""
    from annotator.models import Video
    from annotator.models.choices import MediaStatus, VideoKind

    rng = np.random.default_rng(17)
    frames = rng.integers(0, 2**63, (clips, 8), dtype=np.uint64)
    planted = []
    for g in range(groups):
        size = 2 + g % 3
        members = [g * 5 + k for k in range(size)]
        source = frames[members[0]]
        copies = [
            noisy(rng, source),
            noisy(rng, source ^ MIRROR),
            np.concatenate([source[4:], rng.integers(0, 2**63, 4, dtype=np.uint64)]),
        ]
        for member, copy in zip(members[1:], copies, strict=False):
            frames[member] = copy
        planted.append(members)
    Video.objects.bulk_create(
        [
            Video(
                kind=VideoKind.DATASET,
                external_id=f"clip{n:06d}",
                media_status=MediaStatus.READY,
                frame_hashes=[f"{int(h):016x}" for h in row],
            )
            for n, row in enumerate(frames)
        ],
        batch_size=1000,
    )
    return planted


def run_one(database_url: str, clips: int, groups: int) -> dict:
    django_on(database_url)
    from annotator.models import Video
    from annotator.selectors.near_duplicates import near_duplicate_groups

    planted = populate(clips, groups)
    ids = list(Video.objects.order_by("pk").values_list("pk", flat=True))
    start = time.perf_counter()
    found = near_duplicate_groups(ids)
    seconds = time.perf_counter() - start
    expected = sorted(sorted(ids[n] for n in group) for group in planted)
    return {"seconds": seconds, "groups": len(found), "exact": sorted(found) == expected}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clips", type=int, default=12_000)
    parser.add_argument("--groups", type=int, default=600)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.clips, args.groups)))
        return
    print(f"{args.clips:,} clips ({args.clips * 8:,} frame hashes), {args.groups} planted groups")
    with tempfile.TemporaryDirectory() as tmp:
        for name, result in results_per_database(__file__, tmp, "mwa_bench_neardup", None):
            print(
                f"{name}: grouped in {result['seconds']:.1f} s, {result['groups']} groups, "
                f"{'exactly the planted ones' if result['exact'] else 'NOT the planted ones'}"
            )


if __name__ == "__main__":
    main()
