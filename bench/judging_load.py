"""The judging workspace under load, served by the production server (`bin/run web`:
gunicorn, DEBUG off, behind a TLS proxy as deployed) on PostgreSQL (SQLite when
PostgreSQL does not answer), in a benchmark of 459 tasks, each with 8 generated
videos x 15 criteria and the judge's drafts:
- the judging page of a task under 20 concurrent clients, p95 server time (the app's
  own Server-Timing header) against the trivial /healthz view in the same server
  (target: at most 3x); the p95 seen by the clients, which adds the time queued in
  front of the server, is printed beside it. /healthz is requested with the same
  session cookie, so LoginRequiredMiddleware loads the session and the user for it as
  for every page: what any view of this app costs before its own work. Measured
  twice: the page under 20 clients against /healthz under 20 clients of its own (the
  reading the targets are checked on), and each client going round the page, its
  progress count and /healthz, all timed under the same load. In that second reading
  every request also waits for the others' work in the server's processes, so the
  ratio says how requests share the cores rather than what the page costs.
  The page loads the expert's progress count in a request of its own, right after
  itself: that request is timed under the same load too;
- saving verdicts under 50 concurrent clients, p95 against /healthz (target: at most
  2x), alone and in turn as above, then a count of the verdicts stored: none lost or
  duplicated;
- then, in the bench's own process, the progress count of an expert who has judged
  every other task (27,600 verdicts), since its cost grows with their work.

    .venv/bin/python bench/judging_load.py [--requests 40] [--tasks 459]"""

import argparse
import http.client
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))] * 1000


RESETS = []


def report(
    what: str, timings: list["Timing"], trivial: list["Timing"], target: float, on: tuple[str, ...]
) -> None:
    """p95 of both times against /healthz's; `on` names the times the target is for."""
    for kind in Timing._fields:
        mine = p95([getattr(t, kind) for t in timings])
        base = p95([getattr(t, kind) for t in trivial])
        goal = f" (target <= {target})" if kind in on else ""
        print(
            f"{what}, p95 {kind} time: {mine:.1f} ms; /healthz {base:.1f} ms; "
            f"ratio {mine / base:.2f}{goal}"
        )


class Timing(NamedTuple):
    client: float  # seconds from sending to the whole answer read
    server: float  # seconds the app spent, from its Server-Timing header


def timed(opener: urllib.request.OpenerDirector, request: urllib.request.Request) -> Timing:
    """One request, timed. A connection reset before the server accepted it (a full
    listen backlog under 50 clients) is sent again (saving a verdict is idempotent),
    timed from its first try, and counted."""
    start = time.perf_counter()
    for attempt in range(5):
        try:
            with opener.open(request, timeout=60) as response:
                response.read()
                assert response.status == 200, response.status
                server = float(response.headers["Server-Timing"].split("dur=")[1]) / 1000
            return Timing(time.perf_counter() - start, server)
        except (ConnectionResetError, http.client.RemoteDisconnected):
            RESETS.append(1)
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


class Seeded(NamedTuple):
    """Model instances (their classes exist only once Django is set up)."""

    benchmark: Any
    tasks: list[Any]
    criteria_of: dict[int, list[Any]]  # task id -> its criteria
    videos: list[Any]


