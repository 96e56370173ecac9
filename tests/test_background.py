"""Background callbacks through the handler: ``LambdaManager`` with S3 (moto's server) as the store.

Each test is one deployment: a store under its own prefix in moto's S3 on
127.0.0.1, and *sandboxes*, each a handler with its own Dash app and its own
``LambdaManager``, sharing nothing but the store, as Lambda sandboxes share
nothing.  The page's requests go to the sandboxes in turn, and the job event
a sandbox sends is delivered to another one on a thread of its own, as
Lambda's asynchronous ``Invoke`` would.  Only ``Invoke`` itself cannot run
here: botocore's Stubber checks the request it would send.
"""

from __future__ import annotations

import contextvars
import io
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from apps import background_app
from botocore.stub import Stubber
from lambda_events import FakeContext, callback_body, dash_config, decode, event_for

from dash_lambda import (
    DiskStore,
    JobEventRefused,
    LambdaHandler,
    LambdaInvoker,
    LambdaManager,
    S3Store,
    ThreadInvoker,
    UnsupportedEventError,
    make_lambda_handler,
)
from dash_lambda.background import StoreError
from dash_lambda.background.events import make_job_event
from dash_lambda.background.manager import DEADLINE_GRACE_SECONDS
from dash_lambda.background.records import JobRecords
from dash_lambda.local.events import FrontDoor, LocalRequest
from dash_lambda.local.gateway import LocalGateway

BUCKET = "dash-jobs"
DOORS = {"v1": "rest-stage-url", "v2": "http-api-stage"}
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
#: Upper bound on any wait here; a passing run never comes near it.
PATIENCE_S = 60.0

RUN = "result.children"
RUN_INPUTS = [{"id": "run", "property": "n_clicks", "value": 1}]


def run_state(steps: int | None, delay: float | None) -> list[dict[str, Any]]:
    return [
        {"id": "steps", "property": "value", "value": steps},
        {"id": "delay", "property": "value", "value": delay},
    ]


