"""The size check: cheap bounds that never under-count what Lambda serializes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dash_lambda.limits import _escaped_bound, oversize


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_escaped_bound_never_under_counts(text: str) -> None:
    assert _escaped_bound(text, text.encode("utf-8", "surrogatepass")) >= len(json.dumps(text))


def test_text_between_a_sixth_of_the_limit_and_the_limit_is_bounded_from_its_bytes() -> None:
    text = '{"a": "b"}\n' * 100_000  # 1.1 MB, 36% of it escaped
    response = {"statusCode": 200, "headers": {}, "body": text, "isBase64Encoded": False}
    exact = len(json.dumps(response))
    assert oversize(response, exact + 10, text.encode()) is None
    assert oversize(response, exact - 10, text.encode()) is not None
    assert oversize(response, exact - 10) is not None


def test_base64_bodies_count_as_they_are() -> None:
    response = {"statusCode": 200, "headers": {}, "body": "A" * 2_000_000, "isBase64Encoded": True}
    assert oversize(response, 1_000_000) is not None
    assert oversize(response, 3_000_000) is None
