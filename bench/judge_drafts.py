"""Throughput of draft judgments: a benchmark of the published size (459 tasks x 3
dimensions = 1,377 model requests) judged through the real service
(`judge_video_dimension`: judge frames read from storage, one chat request with 8
JPEGs, reply parsed, evaluation and 5 draft verdicts written to SQLite, the job's
progress counted) against a local chat-completions endpoint that answers each request
in 300 ms.

The service calls run in a thread pool of JUDGE_CONCURRENCY threads: as many requests
in flight as a Celery worker on the "judge" queue started with `--concurrency
$JUDGE_CONCURRENCY` (its prefork children each run one task at a time), without the
broker in the measurement.

    .venv/bin/python bench/judge_drafts.py [--concurrency 8] [--latency 0.3] [--tasks 459]

Target: wall time <= 1.3 x the ideal (requests x latency / concurrency)."""

import argparse
import io
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

TARGET = 1.3


def serve(conn, content: str, latency: float, requests: int) -> None:
    """The chat-completions endpoint (tests/llm_server.py), answering `requests` times
    with `content` after `latency` seconds."""
    from tests.llm_server import ChatServer, Reply

    server = ChatServer()
    server.replies = [Reply(content, delay=latency)] * requests
    conn.send(server.url)
    threading.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per reply")
    parser.add_argument("--tasks", type=int, default=459)
    args = parser.parse_args()
    # The endpoint runs in a process of its own, as a real one would: in this process
    # it would compete with the judge threads for the interpreter lock.
    requests = args.tasks * 3
    content = json.dumps({"scores": [1, 0, 1, 1, 0], "reasoning": "bench"})
    parent, child = multiprocessing.Pipe()
    endpoint = multiprocessing.get_context("fork").Process(
        target=serve, args=(child, content, args.latency, requests), daemon=True
    )
    endpoint.start()
    url = parent.recv()
    with tempfile.TemporaryDirectory() as var:
        os.environ.update(
            {
                "VAR_DIR": var,
                "DJANGO_SETTINGS_MODULE": "annotator.settings",
                "LLM_BASE_URL": url,
                "LLM_API_KEY": "bench",
                "LLM_MODEL": "bench-vlm",
                "LLM_TIMEOUT": "30",
                "LLM_MAX_RETRIES": "2",
                "JUDGE_CONCURRENCY": str(args.concurrency),
                "LOG_LEVEL": "WARNING",  # not a line per request
            }
        )
        for name in ("DATABASE_URL", "MEDIA_ROOT", "S3_BUCKET"):
            os.environ.pop(name, None)
        import django

        django.setup()
        from django.conf import settings
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage
        from django.core.management import call_command
        from PIL import Image
        from rubrics_io import rubric_file

        from annotator.core.jobs import job_create
        from annotator.models import GeneratorModel, Job, JudgeEvaluation, Judgment, Video
        from annotator.models.choices import EvaluationStatus, MediaStatus, VideoKind
        from annotator.services.judge_drafts import judge_video_dimension
        from rubrics_app.choices import Dimension
        from rubrics_app.models import Task

        call_command("migrate", verbosity=0)
        path = Path(var) / "rubrics.json"
        path.write_text(json.dumps(rubric_file(args.tasks)))
        with open(os.devnull, "w") as null:
            call_command("import_rubrics", str(path), "--benchmark", "b", stdout=null)

        # Tiny judge frames (the request's cost here is the endpoint's latency, not
        # the upload), one set stored and shared by every video.
        frames = []
        for k in range(8):
            out = io.BytesIO()
            Image.new("RGB", (64, 36), (30 * k, 255 - 30 * k, 128)).save(out, "JPEG")
            frames.append(default_storage.save(f"judge/frame_{k}.jpg", ContentFile(out.getvalue())))
        generator = GeneratorModel.objects.create(name="BenchModel")
        Video.objects.bulk_create(
            Video(
                kind=VideoKind.GENERATED,
                task=task,
                generator=generator,
                media_status=MediaStatus.READY,
                judge_frames=frames,
            )
            for task in Task.objects.all()
        )
        pairs = [
            (pk, dimension)
            for pk in Video.objects.order_by("pk").values_list("pk", flat=True)
            for dimension in Dimension.values
        ]
        assert len(pairs) == requests
        job = job_create(kind="judge_drafts", total=len(pairs), user=None)

        def judge(pair: tuple[int, str]) -> str:
            video_id, dimension = pair
            return judge_video_dimension(
                video_id=video_id, dimension=dimension, job_id=job.pk
            ).status

        concurrency = settings.JUDGE_CONCURRENCY
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            statuses = list(pool.map(judge, pairs))
        wall = time.perf_counter() - start
        endpoint.terminate()

        job.refresh_from_db()
        ideal = len(pairs) * args.latency / concurrency
        ok = statuses.count(EvaluationStatus.OK)
        print(
            f"{len(pairs)} judge requests ({args.tasks} tasks x 3 dimensions), endpoint "
            f"latency {args.latency * 1000:.0f} ms, concurrency {concurrency} (thread pool "
            f"running judge_video_dimension), SQLite:"
        )
        print(
            f"  {ok} ok, {len(pairs) - ok} failed; "
            f"{JudgeEvaluation.objects.filter(status=EvaluationStatus.OK).count()} evaluations, "
            f"{Judgment.objects.count()} draft verdicts stored; job {job.succeeded} succeeded, "
            f"{job.failed} failed, {Job.objects.get(pk=job.pk).get_status_display()}"
        )
        overhead = (wall * concurrency / len(pairs) - args.latency) * 1000
        print(
            f"  wall {wall:.1f} s, ideal {ideal:.1f} s, ratio {wall / ideal:.2f} "
            f"(target <= {TARGET}); {overhead:.0f} ms per request beyond the endpoint's "
            f"latency, {len(pairs) / wall:.1f} requests/s"
        )
        assert ok == len(pairs), "some judge requests failed"


if __name__ == "__main__":
    main()
