"""Fixtures for the browser tests: Debian's Chromium driven by Selenium, and screenshots of failures.

Only the system browser is used (``/usr/bin/chromium`` with its matching
``/usr/bin/chromedriver``, from Debian's ``chromium`` and ``chromium-driver``
packages); nothing is downloaded.  When a test fails, the page as the
browser showed it is saved to ``test-artifacts/`` with the browser's console
log and the page's HTML, so a CI failure can be read without rerunning it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("DASH_LAMBDA_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("DASH_LAMBDA_CHROMEDRIVER", "/usr/bin/chromedriver"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1024",
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session, with its console log recorded."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        message = (
            f"{', '.join(missing)} not found; install Debian's browser with "
            "`apt-get install -y chromium chromium-driver`"
        )
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: a missing browser there is a failure
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="dash-lambda-chromium-")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when not in ("setup", "call") or not report.failed:
        return
    driver = getattr(item, "funcargs", {}).get("browser")
    if driver is None:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
    try:
        driver.save_screenshot(str(ARTIFACTS / f"{stem}.png"))
        (ARTIFACTS / f"{stem}.html").write_text(driver.page_source, encoding="utf-8")
        (ARTIFACTS / f"{stem}.console.json").write_text(
            json.dumps(driver.get_log("browser"), indent=2), encoding="utf-8"
        )
        report.sections.append(("browser", f"screenshot saved to {ARTIFACTS / (stem + '.png')}"))
    except Exception as error:  # a crashed browser must not hide the test's own failure
        report.sections.append(("browser", f"could not save a screenshot: {error!r}"))