@pytest.fixture(scope="module")
def s3() -> Iterator[Any]:
    """moto's standalone S3 server on 127.0.0.1 with an empty bucket; fake credentials only."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name, value in FAKE_AWS.items():
            env.setenv(name, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1")
            client.create_bucket(Bucket=BUCKET)
            yield client
        finally:
            server.stop()


class Deployment:
    """One deployed function: its store, its sandboxes, and Lambda's asynchronous Invoke between them.

    Implements the ``Invoker`` protocol: every sandbox's manager hands it its
    job events; it records them and, unless ``deliver`` is off, delivers each
    to the worker sandbox on a thread (a :class:`ThreadInvoker`).
    """

    def __init__(self, s3: Any, *, timeout_seconds: float = PATIENCE_S, **manager_options: Any) -> None:
        self.s3 = s3
        self.prefix = f"jobs-{uuid.uuid4().hex[:10]}/"
        self.manager_options = manager_options
        self.events: list[dict[str, Any]] = []
        self.deliver = True
        self.worker = ThreadInvoker(self.sandbox(), timeout_seconds=timeout_seconds)

    def store(self) -> S3Store:
        return S3Store(BUCKET, self.prefix, client=self.s3)

    def sandbox(self) -> LambdaHandler:
        manager = LambdaManager(self.store(), self, **self.manager_options)
        return make_lambda_handler(lambda kwargs: background_app.build_app(kwargs, manager), prime=False)

    def invoke(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if self.deliver:
            self.worker.invoke(event)

    def names(self) -> list[str]:
        listing = self.s3.list_objects_v2(Bucket=BUCKET, Prefix=self.prefix)
        return sorted(item["Key"][len(self.prefix) :] for item in listing.get("Contents", []))


class Page:
    """Dash's renderer against the deployment: each request goes to the next sandbox in turn.

    Each sandbox runs its invocations in a ``contextvars.Context`` of its own,
    as separate processes would: Dash 4.4 leaves its ``app_context`` set in
    the caller's context after serving ``_dash-layout`` / ``_dash-dependencies``,
    and a sandbox must not see another one's app (or another test's) there.
    """

    def __init__(self, door: str, sandboxes: list[LambdaHandler]) -> None:
        self.door = door
        self.sandboxes = [(handler, contextvars.Context()) for handler in sandboxes]
        self.requests = 0
        index = self.request("GET", "/")
        assert index.status == 200
        self.end_id: str | None = dash_config(index.text).get("end_id")

    def request(
        self, method: str, path: str, body: str | None = None, query: dict[str, str] | None = None
    ) -> Any:
        handler, context = self.sandboxes[self.requests % len(self.sandboxes)]
        self.requests += 1
        headers = {"Content-Type": "application/json"} if body else {}
        event = event_for(self.door, path, method=method, body=body, query=query, headers=headers)
        return decode(context.run(handler, event, FakeContext(f"req-{self.requests:04d}")))

    def callback(
        self,
        output: str,
        inputs: list[dict[str, Any]],
        state: list[dict[str, Any]] | None = None,
        **query: str,
    ) -> Any:
        if self.end_id:
            query = {"endId": self.end_id, **query}
        return self.request("POST", "/_dash-update-component", callback_body(output, inputs, state), query)

    def start(
        self, output: str, inputs: list[dict[str, Any]], state: list[dict[str, Any]] | None = None
    ) -> Job:
        response = self.callback(output, inputs, state)
        assert response.status == 200, response.text
        handles = response.json()
        assert set(handles) >= {"cacheKey", "job"}, handles
        return Job(self, output, inputs, state or [], handles)


class Job:
    """A started background callback, polled as the renderer polls it (inputs blanked)."""

    def __init__(
        self,
        page: Page,
        output: str,
        inputs: list[dict[str, Any]],
        state: list[dict[str, Any]],
        handles: dict[str, Any],
    ) -> None:
        self.page = page
        self.output = output
        self.inputs = [{**item, "value": None} for item in inputs]
        self.state = [{**item, "value": None} for item in state]
        self.handles = handles
        self.polls: list[Any] = []

    def poll(self) -> Any:
        response = self.page.callback(
            self.output, self.inputs, self.state, cacheKey=self.handles["cacheKey"], job=self.handles["job"]
        )
        self.polls.append(response)
        return response

    def poll_until_done(self, interval: float = 0.05) -> Any:
        """Poll until Dash answers something other than "still running"; return that answer."""
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            response = self.poll()
            if response.status != 200 or "response" in response.json():
                return response
            time.sleep(interval)
        raise AssertionError(f"still polling after {PATIENCE_S} s: {[p.text for p in self.polls[-3:]]}")

    def poll_until(self, predicate: Any, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            response = self.poll()
            if predicate(response):
                return response
            time.sleep(interval)
        raise AssertionError(f"condition not met after {PATIENCE_S} s")

    @property
    def progress(self) -> list[str]:
        return [
            p.json()["progress"]["bar.value"]
            for p in self.polls
            if p.status == 200 and "progress" in p.json()
        ]

    @property
    def notes(self) -> list[str]:
        return [
            p.json()["sideUpdate"]["note"]["children"]
            for p in self.polls
            if p.status == 200 and "note" in p.json().get("sideUpdate", {})
        ]


def deployment_page(
    s3: Any, payload: str = "v1", sandboxes: int = 2, **options: Any
) -> tuple[Deployment, Page]:
    deployment = Deployment(s3, **options)
    return deployment, Page(DOORS[payload], [deployment.sandbox() for _ in range(sandboxes)])


# ------------------------------------------------------------ the whole flow


@pytest.mark.parametrize("payload", ["v1", "v2"])
def test_progress_set_props_and_result_arrive_through_polls_of_other_sandboxes(s3: Any, payload: str) -> None:
    deployment, page = deployment_page(s3, payload)
    job = page.start(RUN, RUN_INPUTS, run_state(steps=4, delay=0.1))
    assert job.handles["cancel"] == [{"id": "cancel", "property": "n_clicks"}]

    final = job.poll_until_done()

    assert final.status == 200, final.text
    assert final.json()["response"] == {"result": {"children": "done after 4 steps (click 1)"}}
    # Every report reached the page once, in order, though the polls alternated between sandboxes.
    assert job.progress == sorted(set(job.progress), key=int) and job.progress[-1] == "4"
    assert job.notes == sorted(set(job.notes)) and job.notes[-1] == "step 4 of 4"
    assert len(deployment.events) == 1
    deployment.worker.join(PATIENCE_S)
    assert deployment.names() == ["secret"]  # the job's documents are gone once its result was read


def test_running_and_cancel_are_declared_to_the_renderer_unchanged(s3: Any) -> None:
    _, page = deployment_page(s3)
    dependencies = page.request("GET", "/_dash-dependencies").json()
    run = next(d for d in dependencies if d["output"] == RUN)
    assert run["background"] == {"interval": background_app.INTERVAL_MS}
    assert run["running"] == {
        "running": {"run.disabled": True, "cancel.disabled": False},
        "runningOff": {"run.disabled": False, "cancel.disabled": True},
    }
    assert any(d["output"] == "cancel.id" for d in dependencies)  # Dash's own cancel callback


def test_cancel_stops_polling_at_once_and_the_job_at_its_next_report(s3: Any) -> None:
    deployment, page = deployment_page(s3)
    job = page.start(RUN, RUN_INPUTS, run_state(steps=1000, delay=0.05))
    job.poll_until(lambda response: "progress" in response.json())

    cancelled = page.callback(
        "cancel.id", [{"id": "cancel", "property": "n_clicks", "value": 1}], cancelJob=job.handles["job"]
    )
    assert cancelled.status == 204 or cancelled.json()["response"] == {}  # it updates no component

    after = job.poll()
    # "No longer running, no result": 204, or a final answer that updates no output. Either way the
    # renderer stops polling.
    assert after.status == 204 or after.json().get("response") == {}, after.text
    deployment.worker.join(PATIENCE_S)
    assert not any(thread.is_alive() for thread in deployment.worker.threads)
    key = job.handles["cacheKey"].split("~")[0]
    status = JobRecords(deployment.store()).status(key)
    # Stopped at its next report: cancelled, or already cleared by a poll that saw it so.
    assert status is None or status["state"] == "cancelled"
    assert int(job.progress[-1]) < 1000


def test_a_newer_run_of_the_same_callback_cancels_the_older_one(s3: Any) -> None:
    deployment, page = deployment_page(s3)
    old = page.start(RUN, RUN_INPUTS, run_state(steps=1000, delay=0.05))
    old.poll_until(lambda response: "progress" in response.json())
    # The renderer sends the running job as oldJob when the callback fires again.
    response = page.callback(RUN, RUN_INPUTS, run_state(steps=1, delay=0), oldJob=old.handles["job"])
    new = Job(page, RUN, RUN_INPUTS, run_state(1, 0), response.json())
    assert new.poll_until_done().json()["response"] == {
        "result": {"children": "done after 1 steps (click 1)"}
    }
    deployment.worker.join(PATIENCE_S)
    assert not any(thread.is_alive() for thread in deployment.worker.threads)


# ------------------------------------------------------------ failures


def test_a_job_that_raises_ends_its_poll_with_dashs_background_error_and_logs_the_traceback(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    deployment, page = deployment_page(s3)
    caplog.set_level(logging.INFO, logger="dash_lambda")
    job = page.start("fail-result.children", [{"id": "fail", "property": "n_clicks", "value": 1}])

    final = job.poll_until_done()

    assert final.status == 500
    assert "request id req-" in final.text and "Traceback" not in final.text
    raised = [r for r in caplog.records if "background job" in r.getMessage() and "raised" in r.getMessage()]
    assert len(raised) == 1
    worker_log = raised[0]
    assert "request id " in worker_log.getMessage() and worker_log.exc_info is not None
    assert "the job failed on purpose (click 1)" in str(worker_log.exc_info[1])
    # The poll raised Dash's BackgroundCallbackError, logged under the poll's request id.
    poll_errors = [
        r.exc_info[1]
        for r in caplog.records
        if r.exc_info and type(r.exc_info[1]).__name__ == "BackgroundCallbackError"
    ]
    assert poll_errors and "the job failed on purpose" in str(poll_errors[0])
    deployment.worker.join(PATIENCE_S)
    assert deployment.names() == ["secret"]


def test_a_job_that_runs_out_of_time_is_marked_failed_and_stopped(
    s3: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # The worker's invocation has 2 s; the job would need 50 s.
    deployment, page = deployment_page(s3, timeout_seconds=2.0, time_margin=1.0)
    job = page.start(RUN, RUN_INPUTS, run_state(steps=1000, delay=0.05))

    final = job.poll_until_done()

    assert final.status == 500
    assert any("ran out of time" in r.getMessage() for r in caplog.records)
    deployment.worker.join(PATIENCE_S)
    messages = [r.getMessage() for r in caplog.records]
    assert any("stopped: out of time" in m for m in messages)  # at its next report, not at its end
    assert not any("result dropped" in m for m in messages)


def test_a_job_whose_invocation_never_starts_fails_its_poll_and_never_runs_later(s3: Any) -> None:
    deployment, page = deployment_page(s3, start_timeout=0.5)
    deployment.deliver = False  # Lambda never runs the invocation (throttled, or no permission)
    job = page.start(RUN, RUN_INPUTS, run_state(steps=1, delay=0))

    final = job.poll_until_done()

    assert final.status == 500
    # A late delivery of the same event finds the job claimed by the poll that gave up on it.
    (event,) = deployment.events
    answer = deployment.sandbox()(event, FakeContext("late-delivery"))
    assert answer["state"] == "skipped"


def killed_job(s3: Any, deadline: float) -> Job:
    """A started job whose invocation Lambda killed mid-run (out of memory): "running" until ``deadline``."""
    deployment, page = deployment_page(s3)
    deployment.deliver = False
    job = page.start(RUN, RUN_INPUTS, run_state(steps=1, delay=0))
    key = job.handles["cacheKey"].split("~")[0]
    records = JobRecords(deployment.store())
    status = records.status(key)
    assert status is not None
    records.write_status(key, {**status, "state": "running", "deadline": deadline, "request_id": "dead-1"})
    return job


def test_a_job_whose_invocation_died_fails_its_poll(s3: Any) -> None:
    job = killed_job(s3, deadline=time.time() - 60)

    final = job.poll_until_done()

    assert final.status == 500


@pytest.mark.parametrize("kind", ["progress", "props"])
def test_a_report_that_is_not_json_fails_the_job_at_once(
    s3: Any, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Not at the invocation's timeout: the failed write leaves the status the job's error can replace."""
    _, page = deployment_page(s3)
    caplog.set_level(logging.INFO, logger="dash_lambda")
    job = page.start(
        "bad-result.children",
        [{"id": "bad", "property": "n_clicks", "value": 1}],
        [{"id": "bad-kind", "property": "value", "value": kind}],
    )

    final = job.poll_until_done()  # gives up before the job's deadline would fail it

    assert final.status == 500 and "request id req-" in final.text
    call = "set_progress" if kind == "progress" else "set_props"
    assert any(
        f"{call} was given a value that is not JSON" in str(r.exc_info and r.exc_info[1])
        for r in caplog.records
    )


