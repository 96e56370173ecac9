"""The static-file cache behaves as a shared HTTP cache and never outranks the app.

Real gates (dash-auth's BasicAuth, a session login, flask-cors) on the real
sample app, through the real handler, on every front door.
"""

from __future__ import annotations

import gc
import re
import tracemalloc
from typing import Any

import pytest
from apps import gated_apps, sample_app
from lambda_events import HTTP_FIXTURES, Decoded, FakeContext, decode, drop_header, event_for

from dash_lambda import LambdaHandler, make_lambda_handler

PLOTLY_JS = "/_dash-component-suites/plotly/package_data/plotly.min.js"
#: A bundle Dash serves with an ETag, small enough for an ALB (plotly.min.js is not, even compressed).
DATEPICKER_JS = "/_dash-component-suites/dash/dcc/async-datepicker.js"
DOORS = list(HTTP_FIXTURES)


def big_bundle(door: str) -> str:
    return DATEPICKER_JS if door.startswith("alb") else PLOTLY_JS


def get(
    handler: LambdaHandler,
    door: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    cookie: str | None = None,
    accept: str | None = None,
    method: str = "GET",
) -> Decoded:
    """One browser request through ``door``; no Accept-Encoding unless ``accept`` says one."""
    sent = dict(headers or {})
    if accept is not None:
        sent["Accept-Encoding"] = accept
    v2 = door.startswith(("http-api", "function-url"))
    if cookie is not None and not v2:
        sent["Cookie"] = cookie
    event = event_for(door, path, query=query, headers=sent, method=method)
    if accept is None:
        drop_header(event, "Accept-Encoding")
    if cookie is not None and v2:
        event["cookies"] = [cookie]  # payload 2.0 carries cookies apart from the headers
    return decode(handler(event, FakeContext()))


def page_files(index_html: str, door: str) -> list[tuple[str, dict[str, str]]]:
    """(path, query) of every file the index page loads, below the door's prefix."""
    prefix = HTTP_FIXTURES[door]
    files = []
    for url in re.findall(r'(?:src|href)="([^"]+)"', index_html):
        path, _, query = url.partition("?")
        assert path.startswith(prefix), url
        files.append(("/" + path[len(prefix) :], dict(p.split("=", 1) for p in query.split("&") if p)))
    return files


def protected(handler: LambdaHandler, door: str, credentials: dict[str, Any]) -> dict[str, bytes]:
    """Everything a page load fetches (and the app's routes), as an authorized client gets it."""
    index = get(handler, door, "/", **credentials)
    assert index.status == 200, index.status
    wanted: list[tuple[str, dict[str, str]]] = [
        ("/", {}),
        ("/_dash-layout", {}),
        ("/assets/logo.png", {}),
        (big_bundle(door), {}),
    ]
    wanted += page_files(index.text, door)
    kinds = {path.split("/")[1] for path, _ in wanted}
    assert {"_favicon.ico", "_dash-component-suites", "assets"} <= kinds
    assert any(re.search(r"\.v[\d_]+m\d+", path) for path, _ in wanted), "a fingerprinted bundle"
    bodies = {}
    for path, query in wanted:
        got = get(handler, door, path, query=query, accept="br", **credentials)
        assert got.status == 200, (path, got.status)
        body = re.sub(rb'"end_id":"[^"]*"', b"", got.body)  # the index page's per-request id
        bodies[path + "?" + "&".join(f"{k}={v}" for k, v in query.items())] = body
    return bodies


def assert_refused(handler: LambdaHandler, door: str, files: dict[str, bytes]) -> None:
    for url, body in files.items():
        path, _, query = url.partition("?")
        query_map = dict(p.split("=", 1) for p in query.split("&") if p)
        got = get(handler, door, path, query=query_map, accept="br")
        assert got.status in (302, 401), (url, got.status)
        assert body not in got.body, url


def session_cookie(handler: LambdaHandler, door: str) -> str:
    login = get(handler, door, "/sign-in")
    assert login.status == 200
    return login.cookies[0].split(";")[0]


# --- an anonymous client never gets what the app protects ------------------------------------


