"""The HTTPS source against a real local HTTPS server (trustme CA passed through settings)."""

import base64
import gzip

import pytest
from django.db import connection

from integrations.demo_report import DEMO_COLUMNS, demo_report_bytes
from integrations.models import InsightsReport, SourceKind
from integrations.sources import SourceError, open_source, refresh_report_columns
from tests.sources.https_server import ReportServer, Route

REPORT = demo_report_bytes(30, seed=5)
LAST_MODIFIED = "Fri, 20 Nov 2026 09:02:00 GMT"


@pytest.fixture
def server(tmp_path, settings):
    server = ReportServer(tmp_path)
    settings.REPORT_SOURCE_CA_BUNDLE = str(server.ca_bundle)
    settings.VAR_DIR = tmp_path / "var"
    yield server
    server.close()


@pytest.fixture
def https_report(walkme_production, server):
    def make(path="/exports/onboarding.csv", auth="none", username="", secret="", **fields):
        return InsightsReport.objects.create(
            environment=walkme_production,
            name="Onboarding status",
            source_kind=SourceKind.HTTPS,
            source_config={"url": server.base_url + path, "auth": auth, "username": username},
            source_secret=secret,
            **fields,
        )

    return make


def _error(report) -> str:
    with pytest.raises(SourceError) as error:
        list(open_source(report).iter_rows())
    return str(error.value)


def test_it_reads_the_export_and_caches_columns(server, https_report):
    server.routes["/exports/onboarding.csv"] = Route(REPORT, last_modified=LAST_MODIFIED)
    report = https_report()
    preview = refresh_report_columns(report)
    report.refresh_from_db()
    assert report.columns == DEMO_COLUMNS
    assert len(report.sample_rows) == 20
    assert preview.export_time.isoformat() == "2026-11-20T09:02:00+00:00"
    rows = list(open_source(report).iter_rows())
    assert [row.line_number for row in rows] == list(range(2, 32))


def test_it_ignores_requests_ca_bundle_from_the_environment(
    server, https_report, monkeypatch, tmp_path
):
    # A CA bundle from the environment that does not contain our CA must not win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    server.routes["/exports/onboarding.csv"] = Route(REPORT)
    assert len(list(open_source(https_report()).iter_rows())) == 30


def test_it_refuses_a_server_signed_by_an_unknown_ca(server, https_report, settings):
    settings.REPORT_SOURCE_CA_BUNDLE = None
    server.routes["/exports/onboarding.csv"] = Route(REPORT)
    message = _error(https_report())
    assert "the server's certificate could not be verified" in message
    assert "set REPORT_SOURCE_CA_BUNDLE" in message


def test_it_reads_gzip_exports(server, https_report):
    server.routes["/exports/onboarding.csv.gz"] = Route(gzip.compress(REPORT))
    assert len(list(open_source(https_report("/exports/onboarding.csv.gz")).iter_rows())) == 30


def test_it_sends_a_bearer_token_stored_encrypted(server, https_report):
    server.routes["/exports/onboarding.csv"] = Route(REPORT, bearer="s3cret-token")
    report = https_report(auth="bearer", secret="s3cret-token")
    with connection.cursor() as cursor:
        cursor.execute("SELECT source_secret FROM integrations_insightsreport")
        (stored,) = cursor.fetchone()
    assert stored.startswith("fernet:") and "s3cret-token" not in stored
    report.refresh_from_db()
    assert len(list(open_source(report).iter_rows())) == 30


def test_it_sends_basic_credentials(server, https_report):
    token = base64.b64encode(b"walkme:pa55word").decode()
    server.routes["/exports/onboarding.csv"] = Route(REPORT, basic=token)
    report = https_report(auth="basic", username="walkme", secret="pa55word")
    report.refresh_from_db()
    assert len(list(open_source(report).iter_rows())) == 30


def test_it_uses_a_conditional_get_and_reads_the_cached_copy_on_304(server, https_report):
    server.routes["/exports/onboarding.csv"] = Route(
        REPORT, etag='"v1"', last_modified=LAST_MODIFIED
    )
    report = https_report()
    first = list(open_source(report).iter_rows())
    second = list(open_source(report).iter_rows())
    assert first == second and len(second) == 30
    (_, first_headers), (_, second_headers) = server.requests
    assert "If-None-Match" not in first_headers
    assert second_headers["If-None-Match"] == '"v1"'
    assert second_headers["If-Modified-Since"] == LAST_MODIFIED


@pytest.mark.parametrize(
    "route,auth,secret,expected",
    [
        (
            Route(REPORT, bearer="right"),
            "bearer",
            "wrong",
            "the server refused the credentials (HTTP 401 Unauthorized). Check the bearer token",
        ),
        (
            Route(REPORT, bearer="right"),
            "none",
            "",
            "the server asks for credentials (HTTP 401 Unauthorized). Add a bearer token",
        ),
        (
            Route(b"denied", status=403),
            "none",
            "",
            "the server refused access to this file (HTTP 403 Forbidden)",
        ),
    ],
)
def test_it_explains_refused_requests(server, https_report, route, auth, secret, expected):
    server.routes["/exports/onboarding.csv"] = route
    message = _error(https_report(auth=auth, secret=secret))
    assert message.startswith(
        f"Report “Onboarding status” (HTTPS {server.base_url}/exports/onboarding.csv): "
    )
    assert expected in message


def test_it_explains_a_missing_file(server, https_report):
    message = _error(https_report("/exports/renamed.csv?sig=SECRET"))
    assert "there is no file at this URL (HTTP 404 Not Found)" in message
    assert "SECRET" not in message


def test_it_explains_a_timeout(server, https_report, settings):
    settings.REPORT_SOURCE_READ_TIMEOUT = 1
    server.routes["/exports/onboarding.csv"] = Route(REPORT, delay=1.5)
    assert "the server did not answer within 1 s" in _error(https_report())


def test_it_fails_a_stale_export(server, https_report):
    from datetime import UTC, datetime

    server.routes["/exports/onboarding.csv"] = Route(REPORT, last_modified=LAST_MODIFIED)
    report = https_report(expected_every_hours=24)
    with pytest.raises(SourceError) as error:
        open_source(report).check_freshness(datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    assert "newest export is from 2026-11-20 09:02 UTC, expected within 24 h" in str(error.value)


def test_it_fails_freshness_when_the_server_gives_no_time(server, https_report):
    from datetime import UTC, datetime

    server.routes["/exports/onboarding.csv"] = Route(REPORT)
    report = https_report(expected_every_hours=24)
    with pytest.raises(SourceError) as error:
        open_source(report).check_freshness(datetime.now(UTC))
    assert "the report is expected every 24 h but the source does not say when" in str(error.value)
