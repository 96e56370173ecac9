"""The example dashboard in Chromium with its static files split off, as ``StaticFiles=Cdn`` deploys it.

``dash-lambda serve --static`` answers ``_dash-component-suites/``,
``assets/`` and the favicon from the dashboard's export (as CloudFront does
from the bucket) and sends the rest through the Lambda handler.  The page
must render and answer callbacks, and the server's own count of the
requests that reached the handler must be four per page load: the index,
``_dash-layout``, ``_dash-dependencies`` and the first callback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from serving import PAGE_LOAD, Followed, serve_static

from browser.dashboard import TRACE, WAIT_SECONDS, console_errors, open_dashboard

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
#: What the page asks the handler for: index, _dash-layout, _dash-dependencies, the graph's callback.
DYNAMIC_REQUESTS = 4
REQUEST_LINE = re.compile(r'"(GET|POST|HEAD) (/Prod/\S*) HTTP/1\.1" (\d+) \((.*)\)')


@pytest.fixture(scope="module")
def split(example_export: Path) -> Iterator[Followed]:
    if not (FRONTEND / "dash_app.py").exists():
        pytest.skip("frontend/dash_app.py is not there yet")
    followed = serve_static(example_export)
    yield followed
    log = followed.stop()
    assert "Traceback" not in log, log


def test_page_loads_reach_the_handler_four_times(browser: Any, split: Followed) -> None:
    trace = open_dashboard(browser, split.served)
    assert trace["name"] == "Canada" and len(trace["y"]) > 1
    [first] = split.wait_for(PAGE_LOAD)
    page, requests, through_handler, from_export = first.groups()
    assert page == "/Prod/"
    assert int(through_handler) == DYNAMIC_REQUESTS
    assert int(from_export) >= 10, "bundles, async chunks, plotly.min.js, the image and the favicon"
    assert int(requests) == int(through_handler) + int(from_export)

    browser.refresh()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.execute_script(TRACE))
    _, reload = split.wait_for(PAGE_LOAD, count=2)
    assert int(reload.group(3)) == DYNAMIC_REQUESTS
    print("", *(line for line in split.lines if "page load of" in line), sep="\n")
    assert console_errors(browser) == []


def test_static_files_come_from_the_export_and_the_rest_from_the_handler(
    browser: Any, split: Followed
) -> None:
    open_dashboard(browser, split.served)
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)"
    )
    assert any(path.endswith("/plotly.min.js") for path in requested)
    lines = [m for m in map(REQUEST_LINE.search, list(split.lines)) if m]
    static = [
        m
        for m in lines
        if m[2].startswith(("/Prod/_dash-component-suites/", "/Prod/assets/", "/Prod/_favicon"))
    ]
    assert static and all(m[4].startswith("static export") for m in static), [m[0] for m in static]
    dynamic = [m for m in lines if m not in static]
    assert dynamic and all("serialized" in m[4] for m in dynamic), "the handler's own log note"


def test_a_callback_answers_with_the_split(browser: Any, split: Followed) -> None:
    before = open_dashboard(browser, split.served)
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
