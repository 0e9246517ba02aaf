"""Synthetic gold clips in real headless Chromium: an admin makes copies from the page,
mixes them into a new batch, an annotator rejects one in their workspace and the
dashboard shows the catch."""

import pytest

from annotator.models import User, Video
from annotator.models.choices import ClipStatus, Role, VideoKind
from annotator.services.media import video_process
from annotator.services.videos import dataset_clip_create
from tests.browser import log_in
from tests.factories import ClipFactory, UserFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_gold_copies_mixes_them_in_and_sees_them_caught(
    page, live_server, tmp_path, browser
):
    source = dataset_clip_create(path=make_video(tmp_path / "cells.mp4", frames=24)).video
    video_process(video_id=source.pk)
    Video.objects.filter(pk=source.pk).update(
        clip_status=ClipStatus.ACCEPTED, external_id="cells-1", caption="Cells divide."
    )
    ann = UserFactory(username="ann")
    candidate = ClipFactory(external_id="cand-1")
    log_in(page, live_server, "boss", Role.ADMIN)

    page.goto(f"{live_server.url}/clips/gold/")
    page.fill("#id_clips", "1")
    for box in page.locator("input[name=defects]").all():
        box.set_checked(box.get_attribute("value") == "text")
    page.click("text=Make gold copies")
    page.wait_for_selector("#job-counts:has-text('1 succeeded')")
    page.goto(f"{live_server.url}/clips/gold/")
    assert "media ready" in page.locator("#gold-variants").inner_text()
    gold = Video.objects.get(kind=VideoKind.GOLD)

    page.goto(f"{live_server.url}/work/batches/new")
    page.select_option("#id_kind", "verify")
    page.fill("#id_name", "round 2")
    page.fill("#id_gold", "50")
    page.check(f"input[name=users][value='{ann.pk}']")
    page.select_option("#id_status", "pending")
    page.click("text=Show the plan")
    assert page.locator("#plan-gold").inner_text() == "1"
    page.click("text=Create the batch")
    page.wait_for_selector("#annotator-progress")
    dashboard = page.url

    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    log_in(other, live_server, "ann")
    batch_id = dashboard.rstrip("/").split("/")[-1]
    other.goto(f"{live_server.url}/clips/batches/{batch_id}/")
    for _ in range(2):
        other.wait_for_selector("#clip-workspace[data-video]")
        shown = other.locator("#clip-workspace").get_attribute("data-video")
        assert "gold" not in other.content().lower()
        if shown == str(gold.public_id):
            other.keyboard.press("3")  # text, subtitles, watermark or logo
            other.keyboard.press("r")
        else:
            assert shown == str(candidate.public_id)
            other.keyboard.press("9")  # duplicate
            other.keyboard.press("r")
        other.wait_for_function(
            "id => document.querySelector('#clip-workspace')?.dataset.video !== id", arg=shown
        )
    page.goto(dashboard)
    catch = page.locator("#gold-catch").inner_text()
    assert "ann" in catch and "100% of 1 (1)" in catch
    assert User.objects.get(username="ann").clip_decisions.count() == 2
