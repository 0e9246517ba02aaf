"""The behaviours templates ask for with data- attributes (static/js/behaviours.js),
in Chromium: they replaced inline handlers, which the Content-Security-Policy blocks."""

import pytest
from django.urls import reverse

from annotator.models import ApiToken
from annotator.models.choices import Role
from annotator.models.tokens import TokenScope
from rubrics_app.services.releases import release_create
from tests.factories import BenchmarkFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in(page, live_server):
    user = UserFactory(username="boss", role=Role.ADMIN)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "secret-pass-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/benchmarks/")
    return user


def test_it_revokes_a_token_only_once_the_user_confirms(page, live_server, signed_in):
    ApiToken.issue(user=signed_in, name="eval <cluster>", scope=TokenScope.READ)
    page.goto(f"{live_server.url}/account/")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.click("text=Revoke")
    assert ApiToken.objects.get().active
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.click("text=Revoke")
    assert not ApiToken.objects.get().active
    assert questions == ["Revoke eval <cluster>? Scripts using it will stop working."] * 2


def test_it_copies_a_new_token_and_selects_it_on_focus(page, live_server, signed_in):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/account/")
    page.fill("input[name=name]", "ci")
    page.click("text=Create token")
    key = page.input_value("#new-key")
    assert key.startswith(ApiToken.PREFIX)
    page.click("button[data-copy]")
    page.wait_for_selector("button[data-copy]:text('Copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == key
    page.focus("#new-key")
    selected = page.evaluate(
        "() => { const f = document.getElementById('new-key');"
        " return f.value.slice(f.selectionStart, f.selectionEnd); }"
    )
    assert selected == key


def test_it_submits_the_leaderboard_form_when_a_release_is_chosen(page, live_server, signed_in):
    benchmark = BenchmarkFactory()
    release = release_create(benchmark=benchmark, name="v1", user=signed_in).release
    page.goto(f"{live_server.url}{reverse('leaderboard', args=[benchmark.pk])}")
    with page.expect_navigation():
        page.select_option("select[name=release]", str(release.pk))
    assert f"release={release.pk}" in page.url
    assert page.locator("select[name=release]").input_value() == str(release.pk)
