"""The interface in Simplified Chinese (issue 18, item 8), in real headless Chromium: an
annotator picks 简体中文 in the menu bar's switcher, and the chrome of the main pages
(menu, headings, buttons, labels, table headers, the key overlay) holds no English
word any more; only data (names, the task's text, captions), numbers and key names stay."""

import re

import pytest
from django.core.files import File

from annotator.models import User
from annotator.models.choices import Role, WorkKind
from annotator.services.assignments import work_batch_create
from tests.browser import log_in
from tests.browser.test_browser import judging_task_with_videos
from tests.factories import ClipFactory
from tests.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What the chrome is made of; the text of these, where shown, is checked.
CHROME = (
    "nav, h1, h2, h3, h4, h5, h6, button, label, th, summary, legend, dt, a.btn, .badge,"
    " [data-keys-summary], #clip-progress, #queue-progress, .alert, dialog[open]"
)
# Words that are not English chrome: the brand, the switcher's own "English", key
# names, units and names of statistics, formats.
ALLOWED = {
    "MicroWorld", "Annotator", "English", "Shift", "Esc", "Enter", "fps", "CSV", "JSONL",
    "JSON", "tar", "API", "GPT", "Fleiss", "Krippendorff", "Cohen",
}  # fmt: skip


def english_words(page, data: list[str]) -> list[str]:
    """The English words left in the visible chrome, once the data is taken out."""
    texts = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
             .filter((el) => el.checkVisibility())
             .map((el) => el.innerText)""",
        CHROME,
    )
    text = " ".join(texts)
    for shown in sorted(data, key=len, reverse=True):
        text = text.replace(shown, " ")
    text = re.sub(r"\b[A-Z]+(?:_[A-Z0-9]+)+\b", " ", text)  # setting names: LLM_MODEL
    left = sorted({w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED})
    return [(w, text[max(0, text.find(w) - 40) : text.find(w) + 40]) for w in left]


def test_in_simplified_chinese_the_main_pages_show_no_english_chrome(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    task.prompt = "Blood flow through a stroke-blocked vessel"
    task.requirement = "Show the clot and the slowed flow."
    task.metadata = {"任务中文": "中风阻塞血管中的血流", "具体要求中文": "显示血栓和减慢的血流。"}
    task.save()
    log_in(page, live_server)
    ann = User.objects.get(username="ann")
    clip = ClipFactory(external_id="c1", caption="Neutrophil chasing a bacterium")
    with open(make_video(tmp_path / "c.mp4", frames=48, width=160, height=120), "rb") as fh:
        clip.file.save("c.mp4", File(fh))
    work_batch_create(
        kind=WorkKind.JUDGE, name="评判一", items=[task], users=[ann], overlap=1, created_by=None
    )
    clips = work_batch_create(
        kind=WorkKind.VERIFY, name="片段一", items=[clip], users=[ann], overlap=1, created_by=None
    )
    data = [
        "ann", task.prompt, task.requirement, task.benchmark.name, clip.caption, "c1",
        "c.mp4", "Cells divide once", "gpt",
    ]  # fmt: skip

    page.goto(f"{live_server.url}/work/")
    assert page.locator("#language-switcher select").input_value() == "en"
    with page.expect_navigation():
        page.select_option("#language-switcher select", "zh-hans")  # sent as it changes
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "我的工作"

    pages = {
        "/work/": "我的工作",
        "/judging/": "评判",
        "/clips/": "片段审核",
        "/benchmarks/": "基准",
        f"/benchmarks/{task.benchmark.pk}/": task.benchmark.name,
        "/account/": "账户设置",
    }
    for path, heading in pages.items():
        page.goto(f"{live_server.url}{path}")
        assert heading in page.locator("h1").inner_text(), path
        assert english_words(page, data) == [], path

    # The judging workspace: the Chinese prompt and requirement beside the English ones.
    page.goto(f"{live_server.url}/judging/tasks/{task.pk}/")
    assert page.locator("#prompt-zh").inner_text() == "中风阻塞血管中的血流"
    page.locator("#requirement summary").click()
    assert page.locator("#requirement-zh").inner_text() == "显示血栓和减慢的血流。"
    assert page.locator("#requirement").inner_text().count("Show the clot") == 1
    assert english_words(page, data) == []
    page.keyboard.press("?")  # the key overlay, in the scripts' catalogue
    page.wait_for_selector("#keys-help[open]")
    assert "此工作区的快捷键" in page.locator("#keys-help").inner_text()
    assert english_words(page, data) == []
    page.keyboard.press("Escape")

    page.goto(f"{live_server.url}/clips/batches/{clips.pk}/")
    page.wait_for_selector("#clip-answer")
    assert english_words(page, data) == []

    # The choice sticks: a later visit, and after logging in again.
    page.goto(f"{live_server.url}/benchmarks/")
    assert page.locator("h1").inner_text() == "基准"
    page.locator("nav form[action='/accounts/logout/'] button").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert page.locator("h1").inner_text() == "登录"


def test_a_reviewer_sees_the_task_page_and_the_leaderboard_in_chinese(
    page, live_server, tmp_path, django_capture_on_commit_callbacks
):
    task, _, _ = judging_task_with_videos(tmp_path, 2, django_capture_on_commit_callbacks)
    log_in(page, live_server, username="rev", role=Role.REVIEWER)
    page.goto(f"{live_server.url}/benchmarks/")
    with page.expect_navigation():
        page.select_option("#language-switcher select", "zh-hans")
    data = ["rev", task.prompt, task.requirement, task.benchmark.name, "Cells divide once"]
    data += [f"M{n}" for n in range(2)]  # the models, which reviewers see
    for path in (
        f"/tasks/{task.pk}/",
        f"/benchmarks/{task.benchmark.pk}/leaderboard/",
        f"/benchmarks/{task.benchmark.pk}/releases/",
        "/videos/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert english_words(page, data) == [], path
