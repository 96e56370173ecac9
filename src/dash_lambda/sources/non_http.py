"""Events that are not HTTP requests to answer, and which service sent them.

Some look like requests: an API Gateway authorizer event has a method, a
path and headers, a VPC Lattice or Bedrock agent event a method and a path.
Serving them a page would be wrong (an authorizer must return a policy, an
agent a structured answer), so the HTTP sources leave them alone and the
handler raises :class:`~dash_lambda.errors.UnsupportedEventError` with a
message naming the service, which is how a misconfigured trigger is found in
the function's log.

Describing an event must never fail whatever it holds (keys that are not
strings, values nested a thousand deep, a million keys): only bounded
pieces of it are read, and only strings are quoted.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

#: Top-level keys of events that resemble proxy requests but are not ones:
#: authorizers (``methodArn``, ``routeArn``, ``type``), Bedrock agents
#: (``messageVersion``), VPC Lattice (``method``; ``raw_path`` in version 1).
#: No API Gateway, Function URL or ALB proxy event has any of them.
NOT_PROXY_KEYS = frozenset({"methodArn", "routeArn", "type", "messageVersion", "method", "raw_path"})

#: ``eventSource`` values of ``Records`` (and of batches without them) → the service.
_EVENT_SOURCES = {
    "aws:sqs": "Amazon SQS",
    "aws:sns": "Amazon SNS",
    "aws:s3": "Amazon S3",
    "aws:dynamodb": "DynamoDB Streams",
    "aws:kinesis": "Kinesis Data Streams",
    "aws:ses": "Amazon SES",
    "aws:codecommit": "CodeCommit",
    "aws:kafka": "Amazon MSK",
    "SelfManagedKafka": "self-managed Kafka",
    "aws:mq": "Amazon MQ (ActiveMQ)",
    "aws:rmq": "Amazon MQ (RabbitMQ)",
    "aws:docdb": "DocumentDB change streams",
}

#: Keys that together identify other services' events.
_SIGNATURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("awslogs",), "CloudWatch Logs"),
    (("deliveryStreamArn", "records"), "Kinesis Data Firehose"),
    (("triggerSource", "userPoolId"), "an Amazon Cognito user pool trigger"),
    (("RequestType", "ResponseURL"), "a CloudFormation custom resource"),
    (("invocationSchemaVersion", "tasks"), "S3 Batch Operations"),
    (("CodePipeline.job",), "CodePipeline"),
    (("configRuleName",), "an AWS Config rule"),
    (("sessionState", "bot"), "Amazon Lex V2"),
    (("currentIntent", "bot"), "Amazon Lex"),
    (("arguments", "info"), "an AWS AppSync resolver"),
)


def describe_unsupported(event: Mapping[Any, Any]) -> str:
    """The message of the error raised for an event the adapter does not serve."""
    service = _service(event)
    origin = f" from {service}" if service else ""
    return (
        "dash_lambda handles HTTP events (API Gateway, Function URL, ALB) and warm-ups; "
        f"got an event{origin} with keys: {_keys(event)}"
    )


def _service(event: Mapping[Any, Any]) -> str | None:
    kind = event.get("type")
    if "methodArn" in event or "routeArn" in event or kind in ("REQUEST", "TOKEN"):
        return _authorizer(event, kind)
    if "messageVersion" in event and ("agent" in event or "actionGroup" in event):
        return "an Amazon Bedrock agent action group"
    if "raw_path" in event or ("method" in event and "httpMethod" not in event):
        return f"VPC Lattice (event version {'2.0' if event.get('version') == '2.0' else '1.0'})"
    context = event.get("requestContext")
    if isinstance(context, dict) and "eventType" in context:
        route = _text(context.get("routeKey"))
        return f"an API Gateway WebSocket route{f' ({route})' if route else ''}"
    records = event.get("Records")
    if isinstance(records, list) and records:
        return _record_source(records[0])
    source = _text(event.get("eventSource"))
    if source:
        return _named(source)
    source = _text(event.get("source"))
    if source:
        detail = _text(event.get("detail-type"))
        return f"EventBridge (source {source}, detail-type {detail})" if detail else source
    for keys, name in _SIGNATURES:
        if all(key in event for key in keys):
            return name
    return None


def _authorizer(event: Mapping[Any, Any], kind: object) -> str:
    kind_name = kind if kind in ("REQUEST", "TOKEN") else "Lambda"
    version = event.get("version")
    if "routeArn" in event or version == "2.0":
        payload = " (HTTP API, payload 2.0)"
    elif version == "1.0":
        payload = " (HTTP API, payload 1.0)"
    else:
        payload = ""
    return f"an API Gateway {kind_name} authorizer{payload}"


def _record_source(record: object) -> str:
    if not isinstance(record, dict):
        return "a batch of Records"
    if "cf" in record:
        return "CloudFront (Lambda@Edge)"
    # SNS spells the key EventSource; every other service eventSource.
    source = _text(record.get("eventSource")) or _text(record.get("EventSource"))
    return _named(source) if source else "a batch of Records"


def _named(source: str) -> str:
    name = _EVENT_SOURCES.get(source)
    return f"{name} ({source})" if name else source


def _keys(event: Mapping[Any, Any]) -> str:
    names = sorted(_text(key) or f"<{type(key).__name__}>" for key in islice(event, 64))[:12]
    if not names:
        return "no keys"
    more = len(event) - len(names)
    return ", ".join(names) + (f", … ({len(event)} keys)" if more > 0 else "")


def _text(value: object, limit: int = 60) -> str | None:
    """``value`` if it is a non-empty string, cut short and printable; else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = "".join(char if char.isprintable() else "?" for char in value[:limit])
    return text + ("…" if len(value) > limit else "")
