"""The custom resource that fills the CDN bucket, against moto's S3, Lambda and CloudFront on 127.0.0.1.

The app function's package is a real zip holding a real export (the sample
app's), stored where moto's Lambda keeps the function's code.  The only
stand-in is the download of the package: AWS hands out a pre-signed URL on
its own host, which a test cannot reach, so the test reads the same object
from moto's S3.  CloudFormation's pre-signed response URL is a local HTTP
server that records what the function PUTs there.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import os
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from apps import sample_app

from dash_lambda import cdn_upload
from dash_lambda.export import export_static

REGION = "us-east-1"
BUCKET = "dash-static-files"
PACKAGE_BUCKET = "sam-artifacts"
#: What `sam deploy`'s zip gives every file: ZipInfo's default date.
SAM_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample") / "static-files"
    export_static(sample_app.build_app, directory, compress=False)
    return directory


def package(export: Path | None) -> bytes:
    """The app function's zip as `sam deploy` makes it: the export, plus the files Dash dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(zipfile.ZipInfo("app.py", SAM_ZIP_DATE), "lambda_handler = None\n")
        if export is not None:
            manifest = json.loads((export / "manifest.json").read_text())
            for path in export.rglob("*"):
                if path.is_file():
                    info = zipfile.ZipInfo(
                        f"static-files/{path.relative_to(export).as_posix()}", SAM_ZIP_DATE
                    )
                    zipped.writestr(info, path.read_bytes())
            sources = {e["fingerprint"]["source"] for e in manifest["files"].values() if "fingerprint" in e}
            for source in sources:
                zipped.writestr(zipfile.ZipInfo(source, SAM_ZIP_DATE), b"the bundle")
    return buffer.getvalue()


class Aws:
    """Clients for moto's server, and the app function whose package the resource copies."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.cloudfront = boto3.client("cloudfront", region_name=REGION)
        self.awslambda = boto3.client("lambda", region_name=REGION)
        self.s3.create_bucket(Bucket=PACKAGE_BUCKET)
        self.s3.create_bucket(Bucket=BUCKET)
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="app",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        self.role = role
        self.distribution = self.cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "dash",
                "Comment": "",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [{"Id": "app", "DomainName": "example.com"}]},
                "DefaultCacheBehavior": {"TargetOriginId": "app", "ViewerProtocolPolicy": "allow-all"},
            }
        )["Distribution"]["Id"]

    def app_version(self, zip_bytes: bytes) -> str:
        """Publish the app function with this package; its version ARN, as !Ref DashFunction.Version gives."""
        self.s3.put_object(Bucket=PACKAGE_BUCKET, Key="app.zip", Body=zip_bytes)
        self.awslambda.create_function(
            FunctionName="app",
            Runtime="python3.13",
            Role=self.role,
            Handler="app.lambda_handler",
            Code={"S3Bucket": PACKAGE_BUCKET, "S3Key": "app.zip"},
        )
        version: str = self.awslambda.publish_version(FunctionName="app")["FunctionArn"]
        return version

    def keys(self) -> dict[str, dict[str, Any]]:
        found = {}
        for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            found[item["Key"]] = self.s3.get_object(Bucket=BUCKET, Key=item["Key"])
        return found

    def invalidations(self) -> list[list[str]]:
        listed = self.cloudfront.list_invalidations(DistributionId=self.distribution)["InvalidationList"]
        return [
            self.cloudfront.get_invalidation(DistributionId=self.distribution, Id=item["Id"])["Invalidation"][
                "InvalidationBatch"
            ]["Paths"]["Items"]
            for item in listed.get("Items", [])
        ]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    # moto's backends are process-wide: start from nothing, whatever an earlier test left.
    urllib.request.urlopen(
        urllib.request.Request(f"http://{host}:{port}/moto-api/reset", method="POST")
    ).close()
    for name, value in {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(name, value)
    aws = Aws()

    def download(url: str) -> bytes:  # AWS's pre-signed URL, read from moto's S3 instead
        assert url.startswith("https://") and url.endswith("/app.zip"), url
        body: bytes = aws.s3.get_object(Bucket=PACKAGE_BUCKET, Key="app.zip")["Body"].read()
        return body

    monkeypatch.setattr(cdn_upload, "_download", download)
    try:
        yield aws
    finally:
        server.stop()


class CloudFormation:
    """The pre-signed response URL: records the PUTs the function makes."""

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.responses.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/response?signature=x"

    def event(self, request: str, version: str, **extra: Any) -> dict[str, Any]:
        return {
            "RequestType": request,
            "ResponseURL": self.url,
            "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/dash/1",
            "RequestId": f"request-{request}-{len(self.responses)}",
            "LogicalResourceId": "StaticFilesUpload",
            "ResourceType": "Custom::DashStaticFiles",
            "ResourceProperties": {
                "ServiceToken": "arn:aws:lambda:us-east-1:000000000000:function:uploader",
                "Bucket": BUCKET,
                "DistributionId": extra.pop("distribution", ""),
                "AppFunctionVersion": version,
            },
            **extra,
        }


class Context:
    log_stream_name = "2026/01/01/[$LATEST]0123"


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    cloudformation = CloudFormation()
    yield cloudformation
    cloudformation.server.shutdown()


def expected_keys(export: Path) -> dict[str, dict[str, Any]]:
    """Key → manifest entry, with fingerprints at the zip's date (1980-01-01, 315532800)."""
    manifest = json.loads((export / "manifest.json").read_text())["files"]
    keys = {}
    for path, entry in manifest.items():
        key = path.lstrip("/")
        if "fingerprint" in entry:
            key = key.replace(f"m{entry['fingerprint']['mtime']}.", "m315532800.")
        keys[key] = entry
    return keys


