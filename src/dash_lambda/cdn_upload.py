"""CloudFormation custom resource: fill the CDN bucket from the app function's own package.

With ``StaticFiles=Cdn`` the template's ``StaticFilesUpload`` resource runs
this module (copied alone into its function's package by
``frontend/Makefile``; it needs only the standard library and the boto3 the
Lambda runtime provides).  It must not import the rest of dash_lambda.

On Create and Update it fetches the deployment package of the app function's
published version (``lambda:GetFunction`` gives a short-lived URL), reads
the export ``sam build`` put in it (``static-files/manifest.json``), uploads
every exported file under its URL path with its ``Content-Type`` and a
``Cache-Control`` for CloudFront and browsers, deletes the keys the new
export no longer has, and, on Update, invalidates CloudFront's copies of the
static paths.  On Delete it empties the bucket so CloudFormation can delete
it.  The bucket therefore always holds the files of the version the alias
points at, and ``sam deploy`` alone keeps it filled.

Dash fingerprints bundle URLs with the file's mtime where the app runs.
The Makefile sets the package's mtimes to the time ``sam deploy``'s zip
gives every file (1980-01-01), so the export's names are already the
runtime's; if the package's zip says otherwise, the key is renamed to the
time the zip gives the file.  A key that still differs is fetched by
CloudFront from the function instead (its origin group fails over on 403/404).
"""

from __future__ import annotations

import calendar
import io
import json
import logging
import re
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)

STATIC_DIR = "static-files"
MANIFEST_NAME = "manifest.json"
#: What CloudFront caches; the same three paths the template's behaviours route to the bucket.
INVALIDATION_PATHS = ["/_dash-component-suites/*", "/assets/*", "/_favicon.ico"]
#: Fingerprinted URLs never change content.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Other files may change with a deploy: browsers revalidate (CloudFront answers 304),
#: CloudFront keeps them until the next deploy's invalidation.
REVALIDATE = "public, max-age=0, s-maxage=31536000"
UPLOAD_THREADS = 8

#: Downloads the package from GetFunction's pre-signed URL (replaceable in tests, which cannot reach it).
Download = Callable[[str], bytes]


class UploadError(Exception):
    """A problem worth telling CloudFormation about in one line."""


def handler(event: dict[str, Any], context: Any) -> None:
    """The custom resource's entry point; always answers CloudFormation, never raises."""
    physical_id = event.get("PhysicalResourceId") or f"{event['ResourceProperties']['Bucket']}-static-files"
    status, reason, data = "SUCCESS", "", {}
    try:
        data = handle(event)
    except Exception as error:
        logger.exception("static files: %s failed", event.get("RequestType"))
        stream = getattr(context, "log_stream_name", "the function's log")
        status, reason = "FAILED", f"{type(error).__name__}: {error} (details in {stream})"[:1000]
    _respond(event, status, reason, physical_id, data)


def handle(event: dict[str, Any], download: Download | None = None) -> dict[str, Any]:
    """Do what ``event`` asks; return the custom resource's attributes."""
    import boto3  # provided by the Lambda runtime

    props = event["ResourceProperties"]
    bucket = props["Bucket"]
    s3 = boto3.client("s3")
    if event["RequestType"] == "Delete":
        removed = _delete_all_but(s3, bucket, keep=set())
        logger.info("static files: emptied %s (%d objects)", bucket, removed)
        return {"Files": 0}
    package = _package(boto3.client("lambda"), props["AppFunctionVersion"], download or _download)
    files = dict(_files(package))
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        list(pool.map(lambda item: _put(s3, bucket, *item), files.items()))
    removed = _delete_all_but(s3, bucket, keep=set(files))
    logger.info("static files: uploaded %d to %s, deleted %d stale", len(files), bucket, removed)
    if event["RequestType"] == "Update" and props.get("DistributionId"):
        boto3.client("cloudfront").create_invalidation(
            DistributionId=props["DistributionId"],
            InvalidationBatch={
                "Paths": {"Quantity": len(INVALIDATION_PATHS), "Items": INVALIDATION_PATHS},
                "CallerReference": event["RequestId"],
            },
        )
    return {"Files": len(files)}


def _package(lambda_client: Any, function: str, download: Download) -> zipfile.ZipFile:
    location = lambda_client.get_function(FunctionName=function)["Code"]["Location"]
    return zipfile.ZipFile(io.BytesIO(download(location)))


def _download(url: str) -> bytes:
    if not url.startswith("https://"):
        raise UploadError("GetFunction returned a code location that is not HTTPS")
    with urllib.request.urlopen(url, timeout=120) as response:
        body: bytes = response.read()
    return body


def _files(package: zipfile.ZipFile) -> Iterator[tuple[str, tuple[bytes, str, str]]]:
    """(key, (body, content type, cache control)) of every exported file."""
    try:
        manifest = json.loads(package.read(f"{STATIC_DIR}/{MANIFEST_NAME}"))
    except KeyError:
        raise UploadError(
            f"the app function's package has no {STATIC_DIR}/{MANIFEST_NAME}; `sam build` writes it "
            "(frontend/Makefile, unless STATIC_EXPORT=0)"
        ) from None
    for path, entry in manifest["files"].items():
        body = package.read(STATIC_DIR + path)
        cache_control = IMMUTABLE if entry.get("immutable") else REVALIDATE
        yield (
            _runtime_key(package, path, entry.get("fingerprint")),
            (body, entry["content_type"], cache_control),
        )


def _runtime_key(package: zipfile.ZipFile, path: str, fingerprint: dict[str, Any] | None) -> str:
    """The key for ``path``, its fingerprint moved to the mtime the package gives the source file."""
    key = path.lstrip("/")
    if not fingerprint:
        return key
    try:
        info = package.getinfo(fingerprint["source"])
    except KeyError:
        return key
    mtime = calendar.timegm((*info.date_time, 0, 0, 0))  # Lambda extracts in UTC
    if mtime == fingerprint["mtime"]:
        return key
    head, _, name = key.rpartition("/")
    renamed = re.sub(rf"(\.v[\w-]+m){fingerprint['mtime']}\.", rf"\g<1>{mtime}.", name, count=1)
    logger.info("static files: %s is fingerprinted %s in the package", key, mtime)
    return f"{head}/{renamed}" if head else renamed


def _put(s3: Any, bucket: str, key: str, file: tuple[bytes, str, str]) -> None:
    body, content_type, cache_control = file
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl=cache_control)


def _delete_all_but(s3: Any, bucket: str, keep: set[str]) -> int:
    stale: list[str] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            stale += [item["Key"] for item in page.get("Contents", []) if item["Key"] not in keep]
    except s3.exceptions.NoSuchBucket:
        return 0
    for start in range(0, len(stale), 1000):
        batch = [{"Key": key} for key in stale[start : start + 1000]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return len(stale)


def _respond(event: dict[str, Any], status: str, reason: str, physical_id: str, data: dict[str, Any]) -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        logger.info("static files: told CloudFormation %s (HTTP %s)", status, response.status)
