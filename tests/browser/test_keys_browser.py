"""The workspaces' keyboard in real headless Chromium: keys act on the workspace
whatever control was used last, confirms take one key and Enter, `?` shows the keys,
and the progress and save lines stay true without a reload."""

import pytest
from django.core.files import File

from annotator.models import ClipDecision, Judgment, User
from annotator.models.choices import (
    BatchOrder,
    Decision,
    Role,
    VerdictSource,
    VerdictStatus,
    WorkKind,
)
from annotator.services.assignments import work_batch_create
from annotator.services.clip_review import Answer, clip_decide
from rubrics_app.choices import Dimension, Level
from tests.browser import log_in
from tests.browser.test_browser import judging_task_with_videos
from tests.factories import ClipFactory, CriterionFactory, UserFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELECTED = "() => document.querySelector('.judging-card.selected').dataset.video"


def judging_page(page, live_server, task, username="ann"):
    work_batch_create(
        name="judging",
        kind=WorkKind.JUDGE,
        items=[task],
        users=[User.objects.get(username=username)],
        overlap=1,
        created_by=None,
    )
    page.goto(f"{live_server.url}/judging/tasks/{task.pk}/")
    page.wait_for_function(
        "() => document.getElementById('queue-progress').textContent.endsWith('tasks done')"
    )


def shown(page, videos):
    """The videos in the page's order (blind, not the order they were made in)."""
    by_id = {str(v.public_id): v for v in videos}
    return [
        by_id[i]
        for i in page.eval_on_selector_all(".judging-card", "cs => cs.map(c => c.dataset.video)")
    ]


def saved(page, text):
    page.wait_for_function(
        "text => document.getElementById('save-state').textContent === text", arg=text
    )


def test_judging_keys_work_after_the_slider_the_speed_menu_and_the_loop_box(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, criterion, videos = judging_task_with_videos(
        tmp_path, 2, django_capture_on_commit_callbacks
    )
    log_in(page, live_server)
    judging_page(page, live_server, task)
    videos = shown(page, videos)
    ids = [str(v.public_id) for v in videos]
    assert page.evaluate(SELECTED) == ids[0]

    page.click("#scrub")  # the slider takes the focus
    assert page.evaluate("() => document.activeElement.id") == "scrub"
    before = page.input_value("#scrub")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(SELECTED) == ids[1]
    assert page.evaluate("() => document.activeElement.id") != "scrub"
    assert page.input_value("#scrub") == before  # not nudged

    page.select_option("#speed", "0.5")
    page.focus("#speed")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(SELECTED) == ids[0]
    assert page.input_value("#speed") == "0.5"  # the menu kept its choice

    page.click("#loop")  # unticked, and focused
    assert not page.is_checked("#loop")
    page.keyboard.press("Space")  # toggles the focused criterion, not the box
    saved(page, "saved")
    assert not page.is_checked("#loop")
    mine = Judgment.objects.get(source=VerdictSource.HUMAN, video=videos[0])
    assert mine.criterion == criterion and mine.verdict == 0  # the draft said 1

    # A criterion clicked with the mouse keeps the focus; space toggles it once.
    page.locator(".judging-card").nth(1).locator(".check").click()
    saved(page, "saved")
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelectorAll('.judging-card')[0].querySelector('.check')"
        ".ariaPressed === 'true'"
    )
    assert Judgment.objects.get(source=VerdictSource.HUMAN, video=videos[1]).verdict == 0


