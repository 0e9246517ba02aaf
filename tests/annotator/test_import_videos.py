from io import StringIO

import pytest
from django.core.management import call_command

from annotator.models import GeneratorModel, Video
from annotator.models.choices import MediaStatus
from annotator.services.videos import Outcome, dataset_clip_create
from tests.factories import TaskFactory
from tests.videos import make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks():
    first = TaskFactory(index=1)
    TaskFactory(index=2, benchmark=first.benchmark)
    return first.benchmark


def run(*args):
    out = StringIO()
    call_command("import_videos", *args, stdout=out)
    return out.getvalue()


def layout(root, files):
    for name, shade in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith((".mp4", ".webm")):
            make_video(
                path, shade=shade, codec="libvpx-vp9" if name.endswith("webm") else "libx264"
            )
        else:
            path.write_text("not a video")
    return root


def test_it_imports_a_model_per_folder_and_probes_each_video(
    tasks, tmp_path, django_capture_on_commit_callbacks
):
    root = layout(tmp_path / "in", {"Sora/1.mp4": 1, "Sora/2.webm": 2, "Veo/1.mp4": 3})
    with django_capture_on_commit_callbacks(execute=True):
        out = run(str(root))
    assert "videos 3 created, 0 replaced, 0 unchanged" in out
    assert "generator models created: Sora, Veo" in out
    webm = Video.objects.get(generator__name="Sora", task__index=2)
    assert webm.media_status == MediaStatus.READY
    assert (webm.codec, webm.width, webm.height, webm.frame_count) == ("vp9", 64, 48, 24)
    assert webm.duration == pytest.approx(1.0, abs=0.05)
    assert webm.file.name == f"videos/{webm.sha256[:2]}/{webm.sha256}.webm"
    assert webm.file.storage.exists(webm.file.name)


def test_reimporting_changes_nothing_and_unknown_files_are_reported(tasks, tmp_path):
    root = layout(
        tmp_path / "in",
        {
            "Sora/1.mp4": 1,
            "Sora/7.mp4": 2,
            "Sora/intro.mp4": 3,
            "Sora/notes.txt": 0,
            "loose.mp4": 4,
        },
    )
    run(str(root))
    out = run(str(root))
    assert "videos 0 created, 0 replaced, 1 unchanged" in out
    assert "warning: Sora/7.mp4: task 7 is not in benchmark" in out
    assert "warning: Sora/intro.mp4: file name is not a task index; skipped" in out
    assert "warning: Sora/notes.txt: not a video file extension; skipped" in out
    assert "warning: loose.mp4: not in a <Model>/ folder; skipped" in out
    assert Video.objects.count() == 1


def test_the_same_file_twice_is_stored_once(tasks, tmp_path):
    root = layout(tmp_path / "in", {"Sora/1.mp4": 1})
    (root / "Veo").mkdir()
    (root / "Veo" / "1.mp4").write_bytes((root / "Sora" / "1.mp4").read_bytes())
    out = run(str(root))
    assert "warning: Veo/1.mp4: the same file as video" in out
    assert "not stored again" in out
    assert Video.objects.count() == 1


def test_a_new_file_replaces_the_old_one(tasks, tmp_path):
    run(str(layout(tmp_path / "a", {"Sora/1.mp4": 1})))
    out = run(str(layout(tmp_path / "b", {"Sora/1.mp4": 2})))
    assert "videos 0 created, 1 replaced, 0 unchanged" in out
    assert Video.objects.count() == 1 and GeneratorModel.objects.count() == 1


def test_a_file_that_is_no_video_fails_with_a_reason(tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "fake.mp4"
    path.write_text("this is text, not a video")
    with django_capture_on_commit_callbacks(execute=True):
        added = dataset_clip_create(path=path, caption="x")
    video = added.video
    video.refresh_from_db()
    assert added.outcome == Outcome.CREATED and video.media_status == MediaStatus.FAILED
    assert video.media_error.startswith("not a readable video file")
    assert dataset_clip_create(path=path).outcome == Outcome.DUPLICATE


def test_an_empty_file_fails_with_a_reason(tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with django_capture_on_commit_callbacks(execute=True):
        video = dataset_clip_create(path=path).video
    video.refresh_from_db()
    assert video.media_error == "the file is empty (0 bytes)"
