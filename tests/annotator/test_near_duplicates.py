"""Near-duplicate clips: grouping on generated clips (re-encoded, mirrored, cut with
overlap), the mirrored-hash derivation against imagehash, the grid's keep-one key,
and that groups stay within the clips a user may see."""

import imagehash
import numpy as np
import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image, ImageOps

from annotator.models import ClipDecision, Video
from annotator.models.choices import Decision, WorkKind
from annotator.selectors.near_duplicates import (
    MIRROR_MASK,
    hash_groups,
    near_duplicate_groups,
    near_frame_pairs,
    queue_groups,
)
from annotator.services.assignments import work_batch_create
from annotator.services.media import video_process
from annotator.services.videos import dataset_clip_create
from tests.factories import ClipFactory, UserFactory
from tests.videos import scenes, write_video

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def processed(path) -> Video:
    return video_process(video_id=dataset_clip_create(path=path).video.pk)


def test_a_mirrored_and_a_reencoded_copy_are_grouped_a_different_clip_is_not(tmp_path):
    pictures = scenes(1)
    original = processed(write_video(tmp_path / "a.mp4", pictures))
    reencoded = processed(write_video(tmp_path / "b.mp4", pictures, scale=0.75))
    mirrored = processed(write_video(tmp_path / "c.mp4", [p[:, ::-1] for p in pictures]))
    other = processed(write_video(tmp_path / "d.mp4", scenes(2)))
    # Half of the original's scenes (4 of its 8 judge frames), and two of another.
    cut = processed(write_video(tmp_path / "e.mp4", pictures[2:] + scenes(3, 2)))
    clips = [original, reencoded, mirrored, other, cut]
    assert all(len(c.frame_hashes) == 8 for c in clips)
    groups = near_duplicate_groups([c.pk for c in clips])
    assert groups == [sorted([original.pk, reencoded.pk, mirrored.pk, cut.pk])]
    # A set without the others groups nothing.
    assert near_duplicate_groups([original.pk, other.pk]) == []


def test_the_mirrored_hash_is_the_hash_xor_the_mask_within_a_few_bits():
    for seed in range(20):
        picture = Image.fromarray(scenes(seed, 1)[0]).resize((320, 240), Image.BILINEAR)
        derived = int(str(imagehash.phash(picture)), 16) ^ int(MIRROR_MASK)
        actual = int(str(imagehash.phash(ImageOps.mirror(picture))), 16)
        assert (derived ^ actual).bit_count() <= 8, seed


def test_frame_pairs_are_exactly_those_within_the_distance():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 2**63, 300, dtype=np.uint64)
    # Near copies at 0 to 14 bits, directly and mirrored.
    flips = [sum(1 << int(b) for b in rng.choice(64, k, replace=False)) for k in range(15)]
    near = np.array([int(base[k]) ^ f for k, f in enumerate(flips)], dtype=np.uint64)
    hashes = np.concatenate([base, near, near ^ MIRROR_MASK])
    i, j = near_frame_pairs(hashes, 10)
    x = hashes[:, None] ^ hashes[None, :]
    close = np.minimum(np.bitwise_count(x), np.bitwise_count(x ^ MIRROR_MASK)) <= 10
    expected = {(a, b) for a, b in zip(*np.nonzero(close), strict=True) if a < b}
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert len(expected) > 20  # the planted ones are there


def test_a_chain_is_one_group_and_one_shared_frame_is_not_enough():
    rng = np.random.default_rng(9)
    x, y, z, w = ([f"{int(h):016x}" for h in rng.integers(0, 2**63, 8, np.uint64)] for _ in "xyzw")
    a = x
    # b shares 4 frames with a, c shares 4 with b (not with a); d one frame with a.
    b = a[4:] + y[:4]
    c = y[:4] + z[:4]
    d = a[:1] + w[:7]
    assert hash_groups([a, b, c, d], distance=0, share=0.5) == [[0, 1, 2]]
    assert hash_groups([a, b, c, d], distance=0, share=0.6) == []


def test_flat_frames_match_nothing():
    black, white = "0" * 16, "8" + "0" * 15
    picture = [f"{0x5A5A_3C3C_0F0F_6699 + k:016x}" for k in range(2)]
    # Six flat frames and two real ones each: the real ones decide (they differ).
    a = [black] * 3 + [white] * 3 + picture[:1]
    b = [black] * 3 + [white] * 3 + picture[1:]
    assert hash_groups([a, b], distance=0, share=0.5) == []
    assert hash_groups([a, a], distance=0, share=0.5) == [[0, 1]]


def batch_of(clips, users):
    return work_batch_create(
        kind=WorkKind.VERIFY, name="r1", items=clips, users=users, overlap=1, created_by=None
    )


def hashed_clips(n_groups: int, size: int) -> list[Video]:
    rng = np.random.default_rng(n_groups * 10 + size)
    clips = []
    for _ in range(n_groups):
        frames = [f"{int(h):016x}" for h in rng.integers(0, 2**63, 8, dtype=np.uint64)]
        clips += [ClipFactory(frame_hashes=frames) for _ in range(size)]
    return clips


def test_k_keeps_one_and_rejects_the_rest_as_duplicate(client, annotator_user):
    clips = hashed_clips(1, 3) + hashed_clips(1, 1)
    batch = batch_of(clips, [annotator_user])
    client.force_login(annotator_user)
    html = client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    assert html.count("near-duplicates: 3") == 3 and 'id="keep-form"' in html
    response = client.post(
        reverse("clip-grid-keep", args=[batch.pk]), {"video": clips[1].public_id, "page": 1}
    )
    assert response.status_code == 302
    rejected = ClipDecision.objects.filter(user=annotator_user)
    assert {(d.video_id, d.decision, tuple(d.reasons)) for d in rejected} == {
        (clips[0].pk, Decision.REJECT, ("duplicate",)),
        (clips[2].pk, Decision.REJECT, ("duplicate",)),
    }
    # The kept clip is left to decide; its group is gone from the grid.
    html = client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    assert f'value="{clips[1].public_id}"' in html and "near-duplicates:" not in html
    # A clip with no group left: refused, nothing written.
    response = client.post(
        reverse("clip-grid-keep", args=[batch.pk]), {"video": clips[1].public_id}
    )
    assert response.status_code == 422 and rejected.count() == 2


def test_groups_stay_within_the_users_own_clips(client, annotator_user):
    other = UserFactory(username="other")
    mine, theirs = hashed_clips(1, 2), hashed_clips(1, 1)
    # A copy of one of my clips given to someone else, in another batch.
    theirs.append(ClipFactory(frame_hashes=mine[0].frame_hashes))
    batch, their_batch = batch_of(mine[:1], [annotator_user]), batch_of(theirs, [other])
    assert queue_groups(batch, annotator_user) == []
    assert queue_groups(their_batch, other) == []
    client.force_login(annotator_user)
    html = client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    assert "near-duplicates:" not in html
    # Keeping in someone else's batch: not found; naming another batch's clip: refused.
    response = client.post(
        reverse("clip-grid-keep", args=[their_batch.pk]), {"video": theirs[0].public_id}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("clip-grid-keep", args=[batch.pk]), {"video": theirs[1].public_id}
    )
    assert response.status_code == 422
    assert not ClipDecision.objects.exists()
