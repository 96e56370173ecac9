"""Section 4: response sizes as served, compressed and as Lambda serializes them."""

from __future__ import annotations

import base64
import gzip
import json
import time
from dataclasses import dataclass
from typing import Any

from common import LAMBDA_LIMIT, PLOTLY_PATH, comparable, median, nbytes, table, verdict

PLOTLY_GZIP_TARGET = 1_600_000
CODINGS = {"identity": None, "gzip": "gzip", "br": "gzip, deflate, br"}
DOORS = {"http-api-default": "2.0", "rest-stage-url": "1.0"}
PATHS = {"plotly.min.js": PLOTLY_PATH, "index `/`": "/", "`_dash-layout`": "/_dash-layout"}


@dataclass
class Served:
    door: str
    resource: str
    coding: str
    status: int
    content_encoding: str | None
    wire: int
    body_field: int
    lambda_size: int
    serialize_s: float
    first_s: float
    warm_s: float
    same_content: bool


@dataclass
class SizeResult:
    served: list[Served]
    raw_plotly: int
    reference_gzip9: int
    seconds: float

    def get(self, door: str, resource: str, coding: str) -> Served:
        return next(s for s in self.served if (s.door, s.resource, s.coding) == (door, resource, coding))


def _header(response: dict[str, Any], name: str) -> str | None:
    for key, value in (response.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    for key, values in (response.get("multiValueHeaders") or {}).items():
        if key.lower() == name:
            return str(values[-1])
    return None


def _serialize_time(response: dict[str, Any]) -> float:
    """What the runtime spends turning the response into JSON after the handler returned."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        json.dumps(response)
        best = min(best, time.perf_counter() - started)
    return best


def run(*, quick: bool) -> SizeResult:
    from apps.sample_app import build_app
    from dash_lambda import make_lambda_handler
    from lambda_events import FakeContext, decode, drop_header, event_for

    started = time.perf_counter()
    handler = make_lambda_handler(build_app)  # a fresh sandbox: the static cache starts empty
    context = FakeContext()
    served: list[Served] = []
    identity: dict[tuple[str, str], bytes] = {}
    warm_calls = 3 if quick else 7
    for door in DOORS:
        for resource, path in PATHS.items():
            for coding, accept in CODINGS.items():
                event = event_for(door, path)
                if accept is None:
                    drop_header(event, "Accept-Encoding")
                else:
                    event = event_for(door, path, headers={"Accept-Encoding": accept})
                t0 = time.perf_counter()
                response = handler(event, context)
                first = time.perf_counter() - t0
                warm = []
                for _ in range(warm_calls):
                    t0 = time.perf_counter()
                    again = handler(event, context)
                    warm.append(time.perf_counter() - t0)
                    del again
                body = response.get("body") or ""
                wire = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
                content = comparable(decode(response).body)
                identity.setdefault((door, resource), content)
                served.append(
                    Served(
                        door=door,
                        resource=resource,
                        coding=coding,
                        status=response["statusCode"],
                        content_encoding=_header(response, "content-encoding"),
                        wire=len(wire),
                        body_field=len(body),
                        lambda_size=len(json.dumps(response)),
                        serialize_s=_serialize_time(response),
                        first_s=first,
                        warm_s=median(warm),
                        same_content=content == identity[(door, resource)],
                    )
                )
    raw = identity[("http-api-default", "plotly.min.js")]
    return SizeResult(served, len(raw), len(gzip.compress(raw, 9)), time.perf_counter() - started)


def report(result: SizeResult, plotly_warm_ratio: dict[str, float] | None = None) -> str:
    rows = []
    for door, version in DOORS.items():
        for resource in PATHS:
            for coding in CODINGS:
                s = result.get(door, resource, coding)
                note = [] if s.status == 200 else [f"status {s.status}"]
                if not s.same_content:
                    note.append("**decodes to different content**")
                if (s.content_encoding or "identity") != coding:
                    why = " (under compress_min_bytes)" if s.wire < 1024 else ""
                    note.append(f"sent as {s.content_encoding or 'identity'}{why}")
                rows.append(
                    [
                        f"{resource} ({version})",
                        coding,
                        nbytes(s.wire),
                        f"{s.lambda_size:,} B ({s.lambda_size / LAMBDA_LIMIT:.0%} of 6 MB)",
                        f"{s.first_s * 1e3:.2f} ms",
                        f"{s.warm_s * 1e3:.3f} ms",
                        f"{s.serialize_s * 1e3:.2f} ms",
                        "; ".join(note),
                    ]
                )
    gz = result.get("http-api-default", "plotly.min.js", "gzip")
    br = result.get("http-api-default", "plotly.min.js", "br")
    lines = [
        "## 4. Compressed sizes",
        "",
        "As served by a fresh default handler: *wire* is the body the browser receives (base64 decoded), "
        "*Lambda response* the serialized JSON the function returns (limit "
        f"{LAMBDA_LIMIT:,} B; measured with `json.dumps`, as the Python runtime's marshaller escapes "
        "non-ASCII before python3.12, a few bytes more than 3.12+ sends). *first* is the sandbox's first "
        "request for it (for plotly.min.js: read, compress, encode, then kept in the static cache); *warm* "
        "the median of the next ones; *serialize* the `json.dumps` of the response, which the runtime does "
        "after the handler returns (billed, and not in the handler's time).",
        "",
        table(
            ["resource", "coding", "wire", "Lambda response", "first", "warm", "serialize", "note"],
            rows,
            "llrrrrrl",
        ),
        "",
        f"plotly.min.js raw {result.raw_plotly:,} B; for reference `gzip -9` of it: "
        f"{result.reference_gzip9:,} B. Served with gzip: {gz.wire:,} B — target ≤ {PLOTLY_GZIP_TARGET:,} B: "
        f"{verdict(gz.status == 200 and gz.wire <= PLOTLY_GZIP_TARGET)}; with br: {br.wire:,} B "
        f"({br.wire / gz.wire:.0%} of gzip).",
        "",
    ]
    if plotly_warm_ratio:
        parts = [f"{door} {value:.3f}×" for door, value in plotly_warm_ratio.items()]
        ok = all(value <= 1.10 for value in plotly_warm_ratio.values())
        lines += [
            "Warm gzip plotly.min.js request ÷ uncompressed direct WSGI call (section 1, column (c)): "
            f"{', '.join(parts)} — target ≤ 1.10×: {verdict(ok)}.",
            "",
        ]
    return "\n".join(lines)
