"""Contamination reports: each kind of evidence on constructed pairs, reproducibility,
decisions, and a training set with no clips."""

from pathlib import Path

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotator.models import ContaminationFinding, ContaminationReport, Video
from annotator.models.choices import EvidenceKind, OverlapDecision, ReportStatus, TrainingSet
from annotator.selectors.contamination import report_as_dict, report_csv
from annotator.services import contamination
from annotator.services.contamination import ClipInput, TaskInput, Thresholds, find_overlaps
from annotator.services.frame_hashes import as_array, min_distances, videos_hash_backfill
from annotator.services.media import video_process
from annotator.services.videos import dataset_clip_create, reference_video_attach
from rubrics_app.models import Release
from tests.factories import BenchmarkFactory, ClipFactory, TaskFactory
from tests.videos import scenes, write_video

pytestmark = pytest.mark.django_db

YT = "https://www.youtube.com/watch?v=f-ldPgEfAHI"
THRESHOLDS = Thresholds(title_similarity=85, hash_distance=10, text_similarity=0.5)


def processed_clip(path: Path, **fields) -> Video:
    video = dataset_clip_create(path=path).video
    Video.objects.filter(pk=video.pk).update(**fields)
    return video_process(video_id=video.pk)


def run(benchmark, **kwargs) -> ContaminationReport:
    report = contamination.report_start(benchmark=benchmark, **kwargs)
    return contamination.report_compute(report_id=report.pk)


def kinds(report: ContaminationReport) -> dict[int, list[str]]:
    return {f.clip_id: [e["kind"] for e in f.evidence] for f in report.findings.all()}


def test_a_clip_cut_from_the_reference_video_is_found_and_an_unrelated_one_is_not(tmp_path):
    task = TaskFactory(source_ref="")
    reference = write_video(tmp_path / "ref.mp4", scenes(1))
    attached = reference_video_attach(
        task=task, upload=SimpleUploadedFile("ref.mp4", reference.read_bytes())
    ).video
    video_process(video_id=attached.pk)
    # Scenes 2 and 3 of the source, smaller and re-encoded; and a clip of other scenes.
    cut = processed_clip(write_video(tmp_path / "cut.mp4", scenes(1)[1:3], scale=0.75))
    other = processed_clip(write_video(tmp_path / "other.mp4", scenes(2)))
    attached.refresh_from_db()
    assert len(attached.frame_hashes) == len(cut.frame_hashes) == 8

    report = run(task.benchmark)
    assert kinds(report) == {cut.pk: [EvidenceKind.VISUAL]}
    finding = report.findings.get()
    assert finding.strength >= 1 - THRESHOLDS.hash_distance / 64
    distances = min_distances(
        as_array(attached.frame_hashes),
        as_array(cut.frame_hashes + other.frame_hashes),
        np.repeat([0, 1], 8),
        2,
    )
    assert distances[0] <= 4 < 20 <= distances[1]


def test_the_same_source_video_whatever_the_url_shape():
    task = TaskFactory(source_ref=f"Amoeba Sisters_Mitosis_ phases_{YT}")
    same = ClipFactory(source_ref="https://youtu.be/f-ldPgEfAHI?t=30", caption="")
    ClipFactory(source_ref="https://youtu.be/aaaaaaaaaaa", caption="")
    report = run(task.benchmark)
    assert kinds(report) == {same.pk: [EvidenceKind.SAME_SOURCE]}
    assert report.findings.get().strength == 1.0


def test_the_same_channel_with_a_similar_title():
    task = TaskFactory(source_ref="Amoeba Sisters_Mitosis: the phases_https://example.org/a")
    similar = ClipFactory(
        source_ref="amoeba sisters_The phases of mitosis_https://example.org/b", caption=""
    )
    ClipFactory(source_ref="Amoeba Sisters_Photosynthesis_https://example.org/c", caption="")
    ClipFactory(source_ref="Other Channel_Mitosis: the phases_https://example.org/d", caption="")
    report = run(task.benchmark)
    assert kinds(report) == {similar.pk: [EvidenceKind.CHANNEL_TITLE]}


def test_similar_text():
    task = TaskFactory(
        prompt="Neutrophils chase a bacterium",
        requirement="A neutrophil crawls along a chemical gradient toward a bacterium.",
        source_ref="",
    )
    similar = ClipFactory(caption="A neutrophil crawls toward a bacterium along a gradient.")
    ClipFactory(caption="Chloroplasts stream around a plant cell's vacuole.")
    report = run(task.benchmark)
    assert kinds(report) == {similar.pk: [EvidenceKind.TEXT]}


