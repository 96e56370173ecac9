"""Thousands of generated malformed and odd events: the handler never crashes.

Every event either raises the documented UnsupportedEventError or gets a
response that is valid for the front door it looks like: the right keys,
the right types, no CR/LF in a header, a base64 body that decodes, and JSON
Lambda can serialize.

Two kinds of damage.  Field-level: hypothesis replaces, removes or nulls
fields and puts odd paths and bodies in.  Structural, run exhaustively over
every fixture in ``events/`` and then combined by hypothesis: a value of the
wrong type at every key, a lone surrogate in every string and every key,
nesting ~1,000 levels deep at every key, and maps of 10,000 headers, query
parameters or cookies.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_events import EVENTS_DIR, HTTP_FIXTURES, FakeContext, load

from dash_lambda import LambdaHandler, UnsupportedEventError
from dash_lambda.sources import find_source
from dash_lambda.sources.http_api import PayloadV2Source

FIXTURES = {name: load(name) for name in HTTP_FIXTURES}
#: Every fixture in events/, the warm-up ping included: structural damage may turn any into any other.
ALL_FIXTURES = {path.stem: load(path.stem) for path in sorted(EVENTS_DIR.glob("*.json"))}
PATHS = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/logo.png", "/health", "/cookies", "/nope"]

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
odd_paths = st.one_of(
    st.sampled_from(PATHS),
    st.text(max_size=30).map(lambda text: "/" + text),
    st.text(max_size=30),
    st.sampled_from(["/%2e%2e/", "//", "/Prod", "/Prod/", "/dash", "/{proxy+}", "/%ZZ", "/\x00"]),
)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A fixture with some fields replaced, removed or nulled."""
    event = copy.deepcopy(FIXTURES[draw(st.sampled_from(sorted(FIXTURES)))])
    for _ in range(draw(st.integers(0, 4))):
        target = event
        if draw(st.booleans()) and isinstance(event.get("requestContext"), dict):
            target = event["requestContext"]
            if draw(st.booleans()) and isinstance(target.get("http"), dict):
                target = target["http"]
        keys = sorted(target)
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["delete", "null", "replace", "path"]))
        if action == "delete":
            del target[key]
        elif action == "null":
            target[key] = None
        elif action == "replace":
            target[key] = draw(json_value)
        else:
            target[key] = draw(odd_paths)
    for field in ("path", "rawPath"):
        if field in event and draw(st.booleans()):
            event[field] = draw(odd_paths)
    if draw(st.booleans()):
        event["body"] = draw(
            st.one_of(
                st.text(max_size=40), st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode())
            )
        )
        event["isBase64Encoded"] = draw(st.one_of(st.booleans(), json_leaf))
    return event


any_event = st.one_of(
    mutated_events(),
    mutated_events(),
    mutated_events(),
    st.dictionaries(
        st.sampled_from(
            ["httpMethod", "path", "version", "requestContext", "rawPath", "headers", "source", "body"]
        ),
        json_value,
        max_size=6,
    ),
    st.dictionaries(st.text(max_size=10), json_value, max_size=5),
)


def assert_valid_proxy_response(event: dict[str, Any], response: dict[str, Any]) -> None:
    json.dumps(response)  # Lambda must be able to serialize it
    if "warmed" in response:
        return
    assert type(response["statusCode"]) is int and 100 <= response["statusCode"] <= 599
    assert isinstance(response["body"], str)
    assert isinstance(response["isBase64Encoded"], bool)
    if response["isBase64Encoded"]:
        base64.b64decode(response["body"], validate=True)
    source = find_source(event)
    assert source is not None
    if isinstance(source, PayloadV2Source):  # HTTP APIs and Function URLs
        assert isinstance(response["headers"], dict)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in response["headers"].items())
        assert isinstance(response["cookies"], list) and all(isinstance(c, str) for c in response["cookies"])
        lines = [*response["headers"], *response["headers"].values(), *response["cookies"]]
    else:
        assert ("headers" in response) != ("multiValueHeaders" in response)
        if "multiValueHeaders" in response:
            assert all(
                isinstance(v, list) and all(isinstance(i, str) for i in v)
                for v in response["multiValueHeaders"].values()
            )
            lines = [
                *response["multiValueHeaders"],
                *(i for v in response["multiValueHeaders"].values() for i in v),
            ]
        else:
            assert all(isinstance(v, str) for v in response["headers"].values())
            lines = [*response["headers"], *response["headers"].values()]
    assert all(isinstance(line, str) and "\r" not in line and "\n" not in line for line in lines)


