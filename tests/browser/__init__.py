"""Tests in real headless Chromium (Playwright, /usr/bin/chromium)."""

from annotator.models.choices import Role
from tests.factories import UserFactory


def log_in(page, live_server, username="ann", role=Role.ANNOTATOR):
    UserFactory(username=username, role=role)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    # Where a login lands: annotators on their work, the others on the benchmarks.
    page.wait_for_url(f"{live_server.url}{'/work/' if role == Role.ANNOTATOR else '/benchmarks/'}")