@pytest.mark.parametrize("public_bundles", [False, True], ids=["dash-headers", "bundles-public"])
@pytest.mark.parametrize("door", DOORS)
def test_anonymous_clients_never_get_what_basic_auth_protects(door: str, public_bundles: bool) -> None:
    builder = gated_apps.basic_auth(public_bundles=public_bundles)
    authorized = {"headers": {"Authorization": gated_apps.AUTHORIZATION}}
    files = protected(make_lambda_handler(builder), door, authorized)  # another sandbox lists them
    handler = make_lambda_handler(builder)
    assert_refused(handler, door, files)  # before an authorized client loaded them
    assert protected(handler, door, authorized) == files
    assert_refused(handler, door, files)  # after
    assert protected(handler, door, authorized) == files  # the authorized client still gets them
    assert_refused(handler, door, files)
    wrong = {"Authorization": "Basic Zm9vOmJhcg=="}
    assert get(handler, door, big_bundle(door), headers=wrong).status == 401


@pytest.mark.parametrize("public_bundles", [False, True], ids=["dash-headers", "bundles-public"])
@pytest.mark.parametrize("door", DOORS)
def test_anonymous_clients_never_get_what_a_session_login_protects(door: str, public_bundles: bool) -> None:
    builder = gated_apps.session_gate(public_bundles=public_bundles)
    scout = make_lambda_handler(builder)
    files = protected(scout, door, {"cookie": session_cookie(scout, door)})  # another sandbox lists them
    handler = make_lambda_handler(builder)
    assert_refused(handler, door, files)  # before a logged-in client loaded them
    logged_in = {"cookie": session_cookie(handler, door)}
    assert protected(handler, door, logged_in) == files
    assert_refused(handler, door, files)  # after
    assert protected(handler, door, logged_in) == files
    assert_refused(handler, door, files)


def test_a_stored_bundle_is_revalidated_with_the_app_for_other_clients() -> None:
    """Stored for an authorized client (public), the app is asked again for anyone else, and may refuse."""
    handler = make_lambda_handler(gated_apps.basic_auth(public_bundles=True))
    authorized = {"Authorization": gated_apps.AUTHORIZATION}
    first = get(handler, "http-api-stage", PLOTLY_JS, accept="br", headers=authorized)
    assert handler.static_cache_stats["stored"] == 1
    again = get(handler, "http-api-stage", PLOTLY_JS, accept="br", headers=authorized)
    assert (again.status, again.body) == (200, first.body)
    assert handler.static_cache_stats["revalidated"] == 1  # the app's 304 let the stored bytes go
    assert get(handler, "http-api-stage", PLOTLY_JS, accept="br").status == 401
    assert handler.static_cache_stats["hits"] == 0
    assert handler.static_cache_stats["compressed"] == 1


def test_stored_responses_are_reused_unasked_only_by_clients_without_credentials() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    get(handler, "rest-stage-url", PLOTLY_JS)
    reached = len(sample_app.REQUESTS)
    assert get(handler, "rest-stage-url", PLOTLY_JS).header("age") is not None
    assert len(sample_app.REQUESTS) == reached
    with_cookie = get(handler, "rest-stage-url", PLOTLY_JS, cookie="theme=dark")
    with_auth = get(handler, "rest-stage-url", PLOTLY_JS, headers={"Authorization": "Bearer x"})
    from_origin = get(handler, "rest-stage-url", PLOTLY_JS, headers={"Origin": "https://a.example"})
    assert len(sample_app.REQUESTS) == reached + 3  # each asked the app (which answered 304)
    assert all(
        got.status == 200 and got.header("age") is None for got in (with_cookie, with_auth, from_origin)
    )
    assert handler.static_cache_stats["revalidated"] == 3


def test_no_cache_files_are_revalidated_with_the_app_every_time() -> None:
    """Flask marks assets ``no-cache``; with ``SEND_FILE_MAX_AGE_DEFAULT`` they are fresh for that long."""
    handler = make_lambda_handler(sample_app.build_app)
    first = get(handler, "http-api-default", "/assets/logo.png")
    assert first.header("cache-control") == "no-cache"
    reached = len(sample_app.REQUESTS)
    again = get(handler, "http-api-default", "/assets/logo.png")
    assert (again.status, again.body) == (200, first.body)
    assert len(sample_app.REQUESTS) == reached + 1 and again.header("age") is None
    assert handler.static_cache_stats["revalidated"] == 1

    def long_lived(dash_kwargs: dict[str, Any]) -> Any:
        app = sample_app.build_app(dash_kwargs)
        app.server.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
        return app

    fresh = make_lambda_handler(long_lived)
    assert "max-age=3600" in (
        get(fresh, "http-api-default", "/assets/logo.png").header("cache-control") or ""
    )
    reached = len(sample_app.REQUESTS)
    assert get(fresh, "http-api-default", "/assets/logo.png").body == first.body
    assert len(sample_app.REQUESTS) == reached and fresh.static_cache_stats["hits"] == 1


