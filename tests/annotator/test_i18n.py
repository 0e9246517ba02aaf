"""The interface in Simplified Chinese: the language from Accept-Language, the switcher
(cookie, then the account), the complete catalogue, the task's Chinese texts in the
judging workspace, dates in the page's language."""

import ast
import gettext
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from annotator.models import Job
from annotator.models.choices import WorkKind
from annotator.services.assignments import work_batch_create
from tests.factories import TaskFactory, UserFactory, VideoFactory

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}
CATALOGUES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr[n], flags."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry = key = None
            continue
        entry = entry or {"flags": [], "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            if isinstance(key, int):
                entry["msgstr"][key] += ast.literal_eval(line)
            else:
                entry[key] += ast.literal_eval(line)
        else:
            word, value = line.split(" ", 1)
            plural = re.fullmatch(r"msgstr\[(\d+)\]", word)
            key = int(plural[1]) if plural else -1 if word == "msgstr" else word
            if isinstance(key, int):
                entry["msgstr"][key] = ast.literal_eval(value)
            else:
                entry[key] = ast.literal_eval(value)
    return entries


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_catalogue_translates_every_message_and_the_compiled_one_matches(domain):
    entries = [e for e in po_entries(CATALOGUES / f"{domain}.po") if e["msgid"]]
    assert len(entries) > (500 if domain == "django" else 50)
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    # The .mo is committed (a clean clone needs no gettext tools): it must be the .po's.
    with (CATALOGUES / f"{domain}.mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for e in entries:
        if "msgid_plural" in e:
            got = (
                compiled.npgettext(e["msgctxt"], e["msgid"], e["msgid_plural"], 1)
                if ("msgctxt" in e)
                else compiled.ngettext(e["msgid"], e["msgid_plural"], 1)
            )
            assert got == e["msgstr"][0], e["msgid"]
        elif "msgctxt" in e:
            assert compiled.pgettext(e["msgctxt"], e["msgid"]) == e["msgstr"][-1], e["msgid"]
        else:
            assert compiled.gettext(e["msgid"]) == e["msgstr"][-1], e["msgid"]


def test_every_translate_tag_of_the_templates_is_in_the_catalogue():
    """A string marked later must reach the catalogue too (makemessages, then translate
    it): here without gettext's tools, for the plain {% translate "..." %} tags."""
    known = {e["msgid"] for e in po_entries(CATALOGUES / "django.po")}
    tag = re.compile(r'{%\s*(?:translate|trans)\s+"((?:[^"\\]|\\.)*)"(?!\s+context)')
    missing = [
        f"{path.relative_to(settings.BASE_DIR)}: {text}"
        for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))
        for text in tag.findall(path.read_text())
        if text not in known
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("name", "english", "chinese"),
    [
        ("benchmark-list", ">Benchmarks</h1>", ">基准</h1>"),
        ("my-work", ">My work</h1>", ">我的工作</h1>"),
        ("judging-home", ">Judging</h1>", ">评判</h1>"),
        ("clip-batches", ">Clip verification</h1>", ">片段审核</h1>"),
        ("account-settings", ">Account settings</h1>", ">账户设置</h1>"),
    ],
)
def test_it_follows_the_browsers_language(client, admin_user, name, english, chinese):
    client.force_login(admin_user)
    assert english in client.get(reverse(name)).text
    page = client.get(reverse(name), **ZH)
    assert page.headers["Content-Language"] == "zh-hans"
    assert chinese in page.text and '<html lang="zh-hans"' in page.text
    assert ">我的工作</a>" in page.text and ">退出登录</button>" in page.text


def test_the_login_page_has_the_switcher_and_it_needs_no_login(client):
    page = client.get(reverse("login"), **ZH).text
    assert 'id="language-switcher"' in page and ">登录</h1>" in page
    answer = client.post(
        reverse("set_language"),
        {"language": "en"},
        HTTP_REFERER="http://testserver/accounts/login/",
    )
    assert answer.status_code == 302 and answer["Location"].endswith("/accounts/login/")
    assert ">Log in</h1>" in client.get(reverse("login"), **ZH).text  # the cookie wins


def test_the_switcher_sets_the_language_and_the_account_keeps_it(client):
    user = UserFactory(username="wei")
    client.force_login(user)
    answer = client.post(
        reverse("set_language"), {"language": "zh-hans"}, HTTP_REFERER="http://testserver/work/"
    )
    assert answer.status_code == 302 and answer["Location"] == "http://testserver/work/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert ">我的工作</h1>" in client.get(reverse("my-work")).text  # it sticks
    user.refresh_from_db()
    assert user.language == "zh-hans"

    # Another browser, English by its Accept-Language: the account's choice after login.
    other = type(client)()
    other.force_login(user)
    page = other.get(reverse("my-work"), HTTP_ACCEPT_LANGUAGE="en")
    assert ">我的工作</h1>" in page.text
    assert page.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_the_switcher_refuses_a_language_it_does_not_have(client):
    user = UserFactory()
    client.force_login(user)
    answer = client.post(reverse("set_language"), {"language": "xx"})
    assert answer.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in answer.cookies
    user.refresh_from_db()
    assert user.language == ""
    assert client.get(reverse("set_language")).status_code == 405


def test_the_judging_workspace_shows_the_chinese_prompt_and_requirement(client):
    task = TaskFactory(
        prompt="Blood flow in a stroke-blocked vessel",
        requirement="Show the clot.",
        metadata={"任务中文": "中风血管中的血流", "具体要求中文": "显示血栓。"},
    )
    VideoFactory(task=task)
    user = UserFactory()
    work_batch_create(
        name="j", kind=WorkKind.JUDGE, items=[task], users=[user], overlap=1, created_by=None
    )
    client.force_login(user)
    page = client.get(reverse("judging-task", args=[task.pk]), **ZH).text
    assert (
        '<div class="text-body-secondary mb-1" lang="zh-Hans" id="prompt-zh">中风血管中的血流'
        in page
    )
    assert 'id="requirement-zh">显示血栓。' in page and "Show the clot." in page
    assert (
        "<summary>具体要求</summary>" in page
        and ">下一个任务 \N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}<" in page
    )


def test_a_task_without_chinese_texts_shows_only_the_english(client):
    task = TaskFactory(prompt="Cell division", requirement="Two cells.")
    user = UserFactory()
    work_batch_create(
        name="j", kind=WorkKind.JUDGE, items=[task], users=[user], overlap=1, created_by=None
    )
    client.force_login(user)
    page = client.get(reverse("judging-task", args=[task.pk])).text
    assert "Cell division" in page and 'id="prompt-zh"' not in page
    assert 'id="requirement-zh"' not in page


def test_dates_follow_the_language(client, admin_user):
    job = Job.objects.create(kind="judge", description="drafts", created_by=admin_user)
    Job.objects.filter(pk=job.pk).update(created_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    client.force_login(admin_user)
    assert "Started 2026-03-04 05:06:07" in client.get(reverse("job-detail", args=[job.pk])).text
    assert "2026年3月4日 05:06:07" in client.get(reverse("job-detail", args=[job.pk]), **ZH).text


def test_the_scripts_get_their_words_in_the_pages_language(client):
    catalogue = client.get(reverse("javascript-catalog"), **ZH)  # no login: the login page
    assert catalogue.status_code == 200
    assert json.dumps("此工作区的快捷键") in catalogue.text  # as the catalogue writes it
