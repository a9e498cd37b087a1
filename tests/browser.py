"""Debian's headless Chromium driven by selenium through Debian's chromedriver (no browser download:
`make browser` installs both, deploy/scripts/install-browser.sh), for the replay page's tests: the
`browser` fixture opens a fresh profile, runs the page's own scripts and saves screenshots into
$SCREENSHOT_DIR (default .data/screenshots/); `static_site` serves a folder on 127.0.0.1 (a secure
context, so the page's WebCrypto works over plain http)."""

from __future__ import annotations

import base64
import functools
import os
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",  # as root (CI) Chromium refuses to start sandboxed
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",  # a laptop screen
    "--lang=zh-CN",
)
MAX_SHOT = 12000  # pixels: a long story stays one readable file
WAIT_SECONDS = 30  # the page's scripts and the platform's answers; a wait, not a threshold


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("SCREENSHOT_DIR") or ".data/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Browser:
    """One headless Chromium with a fresh --user-data-dir."""

    def __init__(self) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: run `make browser` (Debian's chromium packages)")
        self._profile = tempfile.mkdtemp(prefix="jjjc-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (*FLAGS, f"--user-data-dir={self._profile}"):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        self.driver.set_script_timeout(WAIT_SECONDS)

    def open(self, url: str) -> None:
        self.driver.get(url)

    def run(self, script: str, *args):
        """Run `script` as the body of an async function in the page; its return value."""
        wrapped = f"const done = arguments[arguments.length - 1]; (async () => {{ {script} }})().then(done, e => done({{error: String(e && e.stack || e)}}));"
        result = self.driver.execute_async_script(wrapped, *args)
        if isinstance(result, dict) and set(result) == {"error"}:
            raise AssertionError(f"script failed in the page: {result['error']}")
        return result

    def text(self, css: str) -> str:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css).text

    def all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def fill(self, css: str, value: str) -> None:
        from selenium.webdriver.common.by import By

        box = self.driver.find_element(By.CSS_SELECTOR, css)
        # set in the page (CJK text and long keys type slowly), with the input event a user's typing fires
        self.driver.execute_script(
            "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
            box,
            value,
        )

    def click(self, css: str) -> None:
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def wait_for(self, predicate, what: str):
        """Wait until predicate(self) is truthy (the page's scripts run asynchronously); its value."""
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, WAIT_SECONDS).until(lambda _: predicate(self), message=f"waiting for {what}")

    def screenshot(self, name: str, at: str = "") -> Path:
        """What the window shows (scrolled to the CSS selector `at`, if given) as <name>.png, and the
        whole page (up to MAX_SHOT pixels tall) as <name>-full.png, in screenshot_dir(); the first path."""
        shown = screenshot_dir() / f"{name}.png"
        if at:
            self.driver.execute_script("document.querySelector(arguments[0]).scrollIntoView()", at)
        self.driver.save_screenshot(str(shown))
        path = screenshot_dir() / f"{name}-full.png"
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], MAX_SHOT), "scale": 1}
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
        path.write_bytes(base64.b64decode(shot["data"]))
        return shown

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self._profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    yield b
    b.close()


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test's output is the assertions
        pass


@pytest.fixture(scope="module")
def static_site():
    """A function serving a folder on http://127.0.0.1:<port>/, returning the base URL."""
    servers = []

    def serve(folder: Path) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