class SlowCancelReads:
    """An S3 client whose reads of a job's ``cancel`` document take a second, as a slow GET can."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_object(self, **kwargs: Any) -> Any:
        if str(kwargs.get("Key", "")).endswith("/cancel"):
            time.sleep(1.0)
        return self._client.get_object(**kwargs)


def test_a_poll_reads_the_clock_once_so_a_dead_job_never_ends_in_silence(s3: Any) -> None:
    """``get_result`` and ``job_running`` agree on the deadline even when it passes between them."""
    # The deadline and its grace pass during the poll's slow read of the cancel document.
    job = killed_job(SlowCancelReads(s3), deadline=time.time() - DEADLINE_GRACE_SECONDS + 0.5)

    first = job.poll()

    assert first.status != 204, "the renderer was told to stop polling with neither result nor error"
    final = first if first.status == 500 else job.poll_until_done()
    assert final.status == 500


def test_set_props_keeps_the_latest_props_of_each_component_only(s3: Any) -> None:
    deployment, page = deployment_page(s3)
    deployment.deliver = False
    job = page.start(RUN, RUN_INPUTS, run_state(steps=6, delay=0))
    deployment.worker.invoke(deployment.events[-1])
    deployment.worker.join(PATIENCE_S)
    key = job.handles["cacheKey"].split("~")[0]
    status = JobRecords(deployment.store()).status(key)
    assert status is not None and status["state"] == "done"
    assert [entry[1:] for entry in status["props"]] == [["note", {"children": "step 6 of 6"}]]
    assert job.poll_until_done().json()["response"] == {
        "result": {"children": "done after 6 steps (click 1)"}
    }


def test_a_failed_invoke_shows_as_the_jobs_error(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    class Refusing:
        def invoke(self, event: dict[str, Any]) -> None:
            raise PermissionError("not authorized to perform lambda:InvokeFunction")

    store = S3Store(BUCKET, f"jobs-{uuid.uuid4().hex[:10]}/", client=s3)
    manager = LambdaManager(store, Refusing())
    page = Page(
        DOORS["v2"], [make_lambda_handler(lambda kw: background_app.build_app(kw, manager), prime=False)]
    )
    job = page.start(RUN, RUN_INPUTS, run_state(1, 0))
    assert job.poll_until_done().status == 500
    assert any("could not start background job" in r.getMessage() for r in caplog.records)
    assert any(
        "not authorized" in str(r.exc_info[1])
        for r in caplog.records
        if r.exc_info and "BackgroundCallbackError" in type(r.exc_info[1]).__name__
    )


# ------------------------------------------------------------ job events


def another_job(job: str) -> str:
    """The same id with its last hex digit changed, so it always names another job."""
    return job[:-1] + ("1" if job.endswith("0") else "0")


def test_a_forged_job_event_is_refused_and_runs_nothing(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    deployment, page = deployment_page(s3)
    deployment.deliver = False
    job = page.start(RUN, RUN_INPUTS, run_state(steps=1, delay=0))
    (genuine,) = deployment.events
    body = genuine["dash_lambda_job"]
    worker = deployment.sandbox()

    forged_events = [
        make_job_event(b"a guessed secret", store=body["store"], job=body["job"], prefix=body["prefix"]),
        {"dash_lambda_job": {**body, "sig": "0" * 64}},
        {"dash_lambda_job": {**body, "job": another_job(body["job"])}},  # same signature
        {"dash_lambda_job": {**body, "prefix": "/elsewhere/"}},
        {"dash_lambda_job": {**body, "args": ["rm -rf /"]}},
        {"dash_lambda_job": "run everything"},
        {"dash_lambda_job": body, "extra": 1},
    ]
    for forged in forged_events:
        with pytest.raises(JobEventRefused) as refused:
            worker(forged, FakeContext("forged"))
        assert isinstance(refused.value, UnsupportedEventError)
    # Refused before anything else: the fresh sandbox did not even build its app.
    assert worker.built_prefixes == []
    with pytest.raises(JobEventRefused, match="no LambdaManager here uses s3://attacker-bucket/"):
        worker({"dash_lambda_job": {**body, "store": "s3://attacker-bucket/"}}, FakeContext("forged"))

    assert any("refused a job event" in r.getMessage() for r in caplog.records)
    key = body["job"].split("-")[0]
    status = JobRecords(deployment.store()).status(key)
    assert status is not None and status["state"] == "queued"  # nothing ran, nothing claimed
    assert f"{key}/claim-{body['job'].split('-')[1]}" not in deployment.names()

    # The genuine event runs the job once; delivered again (a replay, a retry), it is skipped.
    assert worker(genuine, FakeContext("genuine"))["state"] == "done"
    assert worker(genuine, FakeContext("replay"))["state"] == "skipped"
    assert job.poll_until_done().json()["response"] == {
        "result": {"children": "done after 1 steps (click 1)"}
    }


def test_a_store_failure_in_the_jobs_invocation_is_logged_not_raised(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Flaky(DiskStore):
        def get(self, name: str) -> bytes | None:
            if name.endswith("/job"):
                raise StoreError("reading the job failed: AccessDenied")
            return super().get(name)

    events: list[dict[str, Any]] = []
    manager = LambdaManager(
        Flaky(tmp_path), invoker=type("Hold", (), {"invoke": lambda self, e: events.append(e)})()
    )
    handler = make_lambda_handler(lambda kw: background_app.build_app(kw, manager), prime=False)
    page = Page(DOORS["v1"], [handler])
    page.start(RUN, RUN_INPUTS, run_state(1, 0))

    answer = handler(events[0], FakeContext("worker-1"))

    assert answer["state"] == "failed"
    assert any("AccessDenied" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_arguments_over_256_kb_go_through_the_store_and_the_job_sees_its_invocation(s3: Any) -> None:
    deployment, page = deployment_page(s3, payload="v2")
    payload = "x" * 300_000
    job = page.start(
        "echo-result.children",
        [{"id": "echo", "property": "n_clicks", "value": 1}],
        [{"id": "payload", "property": "data", "value": payload}],
    )

    final = job.poll_until_done()

    (event,) = deployment.events
    assert len(json.dumps(event)) < 1024  # the event names the job; the arguments stay in the store
    text = final.json()["response"]["echo-result"]["children"]
    # current_event() is the request that started the job; current_context() the job's own invocation.
    assert text.startswith("300000 characters; request from 198.51.100.7; job request id ")
    assert "req-" not in text and text.endswith("True")


def test_a_cached_result_is_reused_without_a_new_invocation(s3: Any) -> None:
    deployment, page = deployment_page(s3, cache_by=[lambda: "same"])
    first = page.start(RUN, RUN_INPUTS, run_state(steps=1, delay=0))
    assert "response" in first.poll_until_done().json()
    second = page.start(RUN, RUN_INPUTS, run_state(steps=1, delay=0))
    assert second.poll_until_done().json()["response"] == {
        "result": {"children": "done after 1 steps (click 1)"}
    }
    assert len(deployment.events) == 1


# ------------------------------------------------------------ the gateway's 29 s


def test_a_job_longer_than_the_gateway_timeout_completes_through_polling(tmp_path: Any) -> None:
    handler_box: list[LambdaHandler] = []
    invoker = ThreadInvoker(lambda event, context: handler_box[0](event, context), timeout_seconds=PATIENCE_S)
    manager = LambdaManager(DiskStore(tmp_path), invoker)
    handler_box.append(make_lambda_handler(lambda kw: background_app.build_app(kw, manager), prime=False))
    gateway = LocalGateway(handler_box[0], FrontDoor("v1", stage="Prod"), gateway_timeout_s=1.0)

    def post(body: str, **query: str) -> tuple[int, Any]:
        path = "/Prod/_dash-update-component"
        query_string = "&".join(f"{k}={v}" for k, v in query.items())
        response, _ = gateway.invoke(
            LocalRequest("POST", path, query_string, (("Content-Type", "application/json"),), body.encode())
        )
        return response.status, json.loads(response.body) if response.body else None

    index, _ = gateway.invoke(LocalRequest("GET", "/Prod/"))
    end_id = dash_config(index.body.decode()).get("end_id")  # Dash >= 4.4.1 signs job handles
    signed = {"endId": end_id} if end_id else {}
    state = run_state(steps=6, delay=0.25)  # 1.5 s of work, over the 1 s gateway timeout

    # As an ordinary callback, the work outlasts the gateway: 504.
    status, body = post(
        callback_body("slow-result.children", [{"id": "slow", "property": "n_clicks", "value": 1}], state),
        **signed,
    )
    assert (status, body) == (504, {"message": "Endpoint request timed out"})

    # As a background callback, every request is short, and the result arrives.
    status, handles = post(callback_body(RUN, RUN_INPUTS, state), **signed)
    assert status == 200
    blank = [{**item, "value": None} for item in state]
    deadline = time.monotonic() + PATIENCE_S
    while time.monotonic() < deadline:
        status, body = post(
            callback_body(RUN, RUN_INPUTS, blank),
            **signed,
            cacheKey=handles["cacheKey"],
            job=handles["job"],
        )
        assert status == 200
        if "response" in body:
            break
        time.sleep(0.1)
    assert body["response"] == {"result": {"children": "done after 6 steps (click 1)"}}


def test_without_the_handler_jobs_run_on_threads_of_the_process(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python app.py`` or gunicorn: no Lambda, no local server; the manager still works."""
    from dash_lambda.background import invokers

    monkeypatch.setattr(invokers, "_default", None)  # no dash-lambda serve in this process
    app = background_app.build_app({}, LambdaManager(DiskStore(tmp_path)))
    client = app.server.test_client()

    def post(body: str, **query: str) -> Any:
        url = "/_dash-update-component?" + "&".join(f"{k}={v}" for k, v in query.items())
        return client.post(url, data=body, content_type="application/json")

    def flow() -> Any:
        end_id = dash_config(client.get("/").get_data(as_text=True)).get("end_id")  # newer Dash signs handles
        signed = {"endId": end_id} if end_id else {}
        handles = post(callback_body(RUN, RUN_INPUTS, run_state(2, 0.05)), **signed).get_json()
        blank = run_state(None, None)
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            answer = post(callback_body(RUN, RUN_INPUTS, blank), **signed, **handles_query(handles))
            if answer.status_code != 200 or "response" in answer.get_json():
                return answer
            time.sleep(0.05)
        raise AssertionError("still polling")

    answer = contextvars.Context().run(flow)
    assert answer.get_json()["response"] == {"result": {"children": "done after 2 steps (click 1)"}}