def outcome(handler: LambdaHandler, event: dict[str, Any]) -> str | None:
    """``None`` if the handler behaved (the documented exception or a valid response), else what went wrong."""
    try:
        response = handler(event, FakeContext())
    except UnsupportedEventError as error:
        return None if "dash_lambda handles HTTP events" in str(error) else f"unexpected message: {error}"
    except Exception as error:
        return f"raised {type(error).__name__}: {str(error)[:120]}"
    try:
        assert_valid_proxy_response(event, response)
    except (AssertionError, KeyError, TypeError, ValueError) as error:
        return f"invalid response {type(error).__name__}: {str(error)[:120]} — {str(response)[:200]}"
    return None


@settings(max_examples=3_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(event=any_event)
def test_generated_events_never_crash_the_handler(handler: LambdaHandler, event: dict[str, Any]) -> None:
    try:
        response = handler(event, FakeContext())
    except UnsupportedEventError as error:
        assert "dash_lambda handles HTTP events" in str(error)
        return
    assert_valid_proxy_response(event, response)


# --- Structural damage -------------------------------------------------------------------------

Path = tuple[str | int, ...]

#: One value of each JSON type, and the empty and non-empty containers.
WRONG_TYPES: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], ["x"], {}, {"x": "y"}]
DEPTH = 1_000
HUGE = 10_000
SURROGATES = ("\ud800", "\udfff")
HUGE_MAPS = (
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "rawQueryString",
    "cookies",
)


def key_paths(value: Any, path: Path = ()) -> Iterator[Path]:
    """The path of every value inside a JSON document, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield (*path, key)
        yield from key_paths(item, (*path, key))


def at(document: Any, path: Path) -> Any:
    for key in path:
        document = document[key]
    return document


def replaced(event: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A copy of ``event`` with ``value`` at ``path`` (``value`` itself is not copied: it may be deep)."""
    copied = copy.deepcopy(event)
    at(copied, path[:-1])[path[-1]] = value
    return copied


