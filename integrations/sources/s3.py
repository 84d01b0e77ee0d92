"""A report exported by WalkMe's scheduled export to Amazon S3 (or an S3-compatible store).

WalkMe writes a new object per export under a prefix; the newest object (by LastModified)
is the report. The object is streamed from S3, never downloaded whole.

source_config: {"bucket": "...", "prefix": "insights/onboarding/", "region": "eu-west-1",
                "endpoint_url": "https://minio.example.com"}  (endpoint_url optional)
source_secret: JSON {"access_key_id": "...", "secret_access_key": "..."}; when empty, boto3
finds credentials the usual way (environment, instance profile, ~/.aws).

boto3 and botocore are imported inside the functions that use them: the admin imports this
module, and importing boto3 at start-up would cost every web and worker process ~26 MB.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import BinaryIO

from django.conf import settings

from integrations.sources import ReportSource
from salesforce_auth.fields import reveal

DENIED_CODES = {"AccessDenied", "AllAccessDisabled", "403", "Forbidden"}
BAD_KEY_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}


def secret_for(access_key_id: str, secret_access_key: str) -> str:
    """The value to store in source_secret for per-source credentials."""
    return json.dumps({"access_key_id": access_key_id, "secret_access_key": secret_access_key})


class Source(ReportSource):
    def __init__(self, report) -> None:
        super().__init__(report)
        self._newest: dict | None = None
        self._client = None

    @property
    def config(self) -> dict:
        return self.report.source_config or {}

    @property
    def bucket(self) -> str:
        return self.config.get("bucket", "").strip()

    @property
    def prefix(self) -> str:
        return self.config.get("prefix", "").strip().lstrip("/")

    def describe(self) -> str:
        return f"Amazon S3 s3://{self.bucket}/{self.prefix}"

    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            kwargs = {}
            secret = reveal(self.report.source_secret)
            if secret:
                try:
                    keys = json.loads(secret)
                    kwargs = {
                        "aws_access_key_id": keys["access_key_id"],
                        "aws_secret_access_key": keys["secret_access_key"],
                    }
                except (ValueError, KeyError, TypeError):
                    raise self.error(
                        "the stored credentials are not an access key id and secret",
                        "Enter the access key id and secret access key again",
                    ) from None
            session = boto3.session.Session(**kwargs)
            self._client = session.client(
                "s3",
                region_name=self.config.get("region") or None,
                endpoint_url=self.config.get("endpoint_url")
                or settings.REPORT_SOURCE_S3_ENDPOINT_URL,
                config=Config(
                    connect_timeout=settings.REPORT_SOURCE_CONNECT_TIMEOUT,
                    read_timeout=settings.REPORT_SOURCE_READ_TIMEOUT,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        return self._client

    def newest_object(self) -> dict:
        """The newest object under the prefix (Key, LastModified, Size)."""
        if self._newest is not None:
            return self._newest
        if not self.bucket:
            raise self.error("no bucket is set", "Enter the bucket WalkMe exports the report to")
        newest = None
        with self._translated_errors():
            pages = self.client().get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", []):
                    if item["Key"].endswith("/"):  # a "folder" placeholder
                        continue
                    if newest is None or (item["LastModified"], item["Key"]) > (
                        newest["LastModified"],
                        newest["Key"],
                    ):
                        newest = item
        if newest is None:
            raise self.error(
                "there is no object under this prefix",
                "Check the bucket and prefix against the export's destination in WalkMe "
                "Insights, and that at least one export has run",
            )
        self._newest = newest
        return newest

    @contextmanager
    def open_export(self) -> Iterator[BinaryIO]:
        key = self.newest_object()["Key"]
        with self._translated_errors(key):
            body = self.client().get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            with self._translated_errors(key):
                yield body
        finally:
            body.close()

    def export_time(self) -> datetime | None:
        return self.newest_object()["LastModified"]

    @contextmanager
    def _translated_errors(self, key: str | None = None) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        where = f"s3://{self.bucket}/{key}" if key else f"s3://{self.bucket}/{self.prefix}"
        try:
            yield
        except NoCredentialsError:
            raise self.error(
                "no AWS credentials were found",
                "Enter an access key id and secret access key for this report, or give this "
                "system AWS credentials (environment variables or an instance role)",
            ) from None
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code == "NoSuchBucket":
                raise self.error(
                    f"the bucket “{self.bucket}” does not exist",
                    "Check the bucket name (and the region) of the export's destination",
                ) from None
            if code in DENIED_CODES:
                raise self.error(
                    f"access to {where} was denied",
                    "Allow these credentials s3:ListBucket on the bucket and s3:GetObject on "
                    "the prefix",
                ) from None
            if code in BAD_KEY_CODES:
                raise self.error(
                    f"the AWS credentials were refused ({code})",
                    "Check the access key id and secret access key in the report's source settings",
                ) from None
            if code == "NoSuchKey":
                raise self.error(
                    f"the export {where} disappeared while it was being read",
                    "Run again; a newer export has probably replaced it",
                ) from None
            raise self.error(
                f"S3 answered {code or 'an error'} for {where}",
                "Check the bucket, prefix and region; try again later if it persists",
            ) from None
        except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as exc:
            raise self.error(
                f"the storage endpoint could not be reached ({exc})",
                "Check the region or endpoint URL and that it is reachable from this system",
            ) from None
        except BotoCoreError as exc:
            raise self.error(
                f"reading {where} failed ({exc})",
                "Check the source settings; try again later if it persists",
            ) from None
