"""Headless Chromium (Debian's `chromium` + `chromedriver`) driven by Selenium, and a console
served from a background thread so the synchronous WebDriver calls never block its loop.

Without chromium the browser tests skip on a laptop; with CI=true a missing browser fails.
Screenshots go to $WIREWATCH_SCREENSHOT_DIR when set (docs/ for the README's pictures).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
WAIT_S = 15.0


def browser_or_skip() -> tuple[str, str]:
    """The browser and driver paths; skip (fail in CI) when they are not installed."""
    browser = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if browser and driver:
        return browser, driver
    message = "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}: CI must run the browser tests")
    pytest.skip(message)


@contextmanager
def chromium(profile: Path) -> Iterator[WebDriver]:
    """A fresh headless Chromium with its own profile directory; quit afterwards."""
    browser, driver_path = browser_or_skip()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


class LoopThread:
    """An asyncio loop in a thread: servers run there, the test calls `run(coroutine)`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self._exits: list[AbstractAsyncContextManager[Any]] = []

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        """Run a coroutine on the loop and return its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    def enter(self, manager: AbstractAsyncContextManager[T]) -> T:
        """Enter an async context manager on the loop; it is exited by `close`."""
        value = self.run(manager.__aenter__())
        self._exits.append(manager)
        return value

    def close(self) -> None:
        """Exit the entered managers (newest first) and stop the loop."""
        while self._exits:
            manager = self._exits.pop()
            self.run(manager.__aexit__(None, None, None))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


def wait_for_text(driver: WebDriver, css: str, text: str) -> str:
    """Wait until the element at `css` contains `text`; return its text."""
    WebDriverWait(driver, WAIT_S).until(
        expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )
    return driver.find_element(By.CSS_SELECTOR, css).text


def screenshot(driver: WebDriver, name: str, fallback_dir: Path) -> Path:
    """Save a PNG of the whole page to $WIREWATCH_SCREENSHOT_DIR (or `fallback_dir`)."""
    folder = Path(os.environ.get("WIREWATCH_SCREENSHOT_DIR") or fallback_dir)
    folder.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height) + 40, 600), 4000))
    path = folder / name
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    return path
