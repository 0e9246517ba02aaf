"""Near-duplicate clips inside a set of clips: cut from the same source with
overlapping time, re-uploaded, re-encoded or mirrored.

Two clips are near duplicates when at least NEAR_DUPLICATE_SHARE of the judge frames
of the one with fewer frames are each within NEAR_DUPLICATE_DISTANCE bits of a frame
of the other, counted on both sides (so one static frame matching all eight of the
other's is not enough). Groups are the connected components of that relation.

Mirrored copies need no stored hash of their own: a pHash is the sign pattern of the
lowest 8x8 DCT coefficients against their median, and mirroring a picture flips the
sign of the odd horizontal frequencies, so the mirrored picture's hash is the hash
XOR MIRROR_MASK up to the few coefficients near the median (tested against imagehash
on flipped pictures). That works for clips hashed long ago, without reading frames.

Frame pairs are found with multi-index hashing: split into CHUNKS 16-bit chunks, two
hashes within `distance` bits agree within distance // CHUNKS bits on some chunk, so
each hash looks up the chunk values that near its own in a table of the sorted chunks,
and only those candidates are checked with a vectorised popcount. No loop over pairs
or clips in Python; the loops are over chunks and bit-flip masks (137 of them)."""

from hashlib import sha256
from itertools import combinations

import numpy as np
from django.conf import settings
from django.core.cache import cache

from annotator.models import Assignment, User, Video, WorkBatch
from annotator.services.frame_hashes import as_array

# The bits of a hash (as imagehash writes it, first coefficient most significant)
# that sit in odd horizontal frequencies: those mirroring flips.
MIRROR_MASK = np.uint64(0x5555555555555555)
CHUNKS, CHUNK_BITS = 4, 16
# Candidate pairs checked at once: bounds the memory of a bucket of many equal hashes.
BLOCK = 1 << 21
# Hashes whose chunk neighbours are looked up at once.
QUERY_BLOCK = 4096
GROUPS_SECONDS = 600
# A flat frame (a black or white intro, a fade) hashes to 0 or to the DC bit alone; any
# other picture sets about half the bits (the median splits the coefficients). Flat
# frames say nothing about the source, so they match nothing and count for nothing.
FLAT_BITS = 8


def _flip_masks(bits: int, radius: int) -> np.ndarray:
    masks = [0]
    for r in range(1, radius + 1):
        masks += [sum(1 << b for b in flips) for flips in combinations(range(bits), r)]
    return np.array(masks, dtype=np.int64)


