"""The deployment files, checked offline: docker/compose.yaml, docker/Dockerfile,
docker/nginx.conf and the kustomize base docker/k8s. No Docker engine nor cluster is
needed; each file is read as the tool would read it and held to what the app expects
(the entry point's roles, the health paths, the settings it reads)."""

import http.server
import os
import re
import runpy
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import kubernetes_validate
import pytest
import yaml

from tests import ROOT
from tests.services import free_port

DOCKER = ROOT / "docker"
K8S = DOCKER / "k8s"
# A release every current cluster runs; kubernetes-validate ships its schemas.
KUBERNETES_VERSION = "1.33"
# One-shot or nothing to ask: their compose health check is disabled on purpose.
NO_HEALTHCHECK = {"migrate", "beat", "minio-bucket"}


def entry_point_roles() -> dict[str, set[str]]:
    """bin/run's roles and each one's arguments, from the usage line it prints when
    called without any: "usage: bin/run migrate | web | worker media|judge|default"."""
    result = subprocess.run(
        ["bash", str(ROOT / "bin" / "run")], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 2, result.stderr
    usage = result.stderr.strip().removeprefix("bin/run: usage: bin/run ")
    roles = {}
    for form in usage.split(" | "):
        role, *argument = form.split()
        roles[role] = set(argument[0].split("|")) if argument else set()
    return roles


ROLES = entry_point_roles()
QUEUES = ROLES["worker"]


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def app_services() -> dict[str, dict]:
    """The services built from the app's Dockerfile."""
    return {name: svc for name, svc in compose()["services"].items() if "build" in svc}


def settings_names() -> set[str]:
    """Every variable docker/.env.example lists (set or commented out)."""
    text = (DOCKER / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def k8s_documents() -> list[dict]:
    """What `kubectl apply -k docker/k8s` sends, less kustomize's labels and image name:
    every document of every file the kustomization lists."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    return [
        doc
        for resource in kustomization["resources"]
        for doc in yaml.safe_load_all((K8S / resource).read_text())
        if doc
    ]


def k8s_pod_specs() -> dict[str, dict]:
    return {
        doc["metadata"]["name"]: doc["spec"]["template"]["spec"]
        for doc in k8s_documents()
        if doc["kind"] in {"Deployment", "Job"}
    }


def assert_role(args: list[str]) -> None:
    """args are a command bin/run accepts."""
    role, *rest = args
    assert role in ROLES, args
    assert (set(rest) <= ROLES[role] and len(rest) == 1) if ROLES[role] else not rest, args


def test_it_reads_the_roles_from_the_entry_point():
    # The image's ENTRYPOINT runs it as a program.
    assert os.access(ROOT / "bin" / "run", os.X_OK)
    assert {
        "migrate": set(),
        "web": set(),
        "worker": {"media", "judge", "default"},
        "beat": set(),
    } == ROLES


def test_it_runs_every_app_service_from_the_one_image_and_entry_point():
    services = app_services()
    assert set(services) == {
        "migrate",
        "web",
        "worker-media",
        "worker-judge",
        "worker-default",
        "beat",
    }
    for name, svc in services.items():
        assert (DOCKER / svc["build"]["context"]).resolve() == ROOT, name
        assert svc["build"]["dockerfile"] == "docker/Dockerfile", name
        assert svc["image"] == services["web"]["image"], name
        assert "entrypoint" not in svc, name  # the image's: /app/bin/run
        assert_role(svc["command"])
    queues = {svc["command"][1] for svc in services.values() if svc["command"][0] == "worker"}
    assert queues == QUEUES


def test_it_starts_the_app_after_migrations_and_its_services():
    services = compose()["services"]
    assert {"postgres", "redis", "nginx", "minio", "minio-bucket"} <= set(services)
    for name, svc in app_services().items():
        if name != "migrate":
            assert svc["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }, name
        assert svc["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
    assert services["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert services["minio-bucket"]["depends_on"]["minio"] == {"condition": "service_healthy"}


def test_it_health_checks_every_long_running_service():
    for name, svc in compose()["services"].items():
        check = svc.get("healthcheck", {})
        if name in NO_HEALTHCHECK:
            assert check == {"disable": True}, name
        else:
            assert check["test"][0] in {"CMD", "CMD-SHELL"}, name
    web_check = compose()["services"]["web"]["healthcheck"]["test"]
    assert web_check == ["CMD", "python", "/app/docker/healthcheck.py", "/readyz"]


def test_it_keeps_data_in_named_volumes():
    spec = compose()
    named = set(spec["volumes"])
    for name in ("postgres", "redis", "nginx", "minio"):
        sources = {v.split(":")[0] for v in spec["services"][name]["volumes"]}
        assert sources & named, name
    # The app writes media where nginx reads it for X-Accel-Redirect.
    nginx_mounts = dict(v.split(":")[:2] for v in spec["services"]["nginx"]["volumes"])
    web_mounts = dict(v.split(":")[:2] for v in spec["services"]["web"]["volumes"])
    assert web_mounts["media"] == spec["services"]["web"]["environment"]["MEDIA_ROOT"]
    assert nginx_mounts["media"] == "/srv/media"


def test_it_names_only_settings_the_app_reads():
    known = settings_names()
    text = (DOCKER / "compose.yaml").read_text()
    for name, svc in app_services().items():
        assert set(svc["environment"]) <= known, (name, set(svc["environment"]) - known)
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert interpolated <= known, interpolated - known
    for doc in k8s_documents():
        if doc["kind"] == "ConfigMap":
            assert set(doc["data"]) <= known, set(doc["data"]) - known
        if doc["kind"] == "Secret":
            assert set(doc["stringData"]) <= known, set(doc["stringData"]) - known
    for name, pod in k8s_pod_specs().items():
        for container in pod["containers"]:
            env = {item["name"] for item in container.get("env", [])}
            assert env <= known, (name, env - known)


def test_it_lints_the_dockerfile_clean():
    hadolint = ROOT / ".venv" / "bin" / "hadolint"
    result = subprocess.run(
        [str(hadolint), "--no-color", str(DOCKER / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_builds_a_final_image_without_build_tools_running_as_a_user():
    text = (DOCKER / "Dockerfile").read_text()
    stages = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert len(stages) == 2
    builder, final = stages
    assert "uv sync --frozen --no-dev" in builder
    assert not re.search(r"\b(uv|pip install|apt-get|gcc)\b", final)
    assert "COPY --from=builder /app/.venv /app/.venv" in final
    assert re.search(r"^USER 10001", final, flags=re.MULTILINE)
    assert 'ENTRYPOINT ["/app/bin/run"]' in final
    assert 'CMD ["web"]' in final
    assert "collectstatic" in final
    assert re.search(r"^HEALTHCHECK .*\n?.*healthcheck\.py.*/healthz", final, flags=re.MULTILINE)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", "docker/.env"} <= set(ignored)


def test_it_streams_local_media_through_an_internal_nginx_location():
    conf = (DOCKER / "nginx.conf").read_text()
    prefix = app_services()["web"]["environment"]["MEDIA_ACCEL_REDIRECT"]
    location = re.search(rf"location {re.escape(prefix)} \{{(.*?)\}}", conf, flags=re.DOTALL)
    assert location, prefix
    assert "internal;" in location.group(1)
    assert "alias /srv/media/;" in location.group(1)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert re.search(r"listen 443 ssl", conf) and re.search(r"listen 80", conf)
    # Nginx takes an upload as large as the app does (VIDEO_MAX_BYTES).
    size = re.search(r"client_max_body_size (\d+)g;", conf)
    video_max = re.search(r"^VIDEO_MAX_BYTES=(\d+)", (DOCKER / ".env.example").read_text(), re.M)
    assert int(size.group(1)) * 1024**3 >= int(video_max.group(1))


def test_nginx_drops_an_idle_upstream_connection_before_gunicorn_does():
    """Else a request nginx sends on a connection gunicorn is closing is lost: a 502
    for a POST (a verdict), which nginx does not send again."""
    upstream = re.search(
        r"upstream annotator_web \{(.*?)\}", (DOCKER / "nginx.conf").read_text(), re.S
    )
    nginx = re.search(r"keepalive_timeout (\d+)s;", upstream.group(1))
    gunicorn = runpy.run_path(str(ROOT / "annotator/gunicorn.conf.py"))["keepalive"]
    listed = re.search(r"^WEB_KEEPALIVE=(\d+)", (DOCKER / ".env.example").read_text(), re.M)
    assert nginx and int(nginx.group(1)) < gunicorn == int(listed.group(1))


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_it_writes_a_configuration_nginx_accepts(tmp_path):
    # The upstream's host name exists only on the compose network.
    conf = (DOCKER / "nginx.conf").read_text().replace("server web:8000;", "server 127.0.0.1:1;")
    (tmp_path / "nginx.conf").write_text(conf)
    result = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-g", f"pid {tmp_path}/nginx.pid;"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not shutil.which("nginx"), reason="nginx is not installed")
def test_it_streams_what_the_app_names_in_x_accel_redirect_with_range(tmp_path):
    """nginx.conf run for real on loopback ports, before a stand-in for the app that
    answers every request with X-Accel-Redirect to a file in the media directory."""
    prefix = app_services()["web"]["environment"]["MEDIA_ACCEL_REDIRECT"]
    media = tmp_path / "media"
    (media / "videos").mkdir(parents=True)
    (media / "videos" / "clip.mp4").write_bytes(bytes(range(256)) * 4)

    class App(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("X-Accel-Redirect", f"{prefix}videos/clip.mp4")
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    port, tls_port = free_port(), free_port()
    conf = (
        (DOCKER / "nginx.conf")
        .read_text()
        .replace("server web:8000;", f"server 127.0.0.1:{app.server_port};")
        .replace("listen 80 default_server;", f"listen 127.0.0.1:{port} default_server;")
        .replace("listen 443 ssl", f"listen 127.0.0.1:{tls_port} ssl")
        .replace("alias /srv/media/;", f"alias {media}/;")
    )
    (tmp_path / "nginx.conf").write_text(conf)
    # As root its workers would run as nobody, who may not read pytest's tmp_path.
    user = "user root; " if os.geteuid() == 0 else ""
    nginx = subprocess.Popen(
        [
            "nginx",
            "-c",
            str(tmp_path / "nginx.conf"),
            "-p",
            str(tmp_path),
            "-e",
            "stderr",
            "-g",
            f"{user}daemon off; pid {tmp_path}/nginx.pid;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert nginx.poll() is None, nginx.stderr.read()
            time.sleep(0.05)
        partial = urllib.request.Request(
            f"http://127.0.0.1:{port}/media/video/1/file", headers={"Range": "bytes=2-5"}
        )
        with urllib.request.urlopen(partial, timeout=10) as response:
            assert response.status == 206
            assert response.headers["Content-Range"] == "bytes 2-5/1024"
            assert response.headers["Content-Type"] == "video/mp4"
            assert response.read() == bytes([2, 3, 4, 5])
        # The internal location answers only the app's redirects.
        with pytest.raises(urllib.error.HTTPError) as direct:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{prefix}videos/clip.mp4", timeout=10)
        assert direct.value.code == 404
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        app.shutdown()


def test_it_validates_every_kubernetes_resource():
    docs = k8s_documents()
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        # Namespace-agnostic: `kubectl apply -k ... -n <ns>` or an overlay sets it.
        assert "namespace" not in doc["metadata"], doc["metadata"]["name"]
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in docs}
    assert {
        ("Deployment", "annotator-web"),
        ("HorizontalPodAutoscaler", "annotator-web"),
        ("Service", "annotator-web"),
        ("Deployment", "annotator-beat"),
        ("Job", "annotator-migrate"),
        ("Ingress", "annotator"),
        ("ConfigMap", "annotator-config"),
        ("Secret", "annotator-secrets"),
    } | {("Deployment", f"annotator-worker-{queue}") for queue in QUEUES} <= kinds


def test_it_runs_the_entry_point_roles_in_kubernetes_pods():
    image = yaml.safe_load((K8S / "kustomization.yaml").read_text())["images"][0]["name"]
    config_names = {
        (doc["kind"], doc["metadata"]["name"])
        for doc in k8s_documents()
        if doc["kind"] in {"ConfigMap", "Secret"}
    }
    workers = set()
    for name, pod in k8s_pod_specs().items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            assert container["image"] == image, name
            assert "command" not in container, name  # the image's entry point
            assert_role(container["args"])
            if container["args"][0] == "worker":
                workers.add(container["args"][1])
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert {"cpu", "memory"} <= set(resources["limits"]), name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            refs = {
                ("ConfigMap", ref["configMapRef"]["name"])
                if "configMapRef" in ref
                else ("Secret", ref["secretRef"]["name"])
                for ref in container["envFrom"]
            }
            assert refs == config_names, name
    assert workers == QUEUES


def test_it_scales_web_and_keeps_a_single_beat():
    docs = {(doc["kind"], doc["metadata"]["name"]): doc for doc in k8s_documents()}
    hpa = docs["HorizontalPodAutoscaler", "annotator-web"]["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "annotator-web",
    }
    assert "replicas" not in docs["Deployment", "annotator-web"]["spec"]  # the HPA's
    beat = docs["Deployment", "annotator-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"] == {"type": "Recreate"}
    service = docs["Service", "annotator-web"]["spec"]
    backend = docs["Ingress", "annotator"]["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == "annotator-web"
    assert backend["service"]["port"]["name"] in {port["name"] for port in service["ports"]}


def test_it_probes_liveness_at_healthz_and_readiness_at_readyz():
    config = next(doc for doc in k8s_documents() if doc["kind"] == "ConfigMap")
    allowed = config["data"]["ALLOWED_HOSTS"].split(",")
    (web,) = k8s_pod_specs()["annotator-web"]["containers"]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        # Django answers 400 to a Host that ALLOWED_HOSTS does not list (the pod's IP).
        assert headers["Host"] in allowed, probe


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
def test_it_renders_with_kustomize():
    result = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    rendered = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert len(rendered) == len(k8s_documents())
    for doc in rendered:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
