"""Times a contamination report (services.contamination.report_compute: inputs read
from the database, the four kinds of evidence, findings written) for 459 tasks, each
with a reference video, against 12,000 clips (96,000 judge-frame hashes), on SQLite.

    .venv/bin/python bench/contamination.py [--clips 12000] [--tasks 459]

The data look like the real set: 40 channels of one network, tasks and clips cut from
their videos (8 clips a video), 5% of the clips cut from a task's source video (their
frame hashes a few bits from the reference video's, their reference in another URL
shape, their captions close to the task's prompt), captions and prompts over one
vocabulary (a biology core and a long tail).

Target (issue 17): <= 20 s on these 2 cores."""

import argparse
import json
import tempfile
import time

import numpy as np
from databases import django_on, results_per_database

WORDS = [
    "cell",
    "membrane",
    "nucleus",
    "mitochondria",
    "protein",
    "enzyme",
    "blood",
    "capillary",
    "neutrophil",
    "bacterium",
    "virus",
    "antibody",
    "chloroplast",
    "photosynthesis",
    "division",
    "mitosis",
    "meiosis",
    "chromosome",
    "gene",
    "ribosome",
    "neuron",
    "synapse",
    "muscle",
    "fibre",
    "heart",
    "valve",
    "lung",
    "alveolus",
    "kidney",
    "filtration",
    "liver",
    "bile",
    "gradient",
    "diffusion",
    "osmosis",
    "transport",
    "vesicle",
    "golgi",
    "reticulum",
    "cilia",
    "flagellum",
]
CHANNELS = [f"Channel {n}" for n in range(40)]


def video_id(rng: np.random.Generator) -> str:
    alphabet = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"))
    return "".join(rng.choice(alphabet, 11))


# Beyond the common words, a long tail as in real captions (Zipf-like frequencies).
VOCABULARY = np.array(WORDS + [f"term{n}" for n in range(5000)])
FREQUENCY = 1 / np.arange(1, len(VOCABULARY) + 1)
FREQUENCY /= FREQUENCY.sum()


def sentence(rng: np.random.Generator, n: int) -> str:
    return " ".join(rng.choice(VOCABULARY, n, p=FREQUENCY))


def hashes(values) -> list[str]:
    return [f"{int(v):016x}" for v in values]


def populate(tasks: int, clips: int) -> int:
    from annotator.models import ContaminationReport, Video
    from annotator.models.choices import MediaStatus, VideoKind
    from annotator.services.contamination import Thresholds
    from rubrics_app.models import Benchmark, Task

    rng = np.random.default_rng(17)
    benchmark = Benchmark.objects.create(name="MicroWorldBench")
    sources = [(video_id(rng), CHANNELS[n % 40], sentence(rng, 5)) for n in range(clips // 8)]
    task_rows, reference_hashes = [], []
    for n in range(tasks):
        vid, channel, title = sources[n * 3]
        task_rows.append(
            Task(
                benchmark=benchmark,
                index=n + 1,
                prompt=sentence(rng, 8),
                requirement=sentence(rng, 40),
                source_ref=f"{channel}_{title}_https://www.youtube.com/watch?v={vid}",
            )
        )
        reference_hashes.append(rng.integers(0, 2**63, 8, dtype=np.uint64))
    Task.objects.bulk_create(task_rows)
    task_pks = list(Task.objects.order_by("index").values_list("pk", flat=True))
    Video.objects.bulk_create(
        Video(
            kind=VideoKind.REFERENCE,
            task_id=pk,
            media_status=MediaStatus.READY,
            frame_hashes=hashes(reference_hashes[n]),
        )
        for n, pk in enumerate(task_pks)
    )
    clip_rows = []
    for n in range(clips):
        if n % 20 == 0:  # cut from a task's source: near its reference frames
            t = (n // 20) % tasks
            vid, channel, title = sources[t * 3]
            flips = rng.integers(0, 64, (8, 3))
            frame = reference_hashes[t] ^ np.bitwise_or.reduce(
                np.left_shift(np.uint64(1), flips.astype(np.uint64)), axis=1
            )
            ref = f"{channel}_{title} (part {n % 8})_https://youtu.be/{vid}"
            caption = f"{task_rows[t].prompt} {sentence(rng, 4)}"
        else:
            vid, channel, title = sources[n // 8]
            frame = rng.integers(0, 2**63, 8, dtype=np.uint64)
            ref = f"{channel}_{title}_https://www.youtube.com/watch?v={vid}"
            caption = sentence(rng, 15)
        clip_rows.append(
            Video(
                kind=VideoKind.DATASET,
                external_id=f"clip{n:06d}",
                source_ref=ref,
                caption=caption,
                media_status=MediaStatus.READY,
                frame_hashes=hashes(frame),
            )
        )
    Video.objects.bulk_create(clip_rows, batch_size=1000)
    report = ContaminationReport.objects.create(
        benchmark=benchmark, training_set="candidates", thresholds=vars(Thresholds.from_settings())
    )
    return report.pk


def run_one(database_url: str, tasks: int, clips: int) -> dict:
    django_on(database_url)
    from annotator.services.contamination import report_compute

    report_id = populate(tasks, clips)
    start = time.perf_counter()
    report = report_compute(report_id=report_id)
    seconds = time.perf_counter() - start
    kinds: dict[str, int] = {}
    for evidence in report.findings.values_list("evidence", flat=True):
        for e in evidence:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
    return {"seconds": seconds, "findings": report.findings.count(), "evidence": kinds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=459)
    parser.add_argument("--clips", type=int, default=12_000)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.tasks, args.clips)))
        return
    print(f"{args.tasks} tasks with reference videos x {args.clips:,} clips")
    with tempfile.TemporaryDirectory() as tmp:
        for name, result in results_per_database(__file__, tmp, "mwa_bench_contam", None):
            print(
                f"{name}: report in {result['seconds']:.1f} s, {result['findings']} findings "
                f"({result['evidence']})"
            )


if __name__ == "__main__":
    main()
