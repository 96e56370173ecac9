"""Where background jobs keep their state: a place every sandbox of the function reaches.

A job is started by one invocation, runs in another and is polled by
others still, each possibly in a different sandbox, so nothing can live in
memory or in ``/tmp``.  The store is a flat map of names to small JSON
documents with four operations; the job logic (:mod:`.records`) is written
against that, and two stores implement it:

* :class:`S3Store`, for Lambda.  S3 rather than DynamoDB: a callback's
  result (a figure, a table) is often larger than DynamoDB's 400 KB item
  limit and so are arguments past the 256 KB async payload, which would
  need S3 beside the table anyway; S3 has no size limit, needs no capacity,
  expires old job data with a lifecycle rule, is strongly consistent for
  reads after writes and offers create-if-absent writes (``If-None-Match``)
  for claiming a job once.  Its extra latency (tens of ms per request) is
  small next to Dash's one-second polling interval.
* :class:`DiskStore`, a directory: the default for ``dash-lambda serve``,
  ``python app.py`` and a single container, where all "sandboxes" share a disk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import ConfigError, DashLambdaError

ENV_JOBS_BUCKET = "DASH_LAMBDA_JOBS_BUCKET"
ENV_JOBS_PREFIX = "DASH_LAMBDA_JOBS_PREFIX"
ENV_JOBS_DIR = "DASH_LAMBDA_JOBS_DIR"
DEFAULT_S3_PREFIX = "dash-lambda-jobs/"
#: Job data older than this is removed when a :class:`DiskStore` opens (S3 uses a lifecycle rule).
DISK_EXPIRY_SECONDS = 24 * 3600


@runtime_checkable
class JobStore(Protocol):
    """A map of names to bytes, shared by every sandbox.

    Names are ``secret`` or ``KEY/DOCUMENT`` (hex digits, lower-case letters,
    digits, ``-`` and ``.``), so they are safe as S3 keys and as file paths.
    """

    @property
    def location(self) -> str:
        """A URL naming the store (``s3://bucket/prefix``, ``file:///dir``), carried in job events."""
        ...

    def get(self, name: str) -> bytes | None:
        """The bytes stored under ``name``, or None."""
        ...

    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name``, replacing what was there."""
        ...

    def put_new(self, name: str, data: bytes) -> bool:
        """Store ``data`` under ``name`` only if nothing is there; whether it was stored (atomic)."""
        ...

    def delete(self, names: Sequence[str]) -> None:
        """Remove ``names``; missing ones are ignored."""
        ...


class StoreError(DashLambdaError, RuntimeError):
    """The store could not be read or written."""


# ------------------------------------------------------------------- disk


class DiskStore:
    """A directory on local disk: one file per name, written atomically."""

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        chosen = directory or os.environ.get(ENV_JOBS_DIR) or Path(tempfile.gettempdir(), "dash-lambda-jobs")
        self.directory = Path(chosen).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        _prune(self.directory, time.time() - DISK_EXPIRY_SECONDS)

    @property
    def location(self) -> str:
        return self.directory.as_uri()

    def __repr__(self) -> str:
        return f"DiskStore({str(self.directory)!r})"

    def _path(self, name: str) -> Path:
        return self.directory.joinpath(*name.split("/"))

    def get(self, name: str) -> bytes | None:
        try:
            return self._path(name).read_bytes()
        except FileNotFoundError:
            return None

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        temporary = self._write_temporary(path, data)
        os.replace(temporary, path)

    def put_new(self, name: str, data: bytes) -> bool:
        path = self._path(name)
        temporary = self._write_temporary(path, data)
        try:
            os.link(temporary, path)  # atomic, and fails if the name exists
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        return True

    def delete(self, names: Sequence[str]) -> None:
        for name in names:
            path = self._path(name)
            path.unlink(missing_ok=True)
            if path.parent != self.directory:
                with contextlib.suppress(OSError):  # not empty yet, or gone
                    path.parent.rmdir()

    def _write_temporary(self, path: Path, data: bytes) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        return temporary


def _prune(directory: Path, older_than: float) -> None:
    """Remove job folders untouched since ``older_than`` (a job's files all change while it lives)."""
    for child in directory.iterdir():
        try:
            if child.is_dir() and child.stat().st_mtime < older_than:
                for file in child.iterdir():
                    file.unlink(missing_ok=True)
                child.rmdir()
        except OSError:  # another process pruning at the same time
            continue


# --------------------------------------------------------------------- S3


class S3Store:
    """Objects under ``prefix`` in an S3 bucket, through boto3 (imported when first used).

    ``client`` is a boto3 S3 client; by default one is made with short
    timeouts, so a slow S3 request cannot use up a poll's 29 s.  The
    function's role needs ``s3:GetObject``, ``s3:PutObject`` and
    ``s3:DeleteObject`` on ``bucket/prefix*`` and ``s3:ListBucket`` on the
    bucket (without it S3 answers 403 instead of 404 for a missing object).
    """

    def __init__(self, bucket: str, prefix: str = DEFAULT_S3_PREFIX, *, client: Any = None) -> None:
        if not bucket:
            raise ConfigError("S3Store needs a bucket name")
        self.bucket = bucket
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self._client = client

    @classmethod
    def from_environment(cls) -> S3Store | None:
        """The store the template configures (``DASH_LAMBDA_JOBS_BUCKET``), or None."""
        bucket = os.environ.get(ENV_JOBS_BUCKET, "").strip()
        if not bucket:
            return None
        prefix = os.environ.get(ENV_JOBS_PREFIX, "").strip() or DEFAULT_S3_PREFIX
        return cls(bucket, prefix)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def __repr__(self) -> str:
        return f"S3Store({self.bucket!r}, {self.prefix!r})"

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=5, read_timeout=15, retries={"max_attempts": 3, "mode": "standard"}
            )
            self._client = boto3.client("s3", config=config)
        return self._client

    def get(self, name: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
            data: bytes = response["Body"].read()
            return data
        except Exception as error:
            if _error_code(error) in ("NoSuchKey", "404"):
                return None
            raise StoreError(f"reading {self.location}{name} failed: {error}") from error

    def put(self, name: str, data: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + name, Body=data, ContentType="application/json"
            )
        except Exception as error:
            raise StoreError(f"writing {self.location}{name} failed: {error}") from error

    def put_new(self, name: str, data: bytes) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + name,
                Body=data,
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except Exception as error:
            # 412: the object exists; 409: another conditional write to it is in flight.
            if _error_code(error) in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            if type(error).__name__ == "ParamValidationError":
                raise StoreError(
                    "this botocore cannot make conditional S3 writes (IfNoneMatch); "
                    "ship boto3>=1.35 with the function"
                ) from error
            raise StoreError(f"creating {self.location}{name} failed: {error}") from error
        return True

    def delete(self, names: Sequence[str]) -> None:
        if not names:
            return
        objects = [{"Key": self.prefix + name} for name in names]
        try:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        except Exception as error:
            raise StoreError(f"deleting from {self.location} failed: {error}") from error


def _error_code(error: Exception) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None
