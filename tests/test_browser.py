"""In real headless Chromium: the pages work as a person uses them."""

import pytest
from django.core.files import File

from annotator.choices import MediaStatus
from tests.factories import CriterionFactory, UserFactory, VideoFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username="ann"):
    UserFactory(username=username)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/benchmarks/")


def test_a_task_video_plays_and_seeks(page, live_server, tmp_path):
    video = VideoFactory(media_status=MediaStatus.READY)
    CriterionFactory(task=video.task, text="Cells divide once")
    with open(make_video(tmp_path / "v.mp4", frames=96, width=160, height=120), "rb") as fh:
        video.file.save("v.mp4", File(fh))
    log_in(page, live_server)
    statuses = []
    page.on("response", lambda r: "/media/videos/" in r.url and statuses.append(r.status))
    page.goto(f"{live_server.url}/tasks/{video.task.pk}/")
    assert page.get_by_text("Cells divide once").is_visible()

    player = page.locator(f"video[data-video='{video.pk}']")
    player.evaluate(
        "v => new Promise((ok, fail) => { if (v.readyState >= 2) ok();"
        " v.addEventListener('loadeddata', ok); v.addEventListener('error', () => fail("
        "'media error ' + (v.error && v.error.code))); v.load(); })"
    )
    assert player.evaluate("v => v.readyState") >= 2
    duration = player.evaluate("v => v.duration")
    assert duration == pytest.approx(4.0, abs=0.1)
    seeked_at = player.evaluate(
        "v => new Promise(ok => { v.addEventListener('seeked', () => ok(v.currentTime),"
        " {once: true}); v.currentTime = v.duration / 2; })"
    )
    assert seeked_at == pytest.approx(duration / 2, abs=0.05)
    # Chromium seeks through Range requests; a server answering 200 only would not do.
    assert 206 in statuses
