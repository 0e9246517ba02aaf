"""Synthetic gold clips: each defect put in by PyAV and seen in the frames, the copies
stored and processed like uploads and hidden among a batch's candidates, failures
recorded without a video, catch rates per defect on the dashboard, and gold clips kept
out of the training set."""

import re
from pathlib import Path

import av
import numpy as np
import pytest
from django.urls import reverse

from annotator.core.errors import InputError
from annotator.gold_video import GoldVideoError, gold_suffix, gold_video_write
from annotator.models import (
    Assignment,
    ClipDecision,
    ClipSuggestion,
    GoldAnswer,
    GoldVariant,
    Job,
    RejectReason,
    Video,
)
from annotator.models.choices import (
    ClipStatus,
    Decision,
    EvaluationStatus,
    GoldDefect,
    ReportStatus,
    Role,
    VideoKind,
    WorkKind,
)
from annotator.selectors.clip_stats import clip_stats
from annotator.selectors.dataset_export import accepted_clips
from annotator.selectors.work_stats import gold_catch_rates
from annotator.services.assignments import work_batch_create
from annotator.services.clip_review import Answer, clip_decide
from annotator.services.gold_clips import (
    DEFECT_REASONS,
    gold_variant_make,
    gold_variants_start,
)
from annotator.services.media import video_process
from annotator.services.videos import dataset_clip_create
from rubrics_app.choices import Level
from tests.factories import ClipFactory, UserFactory
from tests.videos import make_video

FRAMES = 48


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(video=0)]


def bar(frame: np.ndarray) -> float:
    """Where make_video's white bar is: the middle of the columns bright in green."""
    return float(np.flatnonzero(frame[:, :, 1].mean(axis=0) > 170).mean())


@pytest.fixture
def source(tmp_path) -> Path:
    return make_video(tmp_path / "source.mp4", frames=FRAMES, width=128, height=96, shade=90)


def spoiled(source: Path, defect: str) -> list[np.ndarray]:
    dest = source.with_name(f"{defect}.mp4")
    gold_video_write(source, dest, defect, seed=0, max_frames=1000, follow_source=True)
    return frames_of(dest)


