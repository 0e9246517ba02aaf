"""In real headless Chromium: the pages work as a person uses them."""

from unittest import mock

import pytest
from django.core.files import File

from annotator.models import User, Video
from annotator.models.choices import MediaStatus, Role, WorkKind
from annotator.services.assignments import work_batch_create
from tests.browser import log_in
from tests.factories import (
    CriterionFactory,
    GeneratorModelFactory,
    TaskFactory,
    VideoFactory,
    author_of,
)
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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

    player = page.locator(f"video[data-video='{video.public_id}']")
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


def play_and_seek(player) -> tuple[float, float]:
    """Waits until the video has data, seeks to the middle; (duration, time after seek)."""
    player.evaluate(
        "v => new Promise((ok, fail) => { if (v.readyState >= 2) ok();"
        " v.addEventListener('loadeddata', ok); v.addEventListener('error', () => fail("
        "'media error ' + (v.error && v.error.code))); })"
    )
    duration = player.evaluate("v => v.duration")
    seeked_at = player.evaluate(
        "v => new Promise(ok => { v.addEventListener('seeked', () => ok(v.currentTime),"
        " {once: true}); v.currentTime = v.duration / 2; })"
    )
    return duration, seeked_at


def processed_video(tmp_path, django_capture_on_commit_callbacks, **make):
    from annotator.services.videos import video_add

    task = TaskFactory()
    path = make_video(tmp_path / f"{task.index}.{make.pop('ext', 'mp4')}", **make)
    with django_capture_on_commit_callbacks(execute=True):
        video = video_add(
            path=path,
            name=path.name,
            kind="generated",
            task=task,
            generator=GeneratorModelFactory(),
        ).video
    video.refresh_from_db()
    assert video.media_status == MediaStatus.READY, video.media_error
    return video


