"""How many experts one machine holds: the production server (gunicorn, DEBUG off,
behind a TLS proxy as deployed: X-Forwarded-Proto https) on PostgreSQL and Redis, with
the judging issue's 459-task benchmark (8 videos x 15 criteria each, the judge's
drafts; bench/judging_load.py seeds it), under simulated users (locust, FastHttpUser):
- experts, each on a judging page of one of their assigned tasks (the page, then the
  progress count the page loads after itself), saving a verdict every 2 s and going on
  to the next task every 60 s (the "next" redirect, then the page and its count);
- clip verifiers, 1 per 10 experts, deciding a clip every 5 s (the htmx answer is the
  next clip's workspace).
The number of experts is ramped (--steps); at each step, once every user is running
and after --warmup s, --seconds s are measured: p95 of a save, of a page (as the
clients see them, queueing included; the server's own time beside it), errors. The
step holds when p95 save < 100 ms, p95 page < 300 ms and nothing failed. After the run
every verdict a client saw saved is looked up in the database: none may be missing,
differ, be duplicated or be unexpected.

The load generator runs on the same 2 cores as the server (its own process, gevent):
its CPU use per step is printed, since what it takes the server does not get.

Then, in this process (Django test client, same settings): the server time
(Server-Timing) of the judging page and of a save against /healthz, all with a session;
queries, their time, template rendering and history rows per request; and the top of a
cProfile of each view.

    .venv/bin/python bench/capacity.py [--steps 50,100,200,300,400] [--seconds 60]
        [--workers 2xcores] [--threads 1] [--tasks 459]"""

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from datetime import timedelta
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "capacity-bench-1"
SAVE_EVERY, NEXT_EVERY, DECIDE_EVERY = 2.0, 60.0, 5.0
EXPERTS_PER_VERIFIER = 10
TARGET_SAVE_MS, TARGET_PAGE_MS = 100, 300
# Requests that are judged against the targets, and the others reported beside them.
SAVE, PAGE = "save", "page"
NAMES = (SAVE, PAGE, "progress", "next", "decide", "clip page")


def server_time_ms(headers) -> float | None:
    timing = headers.get("Server-Timing") or ""
    return float(timing.split("dur=")[1]) if "dur=" in timing else None


# --- the load generator (a child process: locust's gevent patches everything) ---------


