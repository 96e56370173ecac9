"""Background callbacks in Chromium through ``dash-lambda serve``: progress, result, running, cancel.

The server runs ``tests/apps/background_app.py`` with ``LambdaManager()``
as it comes: jobs go through the same handler on threads of their own (as
other Lambda sandboxes would run them), with the store in a folder of the
test's.  The page is Dash's own renderer, polling as it does on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from serving import Served, start_serve, stop

pytestmark = [
    pytest.mark.browser,
    # Selenium 4.2 (the version dash[testing] pins) calls a urllib3 API deprecated since 2.0.
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

APPS = Path(__file__).resolve().parents[1] / "apps"
WAIT_SECONDS = 30

#: Records every value the progress bar and the Run button's ``disabled`` take, as they change.
_WATCH = """
window.seen = {bar: [], disabled: []};
const bar = document.getElementById('bar'), run = document.getElementById('run');
new MutationObserver(() => window.seen.bar.push(bar.getAttribute('value')))
    .observe(bar, {attributes: true, attributeFilter: ['value']});
new MutationObserver(() => window.seen.disabled.push(run.disabled))
    .observe(run, {attributes: true, attributeFilter: ['disabled']});
"""


@pytest.fixture(scope="module", params=["v1", "v2"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Path]]:
    """``dash-lambda serve --app-dir tests/apps background_app:build_app --stage Prod``, jobs in a temp folder."""
    jobs = tmp_path_factory.mktemp("jobs")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DASH_LAMBDA_JOBS_DIR", str(jobs))
        served = start_serve(
            "--app-dir", str(APPS), "background_app:build_app", "--payload", request.param,
            "--stage", "Prod", "--port", "0", "--no-reload",
        )  # fmt: skip
    yield served, jobs
    log = stop(served)
    assert "Traceback" not in log, log


def open_page(browser: Any, url: str, steps: int, delay: float) -> None:
    browser.get_log("browser")  # drop what earlier tests left
    browser.get(url)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "run"))
    for field, value in (("steps", steps), ("delay", delay)):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(str(value))
    browser.execute_script(_WATCH)


def job_states(jobs: Path) -> list[str]:
    """The state of every job in the store folder (the server's worker threads write them)."""
    states = []
    for status in jobs.glob("*/status"):
        try:
            states.append(json.loads(status.read_text())["state"])
        except (OSError, ValueError):  # replaced or removed while reading
            continue
    return states


def test_progress_bar_moves_and_the_result_appears(browser: Any, served: tuple[Served, Path]) -> None:
    server, _ = served
    open_page(browser, server.url, steps=5, delay=0.4)
    browser.find_element(By.ID, "run").click()

    result = WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: (text := b.find_element(By.ID, "result").text) and text
    )

    assert result.startswith("done after 5 steps")
    seen = browser.execute_script("return window.seen")
    values = [int(v) for v in seen["bar"] if v is not None]
    assert len(set(values)) >= 3 and values == sorted(values) and values[-1] == 5  # it moved, forward
    assert seen["disabled"][0] is True and seen["disabled"][-1] is False  # `running` toggled the button
    assert browser.find_element(By.ID, "note").text == "step 5 of 5"  # set_props from the job
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_cancel_stops_the_job(browser: Any, served: tuple[Served, Path]) -> None:
    server, jobs = served
    open_page(browser, server.url, steps=500, delay=0.1)
    browser.find_element(By.ID, "run").click()
    WebDriverWait(browser, WAIT_SECONDS).until(
        lambda b: int(b.find_element(By.ID, "bar").get_attribute("value") or 0) >= 2
    )
    cancel = browser.find_element(By.ID, "cancel")
    assert cancel.is_enabled()  # `running` enabled it
    cancel.click()

    # Polling ended: the renderer applied `running`'s "off" values.
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_element(By.ID, "run").is_enabled())
    # The job stopped at its next progress report (its status says so, or a poll already cleared it).
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: set(job_states(jobs)) <= {"done", "cancelled"})
    assert "cancelled" in job_states(jobs) or not job_states(jobs)
    assert browser.find_element(By.ID, "result").text == ""
    assert int(browser.find_element(By.ID, "bar").get_attribute("value")) < 500
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