def test_evidence_of_several_kinds_on_one_pair_is_one_finding():
    tasks = [TaskInput(1, 1, f"Chan_Cells_{YT}", "cells divide", "", ["ffff0000ffff0000"])]
    clips = [ClipInput(7, "c7", f"Chan_Cells_{YT}", "cells divide in two", ["ffff0000ffff0001"])]
    overlaps, problems = find_overlaps(tasks, clips, THRESHOLDS)
    assert [e["kind"] for e in overlaps[0].evidence] == [k.value for k in EvidenceKind]
    assert (len(overlaps), problems) == (1, [])


def test_unreadable_references_are_reported_not_fatal():
    task = TaskFactory(index=3, source_ref="just a channel")
    ClipFactory(external_id="c-1", source_ref="https://youtube.com/channel/x", caption="")
    report = run(task.benchmark)
    assert report.status == ReportStatus.DONE
    assert report.problems == [
        "task 3: no video URL or id",
        "clip c-1: a YouTube URL without a video id: https://youtube.com/channel/x",
    ]


def test_the_same_inputs_give_the_same_report():
    benchmark = BenchmarkFactory()
    for n in range(5):
        TaskFactory(benchmark=benchmark, source_ref=f"Chan_Title {n}_{YT}", prompt=f"cells {n}")
    for n in range(8):
        ClipFactory(source_ref=f"Chan_Title {n % 3}_{YT}", caption=f"cells {n} divide")
    first, second = run(benchmark), run(benchmark)

    def content(report):
        data = report_as_dict(report)
        for key in ("id", "created_at", "finished_at"):
            data.pop(key)
        return data

    assert content(first) == content(second) and first.findings.count() == 8 * 5
    assert report_csv(first) == report_csv(second)


def test_a_report_over_a_release_with_no_clips_says_so(reviewer_user):
    task = TaskFactory(source_ref=YT)
    release = Release.objects.create(benchmark=task.benchmark, name="v1")
    release.tasks.create(task=task, index=task.index, prompt=task.prompt)
    report = run(task.benchmark, release=release, training_set=TrainingSet.ACCEPTED)
    assert (report.status, report.tasks_total, report.clips_total) == (ReportStatus.DONE, 1, 0)
    assert "no clips" in report.note and not report.findings.exists()


def test_decisions_apply_to_the_pair_everywhere_are_audited_and_carry_over(reviewer_user):
    task = TaskFactory(source_ref=YT)
    clip = ClipFactory(source_ref=YT, caption="")
    first = run(task.benchmark)
    finding = first.findings.get()
    contamination.finding_decide(
        finding=finding, decision=OverlapDecision.CONFIRMED, user=reviewer_user
    )
    second = run(task.benchmark)
    carried = second.findings.get()
    assert (carried.decision, carried.decided_by) == (OverlapDecision.CONFIRMED, reviewer_user)
    contamination.finding_decide(
        finding=carried, decision=OverlapDecision.NOT_OVERLAP, user=reviewer_user
    )
    assert set(
        ContaminationFinding.objects.filter(clip=clip).values_list("decision", flat=True)
    ) == {OverlapDecision.NOT_OVERLAP}
    history = finding.history.order_by("history_date")
    assert [h.decision for h in history] == ["confirmed", "not-overlap"]  # each decision
    assert history.last().history_user == reviewer_user


def test_a_failed_report_does_not_block_a_new_one():
    task = TaskFactory(source_ref=YT)
    ClipFactory(source_ref=YT, caption="")
    failed = contamination.report_start(benchmark=task.benchmark)
    contamination.report_mark_failed(report_id=failed.pk, reason="worker lost")
    report = run(task.benchmark)
    assert report.status == ReportStatus.DONE and report.findings.count() == 1
    failed.refresh_from_db()
    assert failed.status == ReportStatus.FAILED


def test_the_backfill_hashes_videos_processed_before_hashes_were_kept(tmp_path):
    clip = processed_clip(write_video(tmp_path / "a.mp4", scenes(3)))
    hashes = list(clip.frame_hashes)
    Video.objects.filter(pk=clip.pk).update(frame_hashes=[])
    done, problems = videos_hash_backfill()
    clip.refresh_from_db()
    assert (done, problems, clip.frame_hashes) == (1, [], hashes)
    assert videos_hash_backfill() == (0, [])  # nothing left to do


def test_a_redelivered_job_keeps_the_decisions_made_on_its_report(reviewer_user):
    task = TaskFactory(source_ref=YT)
    ClipFactory(source_ref=YT, caption="")
    report = run(task.benchmark)
    contamination.finding_decide(
        finding=report.findings.get(), decision=OverlapDecision.CONFIRMED, user=reviewer_user
    )
    again = contamination.report_compute(report_id=report.pk)
    assert again.findings.get().decision == OverlapDecision.CONFIRMED