def benchmark_seed(n_tasks: int) -> Seeded:
    """A benchmark of n_tasks tasks, each with 8 generated videos (one per model) x 15
    criteria and the judge's draft verdict on each, in the migrated database Django is
    set up on (bench/capacity.py seeds the same one)."""
    from django.db import connection

    from annotator.models import GeneratorModel, Judgment, Video
    from annotator.models.choices import VerdictSource, VerdictStatus, VideoKind
    from rubrics_app.choices import Dimension
    from rubrics_app.models import Benchmark, Criterion, Task

    benchmark = Benchmark.objects.create(name="load")
    generators = [GeneratorModel.objects.create(name=f"m{m}") for m in range(8)]
    tasks = Task.objects.bulk_create(
        Task(benchmark=benchmark, index=i, prompt="p", requirement="r")
        for i in range(1, n_tasks + 1)
    )
    all_criteria = Criterion.objects.bulk_create(
        Criterion(task=t, dimension=d, number=n, position=n, text=f"{d} {n}", status="approved")
        for t in tasks
        for d in Dimension.values
        for n in range(5)
    )
    videos = Video.objects.bulk_create(
        Video(kind=VideoKind.GENERATED, task=t, generator=g) for t in tasks for g in generators
    )
    criteria_of: dict[int, list[Criterion]] = {}
    for criterion in all_criteria:
        criteria_of.setdefault(criterion.task_id, []).append(criterion)
    Judgment.objects.bulk_create(
        (
            Judgment(
                video=v,
                criterion=c,
                verdict=1,
                source=VerdictSource.LLM,
                judge_model="j",
                status=VerdictStatus.DRAFT,
            )
            for v in videos
            for c in criteria_of[v.task_id]
        ),
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        connection.cursor().execute("ANALYZE")  # as autovacuum would after such a load
    return Seeded(benchmark, tasks, criteria_of, videos)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40, help="per client and view")
    parser.add_argument("--tasks", type=int, default=459, help="in the benchmark")
    args = parser.parse_args()
    from capacity import server_start
    from databases import fresh_postgres_database

    with tempfile.TemporaryDirectory() as var:
        env = {
            "VAR_DIR": var,
            "DJANGO_SETTINGS_MODULE": "annotator.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
            "SERVER_TIMING": "true",  # the server's own time, read from every response
        }
        try:
            env["DATABASE_URL"] = fresh_postgres_database(
                "postgres://postgres@127.0.0.1:5432/test", "mwa_bench_judging"
            )
        except Exception as exc:  # any failure means: use SQLite
            print(f"PostgreSQL not available ({exc}); SQLite")
        os.environ.update(env)
        # As a release does: check --deploy, migrate, collectstatic.
        subprocess.run(
            ["bash", ROOT / "bin/run", "migrate"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        import django

        django.setup()
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection
        from django.test import Client

        from annotator.models import Judgment, User
        from annotator.models.choices import VerdictSource, VerdictStatus, WorkKind
        from annotator.services.assignments import work_batch_create

        benchmark, tasks, of_task, all_videos = benchmark_seed(args.tasks)
        task = tasks[0]
        criteria = of_task[task.pk]
        videos = [v for v in all_videos if v.task_id == task.pk]

        def opener_for(user: User) -> tuple[urllib.request.OpenerDirector, str]:
            session = SessionStore()
            session["_auth_user_id"] = str(user.pk)
            session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
            session["_auth_user_hash"] = user.get_session_auth_hash()
            session.create()
            csrf = secrets.token_hex(16)
            opener = urllib.request.build_opener()
            opener.addheaders = [
                ("Cookie", f"sessionid={session.session_key}; csrftoken={csrf}"),
                ("X-Forwarded-Proto", "https"),  # as the proxy in front says
            ]
            return opener, csrf

        experts = [User.objects.create_user(f"expert{n}") for n in range(50)]
        work_batch_create(
            name="load",
            kind=WorkKind.JUDGE,
            items=tasks,
            users=experts,
            overlap=50,
            created_by=None,
        )
        clients = [opener_for(expert) for expert in experts]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        log = Path(var) / "server.log"
        server = server_start(dict(os.environ), port, 2 * (os.cpu_count() or 1), 1, log)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                    break
                except OSError:
                    time.sleep(0.1)

            def load(n_clients: int, make_request) -> list[Timing]:
                def client(i: int) -> list[Timing]:
                    opener, csrf = clients[i]
                    return [timed(opener, make_request(i, k, csrf)) for k in range(args.requests)]

                with ThreadPoolExecutor(n_clients) as pool:
                    return [t for ts in pool.map(client, range(n_clients)) for t in ts]

            def mixed(n_clients: int, *makers) -> list[list[Timing]]:
                """Each client goes round the views given and /healthz: all are timed
                under the very same load. The timings per view, /healthz's last."""
                healthz = urllib.request.Request(f"{base}/healthz")
                n = len(makers) + 1
                timings = load(
                    n_clients,
                    lambda i, k, csrf: makers[k % n](i, k // n, csrf) if k % n < n - 1 else healthz,
                )
                return [timings[j::n] for j in range(n)]

            page = f"{base}/judging/tasks/{task.pk}/"
            progress = f"{base}/judging/benchmarks/{benchmark.pk}/progress"
            judging, counts, trivial = mixed(
                20,
                lambda i, k, csrf: urllib.request.Request(page),
                lambda i, k, csrf: urllib.request.Request(progress),
            )
            report(
                f"judging page, its progress count and /healthz in turn, 20 clients x "
                f"{args.requests}",
                judging,
                trivial,
                3,
                on=(),
            )
            report("  its progress count", counts, trivial, 3, on=())
            trivial = load(20, lambda i, k, csrf: urllib.request.Request(f"{base}/healthz"))
            judging = load(20, lambda i, k, csrf: urllib.request.Request(page))
            report(
                f"judging page alone, then /healthz alone, 20 clients x {args.requests}",
                judging,
                trivial,
                3,
                on=("server",),
            )

            def save(i: int, k: int, csrf: str) -> urllib.request.Request:
                video = videos[(i + k) % len(videos)]
                criterion = criteria[k % len(criteria)]
                data = f"criterion={criterion.pk}&verdict={k % 2}&blind=1".encode()
                return urllib.request.Request(
                    f"{base}/judging/videos/{video.public_id}/verdict",
                    data=data,
                    headers={
                        "X-CSRFToken": csrf,
                        "Referer": f"https://127.0.0.1:{port}/",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                )

            saves, trivial = mixed(50, save)
            report(
                f"saving a verdict and /healthz alternating, 50 clients x {args.requests}",
                saves,
                trivial,
                2,
                on=(),
            )
            trivial = load(50, lambda i, k, csrf: urllib.request.Request(f"{base}/healthz"))
            saves = load(50, save)
            report(
                f"saving a verdict alone, then /healthz alone, 50 clients x {args.requests}",
                saves,
                trivial,
                2,
                on=("server", "client"),
            )
        finally:
            server.terminate()
            server.wait()
            errors = log.read_text()
            if "Traceback" in errors:
                print(errors[-3000:])
        expected = {
            (f"expert{i}", videos[(i + k) % len(videos)].pk, criteria[k % len(criteria)].pk)
            for i in range(50)
            for k in range(args.requests)
        }
        stored = list(
            Judgment.objects.filter(source=VerdictSource.HUMAN).values_list(
                "user__username", "video_id", "criterion_id"
            )
        )
        print(
            f"verdicts: {len(expected)} expected, {len(stored)} stored, "
            f"{len(expected - set(stored))} lost, {len(stored) - len(set(stored))} duplicated"
        )
        print(
            f"median save {statistics.median(t.client for t in saves) * 1000:.1f} ms; "
            f"{len(RESETS)} connections reset by the server's backlog and sent again"
        )

        # The progress count reads the expert's verdicts in the benchmark: an expert
        # who has judged every other task, timed in this process (Server-Timing).
        expert = experts[0]
        judged = {t.pk for t in tasks if t.index % 2}
        Judgment.objects.bulk_create(
            (
                Judgment(
                    video=v,
                    criterion=c,
                    user=expert,
                    verdict=1,
                    source=VerdictSource.HUMAN,
                    status=VerdictStatus.CONFIRMED,
                )
                for v in all_videos
                if v.task_id in judged
                for c in of_task[v.task_id]
            ),
            batch_size=5000,
            ignore_conflicts=True,  # the saves above made some of them
        )
        if connection.vendor == "postgresql":
            connection.cursor().execute("ANALYZE")
        logging.getLogger("annotator.requests").setLevel(logging.WARNING)  # a line a request
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        client.force_login(expert)
        mine = Judgment.objects.filter(user=expert).count()
        for what, url in (("/healthz", "/healthz"), ("page", page), ("progress count", progress)):
            times = []
            for _ in range(100):
                response = client.get(url.removeprefix(base))
                assert response.status_code == 200, (url, response.status_code)
                times.append(float(response["Server-Timing"].split("dur=")[1]))
            print(
                f"one client, expert with {mine} verdicts: {what} median "
                f"{statistics.median(times):.1f} ms, p95 {sorted(times)[94]:.1f} ms"
            )


if __name__ == "__main__":
    main()