def test_the_video_list_shows_posters_that_scrub_on_hover(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    video = processed_video(
        tmp_path, django_capture_on_commit_callbacks, frames=48, width=160, height=120
    )
    log_in(page, live_server, role=Role.REVIEWER)
    page.goto(f"{live_server.url}/videos/")
    thumb = page.locator(".thumb[data-filmstrip]")
    assert thumb.count() == 1
    poster_loaded = page.evaluate(
        "url => new Promise(ok => { const i = new Image(); i.onload = () => ok(i.naturalWidth);"
        " i.onerror = () => ok(0); i.src = url; })",
        thumb.get_attribute("data-poster"),
    )
    assert poster_loaded == 160
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    assert thumb.get_attribute("data-frame") == str(video.filmstrip_frames - 1)
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    assert thumb.get_attribute("data-frame") == "0"


def test_a_video_with_a_playable_copy_plays_and_seeks(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    video = processed_video(
        tmp_path,
        django_capture_on_commit_callbacks,
        codec="mjpeg",
        ext="avi",
        frames=72,
        width=160,
        height=120,
    )
    assert video.playable
    log_in(page, live_server)
    page.goto(f"{live_server.url}/tasks/{video.task.pk}/")
    duration, seeked_at = play_and_seek(page.locator(f"video[data-video='{video.public_id}']"))
    assert duration == pytest.approx(3.0, abs=0.1)
    assert seeked_at == pytest.approx(duration / 2, abs=0.05)


def test_a_video_in_s3_plays_and_seeks_across_origins(
    page, live_server, tmp_path, django_capture_on_commit_callbacks, s3_storage
):
    from annotator.services.s3 import s3_configure_cors

    video = processed_video(
        tmp_path, django_capture_on_commit_callbacks, frames=96, width=160, height=120
    )
    s3_configure_cors(bucket=s3_storage, origins=[live_server.url])
    log_in(page, live_server)
    statuses = []
    page.on("response", lambda r: s3_storage in r.url and statuses.append(r.status))
    page.goto(f"{live_server.url}/tasks/{video.task.pk}/")
    player = page.locator(f"video[data-video='{video.public_id}']")
    assert s3_storage in player.get_attribute("src")
    duration, seeked_at = play_and_seek(player)
    assert seeked_at == pytest.approx(duration / 2, abs=0.05)
    assert 206 in statuses
    # CORS: the frame can be drawn to a canvas and read back.
    pixels = player.evaluate(
        "v => { const c = document.createElement('canvas'); c.width = 8; c.height = 8;"
        " const g = c.getContext('2d'); g.drawImage(v, 0, 0, 8, 8);"
        " return g.getImageData(0, 0, 8, 8).data.length; }"
    )
    assert pixels == 256


def test_an_admin_uploads_files_by_dropping_them(page, live_server, tmp_path):
    log_in(page, live_server, role=Role.ADMIN)
    page.goto(f"{live_server.url}/videos/upload/")
    first = make_video(tmp_path / "a.mp4", shade=1)
    second = make_video(tmp_path / "b.webm", codec="libvpx-vp9", shade=2)
    page.set_input_files("#files", [str(first), str(second)])
    page.wait_for_function("() => document.querySelectorAll('tr[data-outcome]').length == 2")
    # The same file dropped again is reported as a duplicate, not stored again.
    page.evaluate(
        "bytes => { const dt = new DataTransfer();"
        " dt.items.add(new File([new Uint8Array(bytes)], 'again.mp4', {type: 'video/mp4'}));"
        " document.getElementById('drop-zone').dispatchEvent("
        "new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true})); }",
        list(first.read_bytes()),
    )
    page.wait_for_function("() => document.querySelectorAll('tr[data-outcome]').length == 3")
    outcomes = page.eval_on_selector_all("tr[data-outcome]", "rs => rs.map(r => r.dataset.outcome)")
    assert sorted(outcomes) == ["created", "created", "duplicate"]
    assert "3 of 3 files uploaded (100% of bytes)" in page.text_content("#overall-text")
    assert Video.objects.count() == 2


def test_the_upload_page_shows_each_files_processing_and_failure_in_its_row(
    page, live_server, tmp_path
):
    log_in(page, live_server, role=Role.ADMIN)
    page.goto(f"{live_server.url}/videos/upload/")
    good = make_video(tmp_path / "good.mp4", shade=3)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    renamed = tmp_path / "notes.mp4"
    renamed.write_text("a text file renamed to .mp4\n" * 50)
    page.set_input_files("#files", [str(good), str(empty), str(renamed)])
    # Without leaving the page: the empty file refused at once, the others followed
    # through their processing until it ends, each row with its own outcome.
    page.wait_for_function(
        "() => document.querySelectorAll('tr[data-outcome]').length == 3 &&"
        " !document.querySelector('tr[data-outcome=created]"
        ":not([data-state=ready]):not([data-state=failed])')",
        timeout=20_000,
    )
    rows = {
        page.text_content(f"tr.upload-row:nth-child({i}) .name"): page.locator(
            f"tr.upload-row:nth-child({i})"
        )
        for i in (1, 2, 3)
    }
    assert "the file is empty (0 bytes)" in rows["empty.mp4"].text_content()
    assert rows["good.mp4"].get_attribute("data-state") == "ready"
    assert "created · ready" in rows["good.mp4"].text_content()
    failed = rows["notes.mp4"]
    assert failed.get_attribute("data-state") == "failed"
    assert "processing failed: " in failed.text_content()
    assert failed.locator(".progress-bar.bg-danger").count() == 1
    reason = Video.objects.get(original_name__endswith="notes.mp4").media_error
    assert reason and reason in failed.text_content()


def test_the_video_list_updates_itself_until_processing_is_done(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    from annotator.services.media import video_process
    from annotator.services.videos import dataset_clip_create

    with mock.patch("annotator.tasks.video_process.delay"):  # no worker: stays queued
        video = dataset_clip_create(path=make_video(tmp_path / "c.mp4")).video
    log_in(page, live_server, role=Role.REVIEWER)
    page.goto(f"{live_server.url}/videos/")
    assert page.text_content(".thumb-card .badge") == "queued"
    video_process(video_id=video.pk)
    page.wait_for_selector(".thumb-card .badge.media-ready", timeout=10_000)
    assert page.locator(".thumb[data-filmstrip]").count() == 1
    assert "1 of 1 processed" in page.text_content("#video-progress")


def test_an_expert_edits_a_criterion_in_place_and_sees_it_after_reload(page, live_server):
    criterion = CriterionFactory(text="Cells divide once", number=1)
    other = CriterionFactory(task=criterion.task, text="Two nuclei form", number=2)
    author_of(criterion.task, username="ann")  # log_in finds this user by name
    log_in(page, live_server)
    page.goto(f"{live_server.url}/tasks/{criterion.task.pk}/")
    row = page.locator(f"tr[data-criterion='{criterion.pk}']")
    row.hover()
    row.get_by_role("button", name="edit").click()
    editor = page.locator("textarea[name=text]")
    editor.fill("Cells divide exactly once")
    page.fill("tr.editing input[name=weight]", "2.5")
    assert page.input_value("tr.editing input[name=weight]") == "2.5"
    editor.press("Enter")  # saves from the keyboard
    page.wait_for_selector(f"tr[data-criterion='{criterion.pk}'] .badge.status-proposed")
    # The whole dimension block is swapped in: its max is waited for, not read at once.
    page.wait_for_function(
        "() => document.querySelector('[data-max=scientific]').textContent === '3.5'", timeout=5000
    )
    page.reload()
    assert page.text_content(f"tr[data-criterion='{criterion.pk}'] .criterion-text") == (
        "Cells divide exactly once"
    )
    # Escape closes an editor without saving.
    page.locator(f"tr[data-criterion='{other.pk}']").hover()
    page.locator(f"tr[data-criterion='{other.pk}']").get_by_role("button", name="edit").click()
    page.locator("textarea[name=text]").fill("Something else")
    page.locator("textarea[name=text]").press("Escape")
    page.wait_for_selector("textarea[name=text]", state="detached")
    assert page.text_content(f"tr[data-criterion='{other.pk}'] .criterion-text") == (
        "Two nuclei form"
    )


def judging_task_with_videos(tmp_path, count, django_capture_on_commit_callbacks):
    from annotator.models import Judgment
    from annotator.models.choices import VerdictSource, VerdictStatus
    from annotator.services.videos import video_add

    task = TaskFactory()
    criterion = CriterionFactory(task=task, text="Cells divide once")
    videos = []
    for n in range(count):
        path = make_video(tmp_path / f"{n}.mp4", frames=96, width=160, height=120, shade=n)
        with django_capture_on_commit_callbacks(execute=True):
            videos.append(
                video_add(
                    path=path,
                    name=path.name,
                    kind="generated",
                    task=task,
                    generator=GeneratorModelFactory(name=f"M{n}"),
                ).video
            )
        Judgment.objects.create(
            video=videos[-1],
            criterion=criterion,
            verdict=1,
            source=VerdictSource.LLM,
            judge_model="gpt",
            status=VerdictStatus.DRAFT,
        )
    return task, criterion, videos


def test_four_videos_play_and_scrub_in_sync(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 4, django_capture_on_commit_callbacks)
    log_in(page, live_server, role=Role.REVIEWER)
    page.goto(f"{live_server.url}/judging/tasks/{task.pk}/")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('video.synced')).every(v => v.readyState >= 2)"
    )
    page.click("#play")
    page.wait_for_timeout(1200)
    times = page.eval_on_selector_all("video.synced", "vs => vs.map(v => v.currentTime)")
    assert len(times) == 4 and min(times) > 0.5 and max(times) - min(times) < 0.1
    page.click("#play")  # pause
    page.eval_on_selector("#scrub", "s => { s.value = 750; s.dispatchEvent(new Event('input')); }")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('video.synced')).every(v => !v.seeking)"
    )
    times = page.eval_on_selector_all("video.synced", "vs => vs.map(v => v.currentTime)")
    assert max(times) - min(times) < 0.1 and times[0] == pytest.approx(3.0, abs=0.1)