def renamed(event: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
    """A copy of ``event`` whose key at ``path`` is called ``name``."""
    copied = copy.deepcopy(event)
    parent = at(copied, path[:-1])
    parent[name] = parent.pop(path[-1])
    return copied


def nested(depth: int, leaf: Any = "/") -> Any:
    """``leaf`` inside ``depth`` alternating lists and maps: recursion trips over it, iteration does not."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


def with_surrogate(text: str, surrogate: str, at_end: bool) -> str:
    return text + surrogate if at_end else surrogate + text


def huge(key: str, size: int) -> Any:
    if key == "rawQueryString":
        return "&".join(f"q{i}={i}" for i in range(size))
    if key == "cookies":
        return [f"c{i}={i}" for i in range(size)]
    if key.startswith("multiValue"):
        return {f"x-k{i}": [str(i)] for i in range(size)}
    return {f"x-k{i}": str(i) for i in range(size)}


def wrong_types(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in key_paths(event):
        current = at(event, path)
        for value in WRONG_TYPES:
            if type(value) is type(current):
                continue  # same type, other value: the field-level fuzzing covers those
            yield f"{path} = {value!r}", replaced(event, path, value)


def lone_surrogates(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in key_paths(event):
        current = at(event, path)
        for index, surrogate in enumerate(SURROGATES):
            if isinstance(current, str):
                yield (
                    f"{path} value + {surrogate!r}",
                    replaced(event, path, with_surrogate(current, surrogate, index == 0)),
                )
            if isinstance(path[-1], str):
                yield (
                    f"{path} key + {surrogate!r}",
                    renamed(event, path, with_surrogate(path[-1], surrogate, index == 0)),
                )


def deep_nesting(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in key_paths(event):
        yield f"{path} nested {DEPTH} deep", replaced(event, path, nested(DEPTH))
    for key in ("body", "headers", "queryStringParameters", "requestContext", "pathParameters"):
        yield f"({key!r},) nested {DEPTH} deep (added)", {**event, key: nested(DEPTH)}


def huge_maps(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in HUGE_MAPS:
        yield f"({key!r},) with {HUGE} entries", {**event, key: huge(key, HUGE)}


STRUCTURAL = {
    "wrong-type": wrong_types,
    "lone-surrogate": lone_surrogates,
    "deep-nesting": deep_nesting,
    "huge-map": huge_maps,
}


@pytest.mark.parametrize("fixture", sorted(ALL_FIXTURES))
@pytest.mark.parametrize("damage", sorted(STRUCTURAL))
def test_structural_damage_at_every_key_never_crashes_the_handler(
    handler: LambdaHandler, fixture: str, damage: str
) -> None:
    """Exhaustive: every key of the fixture, every kind of damage; all failures listed at once."""
    failures = []
    for what, event in STRUCTURAL[damage](ALL_FIXTURES[fixture]):
        wrong = outcome(handler, event)
        if wrong is not None:
            failures.append(f"{what}: {wrong}")
    assert not failures, f"{len(failures)} failures, e.g.\n" + "\n".join(failures[:10])


def test_the_structural_damage_reaches_every_key() -> None:
    """The exhaustive test cannot pass by generating nothing."""
    event = ALL_FIXTURES["rest-stage-url"]
    count = sum(1 for _ in key_paths(event))
    assert count > 40
    assert sum(1 for _ in wrong_types(event)) > 8 * count
    assert sum(1 for _ in deep_nesting(event)) == count + 5
    assert sum(1 for what, _ in lone_surrogates(event) if "key" in what) == 2 * sum(
        1 for path in key_paths(event) if isinstance(path[-1], str)
    )


#: A step of a combined recipe: (kind, index into the fixture's key paths, parameter).
Step = tuple[str, int, Any]


@st.composite
def recipes(draw: st.DrawFn) -> tuple[str, list[Step]]:
    """A fixture and a few structural steps, printed readably when hypothesis reports a failure."""
    name = draw(st.sampled_from(sorted(ALL_FIXTURES)))
    count = sum(1 for _ in key_paths(ALL_FIXTURES[name]))
    kinds = st.sampled_from(["wrong-type", "wrong-type", "surrogate", "surrogate", "deep", "huge"])
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(kinds)
        index = draw(st.integers(0, count - 1))
        if kind == "wrong-type":
            parameter: Any = draw(json_value)
        elif kind == "surrogate":
            parameter = (draw(st.sampled_from(SURROGATES)), draw(st.booleans()))
        elif kind == "deep":
            parameter = draw(st.integers(DEPTH - 100, DEPTH + 100))
        else:
            parameter = (draw(st.sampled_from(HUGE_MAPS)), draw(st.sampled_from([100, HUGE])))
        steps.append((kind, index, parameter))
    return name, steps


def cook(name: str, steps: list[Step]) -> dict[str, Any]:
    """Apply the steps in order; a step whose key an earlier step removed is skipped."""
    event = copy.deepcopy(ALL_FIXTURES[name])
    paths = list(key_paths(ALL_FIXTURES[name]))
    for kind, index, parameter in steps:
        path = paths[index]
        try:
            parent = at(event, path[:-1])
            current = parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        if kind == "wrong-type":
            parent[path[-1]] = parameter
        elif kind == "surrogate":
            surrogate, at_end = parameter
            if isinstance(current, str):
                parent[path[-1]] = with_surrogate(current, surrogate, at_end)
            elif isinstance(path[-1], str):
                parent[with_surrogate(path[-1], surrogate, at_end)] = parent.pop(path[-1])
        elif kind == "deep":
            parent[path[-1]] = nested(parameter)
        else:
            key, size = parameter
            event[key] = huge(key, size)
    return event


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(recipe=recipes())
def test_combined_structural_damage_never_crashes_the_handler(
    handler: LambdaHandler, recipe: tuple[str, list[Step]]
) -> None:
    wrong = outcome(handler, cook(*recipe))
    assert wrong is None, wrong
