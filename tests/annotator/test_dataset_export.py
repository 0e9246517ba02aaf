import csv
import html
import io
import json
import tarfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotator.models import ClipDecision, User, Video
from annotator.models.choices import ClipStatus, Decision, VideoKind
from annotator.selectors.dataset_export import dataset_export, snapshot_parse
from rubrics_app.choices import Level

pytestmark = pytest.mark.django_db

AS_OF = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def clip(external_id="", *, status=ClipStatus.ACCEPTED, decided=AS_OF, ext=".mp4", **fields):
    """A dataset clip decided at `decided`, with a small stored file of its own."""
    video = Video.objects.create(
        kind=VideoKind.DATASET,
        external_id=external_id,
        caption=fields.pop("caption", f"draft {external_id}"),
        clip_status=status,
        final_caption=fields.pop("final_caption", f"Final caption of {external_id}."),
        final_level=fields.pop("final_level", Level.CELLULAR),
        decided_at=decided,
        **fields,
    )
    content = ContentFile(f"video {video.pk} ".encode() * 300)
    video.file.name = default_storage.save(f"videos/src/{video.pk}{ext}", content)
    video.save(update_fields=["file"])
    return video


def decide(video, username, decision=Decision.ACCEPT, *, minutes=0, **fields):
    made = ClipDecision.objects.create(
        video=video,
        user=User.objects.get_or_create(username=username)[0],
        decision=decision,
        **fields,
    )
    ClipDecision.objects.filter(pk=made.pk).update(created_at=AS_OF - timedelta(minutes=minutes))
    return made


def export(fmt, as_of=AS_OF):
    return b"".join(dataset_export(export_format=fmt, as_of=as_of).chunks)


@pytest.fixture
def clips():
    first = clip("b-2", extra={"lab": "A", "frames": 24}, source_ref="https://example.org/b")
    decide(first, "ann1", caption="Final caption of b-2.", level=Level.CELLULAR, minutes=30)
    decide(first, "ann2", caption="Other caption", reasons=["blurry"], seconds=12.5, minutes=20)
    decide(first, "rev", adjudication=True, minutes=10)
    second = clip("a-1", ext=".webm")
    unnamed = clip("")
    clip("rejected", status=ClipStatus.REJECTED)
    clip("pending", status=ClipStatus.PENDING, decided=None)
    clip("later", decided=AS_OF + timedelta(seconds=1))
    return [unnamed, second, first]


def test_the_manifest_lists_the_accepted_clips_at_the_snapshot(clips):
    unnamed = clips[0]
    assert json.loads(export("manifest")) == [
        {
            "id": f"clip-{unnamed.pk}",
            "video": f"videos/clip-{unnamed.pk}.mp4",
            "prompt": "Final caption of .",
        },
        {"id": "a-1", "video": "videos/a-1.webm", "prompt": "Final caption of a-1."},
        {"id": "b-2", "video": "videos/b-2.mp4", "prompt": "Final caption of b-2."},
    ]
    assert json.loads(export("manifest", AS_OF + timedelta(seconds=1)))[-1]["id"] == "later"


def test_the_tar_holds_the_manifest_and_exactly_its_videos(clips):
    data = export("tar")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        manifest = json.load(tar.extractfile("metadata.json"))
        snapshot = json.load(tar.extractfile("snapshot.json"))
        videos = {
            name: tar.extractfile(name).read() for name in members if name.startswith("videos/")
        }
    assert snapshot == {"as_of": "2025-06-01T12:00:00Z", "clips": 3}
    assert sorted(row["video"] for row in manifest) == sorted(videos)
    for video in clips:
        path = next(
            row["video"] for row in manifest if row["id"] in (video.external_id, f"clip-{video.pk}")
        )
        assert videos[path] == video.file.open("rb").read()
    assert {(m.mtime, m.uid, m.gid, m.uname, m.mode) for m in members.values()} == {
        (int(AS_OF.timestamp()), 0, 0, "", 0o644)
    }
    assert len(data) % tarfile.RECORDSIZE == 0


@pytest.mark.parametrize("fmt", ["manifest", "tar", "jsonl", "csv", "urls"])
def test_the_same_snapshot_gives_the_same_bytes(clips, fmt):
    assert export(fmt) == export(fmt)


def test_jsonl_has_every_field_and_the_decision_history(clips):
    rows = [json.loads(line) for line in export("jsonl").decode().splitlines()]
    assert [row["id"] for row in rows] == [f"clip-{clips[0].pk}", "a-1", "b-2"]
    row = rows[-1]
    assert {k: v for k, v in row.items() if k != "history"} == {
        "as_of": "2025-06-01T12:00:00Z",
        "id": "b-2",
        "video": "videos/b-2.mp4",
        "prompt": "Final caption of b-2.",
        "level": "Cellular-level",
        "draft_caption": "draft b-2",
        "draft_level": "",
        "source_ref": "https://example.org/b",
        "extra": {"frames": 24, "lab": "A"},
        "status": "accepted",
        "decided_at": "2025-06-01T12:00:00Z",
        "annotators": ["ann1", "ann2"],
        "reasons": ["blurry"],
    }
    assert [(h["user"], h["adjudication"], h["created_at"]) for h in row["history"]] == [
        ("ann1", False, "2025-06-01T11:30:00Z"),
        ("ann2", False, "2025-06-01T11:40:00Z"),
        ("rev", True, "2025-06-01T11:50:00Z"),
    ]
    assert row["history"][1] == {
        "user": "ann2",
        "decision": "accept",
        "reasons": ["blurry"],
        "caption": "Other caption",
        "level": "",
        "seconds": 12.5,
        "adjudication": False,
        "created_at": "2025-06-01T11:40:00Z",
    }


