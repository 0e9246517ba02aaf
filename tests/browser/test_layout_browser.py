"""Small screens (issue 18, item 10), in real headless Chromium: at 1280x720 the
videos stay in view while the expert moves down the checklists; at 820 px wide the
clip workspace's decision buttons are on screen without scrolling."""

import pytest
from django.core.files import File

from annotator.models import User
from annotator.models.choices import Role, WorkKind
from annotator.services.assignments import work_batch_create
from rubrics_app.choices import Dimension
from tests.browser import log_in
from tests.browser.test_browser import judging_task_with_videos
from tests.factories import ClipFactory, CriterionFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_at_1280x720_the_videos_stay_in_view_down_to_the_last_criterion(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 4, django_capture_on_commit_callbacks)
    for n in range(14):  # 15 criteria, 5 a dimension
        CriterionFactory(task=task, dimension=list(Dimension)[(n + 1) // 5], text=f"Point {n}")
    log_in(page, live_server, role=Role.REVIEWER)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{live_server.url}/judging/tasks/{task.pk}/")
    last = page.locator(".judging-card").first.locator(".check").last
    assert box(page, ".judging-card video")["y"] > 0  # below the page's header at first
    last.scroll_into_view_if_needed()
    assert page.evaluate("() => window.scrollY") > 100  # the checklist is longer than the screen
    video, check = box(page, ".judging-card video"), last.bounding_box()
    assert video["y"] >= 0 and video["y"] + video["height"] <= 720, video
    assert check["y"] + check["height"] <= 720 and check["y"] >= video["y"] + video["height"]
    # Every card's video, not only the first.
    for found in page.locator(".judging-card video").all():
        shown = found.bounding_box()
        assert shown["y"] >= 0 and shown["y"] + shown["height"] <= 720


def test_at_820px_the_clip_decisions_are_on_screen_without_scrolling(page, live_server, tmp_path):
    log_in(page, live_server)
    clip = ClipFactory(caption="A neutrophil chases a bacterium " * 6, level="")
    with open(make_video(tmp_path / "c.mp4", frames=48, width=640, height=480), "rb") as fh:
        clip.file.save("c.mp4", File(fh))
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="small",
        items=[clip],
        users=[User.objects.get(username="ann")],
        overlap=1,
        created_by=None,
    )
    for height in (720, 600):
        page.set_viewport_size({"width": 820, "height": height})
        page.goto(f"{live_server.url}/clips/batches/{batch.pk}/")
        page.wait_for_selector("#accept")
        assert page.evaluate("() => window.scrollY") == 0
        for button in ("#accept", "#reject", "#flag"):
            shown = box(page, button)
            assert shown["y"] >= 0 and shown["y"] + shown["height"] <= height, (button, height)
        video = box(page, ".clip-stage video")
        assert video["y"] < height / 2  # the clip is beside the panel, not above it
