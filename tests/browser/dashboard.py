"""Driving the example dashboard in Chromium: shared by the browser tests."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from serving import Served

TITLE = "Dash on Lambda"
WAIT_SECONDS = 20

TRACE = """
const plot = document.querySelector('#population-graph .js-plotly-plot');
if (!plot || !plot.data || !plot.data.length) return null;
return {name: plot.data[0].name, y: Array.from(plot.data[0].y)};
"""


def open_dashboard(browser: Any, served: Served) -> dict[str, Any]:
    """Load the page and wait until the first callback has drawn the graph; return its trace."""
    browser.get_log("browser")  # drop what earlier tests left
    browser.get(served.url)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_element(By.TAG_NAME, "h1").text == TITLE)
    trace: dict[str, Any] = WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.execute_script(TRACE))
    return trace


def console_errors(browser: Any) -> list[dict[str, Any]]:
    return [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