def test_range_requests_go_to_the_app() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    for _ in range(2):
        whole = get(handler, "rest-stage-url", "/assets/app.js")
        assert whole.status == 200
        part = get(handler, "rest-stage-url", "/assets/app.js", headers={"Range": "bytes=0-5"})
        assert (part.status, part.body) == (206, b"window")


@pytest.mark.parametrize("path", ["/assets/app.js", "/download.csv"])
def test_a_range_is_sent_as_the_app_s_bytes_to_a_client_that_accepts_gzip(path: str) -> None:
    """``Content-Range`` counts the app's bytes: a compressed 206 would be a range of nothing (RFC 9110 §14)."""
    handler = make_lambda_handler(sample_app.build_app, compress_min_bytes=0)
    whole = get(handler, "rest-stage-url", path)
    for _ in range(2):
        part = get(handler, "rest-stage-url", path, headers={"Range": "bytes=0-9"}, accept="gzip, br")
        assert (part.status, part.body) == (206, whole.body[:10])
        assert part.header("content-range") == f"bytes 0-9/{len(whole.body)}"
        assert part.header("content-encoding") is None
        assert part.header("content-length") == "10"
        assert part.header("etag") == whole.header("etag")  # strong, so If-Range works
    compressed = get(handler, "rest-stage-url", path, accept="gzip")
    assert compressed.header("content-encoding") == "gzip"  # whole responses still are


# --- what a shared cache may store ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Cache-Control", "private, max-age=600"),
        ("Cache-Control", "no-store"),
        ("Cache-Control", "public, no-store"),
        ("Set-Cookie", "seen=1"),
        ("Vary", "Cookie"),
        ("Vary", "*"),
    ],
)
@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-default", "alb"])
def test_responses_a_shared_cache_may_not_keep_are_not_kept(door: str, name: str, value: str) -> None:
    handler = make_lambda_handler(gated_apps.marked(name, value))
    for path in (big_bundle(door), "/assets/app.js"):
        before = len(sample_app.REQUESTS)
        for _ in range(2):
            assert get(handler, door, path, accept="gzip").status == 200
        assert len(sample_app.REQUESTS) == before + 2
    assert handler.static_cache_stats["stored"] == 0
    if value.startswith(("private", "no-store", "public, no-store")):
        assert handler.static_cache_stats["bytes"] == 0  # not even the compressed body


@pytest.mark.parametrize("vary_header", [True, False], ids=["vary-origin", "no-vary"])
@pytest.mark.parametrize("door", DOORS)
def test_each_allowed_origin_gets_its_own_cors_answer(door: str, vary_header: bool) -> None:
    handler = make_lambda_handler(gated_apps.cors(vary_header=vary_header))
    origin_a, origin_b = gated_apps.ORIGINS
    for path in (big_bundle(door), "/assets/logo.png", "/_favicon.ico"):
        for _ in range(2):
            for origin in (origin_a, origin_b, origin_a):
                got = get(handler, door, path, headers={"Origin": origin})
                assert got.status == 200
                assert got.header("access-control-allow-origin") == origin, (path, origin)
            get(handler, door, path)  # a request without Origin may be kept; no Origin gets it


@pytest.mark.parametrize("door", DOORS)
def test_an_origin_the_app_does_not_allow_gets_no_cors_headers_stored_for_another(door: str) -> None:
    handler = make_lambda_handler(gated_apps.cors(vary_header=False))
    allowed, _ = gated_apps.ORIGINS
    for path in (big_bundle(door), "/assets/logo.png"):
        assert get(handler, door, path, headers={"Origin": allowed}).header("access-control-allow-origin")
        other = get(handler, door, path, headers={"Origin": "https://elsewhere.example"})
        assert other.status == 200
        assert [name for name in other.headers if name.startswith("access-control-")] == []
    assert handler.static_cache_stats["revalidated"] == 2  # the stored bytes, the app's headers


