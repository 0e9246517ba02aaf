"""The clip verification workspace in real headless Chromium, from the keyboard."""

import pytest
from django.core.cache import cache
from django.core.files import File

from annotator.models import ClipDecision, User, Video
from annotator.models.choices import ClipStatus, Decision, WorkKind
from annotator.services.assignments import work_batch_create
from tests.browser import log_in
from tests.factories import ClipFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_three_clips_decided_from_the_keyboard_with_the_next_one_preloaded(
    page, live_server, tmp_path
):
    log_in(page, live_server)
    clips = []
    for n in range(4):
        clip = ClipFactory(caption=f"Draft caption {n}", level="")
        with open(make_video(tmp_path / f"c{n}.mp4", frames=48, shade=n * 40), "rb") as fh:
            clip.file.save(f"c{n}.mp4", File(fh))
        clips.append(clip)
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="keys",
        items=clips,
        users=[User.objects.get(username="ann")],
        overlap=1,
        created_by=None,
    )
    page.goto(f"{live_server.url}/clips/batches/{batch.pk}/")

    def wait_for_clip(clip: Video) -> None:
        """Until the clip is shown and htmx has settled the swap (keys pressed while
        it settles would reach elements about to be replaced)."""
        try:
            page.wait_for_selector(f"#clip-workspace[data-video='{clip.public_id}']")
        except Exception:
            errors = page.locator("#clip-error").all_inner_texts()
            raise AssertionError(f"clip {clip.pk} not shown; errors: {errors}") from None
        page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")

    def preloaded(clip: Video) -> None:
        """The next clip's player exists off-screen and has data before it is needed;
        a mark set on it now shows that the very element becomes the main player."""
        upcoming = page.locator(f".clip-preload video#clip-video-{clip.public_id}")
        upcoming.evaluate(
            "v => new Promise(ok => { if (v.readyState >= 2) ok();"
            " else v.addEventListener('loadeddata', ok, {once: true}); })"
        )
        upcoming.evaluate("v => { v.dataset.mark = 'preloaded'; }")

    wait_for_clip(clips[0])
    # 1: accept at the cellular level, with the caption edited.
    preloaded(clips[1])
    page.keyboard.press("e")
    page.keyboard.press("End")
    page.keyboard.type(" Edited.")
    page.keyboard.press("Escape")
    page.keyboard.press("c")
    page.keyboard.press("a")
    wait_for_clip(clips[1])
    main = page.locator(f".clip-stage video#clip-video-{clips[1].public_id}")
    assert main.evaluate("v => v.dataset.mark") == "preloaded"
    assert main.evaluate("v => v.readyState") >= 2
    # 2: reject with two reasons (keys 4 and 5).
    preloaded(clips[2])
    page.keyboard.press("4")
    page.keyboard.press("5")
    page.keyboard.press("r")
    wait_for_clip(clips[2])
    assert (
        page.locator(f".clip-stage video#clip-video-{clips[2].public_id}").evaluate(
            "v => v.dataset.mark"
        )
        == "preloaded"
    )
    # 3: flag, then undo it and reject instead.
    page.keyboard.press("f")
    wait_for_clip(clips[3])
    page.keyboard.press("u")
    wait_for_clip(clips[2])
    page.keyboard.press("9")
    page.keyboard.press("r")
    wait_for_clip(clips[3])
    assert page.locator("#clip-progress").inner_text() == "3 of 4 done"
    assert page.locator("#save-state").inner_text() == "saved"

    answers = {d.video_id: d for d in ClipDecision.objects.all()}
    assert answers[clips[0].pk].decision == Decision.ACCEPT
    assert answers[clips[0].pk].caption == "Draft caption 0 Edited."
    assert answers[clips[0].pk].level == "Cellular-level"
    assert answers[clips[0].pk].seconds > 0
    assert answers[clips[1].pk].reasons == ["black-borders", "scene-cut"]
    assert answers[clips[2].pk].decision == Decision.REJECT
    assert answers[clips[2].pk].reasons == ["duplicate"]
    assert Video.objects.get(pk=clips[0].pk).clip_status == ClipStatus.ACCEPTED
    assert page.url.endswith(f"?clip={clips[3].public_id}")


def test_k_in_the_grid_keeps_one_of_a_near_duplicate_group(page, live_server):
    cache.clear()
    log_in(page, live_server)
    frames = [f"{(n + 1) * 0x0123456789ABCDE % 2**64:016x}" for n in range(8)]
    clips = [ClipFactory(frame_hashes=frames) for _ in range(3)] + [ClipFactory()]
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="grid",
        items=clips,
        users=[User.objects.get(username="ann")],
        overlap=1,
        created_by=None,
    )
    page.goto(f"{live_server.url}/clips/batches/{batch.pk}/grid/")
    assert page.locator(".thumb-card.dup-group").count() == 3
    page.keyboard.press("ArrowRight")
    page.keyboard.press("k")
    page.wait_for_selector("text=rejected 2 near duplicates")
    decisions = ClipDecision.objects.filter(decision=Decision.REJECT)
    assert sorted(d.video_id for d in decisions) == [clips[0].pk, clips[2].pk]
    assert all(d.reasons == ["duplicate"] for d in decisions)
    assert page.locator(".thumb-card.dup-group").count() == 0