def near_frame_pairs(hashes: np.ndarray, distance: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs (i < j) of `hashes` (uint64) within `distance` bits of each other,
    directly or one mirrored."""
    n = len(hashes)
    found_i, found_j = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    if n < 2:
        return found_i[0], found_j[0]
    masks = _flip_masks(CHUNK_BITS, distance // CHUNKS)
    mirrored = hashes ^ MIRROR_MASK
    chunk_mask = np.uint64((1 << CHUNK_BITS) - 1)
    for c in range(CHUNKS):
        shift = np.uint64(c * CHUNK_BITS)
        keys = ((hashes >> shift) & chunk_mask).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        starts = np.searchsorted(keys[order], np.arange((1 << CHUNK_BITS) + 1))
        for queries in (hashes, mirrored):
            query_keys = ((queries >> shift) & chunk_mask).astype(np.int64)
            for first in range(0, n, QUERY_BLOCK):
                block = query_keys[first : first + QUERY_BLOCK]
                wanted = (block[:, None] ^ masks[None, :]).ravel()
                lo, counts = starts[wanted], starts[wanted + 1] - starts[wanted]
                for at, pj in _expanded(lo, counts, order):
                    qi = first + at // len(masks)
                    close = (np.bitwise_count(queries[qi] ^ hashes[pj]) <= distance) & (qi < pj)
                    found_i.append(qi[close])
                    found_j.append(pj[close])
    pairs = np.unique(np.stack([np.concatenate(found_i), np.concatenate(found_j)]), axis=1)
    return pairs[0], pairs[1]


def _expanded(lo: np.ndarray, counts: np.ndarray, order: np.ndarray):
    """(lookup index, pool index) for every pool entry in each lookup's bucket
    [lo, lo + count), in blocks of about BLOCK pairs."""
    queries = np.flatnonzero(counts)
    ends = np.cumsum(counts[queries])
    first = 0
    while first < len(queries):
        last = int(np.searchsorted(ends, (ends[first - 1] if first else 0) + BLOCK, "right"))
        last = max(last, first + 1)
        part = queries[first:last]
        n = counts[part]
        run = np.repeat(np.arange(len(part)), n)  # each pair's lookup, within `part`
        shift = lo[part] - (np.cumsum(n) - n)  # from the pair's rank to its bucket entry
        yield part[run], order[np.arange(len(run)) + shift[run]]
        first = last


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over the edges (a[k], b[k]), vectorised: each node's label becomes
    the smallest over its edges, then labels jump to their label's label, until
    nothing changes; each component ends labelled by its smallest node."""
    labels = np.arange(n)
    while True:
        hooked = labels.copy()
        smaller = np.minimum(labels[a], labels[b])
        np.minimum.at(hooked, labels[a], smaller)
        np.minimum.at(hooked, labels[b], smaller)
        hooked = hooked[hooked]
        if np.array_equal(hooked, labels):
            return labels
        labels = hooked


def hash_groups(
    clip_hashes: list[list[str]], *, distance: int | None = None, share: float | None = None
) -> list[list[int]]:
    """Groups (of two clips or more, by index into `clip_hashes`) of near duplicates,
    each sorted, largest group first."""
    distance = settings.NEAR_DUPLICATE_DISTANCE if distance is None else distance
    share = settings.NEAR_DUPLICATE_SHARE if share is None else share
    n = len(clip_hashes)
    if n < 2:
        return []
    owners = np.repeat(np.arange(n), [len(h) for h in clip_hashes])
    hashes = as_array([h for hs in clip_hashes for h in hs])
    informative = np.bitwise_count(hashes) >= FLAT_BITS
    hashes, owners = hashes[informative], owners[informative]
    sizes = np.bincount(owners, minlength=n)
    i, j = near_frame_pairs(hashes, distance)
    ci, cj = owners[i], owners[j]
    other = ci != cj
    i, j, ci, cj = i[other], j[other], ci[other], cj[other]
    low, high = np.minimum(ci, cj), np.maximum(ci, cj)
    pair = low * n + high
    # Distinct frames matched per clip pair and side (the lower or higher clip); each
    # frame pair adds a frame on both sides, so every pair has both.
    frames = np.unique(np.stack([np.concatenate([pair, pair]), np.concatenate([i, j])]), axis=1)
    high_side = owners[frames[1]] == frames[0] % n
    sides, matched = np.unique(frames[0] * 2 + high_side, return_counts=True)
    pairs = sides[::2] // 2
    both = matched.reshape(-1, 2).min(axis=1)
    low, high = pairs // n, pairs % n
    needed = np.maximum(np.ceil(share * np.minimum(sizes[low], sizes[high]) - 1e-9), 1)
    edges = both >= needed
    labels = _components(n, low[edges], high[edges])
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    groups = [g.tolist() for g in np.split(order, cuts) if len(g) > 1]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def near_duplicate_groups(video_ids: list[int]) -> list[list[int]]:
    """Near-duplicate groups (video ids) among these clips only: callers pass the clips
    the user may see, so a group never reveals a clip outside them."""
    rows = list(
        Video.objects.filter(pk__in=video_ids)
        .exclude(frame_hashes=[])
        .order_by("pk")
        .values_list("pk", "frame_hashes")
    )
    groups = hash_groups([hashes for _, hashes in rows])
    return [[rows[k][0] for k in group] for group in groups]


def queue_groups(batch: WorkBatch, user: User) -> list[list[int]]:
    """Near-duplicate groups among the user's unanswered clips in this batch (what
    their grid shows, over all its pages): only clips assigned to them, so a group
    never shows an annotator another batch's or another annotator's clip.

    Grouped over all their assigned clips, kept for GROUPS_SECONDS (the assignments
    change rarely, answers often), then cut down to the unanswered ones."""
    assigned = list(
        Assignment.objects.filter(batch=batch, user=user, video__isnull=False)
        .order_by("video_id")
        .values_list("video_id", "done_at")
    )
    ids = [video_id for video_id, _ in assigned]
    inputs = f"{ids}:{settings.NEAR_DUPLICATE_DISTANCE}:{settings.NEAR_DUPLICATE_SHARE}"
    key = f"near-duplicates:{batch.pk}:{user.pk}:{sha256(inputs.encode()).hexdigest()}"
    groups = cache.get(key)
    if groups is None:
        groups = near_duplicate_groups(ids)
        cache.set(key, groups, GROUPS_SECONDS)
    unanswered = {video_id for video_id, done_at in assigned if done_at is None}
    return [left for g in groups if len(left := [v for v in g if v in unanswered]) > 1]
