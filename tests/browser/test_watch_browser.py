"""Watch-time telemetry in real headless Chromium (issue 18, item 7): the judging page
measures what was played of each video, the replays and the frame steps, and each
confirm stores them with its verdicts."""

import pytest

from annotator.models import Judgment
from annotator.models.choices import VerdictSource
from tests.browser import log_in
from tests.browser.test_browser import judging_task_with_videos
from tests.browser.test_keys_browser import judging_page, saved, shown

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL = "Array.from(document.querySelectorAll('video.synced'))"
READY = f"() => {ALL}.every(v => v.readyState >= 2)"
# Both videos are 4 s long (96 frames at 24 fps).
AT_LEAST = f"t => {ALL}.every(v => v.currentTime >= t)"


def test_a_confirm_stores_what_was_played_the_replays_and_the_frame_steps(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, criterion, videos = judging_task_with_videos(
        tmp_path, 2, django_capture_on_commit_callbacks
    )
    log_in(page, live_server)
    judging_page(page, live_server, task)
    first, second = shown(page, videos)
    page.wait_for_function(READY)
    # About a third of the videos played, then three frames stepped through.
    page.keyboard.press("p")
    page.wait_for_function(AT_LEAST, arg=1.2)
    page.keyboard.press("p")
    for _ in range(3):
        page.keyboard.press(".")
    page.keyboard.press("v")  # the first video's drafts (one)
    page.keyboard.press("Enter")
    saved(page, "confirmed 1 draft · u undoes")
    mine = Judgment.objects.get(video=first, criterion=criterion, source=VerdictSource.HUMAN)
    assert 0.25 < mine.watch_coverage < 0.75  # 1.2 s or a little more of 4 s
    assert (mine.watch_replays, mine.watch_frame_steps) == (0, 3)
    assert 0 < mine.watch_seconds < 120
    # Then from 90% on: the loop starts them again, a replay, and 10% more is covered.
    page.eval_on_selector("#scrub", "s => { s.value = 900; s.dispatchEvent(new Event('input')); }")
    page.wait_for_function(f"() => {ALL}.every(v => !v.seeking)")
    page.keyboard.press("p")
    page.wait_for_function(f"() => {ALL}.every(v => v.currentTime > 0.3 && v.currentTime < 2)")
    page.keyboard.press("p")
    page.keyboard.press("Shift+C")  # what is left: the second video's draft
    page.keyboard.press("Enter")
    saved(page, "confirmed 1 draft of 2 videos · u undoes")
    later = Judgment.objects.get(video=second, criterion=criterion, source=VerdictSource.HUMAN)
    assert later.watch_replays == 1 and later.watch_frame_steps == 3
    assert mine.watch_coverage + 0.05 < later.watch_coverage < 1
    assert later.watch_seconds >= mine.watch_seconds


def test_a_reload_keeps_what_was_watched_in_the_tab(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, criterion, _ = judging_task_with_videos(tmp_path, 1, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    judging_page(page, live_server, task)
    page.wait_for_function(READY)
    page.keyboard.press("p")
    page.wait_for_function(AT_LEAST, arg=1.2)
    page.keyboard.press("p")
    page.keyboard.press(".")
    page.reload()  # as revealing names or coming back to the task does
    page.wait_for_function(READY)
    page.keyboard.press("v")
    page.keyboard.press("Enter")
    saved(page, "confirmed 1 draft · u undoes")
    mine = Judgment.objects.get(criterion=criterion, source=VerdictSource.HUMAN)
    assert 0.25 < mine.watch_coverage < 0.75 and mine.watch_frame_steps == 1
    assert mine.watch_seconds >= 1.2
