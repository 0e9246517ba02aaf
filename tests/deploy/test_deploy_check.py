"""Production mode from the environment: `check --deploy` is clean with only DEBUG off,
a real key and the host names set, and the HTTPS settings follow their variables."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

from tests import ROOT

SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "CSRF_TRUSTED_ORIGINS",
)


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "annotator.example.org",
    }


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """manage.py in a fresh process with a production environment plus `env`: nothing
    from this test run's own environment (a database, security overrides) leaks in."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **production_env(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def security_settings(monkeypatch, tmp_path: Path, **env: str) -> dict:
    """The settings module run afresh under a production environment plus `env`."""
    for name in (*SECURITY_SETTINGS, "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**production_env(tmp_path), **env}.items():
        monkeypatch.setenv(name, value)
    settings = runpy.run_path(str(ROOT / "annotator" / "settings.py"))
    return {name: settings[name] for name in SECURITY_SETTINGS}


def test_it_passes_the_deploy_check_in_production_mode(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_defaults_to_https_only_in_production(monkeypatch, tmp_path):
    assert security_settings(monkeypatch, tmp_path) == {
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "CSRF_TRUSTED_ORIGINS": [],
    }


def test_it_serves_plain_http_in_development(monkeypatch, tmp_path):
    settings = security_settings(monkeypatch, tmp_path, DEBUG="true")
    assert not settings["SECURE_SSL_REDIRECT"] and not settings["SESSION_COOKIE_SECURE"]
    assert not settings["CSRF_COOKIE_SECURE"] and settings["SECURE_HSTS_SECONDS"] == 0


def test_it_reads_each_setting_from_the_environment(monkeypatch, tmp_path):
    settings = security_settings(
        monkeypatch,
        tmp_path,
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="false",
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CSRF_TRUSTED_ORIGINS="https://annotator.example.org,https://lab.example.org",
    )
    assert settings == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "CSRF_TRUSTED_ORIGINS": ["https://annotator.example.org", "https://lab.example.org"],
    }


def test_it_refuses_a_malformed_proxy_header_naming_the_variable(tmp_path):
    result = manage(tmp_path, "check", SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER must be HTTP_<HEADER>,<value>" in result.stderr


def test_it_refuses_a_media_redirect_prefix_that_is_no_path(tmp_path):
    result = manage(tmp_path, "check", MEDIA_ACCEL_REDIRECT="protected-media")
    assert result.returncode != 0
    assert "MEDIA_ACCEL_REDIRECT must be a path" in result.stderr