@pytest.mark.parametrize("defect", GoldDefect.values)
def test_every_copy_keeps_the_clips_size_rate_and_length(source, defect):
    dest = source.with_name("copy.mp4")
    gold_video_write(source, dest, defect, seed=0, max_frames=1000, follow_source=True)
    with av.open(str(dest)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (128, 96)
        assert stream.average_rate == 24
        assert stream.codec_context.name == "h264"
    assert len(frames_of(dest)) == FRAMES


def with_sound(path: Path, codec: str, audio: str) -> Path:
    """A clip of FRAMES frames in `codec` with a sound track in `audio` (a tone)."""
    with av.open(str(path), "w") as container:
        video = container.add_stream(codec, rate=24)
        video.width, video.height, video.pix_fmt = 128, 96, "yuv420p"
        sound = container.add_stream(audio, rate=48000)
        for i in range(FRAMES):
            picture = np.full((96, 128, 3), (i * 5) % 256, dtype=np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(video.encode(None))
        tone = np.sin(np.arange(48000 * FRAMES // 24) / 10).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        container.mux(sound.encode(frame))
        container.mux(sound.encode(None))
    return path


def shape(path: Path) -> tuple[str, str, str | None]:
    with av.open(str(path)) as container:
        sound = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return container.format.name, container.streams.video[0].codec_context.name, sound


@pytest.mark.parametrize(
    ("name", "codec", "audio", "expected"),
    [
        ("clip.webm", "libvpx-vp9", "libopus", ("matroska,webm", "vp9", "opus")),
        ("clip.mp4", "libx264", "aac", ("mov,mp4,m4a,3gp,3g2,mj2", "h264", "aac")),
    ],
)
def test_a_copy_of_a_clip_served_as_uploaded_has_its_container_codec_and_sound(
    tmp_path, name, codec, audio, expected
):
    source = with_sound(tmp_path / name, codec, audio)
    assert shape(source) == expected
    dest = tmp_path / f"copy{gold_suffix(name, follow_source=True)}"
    gold_video_write(source, dest, GoldDefect.BORDERS, seed=0, max_frames=99, follow_source=True)
    assert dest.suffix == Path(name).suffix
    assert shape(dest) == expected
    assert sound_of(dest) == sound_of(source)  # copied unchanged


def sound_of(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(audio=0) if p.size]


def test_a_copy_of_a_clip_served_through_a_rendition_is_shaped_like_the_rendition(tmp_path):
    # An upload that browsers do not play is served as H.264 MP4 without sound.
    source = with_sound(tmp_path / "clip.mkv", "mpeg4", "aac")
    dest = tmp_path / f"copy{gold_suffix('clip.mkv', follow_source=False)}"
    gold_video_write(source, dest, GoldDefect.TEXT, seed=0, max_frames=99, follow_source=False)
    assert dest.suffix == ".mp4"
    assert shape(dest) == ("mov,mp4,m4a,3gp,3g2,mj2", "h264", None)


def test_reversed_plays_the_motion_backwards(source):
    forward = [bar(f) for f in frames_of(source)]
    backward = [bar(f) for f in spoiled(source, GoldDefect.REVERSED)]
    assert forward[0] < forward[-1]
    assert np.allclose(backward, forward[::-1], atol=1.5)


def test_frozen_holds_one_frame_for_most_of_the_clip(source):
    frames = spoiled(source, GoldDefect.FROZEN)
    still = frames[len(frames) // 5 :]
    assert len({bar(f) for f in still}) == 1
    assert max(np.abs(f - still[0]).mean() for f in still) < 2
    assert len({bar(f) for f in frames[: len(frames) // 5]}) > 5  # it moved before


def test_shuffled_cuts_the_clip_into_thirds_out_of_order(source):
    original = [bar(f) for f in frames_of(source)]
    shuffled = [bar(f) for f in spoiled(source, GoldDefect.SHUFFLED)]
    third = FRAMES // 3
    expected = original[third : 2 * third] + original[:third] + original[2 * third :]
    assert np.allclose(shuffled, expected, atol=1.5)
    jumps = np.abs(np.diff(shuffled))
    assert (jumps > 20).sum() == 2  # two cuts, and nowhere else does the bar jump


def test_borders_are_black_around_the_picture(source):
    for frame in spoiled(source, GoldDefect.BORDERS)[::10]:
        for edge in (frame[:10], frame[-10:], frame[:, :15], frame[:, -15:]):
            assert edge.mean() < 12
        assert frame[30:66, 30:98].mean() > 60


def test_burned_text_changes_the_bottom_of_every_frame_only(source):
    original = frames_of(source)
    for before, after in zip(original, spoiled(source, GoldDefect.TEXT), strict=True):
        assert np.abs(before[:40] - after[:40]).mean() < 3  # the top untouched
        assert np.abs(before[-30:] - after[-30:]).mean() > 20  # a caption box below


def test_a_clip_too_short_or_unreadable_cannot_give_a_copy(tmp_path):
    short = make_video(tmp_path / "short.mp4", frames=6)
    with pytest.raises(GoldVideoError, match="6 frames"):
        gold_video_write(
            short,
            tmp_path / "a.mp4",
            GoldDefect.REVERSED,
            seed=0,
            max_frames=99,
            follow_source=True,
        )
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(GoldVideoError, match="could not be decoded"):
        gold_video_write(
            junk, tmp_path / "b.mp4", GoldDefect.REVERSED, seed=0, max_frames=99, follow_source=True
        )
    long = make_video(tmp_path / "long.mp4", frames=40)
    with pytest.raises(GoldVideoError, match="longer than 30 frames"):
        gold_video_write(
            long, tmp_path / "c.mp4", GoldDefect.REVERSED, seed=0, max_frames=30, follow_source=True
        )


# --- stored, processed, hidden ---------------------------------------------------------


def accepted(path: Path, external_id: str) -> Video:
    video = dataset_clip_create(path=path, caption=f"Cells of {external_id} divide.").video
    video_process(video_id=video.pk)
    Video.objects.filter(pk=video.pk).update(
        clip_status=ClipStatus.ACCEPTED, external_id=external_id, level=Level.CELLULAR
    )
    return Video.objects.get(pk=video.pk)


def made(variant: GoldVariant) -> Video:
    gold_variant_make(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.status == ReportStatus.DONE, variant.error
    return video_process(video_id=variant.video_id)


@pytest.mark.django_db
def test_a_job_makes_each_copy_once_processed_like_an_upload_with_its_answer(
    tmp_path, admin_user, django_capture_on_commit_callbacks
):
    clip = accepted(make_video(tmp_path / "cells.mp4", frames=FRAMES, shade=3), "cells-0001")
    ClipSuggestion.objects.create(
        video=clip, judge_model="m", status=EvaluationStatus.OK, caption="draft", decision="accept"
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = gold_variants_start(sources=[clip], defects=GoldDefect.values, user=admin_user)
    job.refresh_from_db()
    assert (job.total, job.succeeded, job.failed) == (5, 5, 0)
    gold = Video.objects.filter(kind=VideoKind.GOLD)
    assert gold.count() == 5
    for video in gold:
        assert video.media_status == "ready"  # through the media pipeline, as queued
        assert len(video.judge_frames) == 8
        assert (video.caption, video.external_id, video.original_name, video.level) == (
            clip.caption,
            clip.external_id,
            clip.original_name,
            clip.level,
        )
        assert video.file.name.startswith("videos/")  # named by content, as every upload
        assert video.clip_status == ClipStatus.PENDING
        assert GoldAnswer.objects.get(video=video).decision == Decision.REJECT
        assert video.clip_suggestions.get().caption == "draft"
    reasons = dict(GoldVariant.objects.values_list("defect", "reason__code"))
    assert reasons == {
        "reversed": "inconsistent",
        "frozen": "frozen",
        "shuffled": "scene-cut",
        "borders": "black-borders",
        "text": "text-overlay",
    }
    with pytest.raises(InputError, match="already"):
        gold_variants_start(sources=[clip], defects=GoldDefect.values, user=admin_user)
    gold_variant_make(variant_id=GoldVariant.objects.first().pk)  # delivered twice
    assert Video.objects.filter(kind=VideoKind.GOLD).count() == 5


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "codec", "audio", "served"),
    [
        ("cells.webm", "libvpx-vp9", "libopus", (".webm", "vp9", "opus")),  # as uploaded
        ("cells.mkv", "mpeg4", "aac", (".mp4", "h264", None)),  # through a rendition
    ],
)
def test_a_stored_copy_is_served_as_its_clip_is(
    tmp_path, admin_user, django_capture_on_commit_callbacks, name, codec, audio, served
):
    clip = accepted(with_sound(tmp_path / name, codec, audio), "cells-1")
    with django_capture_on_commit_callbacks(execute=True):
        gold_variants_start(sources=[clip], defects=[GoldDefect.TEXT], user=admin_user)
    copy = Video.objects.get(kind=VideoKind.GOLD)
    assert copy.media_status == "ready"
    for video in (clip, copy):
        path = Path((video.playable or video.file).path)
        assert (path.suffix, *shape(path)[1:]) == served
    assert bool(copy.playable) is False  # played as stored, as the clip's served file is


@pytest.mark.django_db
def test_a_copy_that_cannot_be_made_is_recorded_failed_and_inserts_nothing(
    tmp_path, admin_user, django_capture_on_commit_callbacks
):
    clip = accepted(make_video(tmp_path / "short.mp4", frames=10), "short-1")
    with django_capture_on_commit_callbacks(execute=True):
        job = gold_variants_start(sources=[clip], defects=["frozen"], user=admin_user)
    job.refresh_from_db()
    assert (job.succeeded, job.failed) == (0, 1)
    assert "10 frames" in job.failures[0]
    variant = GoldVariant.objects.get()
    assert variant.status == ReportStatus.FAILED and "10 frames" in variant.error
    assert variant.video is None
    assert not Video.objects.filter(kind=VideoKind.GOLD).exists()
    assert not GoldAnswer.objects.exists()


@pytest.mark.django_db
def test_only_accepted_clips_are_copied_and_defects_are_checked(admin_user):
    pending = ClipFactory()
    with pytest.raises(InputError, match="accepted"):
        gold_variants_start(sources=[pending], defects=["text"], user=admin_user)
    with pytest.raises(InputError, match="No such defect: sepia"):
        gold_variants_start(sources=[pending], defects=["sepia"], user=admin_user)
    with pytest.raises(InputError, match="at least one"):
        gold_variants_start(sources=[pending], defects=[], user=admin_user)


@pytest.fixture
def gold_world(tmp_path, admin_user):
    """Four accepted clips, each with a ready gold copy of another defect."""
    sources, gold = [], []
    for k, defect in enumerate(["reversed", "frozen", "borders", "text"]):
        path = make_video(tmp_path / f"s{k}.mp4", frames=24, shade=10 * k + 1)
        sources.append(accepted(path, f"src-{k}"))
        reason = RejectReason.objects.get(code=DEFECT_REASONS[GoldDefect(defect)])
        variant = GoldVariant.objects.create(
            source=sources[-1], defect=defect, reason=reason, created_by=admin_user
        )
        gold.append(made(variant))
    return sources, gold


@pytest.mark.django_db
def test_a_batch_hides_the_share_of_gold_asked_for_among_its_candidates(gold_world, admin_user):
    _, gold = gold_world
    candidates = ClipFactory.create_batch(6)
    people = UserFactory.create_batch(2)
    batch = work_batch_create(
        name="with gold",
        kind=WorkKind.VERIFY,
        items=candidates,
        users=people,
        overlap=2,
        created_by=admin_user,
        gold_share=0.25,  # 2 of 8
    )
    given = set(Assignment.objects.filter(batch=batch).values_list("video_id", flat=True))
    assert len(given) == 8
    assert len(given & {g.pk for g in gold}) == 2
    assert Assignment.objects.filter(batch=batch).count() == 16  # gold to both, like the rest
    # Used gold is not handed out again; what is left is too little for another share.
    with pytest.raises(InputError, match="needs 3 gold clips; 2 are ready"):
        work_batch_create(
            name="more",
            kind=WorkKind.VERIFY,
            items=ClipFactory.create_batch(6),
            users=people,
            overlap=1,
            created_by=admin_user,
            gold_share=0.3,
        )
    with pytest.raises(InputError, match="Only a verification batch"):
        work_batch_create(
            name="judging",
            kind=WorkKind.JUDGE,
            items=[],
            users=people,
            overlap=1,
            created_by=admin_user,
            gold_share=0.1,
        )


@pytest.mark.django_db
def test_gold_is_never_copied_from_a_clip_its_annotator_answered_on(gold_world, admin_user):
    sources, gold = gold_world
    who = UserFactory()
    for clip in sources[:3]:
        ClipDecision.objects.create(video=clip, user=who, decision=Decision.ACCEPT)
    batch = work_batch_create(
        name="b",
        kind=WorkKind.VERIFY,
        items=ClipFactory.create_batch(3),
        users=[who],
        overlap=1,
        created_by=admin_user,
        gold_share=0.25,
    )
    given = set(batch.assignments.values_list("video_id", flat=True))
    assert given & {g.pk for g in gold} == {gold[3].pk}


def decide(batch, user, video, decision, reasons=()):
    answer = Answer(decision, reasons=reasons, caption=video.caption, level=Level.CELLULAR)
    clip_decide(batch=batch, user=user, video_id=video.pk, answer=answer)


@pytest.mark.django_db
def test_catch_rates_per_defect_and_gold_kept_out_of_the_training_set(
    gold_world, admin_user, client
):
    _, gold = gold_world
    candidates = ClipFactory.create_batch(4)
    ann, ben = UserFactory(username="ann"), UserFactory(username="ben")
    batch = work_batch_create(
        name="b",
        kind=WorkKind.VERIFY,
        items=candidates,
        users=[ann, ben],
        overlap=2,
        created_by=admin_user,
        gold_share=0.5,
    )
    reversed_, frozen, borders, text = gold
    decide(batch, ann, reversed_, Decision.REJECT, ["inconsistent"])
    decide(batch, ann, frozen, Decision.REJECT, ["low-quality"])  # caught, other reason
    decide(batch, ann, borders, Decision.ACCEPT)  # missed
    decide(batch, ben, borders, Decision.REJECT, ["black-borders"])
    decide(batch, ben, text, Decision.ACCEPT)  # missed: both accept, so it is "accepted"
    decide(batch, ann, text, Decision.ACCEPT)
    decide(batch, ann, candidates[0], Decision.ACCEPT)
    rates = gold_catch_rates(batch)
    assert (rates["ann"]["reversed"].caught, rates["ann"]["reversed"].right_reason) == (1, 1)
    assert (rates["ann"]["frozen"].caught, rates["ann"]["frozen"].right_reason) == (1, 0)
    assert rates["ann"]["borders"].rate == 0 and rates["ben"]["borders"].rate == 1
    assert rates["ben"]["text"].seen == 1 and rates["ben"]["text"].rate == 0
    assert "shuffled" not in rates["ann"]
    # The missed gold clip is accepted by its annotators, yet never in the training set,
    # and the candidates' outcome on the dashboard does not count it.
    text.refresh_from_db()
    assert text.clip_status == ClipStatus.ACCEPTED
    assert text not in accepted_clips(as_of=text.decided_at)
    assert clip_stats(batch).outcome[ClipStatus.ACCEPTED] == 0  # candidate 0 needs ben too
    # The dashboard: admins see the catch table, reviewers do not.
    client.force_login(admin_user)
    page = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    assert 'id="gold-catch"' in page and "100% of 1" in page
    client.force_login(UserFactory(role=Role.REVIEWER))
    page = client.get(reverse("batch-dashboard", args=[batch.pk])).content.decode()
    assert 'id="gold-catch"' not in page


@pytest.mark.django_db
def test_annotators_cannot_tell_a_gold_clip_from_a_candidate(gold_world, admin_user, client):
    _, gold = gold_world
    ann = UserFactory()
    real = accepted(make_video(Path(gold[0].file.path).with_name("real.mp4"), frames=24), "r-1")
    Video.objects.filter(pk=real.pk).update(clip_status=ClipStatus.PENDING)
    batch = work_batch_create(
        name="b",
        kind=WorkKind.VERIFY,
        items=[real],
        users=[ann],
        overlap=1,
        created_by=admin_user,
        gold_share=0.5,
    )
    client.force_login(ann)
    grid = client.get(reverse("clip-grid", args=[batch.pk])).content.decode()
    assert "gold" not in grid.lower() and grid.count('class="thumb-card') == 2
    fields = {}
    for _ in range(2):
        page = client.get(reverse("clip-verify", args=[batch.pk])).content.decode()
        shown = Video.objects.get(public_id=page.split('data-video="')[1].split('"')[0])
        assert "gold" not in page.lower() and "synthetic" not in page.lower()
        # Named by public id: row ids follow the import order and would single gold out.
        assert f'name="video" value="{shown.public_id}"' in page
        assert f'data-video="{shown.pk}"' not in page and f"clip={shown.pk}" not in page
        # The same media, under the same kind of address, answered the same way.
        urls = set(re.findall(rf"/media/videos/{shown.public_id}/[a-z0-9-]+", page))
        fields[shown.kind] = {url.rsplit("/", 1)[1] for url in urls}
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200
            assert "gold" not in str(response.headers).lower()
        decide(batch, ann, shown, Decision.REJECT, ["duplicate"])
    assert fields[VideoKind.GOLD] == fields[VideoKind.DATASET] and fields[VideoKind.GOLD]
    assert client.get(reverse("gold-clips")).status_code == 403


@pytest.mark.django_db
def test_the_gold_page_makes_copies_and_says_what_is_wrong(
    tmp_path, admin_user, client, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    empty = client.post(reverse("gold-clips"), {"clips": 5, "defects": ["text"]})
    assert empty.status_code == 422
    assert "None of these clips is accepted" in empty.content.decode()
    assert client.post(reverse("gold-clips"), {"clips": 5}).status_code == 422
    accepted(make_video(tmp_path / "a.mp4", frames=24), "a-1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("gold-clips"), {"clips": 5, "defects": ["text", "reversed"]})
    job = Job.objects.get(kind="gold_clips")
    assert response.status_code == 302 and response.url == reverse("job-detail", args=[job.pk])
    page = client.get(reverse("gold-clips")).content.decode()
    assert page.count("text burned in") >= 2  # the form's box and the copy's row
    assert Video.objects.filter(kind=VideoKind.GOLD).count() == 2
    form = client.post(
        reverse("batch-new"),
        {"kind": "verify", "overlap": 1, "gold": 50, "users": [admin_user.pk], "name": "x"},
    )
    assert "needs" in form.content.decode() or "plan-gold" in form.content.decode()
