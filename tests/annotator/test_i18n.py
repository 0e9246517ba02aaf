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
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from annotator.core.errors import InputError, refusal
from annotator.models import Job
from annotator.models.choices import WorkKind
from annotator.services import watch
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


# The calls whose message a person reads (a page, an htmx refusal, an API `detail`),
# and where the message is among their arguments (`messages.error(request, message)`).
REFUSALS = {"InputError", "ValidationError", "PermissionDenied", "BadRequest", "Http404"}
REFUSALS |= {"Conflict", "Unavailable"}  # annotator/core/errors.py: shown as they are
MESSAGES = {"error": 1, "success": 1, "info": 1, "warning": 1, "add_message": 2}
SOURCES = [Path(settings.BASE_DIR) / "annotator", Path(settings.BASE_DIR) / "rubrics_app"]
# Management commands talk to the operator's terminal: English (README, "Languages").
NOT_SHOWN = ("management",)


def _python_sources() -> list[Path]:
    return [
        path
        for root in SOURCES
        for path in sorted(root.rglob("*.py"))
        if not {"migrations", "tests", *NOT_SHOWN} & set(path.relative_to(root).parts)
    ]


def _refusal_classes(trees: list[ast.Module]) -> set[str]:
    """REFUSALS and the project's subclasses of them (EditConflict, VideoTooLarge, ...)."""
    classes, grown = set(REFUSALS), True
    while grown:
        grown = False
        for node in (n for tree in trees for n in ast.walk(tree)):
            if isinstance(node, ast.ClassDef) and node.name not in classes:
                bases = {
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases
                }
                if bases & classes:
                    classes.add(node.name)
                    grown = True
    return classes


def _untranslated(node: ast.expr) -> bool:
    """A literal a reader would get as it is: a string, an f-string, one formatted
    with % or .format(), also inside the dict or list a ValidationError takes."""
    match node:
        case ast.Constant(value=str()) | ast.JoinedStr():
            return True
        case ast.BinOp(op=ast.Mod(), left=left):  # the right holds values, not words
            return _untranslated(left)
        case ast.BinOp(left=left, right=right):
            return _untranslated(left) or _untranslated(right)
        case ast.Call(func=ast.Attribute(attr="format", value=value)):
            return _untranslated(value)
        case ast.Dict(values=values):
            return any(_untranslated(v) for v in values)
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return any(_untranslated(e) for e in elts)
        case ast.IfExp(body=body, orelse=orelse):
            return _untranslated(body) or _untranslated(orelse)
    return False


def _shown_arguments(call: ast.Call, classes: set[str]) -> list[ast.expr]:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    shown = [k.value for k in call.keywords if k.arg == "error_messages"]  # form fields
    if name in classes:
        shown += call.args[:1] + [k.value for k in call.keywords if k.arg == "message"]
    elif isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "messages":
        at = MESSAGES.get(func.attr)
        if at is not None:
            shown += call.args[at : at + 1] + [k.value for k in call.keywords if k.arg == "message"]
    return shown


def test_every_message_raised_from_python_is_marked_for_translation():
    """A refusal or flash message written as a bare literal stays English for a reader
    who chose 中文: it must go through gettext (or be a variable holding its result)."""
    sources = {path: ast.parse(path.read_text(), str(path)) for path in _python_sources()}
    classes = _refusal_classes(list(sources.values()))
    bare = [
        f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}: {ast.unparse(argument)[:80]}"
        for path, tree in sources.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for argument in _shown_arguments(node, classes)
        if _untranslated(argument)
    ]
    assert len(sources) > 100 and {"EditConflict", "VideoTooLarge"} <= classes
    assert bare == []


def test_the_rule_catches_what_it_should():
    code = ast.parse(
        "raise InputError(f'{name}: bad')\n"
        "raise Http404('no such file')\n"
        "raise InputError({'weight': 'Weight must be %s.' % top})\n"
        "messages.error(request, 'Nothing saved.')\n"
        "forms.IntegerField(error_messages={'required': 'Give it.'})\n"
        "raise InputError(gettext('%(name)s: bad') % {'name': name})\n"
        "raise PermissionDenied(message)\n"
        "raise InputError(gettext('%(a)s%(sep)s%(b)s') % {'a': a, 'sep': '; ', 'b': b})\n"
        "messages.success(request, ' '.join((done, gettext('Next.'))))\n"
    )
    calls = [n for n in ast.walk(code) if isinstance(n, ast.Call)]
    flagged = [n.lineno for n in calls for a in _shown_arguments(n, REFUSALS) if _untranslated(a)]
    assert flagged == [1, 2, 3, 4, 5]


def test_messages_raised_from_python_come_out_in_chinese():
    negative = {"seconds_on_task": -1, "videos": {}}
    with translation.override("zh-hans"):
        with pytest.raises(InputError) as shape:
            watch.watch_parse([])
        assert str(shape.value).startswith('应为 {"seconds_on_task"')
        with pytest.raises(InputError) as below:
            watch.watch_parse(negative)
        assert str(below.value) == "seconds_on_task 的值 -1 为负数。"  # the name kept
        assert refusal(PermissionDenied()).message == "您无权执行此操作。"
    with translation.override("en"), pytest.raises(InputError) as english:  # as before
        watch.watch_parse(negative)
    assert str(english.value) == "seconds_on_task -1 is negative."


def test_a_role_refusal_page_is_in_the_readers_language(client):
    client.force_login(UserFactory())  # an annotator: not an admin
    page = client.get(reverse("audit-log"), **ZH)
    assert page.status_code == 403 and "只有管理员可以执行此操作。" in page.text
