import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from annotator.models import ImportBatch, Video
from annotator.models.choices import ClipStatus, VideoKind
from annotator.services.s3 import s3_client
from tests.videos import make_video

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("import_clips", *args, stdout=out)
    return out.getvalue()


def folder(root, entries, *, videos=None, name="metadata.json"):
    """A folder with a video per entry (or the given names) and the manifest."""
    root.mkdir(parents=True, exist_ok=True)
    names = videos if videos is not None else [e["video"] for e in entries if "video" in e]
    for shade, video in enumerate(names, start=1):
        (root / video).parent.mkdir(parents=True, exist_ok=True)
        make_video(root / video, shade=shade)
    if entries is not None:
        (root / name).write_text(json.dumps(entries))
    return root


def stored_files(media_storage):
    return [p for p in media_storage.rglob("*") if p.is_file()] if media_storage.exists() else []


ENTRIES = [
    {
        "id": "c1",
        "video": "videos/c1.mp4",
        "prompt": "Mitochondria divide.",
        "level": "Subcellular-level",
        "source": "https://example.org/mito",
        "title": "Mito fission",
        "lab": "Lab A",
    },
    {"id": 2, "video": "videos/c2.mp4", "prompt": "A heart beats.", "level": "organ"},
]


def test_it_imports_a_manifest_with_its_level_source_and_other_keys(tmp_path):
    root = folder(tmp_path / "set", ENTRIES)
    out = run(str(root / "metadata.json"))
    assert "videos 2 created, 0 replaced, 0 unchanged, 0 duplicate" in out
    first = Video.objects.get(external_id="c1")
    assert (first.kind, first.clip_status) == (VideoKind.DATASET, ClipStatus.PENDING)
    assert (first.caption, first.level) == ("Mitochondria divide.", "Subcellular-level")
    assert first.source_ref == "https://example.org/mito"
    assert first.extra == {"title": "Mito fission", "lab": "Lab A"}
    assert first.source_path == "videos/c1.mp4" and first.original_name == "c1.mp4"
    assert first.file.storage.exists(first.file.name)
    second = Video.objects.get(external_id="2")
    assert (second.level, second.source_ref, second.extra) == ("Organ-level", "", {})
    assert first.batch == second.batch and ImportBatch.objects.count() == 1


def test_it_reads_json_lines(tmp_path):
    root = folder(tmp_path / "set", None, videos=["a.mp4", "b.mp4"])
    lines = [
        {"id": "a", "video": "a.mp4", "prompt": "A"},
        {"id": "b", "video": "b.mp4", "prompt": "B"},
    ]
    (root / "train.jsonl").write_text("\n".join(json.dumps(e) for e in lines) + "\n\n")
    assert "videos 2 created" in run(str(root / "train.jsonl"))
    assert sorted(Video.objects.values_list("external_id", "caption")) == [("a", "A"), ("b", "B")]


def test_reimporting_the_same_manifest_changes_nothing(tmp_path):
    root = folder(tmp_path / "set", ENTRIES)
    run(str(root))
    before = list(Video.objects.values_list("pk", "updated_at"))
    out = run(str(root))
    assert "videos 0 created, 0 replaced, 2 unchanged, 0 duplicate" in out
    assert list(Video.objects.values_list("pk", "updated_at")) == before
    assert ImportBatch.objects.count() == 1


def test_every_bad_entry_is_reported_by_position_and_nothing_is_imported(tmp_path, media_storage):
    entries = [
        {"id": "ok", "video": "ok.mp4", "prompt": "Fine."},
        "not an object",
        {"id": "abc", "video": "abc.mp4", "prompt": "Cells.", "level": "Tissue"},
        {"id": "", "video": "x.mp4", "prompt": "No id."},
        {"id": "nop", "video": "nop.mp4"},
        {"id": "ok", "video": "ok2.mp4", "prompt": "Repeated."},
        {"id": "gone", "video": "gone.mp4", "prompt": "No file."},
        {"id": "up", "video": "../up.mp4", "prompt": "Outside."},
        {"id": "txt", "video": "notes.txt", "prompt": "Not a video."},
    ]
    root = folder(tmp_path / "set", entries, videos=["ok.mp4", "abc.mp4", "x.mp4", "ok2.mp4"])
    with pytest.raises(CommandError) as error:
        run(str(root))
    message = str(error.value)
    assert message.splitlines() == [
        "nothing was written:",
        "entry 2: expected an object, got str",
        "entry 3 (id 'abc'): unknown level 'Tissue' "
        "(one of Organ-level, Cellular-level, Subcellular-level)",
        "entry 4: 'id' is missing or empty",
        "entry 5 (id 'nop'): 'prompt' is missing or empty",
        "entry 6 (id 'ok'): the id is repeated (entry 1)",
        "entry 7 (id 'gone'): video file 'gone.mp4' not found",
        "entry 8 (id 'up'): video '../up.mp4' must be a path inside the manifest's folder",
        "entry 9 (id 'txt'): video 'notes.txt' is not a video file extension",
    ]
    assert Video.objects.count() == 0 and ImportBatch.objects.count() == 0
    assert stored_files(media_storage) == []


