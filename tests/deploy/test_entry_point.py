"""bin/run (and bin/serve through it) refuses to start a production process that would
run on development defaults, saying what to set. The roles themselves run in
test_production_smoke.py."""

import os
import subprocess

import pytest

from tests import ROOT

PRODUCTION = {"SECRET_KEY": "k" * 50, "ALLOWED_HOSTS": "annotator.example.org"}


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bin/run", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("missing", "says"), [("SECRET_KEY", "long random"), ("ALLOWED_HOSTS", "host names")]
)
def test_it_refuses_to_start_without_a_production_setting(missing, says):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}
    result = run("web", **env)
    assert result.returncode == 2
    assert result.stderr.startswith(f"bin/run: {missing} is not set") and says in result.stderr


def test_it_refuses_to_start_with_debug_on():
    result = run("web", DEBUG="True", **PRODUCTION)
    assert result.returncode == 2 and "DEBUG is on" in result.stderr


def test_bin_serve_refuses_before_starting_anything():
    result = subprocess.run(
        ["bin/serve"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "args", [["worker"], ["worker", "celery"], ["worker", "media", "x"], ["shell"]]
)
def test_it_refuses_an_unknown_role_or_queue(args):
    result = run(*args, **PRODUCTION)
    assert result.returncode == 2
    assert (
        "usage: bin/run" in result.stderr
        or "the queues are media, judge and default" in result.stderr
    )


def test_gunicorn_forks_its_processes_from_a_loaded_master(monkeypatch):
    """A process replaced after WEB_MAX_REQUESTS serves at once: the app and its URL
    modules are imported in the master (preload, when_ready), not on each process's
    first request."""
    import runpy

    from django.urls import clear_url_caches, get_resolver

    monkeypatch.delenv("WEB_MAX_REQUESTS", raising=False)
    conf = runpy.run_path(str(ROOT / "annotator/gunicorn.conf.py"))
    assert conf["preload_app"] is True and conf["max_requests"] == 20000
    clear_url_caches()
    assert "url_patterns" not in get_resolver().__dict__
    conf["when_ready"](None)
    assert "url_patterns" in get_resolver().__dict__  # imported, cached


@pytest.mark.parametrize(("asked", "accesslog"), [(None, None), ("false", None), ("true", "-")])
def test_gunicorn_writes_its_access_lines_only_when_asked(monkeypatch, asked, accesslog):
    """The app logs each request itself (annotator.requests); gunicorn's line would be a
    second one a request."""
    import runpy

    if asked is None:
        monkeypatch.delenv("WEB_ACCESS_LOG", raising=False)
    else:
        monkeypatch.setenv("WEB_ACCESS_LOG", asked)
    assert runpy.run_path(str(ROOT / "annotator/gunicorn.conf.py"))["accesslog"] == accesslog