def test_create_uploads_the_export_of_the_published_version(
    aws: Aws, cloudformation: CloudFormation, sample_export: Path
) -> None:
    aws.s3.put_object(Bucket=BUCKET, Key="assets/stale.js", Body=b"from an older deploy")
    version = aws.app_version(package(sample_export))
    cdn_upload.handler(cloudformation.event("Create", version, distribution=aws.distribution), Context())
    [response] = cloudformation.responses
    assert response["Status"] == "SUCCESS", response["Reason"]
    assert response["PhysicalResourceId"] == f"{BUCKET}-static-files"
    expected = expected_keys(sample_export)
    assert response["Data"] == {"Files": len(expected)}
    stored = aws.keys()
    assert stored.keys() == expected.keys(), (
        "stale keys deleted, fingerprints dated as the package dates them"
    )
    for key, entry in expected.items():
        obj = stored[key]
        assert hashlib.sha256(obj["Body"].read()).hexdigest() == entry["sha256"], key
        assert obj["ContentType"] == entry["content_type"]
        assert obj["CacheControl"] == (cdn_upload.IMMUTABLE if entry["immutable"] else cdn_upload.REVALIDATE)
    assert any("m315532800." in key for key in stored)
    assert aws.invalidations() == [], "a new distribution has nothing cached"


def test_update_invalidates_the_static_paths(
    aws: Aws, cloudformation: CloudFormation, sample_export: Path
) -> None:
    version = aws.app_version(package(sample_export))
    event = cloudformation.event(
        "Update", version, distribution=aws.distribution, PhysicalResourceId=f"{BUCKET}-static-files"
    )
    cdn_upload.handler(event, Context())
    assert cloudformation.responses[-1]["Status"] == "SUCCESS"
    assert aws.invalidations() == [["/_dash-component-suites/*", "/assets/*", "/_favicon.ico"]]


def test_delete_empties_the_bucket_so_it_can_be_deleted(
    aws: Aws, cloudformation: CloudFormation, sample_export: Path
) -> None:
    version = aws.app_version(package(sample_export))
    cdn_upload.handler(cloudformation.event("Create", version), Context())
    assert aws.keys()
    physical = cloudformation.responses[-1]["PhysicalResourceId"]
    cdn_upload.handler(cloudformation.event("Delete", version, PhysicalResourceId=physical), Context())
    assert cloudformation.responses[-1]["Status"] == "SUCCESS"
    assert cloudformation.responses[-1]["PhysicalResourceId"] == physical
    assert aws.keys() == {}
    aws.s3.delete_bucket(Bucket=BUCKET)
    cdn_upload.handler(cloudformation.event("Delete", version, PhysicalResourceId=physical), Context())
    assert cloudformation.responses[-1]["Status"] == "SUCCESS", "an already deleted bucket is fine"


def test_a_package_without_an_export_fails_the_deploy_with_the_reason(
    aws: Aws, cloudformation: CloudFormation
) -> None:
    version = aws.app_version(package(None))
    cdn_upload.handler(cloudformation.event("Create", version), Context())
    [response] = cloudformation.responses
    assert response["Status"] == "FAILED"
    assert "has no static-files/manifest.json" in response["Reason"]
    assert "STATIC_EXPORT=0" in response["Reason"]
    assert Context.log_stream_name in response["Reason"]


@pytest.mark.parametrize(
    ("zip_date", "key"),
    [
        ((2026, 11, 1, 10, 0, 0), "_dash-component-suites/dash/x.v4_4_1m1793527200.js"),
        (SAM_ZIP_DATE, "_dash-component-suites/dash/x.v4_4_1m315532800.js"),
    ],
)
def test_a_fingerprint_follows_the_date_the_package_gives_its_file(
    zip_date: tuple[int, int, int, int, int, int], key: str
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("dash/x.js", zip_date), b"x")
    path = "/_dash-component-suites/dash/x.v4_4_1m1793527200.js"
    fingerprint = {"source": "dash/x.js", "mtime": 1793527200}
    with zipfile.ZipFile(buffer) as zipped:
        assert cdn_upload._runtime_key(zipped, path, fingerprint) == key
        assert cdn_upload._runtime_key(zipped, path, {**fingerprint, "source": "missing.js"}) == path[1:]
        assert cdn_upload._runtime_key(zipped, "/assets/a.js", None) == "assets/a.js"