def test_a_changed_clip_under_an_imported_id_is_refused(tmp_path, media_storage):
    root = folder(tmp_path / "set", ENTRIES)
    run(str(root))
    changed = [{**ENTRIES[0], "prompt": "Mitochondria fuse."}, {**ENTRIES[1], "id": "new"}]
    (root / "metadata.json").write_text(json.dumps(changed))
    files = stored_files(media_storage)
    with pytest.raises(
        CommandError,
        match=r"entry 1 \(id 'c1'\): already imported as clip \d+ with a different prompt;",
    ):
        run(str(root))
    assert Video.objects.count() == 2 and stored_files(media_storage) == files


def test_invalid_json_names_the_line_and_column(tmp_path):
    root = tmp_path / "set"
    root.mkdir()
    (root / "metadata.json").write_text('[\n  {"id": "a",\n   "video": "a.mp4" "prompt": "x"}\n]')
    with pytest.raises(
        CommandError, match="not valid JSON: Expecting ',' delimiter at line 3, column"
    ):
        run(str(root))


def test_invalid_json_lines_name_the_line(tmp_path):
    path = tmp_path / "clips.jsonl"
    path.write_text('{"id": "a", "video": "a.mp4", "prompt": "x"}\n{"id": "b",\n')
    with pytest.raises(CommandError, match=r"not valid JSON Lines: .* at line 2, column 12"):
        run(str(path))


def test_a_folder_without_a_manifest_brings_in_every_video(tmp_path):
    root = folder(tmp_path / "plain", None, videos=["a.mp4", "sub/b.mp4"])
    (root / "README.txt").write_text("hello")
    out = run(str(root))
    assert "videos 2 created" in out
    assert "warning: README.txt: not a video file extension; skipped" in out
    assert list(Video.objects.values_list("caption", "external_id")) == [("", ""), ("", "")]


def test_a_manifest_named_in_a_folder(tmp_path):
    root = folder(tmp_path / "set", ENTRIES, name="train.json")
    assert "videos 2 created" in run(str(root), "--manifest", "train.json")


def test_the_same_file_under_two_ids_is_stored_once(tmp_path):
    root = folder(tmp_path / "set", None, videos=["a.mp4"])
    entries = [
        {"id": "a", "video": "a.mp4", "prompt": "A"},
        {"id": "b", "video": "./a.mp4", "prompt": "B"},
    ]
    (root / "metadata.json").write_text(json.dumps(entries))
    out = run(str(root))
    assert "videos 1 created, 0 replaced, 0 unchanged, 1 duplicate" in out
    assert "warning: a.mp4: the same file as video" in out


def upload(bucket, tmp_path, files):
    client = s3_client()
    for key, body in files.items():
        if isinstance(body, int):
            body = make_video(tmp_path / f"up{body}.mp4", shade=body).read_bytes()
        client.put_object(Bucket=bucket, Key=key, Body=body)


def test_it_imports_a_manifest_under_an_s3_prefix(s3_storage, tmp_path):
    manifest = json.dumps(
        [
            {"id": "s1", "video": "clips/s1.mp4", "prompt": "Neurons fire.", "level": "Cellular"},
            {"id": "s2", "video": "clips/s2.mp4", "prompt": "Blood flows."},
        ]
    )
    upload(
        s3_storage,
        tmp_path,
        {"drop/metadata.json": manifest, "drop/clips/s1.mp4": 1, "drop/clips/s2.mp4": 2},
    )
    assert "videos 2 created" in run(f"s3://{s3_storage}/drop")
    clip = Video.objects.get(external_id="s1")
    assert (clip.caption, clip.level, clip.source_path) == (
        "Neurons fire.",
        "Cellular-level",
        "clips/s1.mp4",
    )
    assert clip.file.storage.exists(clip.file.name)
    assert "2 unchanged" in run("--s3", "drop/")


def test_an_s3_manifest_naming_missing_keys_imports_nothing(s3_storage, tmp_path):
    manifest = json.dumps(
        [
            {"id": "s1", "video": "s1.mp4", "prompt": "Here."},
            {"id": "s2", "video": "s2.mp4", "prompt": "Not here."},
        ]
    )
    upload(s3_storage, tmp_path, {"drop/metadata.json": manifest, "drop/s1.mp4": 1})
    with pytest.raises(CommandError, match=r"entry 2 \(id 's2'\): video file 's2.mp4' not found"):
        run("--s3", "drop")
    assert Video.objects.count() == 0
    assert {o["Key"] for o in s3_client().list_objects_v2(Bucket=s3_storage)["Contents"]} == {
        "drop/metadata.json",
        "drop/s1.mp4",
    }


def test_an_s3_prefix_without_a_manifest_brings_in_every_video(s3_storage, tmp_path):
    upload(s3_storage, tmp_path, {"loose/a.mp4": 1, "loose/b.mp4": 2})
    assert "videos 2 created" in run("--s3", "loose")
