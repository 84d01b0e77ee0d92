"""The S3 source against moto's standalone server over HTTP, boto3 unchanged."""

import gzip
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto.core.authorization import enable_iam_authentication
from moto.server import ThreadedMotoServer

from integrations.demo_report import DEMO_COLUMNS, demo_report_bytes
from integrations.models import InsightsReport, SourceKind
from integrations.sources import SourceError, open_source, refresh_report_columns
from integrations.sources.s3 import secret_for

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint, monkeypatch):
    # Keys for the test's own boto3 client; the source gets its keys from the report.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    return client


@pytest.fixture
def bucket(s3, request):
    name = "walkme-exports-" + request.node.name.lower().replace("_", "-")[:30].strip("-")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


@pytest.fixture
def s3_report(walkme_production, moto_endpoint):
    def make(bucket, prefix="insights/onboarding/", secret=None, **fields):
        return InsightsReport.objects.create(
            environment=walkme_production,
            name="Onboarding status",
            source_kind=SourceKind.S3,
            source_config={
                "bucket": bucket,
                "prefix": prefix,
                "region": REGION,
                "endpoint_url": moto_endpoint,
            },
            source_secret=secret_for("test", "test") if secret is None else secret,
            **fields,
        )

    return make


def _error(report) -> str:
    with pytest.raises(SourceError) as error:
        list(open_source(report).iter_rows())
    return str(error.value)


def test_it_reads_the_newest_object_under_the_prefix(s3, bucket, s3_report):
    old = demo_report_bytes(5, seed=1)
    new = demo_report_bytes(25, seed=2, start=100)
    s3.put_object(Bucket=bucket, Key="insights/onboarding/2026-11-24.csv", Body=old)
    s3.put_object(Bucket=bucket, Key="insights/onboarding/", Body=b"")
    s3.put_object(Bucket=bucket, Key="insights/other/2026-11-26.csv", Body=old)
    s3.put_object(
        Bucket=bucket, Key="insights/onboarding/2026-11-25.csv.gz", Body=gzip.compress(new)
    )
    report = s3_report(bucket)
    preview = refresh_report_columns(report)
    assert preview.columns == DEMO_COLUMNS
    assert preview.sample_rows[0]["email"] == "user100@example.com"
    assert preview.export_time is not None
    rows = list(open_source(report).iter_rows())
    assert len(rows) == 25
    assert rows[-1].values["email"] == "user124@example.com"


def test_it_uses_credentials_from_the_environment(s3, bucket, s3_report, monkeypatch):
    s3.put_object(Bucket=bucket, Key="insights/onboarding/a.csv", Body=demo_report_bytes(3))
    report = s3_report(bucket, secret="")
    assert "no AWS credentials were found" in _error(report)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "from-env")
    assert len(list(open_source(report).iter_rows())) == 3


def test_it_explains_an_empty_prefix(s3, bucket, s3_report):
    s3.put_object(Bucket=bucket, Key="insights/other/a.csv", Body=demo_report_bytes(3))
    message = _error(s3_report(bucket))
    assert message == (
        f"Report “Onboarding status” (Amazon S3 s3://{bucket}/insights/onboarding/): there is "
        "no object under this prefix. Check the bucket and prefix against the export's "
        "destination in WalkMe Insights, and that at least one export has run."
    )


def test_it_explains_a_missing_bucket(s3, s3_report):
    assert "the bucket “no-such-bucket” does not exist" in _error(s3_report("no-such-bucket"))


def test_it_explains_access_denied(s3, bucket, s3_report, moto_endpoint):
    s3.put_object(Bucket=bucket, Key="insights/onboarding/a.csv", Body=demo_report_bytes(3))
    iam = boto3.client(
        "iam",
        region_name=REGION,
        endpoint_url=moto_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    user = f"reader-{bucket}"[:60]
    iam.create_user(UserName=user)
    # May list the bucket, may not read the objects.
    iam.put_user_policy(
        UserName=user,
        PolicyName="list-only",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    report = s3_report(bucket, secret=secret_for(key["AccessKeyId"], key["SecretAccessKey"]))
    with enable_iam_authentication():
        message = _error(report)
        report.source_secret = secret_for("AKIAWRONGWRONGWRONG0", "nope")
        refused = _error(report)
    assert f"access to s3://{bucket}/insights/onboarding/a.csv was denied" in message
    assert "s3:GetObject" in message
    assert "the AWS credentials were refused (InvalidAccessKeyId)" in refused


def test_it_fails_a_stale_export(s3, bucket, s3_report):
    s3.put_object(Bucket=bucket, Key="insights/onboarding/a.csv", Body=demo_report_bytes(3))
    report = s3_report(bucket, expected_every_hours=24)
    source = open_source(report)
    produced = source.export_time()
    source.check_freshness(produced + timedelta(hours=23))
    with pytest.raises(SourceError) as error:
        source.check_freshness(produced + timedelta(hours=24, minutes=1))
    expected = produced.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"newest export is from {expected}, expected within 24 h" in str(error.value)
    assert datetime.now(UTC) - produced < timedelta(minutes=5)
