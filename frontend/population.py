"""Population data for the example dashboard: a small CSV from S3 or bundled with the app.

The deployment decides the source: when the template sets ``DATA_BUCKET`` and
``DATA_KEY`` the CSV is read from that S3 object (boto3 ships with the Lambda
Python runtime, so it is not packaged with the function); otherwise the copy in
``data/population.csv`` next to this module is used.

The table is loaded once per process and cached: Lambda reuses the process
for many requests, and ``build_app`` may run several times (one Dash app per
URL prefix), so neither a request nor a rebuilt app should reach S3 again.
"""

from __future__ import annotations

import csv
import functools
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BUNDLED_CSV = Path(__file__).resolve().parent / "data" / "population.csv"
BUCKET_ENV = "DATA_BUCKET"
KEY_ENV = "DATA_KEY"
REQUIRED_COLUMNS = ("country", "year", "pop")


class PopulationDataError(RuntimeError):
    """The configured data source could not be read or is not a population CSV."""


@dataclass(frozen=True)
class PopulationTable:
    """Population by country and year, plus where it came from (shown on the page)."""

    source: str
    by_country: Mapping[str, tuple[tuple[int, int], ...]] = field(repr=False)

    @property
    def countries(self) -> list[str]:
        """Country names in alphabetical order, for the dropdown."""
        return sorted(self.by_country)

    def series(self, country: str) -> tuple[list[int], list[int]]:
        """Years and populations of one country, oldest first; empty lists if unknown."""
        rows = self.by_country.get(country, ())
        return [year for year, _ in rows], [pop for _, pop in rows]


def parse_csv(text: str, source: str) -> PopulationTable:
    """Parse ``country,year,pop`` rows; raise PopulationDataError naming the source on bad data."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise PopulationDataError(f"{source}: missing column(s) {', '.join(missing)}")
    grouped: dict[str, list[tuple[int, int]]] = {}
    for line_no, row in enumerate(reader, start=2):
        try:
            year, pop = int(row["year"]), int(float(row["pop"]))
        except (TypeError, ValueError) as exc:
            raise PopulationDataError(f"{source}: line {line_no}: {exc}") from exc
        grouped.setdefault(row["country"].strip(), []).append((year, pop))
    if not grouped:
        raise PopulationDataError(f"{source}: no data rows")
    return PopulationTable(source, {c: tuple(sorted(rows)) for c, rows in grouped.items()})


def s3_location(environ: Mapping[str, str]) -> tuple[str, str] | None:
    """The ``(bucket, key)`` to read, or None for the bundled CSV.

    Empty values count as unset, because a SAM template cannot omit an
    environment variable conditionally as easily as it can blank it.
    """
    bucket, key = environ.get(BUCKET_ENV, "").strip(), environ.get(KEY_ENV, "").strip()
    if not bucket and not key:
        return None
    if not bucket or not key:
        raise PopulationDataError(f"set both {BUCKET_ENV} and {KEY_ENV} (or neither)")
    return bucket, key


def read_s3_text(bucket: str, key: str) -> str:
    """Fetch one object as UTF-8 text.

    boto3 is imported here, not at module level, so the bundled-CSV path (local
    runs, the container image) does not need it installed. boto3 honours
    ``AWS_ENDPOINT_URL_S3``, which is how the tests point it at a local S3.
    """
    import boto3  # provided by the Lambda runtime

    try:
        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:  # botocore raises many types; all mean "not readable"
        raise PopulationDataError(f"cannot read s3://{bucket}/{key}: {exc}") from exc
    return bytes(body).decode("utf-8-sig")


def load(environ: Mapping[str, str] | None = None) -> PopulationTable:
    """Read the table from the configured source (uncached; see ``get_table``)."""
    location = s3_location(os.environ if environ is None else environ)
    if location is None:
        return parse_csv(BUNDLED_CSV.read_text(encoding="utf-8"), "bundled CSV")
    bucket, key = location
    return parse_csv(read_s3_text(bucket, key), f"s3://{bucket}/{key}")


@functools.cache
def get_table() -> PopulationTable:
    """The process-wide table: loaded on first use, then reused by every app and request."""
    return load()