def test_decisions_after_the_snapshot_are_left_out(clips):
    decide(clips[1], "late", minutes=-5)
    row = json.loads(export("jsonl").decode().splitlines()[1])
    assert (row["id"], row["history"], row["annotators"]) == ("a-1", [], [])


def test_csv_has_every_field_with_the_history_as_json(clips):
    rows = list(csv.DictReader(io.StringIO(export("csv").decode())))
    assert [row["id"] for row in rows] == [f"clip-{clips[0].pk}", "a-1", "b-2"]
    row = rows[-1]
    assert (row["as_of"], row["annotators"], row["reasons"]) == (
        "2025-06-01T12:00:00Z",
        "ann1;ann2",
        "blurry",
    )
    assert json.loads(row["extra"]) == {"frames": 24, "lab": "A"}
    assert [h["user"] for h in json.loads(row["history"])] == ["ann1", "ann2", "rev"]


def test_the_jsonl_export_makes_the_same_queries_for_more_clips(clips):
    def count():
        with CaptureQueriesContext(connection) as queries:
            export("jsonl")
        return len(queries)

    few = count()
    for n in range(20):
        decide(clip(f"more-{n}"), f"ann{n % 3}")
    assert count() == few <= 3


def test_urls_point_at_each_clip_file(clips):
    rows = json.loads(
        b"".join(
            dataset_export(export_format="urls", as_of=AS_OF, base_url="http://app.test/").chunks
        )
    )
    assert rows[1] == {
        "id": "a-1",
        "video": "videos/a-1.webm",
        "prompt": "Final caption of a-1.",
        "url": f"http://app.test/media/videos/{clips[1].public_id}/file",
    }


def test_the_tar_streams_videos_stored_in_s3(s3_storage):
    video = clip("s3clip")
    with tarfile.open(fileobj=io.BytesIO(export("tar"))) as tar:
        assert json.load(tar.extractfile("metadata.json"))[0]["video"] == "videos/s3clip.mp4"
        assert tar.extractfile("videos/s3clip.mp4").read() == video.file.open("rb").read()


def test_an_annotator_may_not_export(client, annotator_user, clips):
    client.force_login(annotator_user)
    assert client.get(reverse("dataset-export", args=["manifest"])).status_code == 403


def test_a_reviewer_downloads_a_streamed_tar_named_by_its_snapshot(client, reviewer_user, clips):
    client.force_login(reviewer_user)
    response = client.get(
        reverse("dataset-export", args=["tar"]), {"as_of": "2025-06-01T12:00:00Z"}
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="dataset_20250601T120000Z.tar"'
    assert b"".join(response.streaming_content) == export("tar")


def test_an_admin_downloads_the_manifest(client, admin_user, clips):
    client.force_login(admin_user)
    response = client.get(
        reverse("dataset-export", args=["manifest"]), {"as_of": "2025-06-01T14:00+02:00"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('dataset_20250601T120000Z_metadata.json"')
    assert len(json.loads(response.content)) == 3


def test_a_malformed_snapshot_or_format_is_a_bad_request(client, reviewer_user):
    client.force_login(reviewer_user)
    response = client.get(reverse("dataset-export", args=["jsonl"]), {"as_of": "yesterday"})
    assert response.status_code == 400
    assert "as_of 'yesterday' is not an ISO-8601 time" in html.unescape(response.content.decode())
    assert client.get(reverse("dataset-export", args=["zip"])).status_code == 400


def test_the_command_writes_the_export(clips, tmp_path):
    out = io.StringIO()
    path = tmp_path / "set.tar"
    call_command(
        "export_dataset",
        "--format",
        "tar",
        "--as-of",
        "2025-06-01T12:00:00Z",
        "--out",
        str(path),
        stdout=out,
    )
    assert path.read_bytes() == export("tar")
    assert "accepted clips as of 2025-06-01T12:00:00Z" in out.getvalue()
    with pytest.raises(CommandError, match="not an ISO-8601 time"):
        call_command("export_dataset", "--as-of", "June", "--out", str(path))


@pytest.mark.parametrize(
    "value",
    [
        "2025-06-01T12:00:00Z",
        "2025-06-01T14:00+02:00",
        "2025-06-01T14:00 02:00",
        "2025-06-01 12:00",
    ],
)
def test_a_snapshot_time_is_read_as_utc(value):
    assert snapshot_parse(value) == AS_OF
