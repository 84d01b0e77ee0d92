"""The report admin: uploads through the real form, history, columns, errors as messages."""

import gzip

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from integrations.demo_report import DEMO_COLUMNS, demo_report_bytes
from integrations.models import InsightsReport, SourceKind
from tests.sources.https_server import ReportServer, Route

ADD_URL = reverse("admin:integrations_insightsreport_add")


def _change_url(report) -> str:
    return reverse("admin:integrations_insightsreport_change", args=[report.pk])


def _form(environment, **overrides) -> dict:
    data = {
        "environment": environment.pk,
        "name": "Onboarding status",
        "source_kind": "upload",
        "expected_every_hours": "",
        "auth": "none",
    }
    data.update(overrides)
    return data


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_it_uploads_a_report_and_shows_its_columns(alice_client, walkme_production):
    upload = SimpleUploadedFile(
        "onboarding-2026-11-25.csv.gz", gzip.compress(demo_report_bytes(40))
    )
    response = alice_client.post(ADD_URL, _form(walkme_production, upload=upload), follow=True)
    assert response.status_code == 200
    report = InsightsReport.objects.get()
    assert report.columns == DEMO_COLUMNS
    assert len(report.sample_rows) == 20
    assert any("Read 10 columns and 20 sample rows" in m for m in _messages(response))
    page = alice_client.get(_change_url(report)).content.decode()
    assert "<th>walkme_user_id</th>" in page
    assert "user19@example.com" in page and "user20@example.com" not in page
    assert "onboarding-2026-11-25.csv.gz" in page
    assert "Refresh columns" in page
    assert 'class="module aligned source-s3' in page  # hidden unless S3 is chosen
    assert 'fs.classList.contains("source-" + kind.value)' in page


def test_it_keeps_the_previous_upload_in_the_history(alice_client, walkme_production):
    first = SimpleUploadedFile("week-47.csv", demo_report_bytes(5))
    alice_client.post(ADD_URL, _form(walkme_production, upload=first))
    report = InsightsReport.objects.get()
    first_name = report.upload.name
    second = SimpleUploadedFile("week-48.csv", demo_report_bytes(7, start=100))
    alice_client.post(_change_url(report), _form(walkme_production, upload=second))
    report.refresh_from_db()
    assert report.sample_rows[0]["email"] == "user100@example.com"
    history = list(report.uploads.values_list("original_name", "file_name"))
    assert [name for name, _ in history] == ["week-48.csv", "week-47.csv"]
    assert history[1][1] == first_name
    assert report.upload.storage.exists(first_name)  # the previous file is kept
    page = alice_client.get(_change_url(report)).content.decode()
    assert "week-47.csv" in page and "week-48.csv" in page and "(current)" in page


@pytest.mark.parametrize(
    "content,shown",
    [
        (b"", "The submitted file is empty."),
        (b"\n\n", "the file is empty. Check that the export ran"),
        (b"email,nps_score\n", "the file has a header row but no data rows"),
        (b"email,email\na,b\n", "the column name “email” appears twice"),
    ],
)
def test_it_rejects_a_bad_upload_with_the_reason(alice_client, walkme_production, content, shown):
    upload = SimpleUploadedFile("bad.csv", content)
    response = alice_client.post(ADD_URL, _form(walkme_production, upload=upload))
    assert response.status_code == 200
    assert shown in response.content.decode()
    assert not InsightsReport.objects.exists()


@pytest.fixture
def server(tmp_path, settings):
    server = ReportServer(tmp_path)
    settings.REPORT_SOURCE_CA_BUNDLE = str(server.ca_bundle)
    settings.VAR_DIR = tmp_path / "var"
    yield server
    server.close()


def test_it_saves_an_https_report_with_an_encrypted_token(alice_client, walkme_production, server):
    server.routes["/onboarding.csv"] = Route(demo_report_bytes(30), bearer="tok-123")
    data = _form(
        walkme_production,
        source_kind="https",
        url=server.base_url + "/onboarding.csv",
        auth="bearer",
        secret="tok-123",
    )
    response = alice_client.post(ADD_URL, data, follow=True)
    report = InsightsReport.objects.get()
    assert report.source_kind == SourceKind.HTTPS
    assert report.columns == DEMO_COLUMNS
    assert any("Read 10 columns" in m for m in _messages(response))
    page = alice_client.get(_change_url(report)).content.decode()
    assert "tok-123" not in page


def test_it_shows_source_errors_as_messages(alice_client, walkme_production, server):
    data = _form(walkme_production, source_kind="https", url=server.base_url + "/gone.csv")
    response = alice_client.post(ADD_URL, data, follow=True)
    assert response.status_code == 200
    report = InsightsReport.objects.get()
    assert report.columns == []
    [message] = [m for m in _messages(response) if "HTTP 404" in m]
    assert message.startswith("Report “Onboarding status” (HTTPS ")
    assert "there is no file at this URL (HTTP 404 Not Found)" in message


def test_it_refreshes_columns_from_the_button(alice_client, walkme_production, server):
    data = _form(walkme_production, source_kind="https", url=server.base_url + "/later.csv")
    alice_client.post(ADD_URL, data)
    report = InsightsReport.objects.get()
    server.routes["/later.csv"] = Route(demo_report_bytes(3))
    refresh = reverse("admin:integrations_insightsreport_refresh_columns", args=[report.pk])
    assert alice_client.get(refresh).status_code == 405
    response = alice_client.post(refresh, follow=True)
    report.refresh_from_db()
    assert report.columns == DEMO_COLUMNS
    assert any("Read 10 columns and 3 sample rows" in m for m in _messages(response))


def test_it_refreshes_columns_from_the_list_action(alice_client, walkme_production, server):
    server.routes["/a.csv"] = Route(b"email,score\na@example.com,1\n")
    report = InsightsReport.objects.create(
        environment=walkme_production,
        name="Scores",
        source_kind=SourceKind.HTTPS,
        source_config={"url": server.base_url + "/a.csv", "auth": "none"},
    )
    response = alice_client.post(
        reverse("admin:integrations_insightsreport_changelist"),
        {"action": "refresh_columns_action", "_selected_action": [report.pk]},
        follow=True,
    )
    report.refresh_from_db()
    assert report.columns == ["email", "score"]
    assert any("Read 2 columns and 1 sample rows" in m for m in _messages(response))


def test_it_requires_the_fields_of_the_chosen_source(alice_client, walkme_production):
    response = alice_client.post(ADD_URL, _form(walkme_production, source_kind="s3"))
    assert "Enter the bucket WalkMe exports the report to." in response.content.decode()
    response = alice_client.post(
        ADD_URL, _form(walkme_production, source_kind="https", url="http://example.com/a.csv")
    )
    assert "The address must start with https://." in response.content.decode()
    assert not InsightsReport.objects.exists()


def test_it_lists_environments_with_their_reports(alice_client, walkme_production):
    InsightsReport.objects.create(environment=walkme_production, name="A")
    page = alice_client.get(reverse("admin:integrations_walkmeenvironment_changelist"))
    assert "Production" in page.content.decode()
    assert f'?environment__id__exact={walkme_production.pk}">1</a>' in page.content.decode()