def generate(plan_path: Path, steps: list[int], warmup: float, seconds: float) -> None:
    """Ramps the users through `steps`, printing one JSON line per step, then the
    verdicts saved (user, video, criterion) -> verdict, as the last line."""
    import gevent
    from locust import FastHttpUser, task
    from locust.env import Environment

    plan = json.loads(plan_path.read_text())
    experts, verifiers = iter(plan["experts"]), iter(plan["verifiers"])
    base = plan["base"]
    saved: dict[str, int] = {}  # "user video criterion" -> verdict, the last one saved
    pending: set[str] = set()  # saves sent, not yet answered (in flight at the end)
    server_times: dict[str, list[float]] = defaultdict(list)

    def independent(every: float):
        """Think times of a person working on their own: exponential with a mean of
        `every` seconds, so that the users' actions arrive as independent users' do (a
        Poisson stream in sum). locust's constant_pacing keeps every user in the phase
        it was spawned in, and it spawns users in batches: 25 to 30 saves then reached
        the server within 50 ms, every 2 s, with nothing between (a loopback capture),
        and they waited on each other: 130 ms median against 17 ms for the same load
        spread out."""
        return lambda user: random.expovariate(1 / every)

    class Client(FastHttpUser):
        abstract = True
        host = base

        def call(self, method: str, name: str, path: str, ok=(200,), **kwargs):
            headers = {
                "Cookie": f"sessionid={self.me['session']}; csrftoken={self.me['csrf']}",
                "X-Forwarded-Proto": "https",  # as the proxy in front says
                "HX-Request": "true",
            }
            if method == "POST":
                headers |= {
                    "X-CSRFToken": self.me["csrf"],
                    "Referer": f"https://{base.removeprefix('http://')}/",
                    "Content-Type": "application/x-www-form-urlencoded",
                }
            with self.client.request(
                method,
                path,
                name=name,
                headers=headers,
                allow_redirects=False,
                catch_response=True,
                **kwargs,
            ) as response:
                if response.status_code not in ok:
                    response.failure(f"{response.status_code} {(response.text or '')[:200]}")
                elif (ms := server_time_ms(response.headers)) is not None:
                    server_times[name].append(ms)
                return response

    class Expert(Client):
        weight = EXPERTS_PER_VERIFIER
        wait_time = independent(SAVE_EVERY)

        def on_start(self) -> None:
            self.me = next(experts)
            self.open(self.me["tasks"][0])
            # Users started together would all turn the page together: each starts at
            # a random point of its minute.
            self.next_at = time.monotonic() + random.uniform(0, NEXT_EVERY)

        def open(self, task_id: int) -> None:
            self.task_id, self.given = task_id, 0
            self.call("GET", PAGE, f"/judging/tasks/{task_id}/")
            self.call("GET", "progress", f"/judging/benchmarks/{plan['benchmark']}/progress")

        @task
        def work(self) -> None:
            if time.monotonic() < self.next_at:
                return self.save()
            self.next_at += NEXT_EVERY
            answer = self.call(
                "GET",
                "next",
                f"/judging/benchmarks/{plan['benchmark']}/next?after={self.task_id}",
                ok=(200, 302),
            )
            location = answer.headers.get("Location") or ""
            if answer.status_code == 302 and location.startswith("/judging/tasks/"):
                self.open(int(location.split("/")[3]))
            else:  # all their tasks done: back to the first, whose verdicts they change
                self.open(self.me["tasks"][0])

        def save(self) -> None:
            task_ = plan["tasks"][str(self.task_id)]
            video = task_["videos"][self.given % len(task_["videos"])]
            criterion = task_["criteria"][(self.given // len(task_["videos"])) % 15]
            self.given += 1
            verdict = random.randint(0, 1)
            key = f"{self.me['username']} {video} {criterion}"
            pending.add(key)
            answer = self.call(
                "POST",
                SAVE,
                f"/judging/videos/{video}/verdict",
                data=f"criterion={criterion}&verdict={verdict}&blind=1",
            )
            pending.discard(key)
            if answer.status_code == 200:
                saved[key] = verdict

    class Verifier(Client):
        weight = 1
        wait_time = independent(DECIDE_EVERY)

        def on_start(self) -> None:
            self.me = next(verifiers)
            self.clips = iter(self.me["clips"])
            self.call("GET", "clip page", f"/clips/batches/{plan['clip_batch']}/")

        @task
        def decide(self) -> None:
            clip = next(self.clips)
            self.call(
                "POST",
                "decide",
                f"/clips/batches/{plan['clip_batch']}/decide",
                data=f"video={clip['id']}&decision=accept&level={clip['level']}&caption=ok",
            )

    env = Environment(user_classes=[Expert, Verifier])
    runner = env.create_local_runner()
    for n in steps:
        users = n + n // EXPERTS_PER_VERIFIER
        runner.start(users, spawn_rate=max(25, users / 10))
        while runner.user_count < users:
            gevent.sleep(0.5)
        gevent.sleep(warmup)
        env.stats.reset_all()
        server_times.clear()
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        gevent.sleep(seconds)
        used = resource.getrusage(resource.RUSAGE_SELF)
        per_name = {}
        for name in NAMES:
            entries = [e for (n_, _), e in env.stats.entries.items() if n_ == name]
            if not entries:
                continue
            entry = entries[0]
            mine = sorted(server_times[name])
            per_name[name] = {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p95": entry.get_response_time_percentile(0.95),
                "median": entry.get_response_time_percentile(0.5),
                "server_p95": mine[int(0.95 * (len(mine) - 1))] if mine else None,
            }
        print(
            json.dumps(
                {
                    "experts": runner.user_classes_count.get("Expert", 0),
                    "verifiers": runner.user_classes_count.get("Verifier", 0),
                    "seconds": seconds,
                    "requests": per_name,
                    "failures": env.stats.total.num_failures,
                    "errors": [f"{e.name}: {e.error}" for e in env.stats.errors.values()][:5],
                    "generator_cpu": (used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime)
                    / seconds,
                }
            ),
            flush=True,
        )
    runner.quit()
    print(json.dumps({"saved": saved, "pending": sorted(pending)}), flush=True)


# --- the bench: data, server, the ramp, the count, the in-process profile ------------


def machine_speed() -> str:
    """Seconds of one core for a fixed piece of pure Python, the fastest and the
    slowest of 5 runs: the same code held 300 experts in every run on machines of
    this kind that read 0.038 to 0.047 s (400 in one run of three), 75 on one that read
    0.133 s. Figures from different runs compare only beside this."""
    runs = []
    for _ in range(5):
        started = time.process_time()
        total = 0
        for i in range(2_000_000):
            total += i
        runs.append(time.process_time() - started)
    return f"{min(runs):.3f} s (slowest of 5: {max(runs):.3f} s)"


def users_create(prefix: str, n: int) -> list:
    """n users sharing one password hash (hashing it is 1/3 s each), with their
    history rows skipped: bench users, made in one INSERT."""
    from django.contrib.auth.hashers import make_password

    from annotator.models import User

    password = make_password(PASSWORD)
    return User.objects.bulk_create(
        User(username=f"{prefix}{i}", password=password) for i in range(n)
    )


def sessions_create(users: list) -> dict[int, str]:
    """A logged-in session per user, made server-side (as logging in through the page
    would, without n password hashes or django-axes's attempt rows): id -> key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    store = SessionStore()
    keys = {u.pk: secrets.token_hex(16) for u in users}
    Session.objects.bulk_create(
        Session(
            session_key=keys[u.pk],
            session_data=store.encode(
                {
                    SESSION_KEY: str(u.pk),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                    HASH_SESSION_KEY: u.get_session_auth_hash(),
                }
            ),
            expire_date=timezone.now() + timedelta(days=1),
        )
        for u in users
    )
    return keys


def plan_make(n_experts: int, seeded, base: str) -> dict:
    """The users (with sessions and assignments) and the ids the clients need."""
    from annotator.models import Assignment, Video
    from annotator.models.choices import VideoKind, WorkKind
    from annotator.services.assignments import work_batch_create
    from rubrics_app.choices import Level

    started = time.perf_counter()
    experts = users_create("expert", n_experts)
    # Enough tasks each for the whole ramp (a task a minute).
    overlap = -(-n_experts * 12 // len(seeded.tasks))
    work_batch_create(
        name="capacity",
        kind="judge",
        items=seeded.tasks,
        users=experts,
        overlap=overlap,
        created_by=None,
    )
    n_verifiers = max(1, n_experts // EXPERTS_PER_VERIFIER)
    verifiers = users_create("verifier", n_verifiers)
    per_verifier = 150  # more than a ramp decides, one each 5 s
    clips = Video.objects.bulk_create(
        Video(
            kind=VideoKind.DATASET,
            external_id=f"clip{i:05d}",
            caption=f"Cells divide {i}.",
            level=Level.CELLULAR,
            media_status="ready",
        )
        for i in range(n_verifiers * per_verifier)
    )
    clip_batch = work_batch_create(
        name="capacity clips",
        kind=WorkKind.VERIFY,
        items=clips,
        users=verifiers,
        overlap=1,
        created_by=None,
    )
    sessions = sessions_create([*experts, *verifiers])
    print(
        f"{n_experts} experts ({overlap} of the {len(seeded.tasks)} tasks each), "
        f"{n_verifiers} verifiers ({per_verifier} clips each), their assignments and "
        f"sessions: {time.perf_counter() - started:.1f} s"
    )
    mine: dict[int, list[int]] = defaultdict(list)  # user id -> tasks or clips, in order
    for user_id, task_id, video_id in Assignment.objects.order_by("position").values_list(
        "user_id", "task_id", "video_id"
    ):
        mine[user_id].append(task_id or video_id)
    clip_of = {c.pk: c for c in clips}

    def client(user, **more) -> dict:
        return {
            "username": user.username,
            "session": sessions[user.pk],
            "csrf": secrets.token_hex(16),
            **more,
        }

    videos_of: dict[int, list[str]] = defaultdict(list)
    for video in seeded.videos:
        videos_of[video.task_id].append(str(video.public_id))
    return {
        "base": base,
        "benchmark": seeded.benchmark.pk,
        "clip_batch": clip_batch.pk,
        "tasks": {
            t.pk: {"videos": videos_of[t.pk], "criteria": [c.pk for c in seeded.criteria_of[t.pk]]}
            for t in seeded.tasks
        },
        "experts": [client(u, tasks=mine[u.pk]) for u in experts],
        "verifiers": [
            client(
                u,
                # Annotators address clips by public id (a row id would tell gold apart).
                clips=[
                    {"id": str(clip_of[c].public_id), "level": clip_of[c].level} for c in mine[u.pk]
                ],
            )
            for u in verifiers
        ],
    }


def server_start(env: dict, port: int, workers: int, threads: int, log: Path):
    """The production web server, as deployed: `bin/run web` (gunicorn, gthread)."""
    return subprocess.Popen(
        ["bash", ROOT / "bin/run", "web"],
        cwd=ROOT,
        env={
            **env,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "WEB_THREADS": str(threads),
            # The clients here stand for nginx and browsers, which close an idle
            # connection before the server does (nginx.conf) or send the request again
            # when it was closed under them; locust does neither, so with gunicorn's 5 s
            # a save sent as the server closed its connection failed (status 0).
            "WEB_KEEPALIVE": "120",
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def server_cpu(pid: int) -> float:
    """CPU seconds of the server: its master and workers."""
    import psutil

    master = psutil.Process(pid)
    total = 0.0
    for process in [master, *master.children(recursive=True)]:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def ramp(plan: dict, args, server_pid: int) -> tuple[list[dict], dict]:
    """The load generator's steps, and what it saved (its last line)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(plan, f)
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--generate",
            f.name,
            "--steps",
            args.steps,
            "--warmup",
            str(args.warmup),
            "--seconds",
            str(args.seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    steps, saved = [], {}
    cpu = server_cpu(server_pid)
    for line in child.stdout:
        result = json.loads(line)
        if "saved" in result:
            saved = result
            continue
        now = server_cpu(server_pid)
        # The server's CPU from the end of the last step: spawn and warm-up included.
        result["load"] = os.getloadavg()[0]
        steps.append(result)
        step_report(result, now - cpu)
        cpu = now
    child.wait()
    Path(f.name).unlink()
    return steps, saved


def holds(step: dict) -> bool:
    requests = step["requests"]
    return (
        step["failures"] == 0
        and requests.get(SAVE, {}).get("p95", 1e9) < TARGET_SAVE_MS
        and requests.get(PAGE, {}).get("p95", 1e9) < TARGET_PAGE_MS
    )


def step_report(step: dict, server_cpu_seconds: float) -> None:
    requests = step["requests"]
    print(
        f"{step['experts']} experts + {step['verifiers']} verifiers: "
        f"{'holds' if holds(step) else 'MISSED'}; {step['failures']} errors; "
        f"load average {step['load']:.2f}; generator {step['generator_cpu'] * 100:.0f}% "
        f"of a core; server {server_cpu_seconds:.0f} CPU s since the last step"
    )
    for name in NAMES:
        if requests.get(name, {}).get("requests"):
            r = requests[name]
            server = f"{r['server_p95']:.1f}" if r["server_p95"] is not None else "-"
            goal = {SAVE: TARGET_SAVE_MS, PAGE: TARGET_PAGE_MS}.get(name)
            print(
                f"  {name:>9}: {r['requests'] / step['seconds']:6.1f}/s, p95 {r['p95']:.0f} ms"
                f"{f' (target < {goal})' if goal else ''}, median {r['median']:.0f} ms, "
                f"server p95 {server} ms, {r['failures']} failed"
            )
    for error in step["errors"]:
        print(f"  error: {error}")


def verdicts_check(saved: dict[str, int], pending: set[str]) -> None:
    """Every verdict the clients saw saved, looked up in the database. A save still in
    flight when the generator stopped may be stored without its answer read: such rows
    are counted apart, not as unexpected."""
    from annotator.models import Judgment
    from annotator.models.choices import VerdictSource

    stored = list(
        Judgment.objects.filter(
            source=VerdictSource.HUMAN, user__username__startswith="expert"
        ).values_list("user__username", "video__public_id", "criterion_id", "verdict")
    )
    keys = [f"{u} {v} {c}" for u, v, c, _ in stored]
    values = {f"{u} {v} {c}": verdict for u, v, c, verdict in stored}
    lost = sum(1 for k in saved if k not in values)
    changed = sum(1 for k, v in saved.items() if values.get(k, v) != v and k not in pending)
    unexpected = set(keys) - set(saved) - pending
    print(
        f"verdicts: {len(saved)} expected, {len(stored)} stored; {lost} lost, "
        f"{changed} with another value, {len(keys) - len(set(keys))} duplicated, "
        f"{len(unexpected)} unexpected ({len(pending)} saves in flight when the load stopped)"
    )


def in_process(seeded) -> None:
    """Server time, queries, rendering and history rows of the page and of a save,
    against /healthz, through the Django test client in this process."""
    from django.db import connection
    from django.test import Client

    from annotator.models import Judgment
    from annotator.services.assignments import work_batch_create

    logging.getLogger("annotator.requests").setLevel(logging.WARNING)  # a line a request
    (user,) = users_create("profiled", 1)
    task = seeded.tasks[-1]
    work_batch_create(
        name="profiled", kind="judge", items=[task], users=[user], overlap=1, created_by=None
    )
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    videos = [v for v in seeded.videos if v.task_id == task.pk]
    criteria = seeded.criteria_of[task.pk]
    n = 120  # saves: each (video, criterion) once, as an expert does

    def save(k: int):
        return client.post(
            f"/judging/videos/{videos[k % 8].public_id}/verdict",
            {"criterion": criteria[(k // 8) % 15].pk, "verdict": k % 2, "blind": "1"},
            HTTP_HX_REQUEST="true",
        )

    views = {
        "/healthz": lambda k: client.get("/healthz"),
        "judging page": lambda k: client.get(f"/judging/tasks/{task.pk}/"),
        "save": save,
    }
    sql = {"time": 0.0, "queries": 0}

    def timed_sql(execute, query, params, many, context):
        start = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["time"] += time.perf_counter() - start
            sql["queries"] += 1

    times = {}
    print(f"in this process (test client, {n} requests each, after the ramp):")
    for name, view in views.items():
        view(0)  # warm
        history = Judgment.history.count()
        sql.update(time=0.0, queries=0)
        ms = []
        with connection.execute_wrapper(timed_sql):
            for k in range(n):
                response = view(k)
                assert response.status_code == 200, (name, response.status_code)
                ms.append(float(response["Server-Timing"].split("dur=")[1]))
        times[name] = statistics.median(ms)
        rows = (Judgment.history.count() - history) / n
        print(
            f"  {name}: server median {times[name]:.2f} ms, p95 {sorted(ms)[int(0.95 * n)]:.2f}"
            f" ms, ratio to /healthz {times[name] / times['/healthz']:.1f}; "
            f"{sql['queries'] / n:.0f} queries, {sql['time'] / n * 1000:.2f} ms of SQL a request; "
            f"{rows:.1f} history rows a request"
        )
    for name in ("judging page", "save"):
        profile = cProfile.Profile()
        profile.enable()
        for k in range(n):
            views[name](k)
        profile.disable()
        out = StringIO()
        stats = pstats.Stats(profile, stream=out)
        total = stats.total_tt / n * 1000
        # Where the time goes, in the profile's own (inflated) milliseconds per request.
        parts = {}
        for (file, _, func), (_, _, _, cumulative, _) in stats.stats.items():
            for part, (where, what) in {
                "SQL (cursor.execute)": ("django/db/backends/utils.py", "_execute"),
                "template rendering": ("django/template/backends/django.py", "render"),
                "history rows": ("simple_history/models.py", "create_historical_record"),
                "session and user": ("django/contrib/auth/middleware.py", "get_user"),
            }.items():
                if file.endswith(where) and func == what:
                    parts[part] = parts.get(part, 0) + cumulative / n * 1000
        print(
            f"  profile of {name}: {total:.1f} ms a request under cProfile; "
            + ", ".join(f"{part} {ms:.1f} ms" for part, ms in parts.items())
        )
        stats.strip_dirs().sort_stats("tottime").print_stats(12)
        print("\n".join("    " + line for line in out.getvalue().splitlines()[-20:] if line))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="50,100,200,300,400", help="experts per step")
    parser.add_argument("--seconds", type=float, default=60, help="measured per step")
    parser.add_argument("--warmup", type=float, default=15, help="after a step's users start")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tasks", type=int, default=459)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    if args.generate:
        return generate(args.generate, steps, args.warmup, args.seconds)

    with tempfile.TemporaryDirectory(prefix="capacity-") as var:
        bench(args, steps, Path(var))


def bench(args, steps: list[int], var: Path) -> None:
    from databases import POSTGRES, fresh_postgres_database
    from judging_load import benchmark_seed

    env = {
        "VAR_DIR": str(var),
        "DJANGO_SETTINGS_MODULE": "annotator.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "SERVER_TIMING": "true",  # the server's own time, read from every response
        "DATABASE_URL": fresh_postgres_database(POSTGRES, "mwa_bench_capacity"),
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
    }
    os.environ.update(env)
    # As a release does: check --deploy, migrate, collectstatic.
    subprocess.run(
        ["bash", ROOT / "bin/run", "migrate"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    print(f"machine speed: 2M additions in pure Python take {machine_speed()}")
    import django

    django.setup()
    from django.db import connection

    started = time.perf_counter()
    seeded = benchmark_seed(args.tasks)
    print(f"benchmark of {args.tasks} tasks seeded in {time.perf_counter() - started:.1f} s")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    plan = plan_make(max(steps), seeded, base)
    connection.cursor().execute("ANALYZE")
    log = var / "server.log"
    server = server_start(dict(os.environ), port, args.workers, args.threads, log)
    print(
        f"bin/run web: gunicorn, {args.workers} workers x {args.threads} threads, DEBUG off, "
        f"PostgreSQL pool max {os.environ.get('DATABASE_POOL_MAX_SIZE', 20)} a worker; the "
        f"load generator (locust FastHttpUser, one process) shares the machine's "
        f"{os.cpu_count()} cores with it; load average before: {os.getloadavg()[0]:.2f}"
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        results, saved = ramp(plan, args, server.pid)
    finally:
        server.terminate()
        server.wait()
    text = log.read_text()
    if "Traceback" in text or "WORKER TIMEOUT" in text:
        print("server log:\n" + text[-3000:])
    print(
        f"server workers replaced during the run (WEB_MAX_REQUESTS): "
        f"{text.count('Booting worker') - args.workers}"
    )
    held = [s["experts"] for s in results if holds(s)]
    below = [s["experts"] for s in results if not holds(s)]
    largest = max((n for n in held if not below or n < min(below)), default=0)
    print(
        f"largest number of experts held: {largest} (target >= 300; "
        f"p95 save < {TARGET_SAVE_MS} ms, p95 page < {TARGET_PAGE_MS} ms, no errors)"
    )
    verdicts_check(saved["saved"], set(saved["pending"]))
    in_process(seeded)


if __name__ == "__main__":
    main()
