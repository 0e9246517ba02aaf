"""Takes the README's screenshots in headless Chromium: a fresh app in a temporary
folder, loaded with the demo data, served by runserver, driven by Playwright.

    .venv/bin/python scripts/screenshots.py        # writes docs/screenshots/*.png
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "VAR_DIR": var, "DEBUG": "true", "CELERY_TASK_ALWAYS_EAGER": "true"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(
            [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stderr=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):  # a minute: a loaded machine starts it slowly
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            shoot(base)
        finally:
            server.terminate()
            server.wait()


def shoot(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        # Playwright evaluates its wait_for_function predicates from strings, which the
        # app's Content-Security-Policy (no 'unsafe-eval') refuses: lifted for this page.
        page = browser.new_page(viewport={"width": 1440, "height": 900}, bypass_csp=True)
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "admin")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/benchmarks/")
        page.screenshot(path=OUT / "benchmarks.png")
        page.click("text=MicroWorld demo")
        page.wait_for_selector("#task-table")
        page.screenshot(path=OUT / "tasks.png")
        page.click("#task-table a >> nth=2")
        page.wait_for_selector("video")
        page.eval_on_selector_all(
            "video",
            "vs => Promise.all(vs.map(v => new Promise(ok => {"
            " v.addEventListener('seeked', ok, {once: true}); v.currentTime = 1.5; })))",
        )
        page.screenshot(path=OUT / "task.png", full_page=True)
        page.goto(f"{base}/videos/")
        page.wait_for_selector(".thumb[data-filmstrip]")
        thumb = page.locator(".thumb[data-filmstrip]").nth(1).bounding_box()
        page.mouse.move(thumb["x"] + thumb["width"] * 0.7, thumb["y"] + thumb["height"] / 2)
        page.screenshot(path=OUT / "videos.png")
        page.goto(f"{base}/benchmarks/")
        page.click("text=MicroWorld demo")
        page.click("text=Judge videos")
        page.wait_for_function(
            "Array.from(document.querySelectorAll('video.synced')).every(v => v.readyState >= 2)"
        )
        page.eval_on_selector(
            "#scrub", "s => { s.value = 500; s.dispatchEvent(new Event('input')); }"
        )
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Space")
        page.wait_for_selector("#save-state.text-success")
        page.screenshot(path=OUT / "judging.png", full_page=True)
        page.goto(f"{base}/benchmarks/")
        page.click("text=MicroWorld demo")
        page.click("text=Leaderboard")
        page.select_option("select[name=release]", label="release v1.0")
        page.wait_for_selector("#chart-dimensions")
        page.wait_for_timeout(300)
        page.screenshot(path=OUT / "leaderboard.png", full_page=True)
        page.goto(f"{base}/clips/")
        page.click("text=Start")
        page.wait_for_function("document.querySelector('.clip-stage video').readyState >= 2")
        page.keyboard.press("e")
        page.keyboard.type(" Cells deform in the narrowest segment.")
        page.keyboard.press("Escape")
        page.keyboard.press("a")
        page.wait_for_selector("#save-state.text-success")
        page.keyboard.press("4")
        page.screenshot(path=OUT / "clip_verify.png")
        page.goto(f"{base}/clips/")
        page.click("text=Grid")
        page.wait_for_selector(".thumb[data-filmstrip]")
        page.locator(".thumb-card").nth(0).click()
        page.locator(".thumb-card").nth(2).click()
        thumb = page.locator(".thumb[data-filmstrip]").nth(3).bounding_box()
        page.mouse.move(thumb["x"] + thumb["width"] * 0.6, thumb["y"] + thumb["height"] / 2)
        page.screenshot(path=OUT / "clip_grid.png")
        page.select_option("select[name=reasons]", "black-borders")
        page.click("#reject-selected")
        page.wait_for_selector(".alert-success")
        page.goto(f"{base}/clips/")
        page.click("text=Progress")
        page.wait_for_selector("#chart-reasons")
        page.wait_for_timeout(300)
        page.screenshot(path=OUT / "clip_progress.png", full_page=True)
        browser.close()
    print(f"screenshots written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