def test_a_verdict_given_from_the_keyboard_persists_and_looks_confirmed(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    log_in(page, live_server)
    work_batch_create(
        name="judging",
        kind=WorkKind.JUDGE,
        items=[task],
        users=[User.objects.get(username="ann")],
        overlap=1,
        created_by=None,
    )
    page.goto(f"{live_server.url}/judging/tasks/{task.pk}/")
    # The progress count loads after the page; loading it is not a save.
    page.wait_for_function(
        "() => document.getElementById('queue-progress').textContent === '0 of 1 tasks done'"
    )
    assert page.text_content("#save-state") == ""
    first = page.locator(".judging-card").nth(0).locator(".check")
    draft_style = first.evaluate("b => getComputedStyle(b).borderTopStyle")
    assert first.get_attribute("data-state") == "draft" and draft_style == "dashed"
    score = page.locator(".judging-card").nth(0).locator(".live-score")
    before = score.text_content()
    page.keyboard.press("Space")  # toggles the focused criterion of the first video
    page.wait_for_selector("#save-state.text-success")
    assert page.text_content("#save-state") == "saved"
    # The save answers with its row and the score, both replaced in place; the new row
    # keeps the focus and takes the next key.
    assert first.first.get_attribute("data-state") == "confirmed"
    assert "focused" in first.first.get_attribute("class") and score.text_content() != before
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.check').ariaPressed === 'true'")
    assert score.text_content() == before
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.check').ariaPressed === 'false'")
    page.reload()
    first = page.locator(".judging-card").nth(0).locator(".check")
    assert first.get_attribute("data-state") == "confirmed"
    assert first.get_attribute("aria-pressed") == "false"  # the draft said 1, the expert 0
    assert first.evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"
    second = page.locator(".judging-card").nth(1).locator(".check")
    assert second.get_attribute("data-state") == "draft"


def test_a_routed_batch_opens_at_its_item_and_the_save_finishing_it_leads_on(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    from annotator.models import Judgment
    from annotator.models.choices import BatchOrder, VerdictSource, VerdictStatus

    task, _, videos = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    # A second criterion drafted on the second video only: nothing is calibrated, so
    # each draft is a coin flip, and that video's item holds two, the first's one.
    Judgment.objects.create(
        video=videos[1],
        criterion=CriterionFactory(task=task, text="Two nuclei form"),
        verdict=1,
        source=VerdictSource.LLM,
        judge_model="gpt",
        status=VerdictStatus.DRAFT,
    )
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
    card = page.locator(".judging-card.selected")
    assert card.get_attribute("data-video") == str(videos[1].public_id)
    assert card.get_attribute("data-item-dimension") == "scientific"
    assert "focused" in card.locator(".check").first.get_attribute("class")
    page.keyboard.press("Space")
    page.wait_for_selector("#save-state.text-success")
    assert page.locator("#next-item").count() == 0  # one of the item's two criteria
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.wait_for_selector("#next-item")
    assert page.evaluate("() => document.activeElement.id") == "next-item"
    page.keyboard.press("n")  # the next item: the first video
    selected = "document.querySelector('.judging-card.selected').dataset.video"
    page.wait_for_function(
        f"() => location.search.startsWith('?item=') && {selected} === '{videos[0].public_id}'"
    )
    assert page.locator("#batch-item").text_content().count("verify every criterion") == 1
