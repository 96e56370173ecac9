"""An existing Dash project, unchanged, in Chromium through ``dash-lambda serve app:app --stage Prod``.

``tests/apps/existing_project`` is served as its module-level app (app
mode), so what the browser sees under ``/Prod/`` shows that one app serving
a prefix it was not built for gets every URL right: the bundles, the local
CSS and image, the navigation computed at import, page routing and the
links that layout functions compute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait
from serving import Served, start_serve, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

PROJECT = Path(__file__).resolve().parents[1] / "apps" / "existing_project"
WAIT_SECONDS = 20


@pytest.fixture(scope="module", params=["v1", "v2"])
def project(request: pytest.FixtureRequest) -> Iterator[Served]:
    served = start_serve(
        "--app-dir", str(PROJECT), "app:app", "--payload", request.param, "--stage", "Prod",
        "--port", "0", "--no-reload",
    )  # fmt: skip
    yield served
    log = stop(served)
    assert "Traceback" not in log, log


def wait_for_text(browser: Any, element_id: str, text: str) -> None:
    def shows(driver: Any) -> bool:
        found = driver.find_elements(By.ID, element_id)
        return bool(found) and text in found[0].text

    WebDriverWait(browser, WAIT_SECONDS).until(shows)


def severe_console_entries(browser: Any) -> list[dict[str, Any]]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def test_the_project_renders_under_the_stage_with_every_request_inside_it(
    browser: Any, project: Served
) -> None:
    browser.get_log("browser")
    browser.get(project.url)
    wait_for_text(browser, "greeting", "Hello, world!")
    wait_for_text(browser, "_pages_content", "Home page")
    assert browser.title == "Existing Project"
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.startsWith('http'))"
    )
    paths = [name.split("//", 1)[1].split("/", 1)[1] for name in requested]
    assert paths and all(path.startswith("Prod/") for path in paths), paths
    assert any(path.startswith("Prod/assets/style.css") for path in paths)
    logo = browser.find_element(By.ID, "logo")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script("return arguments[0].complete", logo)
    )
    assert browser.execute_script("return arguments[0].naturalWidth", logo) > 0
    assert (
        browser.execute_script("return getComputedStyle(document.getElementById('greeting')).fontWeight")
        == "700"
    )  # assets/style.css applied
    assert severe_console_entries(browser) == []


def test_navigation_pages_and_callbacks_follow_the_stage(browser: Any, project: Served) -> None:
    browser.get_log("browser")
    browser.get(project.url)
    wait_for_text(browser, "_pages_content", "Home page")
    name = browser.find_element(By.ID, "name")
    name.send_keys(Keys.END, "!")
    wait_for_text(browser, "greeting", "Hello, world!!")

    browser.find_element(By.ID, "nav-analytics").click()  # a link computed at import
    wait_for_text(browser, "_pages_content", "Analytics page")
    assert browser.current_url == project.url + "analytics"
    wait_for_text(browser, "metric-link", "/Prod/analytics?metric=visits")

    browser.find_element(By.ID, "analytics-report-link").click()  # a full page load
    wait_for_text(browser, "_pages_content", "Report 42")
    assert browser.current_url == project.url + "report/42"

    browser.get(project.url + "stats")  # redirect_from
    wait_for_text(browser, "_pages_content", "Analytics page")
    assert browser.current_url == project.url + "analytics"
    assert severe_console_entries(browser) == []