@pytest.mark.parametrize("door", DOORS)
def test_a_revalidated_answer_keeps_the_vary_and_cookie_the_app_sent_with_it(door: str) -> None:
    handler = make_lambda_handler(gated_apps.session_refresh())
    cookie = gated_apps.session_cookie(gated_apps.session_refresh()({}), {"seen": 1})
    get(handler, door, "/assets/logo.png")  # anonymous: stored
    signed_in = get(handler, door, "/assets/logo.png", cookie=cookie)
    assert handler.static_cache_stats["revalidated"] == 1
    vary = {token.strip() for value in signed_in.headers.get("vary", []) for token in value.split(",")}
    assert "Cookie" in vary
    assert [c.split("=")[0] for c in signed_in.cookies] == ["session"]


# --- conditional requests ------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
def test_if_none_match_gets_304_on_miss_and_on_hit(door: str) -> None:
    bundle = big_bundle(door)
    handler = make_lambda_handler(sample_app.build_app)
    etag = get(handler, door, bundle, accept="identity").header("etag")
    assert etag is not None and etag.startswith('"')
    compressed = make_lambda_handler(sample_app.build_app)
    first = get(compressed, door, bundle, accept="gzip")
    assert first.header("etag") == f"W/{etag}"  # the gzip bytes are another representation
    for tag in (etag, f"W/{etag}", f'"other", W/{etag}', "*"):
        for fresh in (make_lambda_handler(sample_app.build_app), handler):  # miss, then hit
            got = get(fresh, door, bundle, accept="gzip", headers={"If-None-Match": tag})
            assert (got.status, got.body) == (304, b""), tag
            assert got.header("etag") == f"W/{etag}"
            assert "Accept-Encoding" in (got.header("vary") or "")
            assert got.header("content-length") is None and got.header("content-type") is None
    reached = len(sample_app.REQUESTS)
    assert get(handler, door, bundle, headers={"If-None-Match": etag}).status == 304
    assert len(sample_app.REQUESTS) == reached, "answered from the cache"
    other = get(handler, door, bundle, headers={"If-None-Match": '"something-else"'})
    assert other.status == 200 and len(other.body) > 100_000


@pytest.mark.parametrize("door", ["rest-stage-url", "http-api-stage", "alb-multi-value"])
def test_if_modified_since_gets_304_where_flask_would(door: str) -> None:
    handler = make_lambda_handler(sample_app.build_app)
    first = get(handler, door, "/assets/app.js", accept="gzip")
    modified = first.header("last-modified")
    assert modified is not None
    for _ in range(2):
        got = get(handler, door, "/assets/app.js", accept="gzip", headers={"If-Modified-Since": modified})
        assert got.status == 304
        older = get(
            handler, door, "/assets/app.js", headers={"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}
        )
        assert older.status == 200 and older.text == "window.sampleAssetLoaded = true;\n"
        # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)
        both = get(
            handler, door, "/assets/app.js", headers={"If-Modified-Since": modified, "If-None-Match": '"x"'}
        )
        assert both.status == 200


def test_app_routes_with_an_etag_get_304_for_a_weak_match() -> None:
    """The app compares If-None-Match strongly; the weak tag a compressed answer carried matches too."""
    handler = make_lambda_handler(gated_apps.query_echo)
    first = get(handler, "http-api-default", "/tagged", accept="gzip")
    assert (first.status, first.header("etag")) == (200, 'W/"v1"')
    again = get(handler, "http-api-default", "/tagged", accept="gzip", headers={"If-None-Match": 'W/"v1"'})
    assert (again.status, again.body) == (304, b"")
    changed = get(handler, "http-api-default", "/tagged", headers={"If-None-Match": '"v0"'})
    assert changed.status == 200 and changed.text.startswith("tagged")


# --- keys ----------------------------------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
def test_query_strings_that_decode_alike_get_their_own_entries(door: str) -> None:
    """``?a%3D%5B%271%27%5D%26b=2`` and ``?a=1&b=2`` are different requests."""
    handler = make_lambda_handler(gated_apps.query_echo)
    decoded_maps = door.startswith(("rest", "sam"))  # REST decodes the query maps, ALB and 2.0 do not
    tricky = {"a=['1']&b": "2"} if decoded_maps else {"a%3D%5B%271%27%5D%26b": "2"}
    plain = {"a": "1", "b": "2"}
    for _ in range(2):
        assert get(handler, door, "/assets/echo.txt", query=tricky).text == "a%3D%5B%271%27%5D%26b=2"
        assert get(handler, door, "/assets/echo.txt", query=plain).text == "a=1&b=2"
    assert handler.static_cache_stats["stored"] == 2
    assert handler.static_cache_stats["hits"] == 2


# --- memory --------------------------------------------------------------------------------


def test_the_bound_counts_whole_entries_not_only_bodies() -> None:
    """Thousands of long distinct query strings stay within the bound, as measured by tracemalloc."""
    handler = make_lambda_handler(sample_app.build_app, static_cache_mb=4)
    get(handler, "http-api-default", "/assets/logo.png")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1500):
            get(handler, "http-api-default", "/assets/logo.png", query={"cb": f"{n:06d}" + "x" * 4000})
        sample_app.REQUESTS.clear()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    counted = handler.static_cache_stats["bytes"]
    assert counted <= 4 * 1024 * 1024
    assert handler.static_cache_stats["evicted"] > 1000
    assert grown <= counted + 256 * 1024, f"kept {grown:,} B while counting {counted:,} B"