def handles_query(handles: dict[str, Any]) -> dict[str, str]:
    return {"cacheKey": handles["cacheKey"], "job": handles["job"]}


# ------------------------------------------------------------ invoking Lambda


def test_lambda_invoker_sends_an_asynchronous_invoke_of_the_running_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "dash-app-DashFunction-AbC123")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
    client = boto3.client("lambda", region_name="us-east-1")
    event = make_job_event(
        b"secret", store="s3://bucket/jobs/", job="a" * 64 + "-" + "b" * 32, prefix="/Prod/"
    )
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202, "Payload": io.BytesIO(b"")},
            expected_params={
                "FunctionName": "dash-app-DashFunction-AbC123",
                "InvocationType": "Event",
                "Qualifier": "7",
                "Payload": json.dumps(event, separators=(",", ":")).encode(),
            },
        )
        LambdaInvoker(client=client).invoke(event)
        stub.assert_no_pending_responses()


def test_lambda_invoker_without_a_version_and_with_a_failed_invoke(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
    client = boto3.client("lambda", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            expected_params={"FunctionName": "fn", "InvocationType": "Event", "Payload": b"{}"},
        )
        stub.add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
        invoker = LambdaInvoker("fn", client=client)
        invoker.invoke({})
        with pytest.raises(Exception, match="TooManyRequestsException"):
            invoker.invoke({})


# ------------------------------------------------------------ stores


@pytest.mark.parametrize("kind", ["s3", "disk"])
def test_stores_create_once_and_read_back(kind: str, s3: Any, tmp_path: Any) -> None:
    store = (
        S3Store(BUCKET, f"store-{uuid.uuid4().hex[:8]}", client=s3) if kind == "s3" else DiskStore(tmp_path)
    )
    name = "0" * 64 + "/status"
    assert store.get(name) is None
    store.put(name, b'{"a":1}')
    assert store.get(name) == b'{"a":1}'
    assert store.put_new(name, b"other") is False and store.get(name) == b'{"a":1}'
    assert store.put_new("0" * 64 + "/claim-1", b"me") is True
    store.delete([name, "0" * 64 + "/claim-1", "0" * 64 + "/missing"])
    assert store.get(name) is None


def test_concurrent_claims_have_one_winner(tmp_path: Any) -> None:
    store = DiskStore(tmp_path)
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(store.put_new("k/claim", b"x"))) for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]


def test_on_lambda_without_a_bucket_the_manager_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from dash_lambda import ConfigError

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    with pytest.raises(ConfigError, match="DASH_LAMBDA_JOBS_BUCKET"):
        LambdaManager()
    monkeypatch.setenv("DASH_LAMBDA_JOBS_BUCKET", "my-jobs")
    manager = LambdaManager()
    assert manager.store.location == "s3://my-jobs/dash-lambda-jobs/"
