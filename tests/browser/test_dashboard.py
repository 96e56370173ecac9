"""The example dashboard in a real headless Chromium, through ``dash-lambda serve --stage Prod``.

Each request the browser makes becomes a REST API (payload 1.0) or HTTP API
(payload 2.0) event for the real Lambda handler, so these tests see what a
user of the deployed stage URL sees: the page, its image, and both callbacks,
all under ``/Prod/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait
from serving import Served, start_serve, stop

from browser.dashboard import TITLE, TRACE, WAIT_SECONDS, console_errors, open_dashboard

pytestmark = [
    pytest.mark.browser,
    # Selenium 4.2 (the version dash[testing] pins) calls a urllib3 API deprecated since 2.0.
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"


@pytest.fixture(scope="module", params=["v1", "v2"])
def dashboard(request: pytest.FixtureRequest) -> Iterator[Served]:
    """``dash-lambda serve --app-dir frontend dash_app:build_app --stage Prod`` on a free port."""
    if not (FRONTEND / "dash_app.py").exists():
        pytest.skip("frontend/dash_app.py is not there yet")
    served = start_serve(
        "--app-dir", str(FRONTEND), "dash_app:build_app", "--payload", request.param, "--stage", "Prod",
        "--port", "0", "--no-reload",
    )  # fmt: skip
    yield served
    log = stop(served)
    assert "Traceback" not in log, log


def test_page_renders_without_console_errors(browser: Any, dashboard: Served) -> None:
    trace = open_dashboard(browser, dashboard)
    assert browser.title == TITLE
    assert trace["name"] == "Canada" and len(trace["y"]) > 1
    # Every bundle, the layout and the callbacks were fetched under the stage prefix.
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    )
    assert requested, "the page fetched nothing"
    assert all(path.startswith("/Prod/") for path in requested), requested
    assert any(path.endswith("/_dash-update-component") for path in requested)
    assert console_errors(browser) == []


def test_image_loads(browser: Any, dashboard: Served) -> None:
    open_dashboard(browser, dashboard)
    image = browser.find_element(By.ID, "architecture-img")
    assert image.get_attribute("src").startswith(dashboard.url + "assets/")
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.execute_script("return arguments[0].complete", image)
    )
    assert browser.execute_script("return arguments[0].naturalWidth", image) > 0
    assert console_errors(browser) == []


def test_dropdown_redraws_graph(browser: Any, dashboard: Served) -> None:
    before = open_dashboard(browser, dashboard)
    browser.find_element(By.ID, "country-dropdown").click()
    options = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "[role=option]")
    )
    choice = next(option for option in options if option.text.strip() not in ("", before["name"]))
    country = choice.text.strip()
    choice.click()
    after = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: (trace := b.execute_script(TRACE)) and trace["name"] == country and trace
    )
    assert after["y"] != before["y"]
    assert console_errors(browser) == []


def test_picking_a_date_updates_the_text(browser: Any, dashboard: Served) -> None:
    open_dashboard(browser, dashboard)
    birthday = date(2000, 1, 1)
    picker = browser.find_element(By.ID, "birthdate-picker")
    picker.click()
    picker.send_keys(birthday.isoformat())
    picker.send_keys(Keys.ENTER)
    output = browser.find_element(By.ID, "birthdate-output")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: output.text.startswith("You're "))
    days = (date.today() - birthday).days
    # The server computes the days; allow for the date turning over mid-test.
    assert output.text in {f"You're {n} days young!" for n in (days, days + 1)}
    assert console_errors(browser) == []