def test_cache_busting_variants_do_not_evict_what_every_page_load_needs() -> None:
    handler = make_lambda_handler(sample_app.build_app, static_cache_mb=16)
    get(handler, "http-api-default", PLOTLY_JS, accept="br")
    for n in range(250):
        busted = get(handler, "http-api-default", PLOTLY_JS, accept="br", query={"cb": f"{n}" + "0" * 8000})
        assert busted.status == 200
    assert handler.static_cache_stats["evicted"] > 100  # the variants evicted each other
    reached = len(sample_app.REQUESTS)
    assert get(handler, "http-api-default", PLOTLY_JS, accept="br").header("age") is not None
    assert len(sample_app.REQUESTS) == reached, "plotly.min.js was still cached"
    assert handler.static_cache_stats["compressed"] == 1  # and the variants shared its bytes


# --- compression ---------------------------------------------------------------------------


def test_plotly_is_compressed_once_per_coding_whoever_asks() -> None:
    handler = make_lambda_handler(sample_app.build_app)
    requests: list[dict[str, Any]] = [
        {"accept": "br"},
        {"accept": "br"},
        {"accept": "br", "headers": {"Authorization": "Bearer x"}},
        {"accept": "gzip", "cookie": "theme=dark"},
        {"accept": "gzip"},
        {"accept": "gzip, br", "query": {"cb": "1"}},
        {"accept": "gzip", "query": {"cb": "2"}, "cookie": "theme=dark"},
    ]
    bodies = set()
    for door in ("rest-stage-url", "http-api-stage"):
        for request in requests:
            got = get(handler, door, PLOTLY_JS, **request)
            assert got.status == 200
            bodies.add(got.body)
    assert len(bodies) == 1
    stats = handler.static_cache_stats
    assert stats["compressed"] == 2, stats  # br and gzip, once each
    assert stats["hits"] >= 2 and stats["revalidated"] >= 2


@pytest.fixture(scope="module")
def vary_handler() -> LambdaHandler:
    return make_lambda_handler(sample_app.build_app)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (PLOTLY_JS, {}),
        ("/assets/app.js", {}),  # too small to compress
        ("/_dash-dependencies", {}),
        ("/big", {"size": "500"}),
    ],
)
@pytest.mark.parametrize("accept", [None, "identity", "gzip"])
def test_compressible_responses_say_they_vary_on_accept_encoding(
    vary_handler: LambdaHandler, path: str, query: dict[str, str], accept: str | None
) -> None:
    for method in ("GET", "HEAD"):
        got = get(vary_handler, "rest-stage-url", path, query=query, accept=accept, method=method)
        assert got.status == 200
        assert "Accept-Encoding" in (got.header("vary") or ""), (path, accept, method)


def test_binary_and_uncompressed_responses_do_not_vary() -> None:
    handler = make_lambda_handler(sample_app.build_app, compress=False)
    for path in (PLOTLY_JS, "/_dash-layout"):
        assert get(handler, "http-api-default", path, accept="gzip").header("vary") is None
    default = make_lambda_handler(sample_app.build_app)
    assert get(default, "http-api-default", "/assets/logo.png", accept="gzip").header("vary") is None