def test_four_videos_of_fifteen_criteria_are_confirmed_in_two_keys_after_the_flips(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, first, videos = judging_task_with_videos(tmp_path, 4, django_capture_on_commit_callbacks)
    # 15 criteria, 5 per dimension, each drafted on every video.
    criteria = [first] + [
        CriterionFactory(task=task, dimension=dimension, number=n)
        for n, dimension in enumerate(
            [d for d in Dimension.values for _ in range(5)][1:], start=first.number + 1
        )
    ]
    Judgment.objects.bulk_create(
        Judgment(
            video=video,
            criterion=c,
            verdict=1,
            source=VerdictSource.LLM,
            judge_model="gpt",
            status=VerdictStatus.DRAFT,
        )
        for video in videos
        for c in criteria[1:]
    )
    log_in(page, live_server)
    judging_page(page, live_server, task)
    assert page.text_content("#queue-progress") == "0 of 1 tasks done"
    # The flips: the first criterion of the first video, the third of the second.
    page.keyboard.press("Space")
    saved(page, "saved")
    for key in ("ArrowRight", "ArrowDown", "ArrowDown", "Space"):
        page.keyboard.press(key)
    page.wait_for_function(
        "() => document.querySelectorAll('.check[data-state=confirmed]').length === 2"
    )
    keys = 0

    def press(key):
        nonlocal keys
        keys += 1
        page.keyboard.press(key)

    press("Shift+C")
    assert page.text_content("#key-prompt").startswith("Confirm 58 drafts of 4 videos?")
    press("Enter")
    saved(page, "confirmed 58 drafts of 4 videos · u undoes")
    assert keys <= 10
    given = Judgment.objects.filter(source=VerdictSource.HUMAN)
    assert given.count() == 60 and given.filter(verdict=0).count() == 2
    assert page.locator(".check[data-state=draft]").count() == 0
    assert page.locator(".check.focused").count() == 1  # drawn again in the new rows
    # The count of tasks done follows, without a reload.
    page.wait_for_function(
        "() => document.getElementById('queue-progress').textContent === '1 of 1 tasks done'"
    )
    # u takes the confirm back (the flips stay), and the count goes back.
    page.keyboard.press("u")
    saved(page, "undid 58 verdicts")
    assert given.count() == 2
    assert page.locator(".check[data-state=draft]").count() == 58
    page.wait_for_function(
        "() => document.getElementById('queue-progress').textContent === '0 of 1 tasks done'"
    )
    page.keyboard.press("u")
    saved(page, "nothing to undo")


def test_v_asks_then_confirms_one_video_and_esc_cancels(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, videos = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    judging_page(page, live_server, task)
    videos = shown(page, videos)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("v")
    assert page.text_content("#key-prompt").startswith("Confirm 1 draft of this video?")
    page.keyboard.press("Escape")
    assert page.is_hidden("#key-prompt")
    page.keyboard.press("ArrowLeft")  # the keys act on the workspace again
    assert page.evaluate(SELECTED) == str(videos[0].public_id)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("v")
    page.keyboard.press("Enter")
    saved(page, "confirmed 1 draft · u undoes")
    assert list(
        Judgment.objects.filter(source=VerdictSource.HUMAN).values_list("video", flat=True)
    ) == [videos[1].pk]
    # Nothing left in that video: said at once, nothing asked.
    page.keyboard.press("v")
    saved(page, "nothing to confirm")
    assert page.is_hidden("#key-prompt")
    # The dimension's confirm is answered by the server, from the key or the button.
    with page.expect_response(lambda r: r.url.endswith("/confirm")):
        page.keyboard.press("c")
    saved(page, "nothing to confirm")
    with page.expect_response(lambda r: r.url.endswith("/confirm")):
        page.locator(".judging-card").nth(1).locator(".confirm-drafts").first.click()
    saved(page, "nothing to confirm")


def test_0_sets_a_dimension_without_drafts_to_not_met(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 1, django_capture_on_commit_callbacks)
    visual = [CriterionFactory(task=task, dimension="visual") for _ in range(3)]
    log_in(page, live_server)
    judging_page(page, live_server, task)
    page.keyboard.press("ArrowDown")  # the first visual criterion
    page.keyboard.press("0")
    saved(page, "set 3 criteria to not met / absent · u undoes")
    given = dict(
        Judgment.objects.filter(source=VerdictSource.HUMAN).values_list("criterion", "verdict")
    )
    assert given == {c.pk: 0 for c in visual}
    # Then the few that differ are flipped.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    saved(page, "saved")
    assert Judgment.objects.get(source=VerdictSource.HUMAN, criterion=visual[1]).verdict == 1


def test_question_mark_shows_the_judging_keys_and_esc_closes_them(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, videos = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    judging_page(page, live_server, task)
    videos = shown(page, videos)
    page.keyboard.press("?")
    overlay = page.locator("dialog#keys-help")
    assert overlay.is_visible()
    text = overlay.inner_text()
    for key in ("Shift+C", "confirm every draft of the videos shown", "space / x", "undo"):
        assert key in text
    page.keyboard.press("ArrowRight")  # not for the workspace while it is open
    assert page.evaluate(SELECTED) == str(videos[0].public_id)
    page.keyboard.press("Escape")
    assert not overlay.is_visible()
    page.keyboard.press("ArrowRight")
    assert page.evaluate(SELECTED) == str(videos[1].public_id)
    # The page's line of keys is drawn from the same map.
    assert "v confirm the video · Shift+C confirm all" in page.text_content("[data-keys-summary]")


def clip_batch(tmp_path, n, username="ann"):
    clips = []
    for k in range(n):
        clip = ClipFactory(caption=f"Draft caption {k}", level="")
        with open(make_video(tmp_path / f"c{k}.mp4", frames=48, shade=k * 40), "rb") as fh:
            clip.file.save(f"c{k}.mp4", File(fh))
        clips.append(clip)
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="keys",
        items=clips,
        users=[User.objects.get(username=username)],
        overlap=1,
        created_by=None,
    )
    return batch, clips


def wait_for_clip(page, clip):
    page.wait_for_selector(f"#clip-workspace[data-video='{clip.public_id}']")
    page.wait_for_function("() => !document.querySelector('.htmx-settling, .htmx-request')")


def test_clip_keys_work_after_the_speed_menu_and_the_loop_box_and_undo_says_what_it_undid(
    page, live_server, tmp_path
):
    log_in(page, live_server)
    batch, clips = clip_batch(tmp_path, 3)
    page.goto(f"{live_server.url}/clips/batches/{batch.pk}/")
    wait_for_clip(page, clips[0])
    page.select_option("#speed", "2")
    page.focus("#speed")
    page.keyboard.press("s")  # a level, though the menu has the focus
    assert page.is_checked("#level-s") and page.input_value("#speed") == "2"
    page.keyboard.press("a")
    wait_for_clip(page, clips[1])

    page.click("#loop")
    assert not page.is_checked("#loop")
    page.keyboard.press("Space")  # plays or pauses; the box stays as it is
    assert not page.is_checked("#loop")
    page.keyboard.press("4")
    page.keyboard.press("r")
    wait_for_clip(page, clips[2])
    assert page.text_content("#save-state") == "saved"

    page.keyboard.press("u")
    wait_for_clip(page, clips[1])
    name = clips[1].external_id or clips[1].original_name
    assert page.text_content("#save-state") == f"undid your answer on {name} (reject)"
    assert page.is_checked("#reason-black-borders")
    page.keyboard.press("u")
    wait_for_clip(page, clips[0])
    page.keyboard.press("u")
    page.wait_for_function(
        "() => document.getElementById('save-state').textContent === 'nothing to undo'"
    )
    assert not ClipDecision.objects.exists()


def test_question_mark_shows_the_clip_keys(page, live_server, tmp_path):
    log_in(page, live_server)
    batch, clips = clip_batch(tmp_path, 1)
    page.goto(f"{live_server.url}/clips/batches/{batch.pk}/")
    wait_for_clip(page, clips[0])
    page.keyboard.press("?")
    text = page.locator("dialog#keys-help").inner_text()
    for line in ("level: Cellular-level", "reason: black borders", "flag for a reviewer"):
        assert line in text
    page.keyboard.press("Escape")
    assert not page.locator("dialog#keys-help").is_visible()
    assert "a accept" in page.text_content("[data-keys-summary]")


def test_the_adjudication_keys_decide_and_the_page_says_what_happened(page, live_server, tmp_path):
    log_in(page, live_server, username="rev", role=Role.REVIEWER)
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    clips = []
    for k in range(2):
        clip = ClipFactory(caption=f"Draft caption {k}", level="")
        with open(make_video(tmp_path / f"c{k}.mp4", frames=48), "rb") as fh:
            clip.file.save(f"c{k}.mp4", File(fh))
        clips.append(clip)
    batch = work_batch_create(
        kind=WorkKind.VERIFY,
        name="split",
        items=clips,
        users=[alice, bob],
        overlap=2,
        created_by=None,
    )
    for clip in clips:  # the two disagree: to adjudication
        accept = Answer(Decision.ACCEPT, caption="Cells.", level=Level.CELLULAR)
        clip_decide(batch=batch, user=alice, video_id=clip.pk, answer=accept)
        reject = Answer(Decision.REJECT, reasons=["black-borders"])
        clip_decide(batch=batch, user=bob, video_id=clip.pk, answer=reject)
    page.goto(f"{live_server.url}/clips/adjudication/{clips[0].pk}/")
    page.locator("video.clip-player").click()  # the player takes the focus
    page.keyboard.press("o")
    assert page.is_checked("#level-o")
    page.keyboard.press("a")
    page.wait_for_url(f"**/clips/adjudication/{clips[1].pk}/")
    name = clips[0].external_id or clips[0].original_name
    assert f"{name}: accepted as the final decision. Next in the queue:" in page.text_content(
        "main"
    )
    page.keyboard.press("6")  # a reason ticked by its key
    assert page.locator(".reasons input[data-key='6']").is_checked()
    page.keyboard.press("r")
    page.wait_for_url("**/clips/adjudication/")
    assert "The adjudication queue is empty." in page.text_content("main")
    first, second = (ClipDecision.objects.get(video=c, adjudication=True) for c in clips)
    assert (first.decision, first.level) == (Decision.ACCEPT, Level.ORGAN)
    assert (second.decision, second.reasons) == (Decision.REJECT, ["low-quality"])
    page.goto(f"{live_server.url}/clips/adjudication/{clips[0].pk}/")
    page.keyboard.press("?")
    assert "accept, final" in page.locator("dialog#keys-help").inner_text()


def test_the_count_of_tasks_done_follows_the_save_finishing_the_task(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 1, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    judging_page(page, live_server, task)
    assert page.text_content("#queue-progress") == "0 of 1 tasks done"
    page.keyboard.press("Space")  # the task's only verdict
    saved(page, "saved")
    page.wait_for_function(
        "() => document.getElementById('queue-progress').textContent === '1 of 1 tasks done'"
    )


def test_a_video_confirm_finishing_the_served_item_leads_on_like_a_save(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    batch = work_batch_create(
        name="routed",
        kind=WorkKind.JUDGE,
        items=[task],
        users=[User.objects.get(username="ann")],
        overlap=1,
        created_by=None,
        order=BatchOrder.ERRORS,
    )
    page.goto(f"{live_server.url}/work/batches/{batch.pk}/next")
    page.wait_for_selector(".judging-card.selected")
    page.keyboard.press("v")
    page.keyboard.press("Enter")
    page.wait_for_selector("#next-item")
    assert page.evaluate("() => document.activeElement.id") == "next-item"
    assert page.text_content("#save-state") == "confirmed 1 draft · u undoes"
    # Undone, the item is open again.
    page.keyboard.press("u")
    saved(page, "undid 1 verdict")
    assert page.locator("#next-item").count() == 0
    assert "verify every criterion of" in page.text_content("#batch-item")


def test_judge_frames_on_the_bar_and_a_time_mark_that_survives_a_reload(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, criterion, videos = judging_task_with_videos(
        tmp_path, 2, django_capture_on_commit_callbacks
    )
    log_in(page, live_server)
    judging_page(page, live_server, task)
    first = shown(page, videos)[0]
    bar = page.locator(f"#timeline-{first.public_id}")
    marks = bar.locator(".judge-mark")
    assert marks.count() == 8
    # Hovering shows the frame the judge saw (an image that loads); a click goes there.
    marks.nth(2).hover()
    image = marks.nth(2).locator("img")
    assert image.is_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    marks.nth(2).click()
    at = float(marks.nth(2).get_attribute("data-time"))
    page.wait_for_function(
        "at => Array.from(document.querySelectorAll('video.synced'))"
        ".every(v => Math.abs(v.currentTime - at) < 0.05)",
        arg=at,
    )
    # The reasoning panel opens with j.
    page.keyboard.press("j")
    assert page.locator(".judging-card.selected .judge-reasoning[open]").count() >= 1
    # A verdict, then t marks the current time on it.
    page.keyboard.press("x")
    saved(page, "saved")
    page.keyboard.press("t")
    saved(page, f"marked at {at:.2f} s")
    assert bar.locator(".time-mark").count() == 1
    page.reload()
    page.wait_for_selector(f"#timeline-{first.public_id} .time-mark")
    assert f"@{at:.2f} s" in page.text_content(f"#checklist-{first.public_id}")
    mine = Judgment.objects.get(video=first, criterion=criterion, source=VerdictSource.HUMAN)
    assert mine.time_mark == pytest.approx(at, abs=0.01)
