"""A real browser for the page's tests: headless Chromium (Debian's ``chromium`` and
``chromium-driver``, which .ci/run installs) driven by Selenium.

``browser()`` is a pytest fixture factory: in CI a missing browser is a failure, on a
developer machine without one a skip (:func:`support.unavailable`). Screenshots go to
``SHOTS`` (``tests/screenshots``, or ``$DERIVE_SHOTS``), where a person looks at them.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from support import need_module, unavailable

SHOTS = Path(os.environ.get("DERIVE_SHOTS") or Path(__file__).resolve().parent / "screenshots")
CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)
#: a desktop and a phone viewport (width, height) in CSS pixels
DESKTOP, PHONE = (1280, 900), (390, 844)


def _which(names) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


def open_browser(size=DESKTOP):
    """A headless Chromium at ``size``; the caller quits it."""
    need_module("selenium", "test")
    binary, driver = _which(CHROMIUM), _which(DRIVER)
    if not binary or not driver:
        unavailable("chromium and chromium-driver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--window-size={size[0]},{size[1]}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=opts)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (desktop size; ``set_window_size`` changes it)."""
    b = open_browser()
    yield b
    b.quit()


def screenshot(b, name: str) -> Path:
    """Save the browser's viewport as ``SHOTS/name.png`` (for a person to look at)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    b.save_screenshot(str(path))
    return path
