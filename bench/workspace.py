"""The benchmark's throwaway Django environment, and the objects a run needs in it.

Everything lives under one temporary directory: an SQLite file, media (the uploaded
report), and production-style settings (DEBUG off) with keys made up for this run, so a
benchmark never touches the developer's var/db.sqlite3 or any configured database.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests
from cryptography.fernet import Fernet

from bench.emulator import RemoteEmulator

# Report column -> Contact field: six fields of six describe types (Email is the key).
MAPPING = {
    "onboarding_completed": "Onboarding_Completed__c",  # boolean
    "onboarding_progress": "Onboarding_Progress__c",  # percent
    "nps_score": "NPS_Score__c",  # double
    "last_seen": "Last_Seen__c",  # datetime
    "churn_risk": "Churn_Risk__c",  # restricted picklist
    "upsell_signal": "Upsell_Signal__c",  # string
}
KEY_COLUMN, KEY_FIELD = "email", "Email"
EMAIL_RE = re.compile(r"user(\d+)@example\.com")
_HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def django_environment(work_dir: Path, emulator: RemoteEmulator) -> dict[str, str]:
    """Environment for the driver and every measured process (set, never merged with the
    caller's DATABASE_URL or keys)."""
    from salesforce_emulator import seed

    return {
        "DJANGO_SETTINGS_MODULE": "walkme_integration.settings",
        "DJANGO_DEBUG": "0",
        "WALKME_VAR_DIR": str(work_dir / "var"),
        "DJANGO_MEDIA_ROOT": str(work_dir / "var" / "media"),
        "DATABASE_URL": f"sqlite:///{work_dir / 'bench.sqlite3'}",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": "memory://",
        "SALESFORCE_CLIENT_ID": seed.DEMO_CLIENT_ID,
        "SALESFORCE_CLIENT_SECRET": seed.DEMO_CLIENT_SECRET,
        "SALESFORCE_LOGIN_URL_PRODUCTION": emulator.production_login_url,
        "SALESFORCE_LOGIN_URL_SANDBOX": emulator.sandbox_login_url,
        "SALESFORCE_CA_BUNDLE": emulator.ca_bundle,
    }


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def bench_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"email": "bench@example.com", "is_staff": True}
    )
    if not user.is_superuser:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


def connect(emulator: RemoteEmulator, user):
    """A SalesforceConnection made through the real flow: "+ Add account", the emulator's
    sign-in and consent pages, our callback."""
    from django.test import Client

    from salesforce_auth.models import Environment, SalesforceConnection
    from salesforce_emulator import seed

    client = Client()
    client.force_login(user)
    started = client.post("/salesforce/connect/", {"environment": Environment.PRODUCTION})
    assert started.status_code == 302, started.content[:500]
    authorize_url = started["Location"]
    parts = urlsplit(authorize_url)
    form_url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    http = requests.Session()
    http.trust_env = False
    http.verify = emulator.ca_bundle
    page = http.get(authorize_url, allow_redirects=False, timeout=30)
    form = dict(_HIDDEN_INPUT.findall(page.text))
    form.update(username=seed.PRODUCTION_USERNAME, password=seed.DEMO_PASSWORD)
    consent = http.post(form_url, data=form, allow_redirects=False, timeout=30)
    form = dict(_HIDDEN_INPUT.findall(consent.text))
    form["decision"] = "allow"
    answer = http.post(form_url, data=form, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    back = urlsplit(answer.headers["Location"])
    query = {key: values[0] for key, values in parse_qs(back.query).items()}
    done = client.get(back.path, query)
    assert done.status_code == 302, done.content[:500]
    return SalesforceConnection.objects.get(environment=Environment.PRODUCTION)


def make_integration(connection, user, report_path: Path, api_mode: str, name: str):
    """An InsightsReport with the CSV uploaded, and an Integration mapping it onto Contact."""
    from django.core.files import File

    from integrations.models import FieldMapping, InsightsReport, Integration, WalkMeEnvironment
    from integrations.sources.upload import record_upload

    environment, _ = WalkMeEnvironment.objects.get_or_create(
        name="Benchmark", defaults={"system_id": "walkme-bench"}
    )
    report = InsightsReport.objects.create(
        environment=environment, name=f"{name} report", source_kind="upload"
    )
    with open(report_path, "rb") as handle:
        report.upload.save(report_path.name, File(handle))
    record_upload(report, user=user)
    integration = Integration.objects.create(
        name=name,
        connection=connection,
        walkme_environment=environment,
        report=report,
        sobject_name="Contact",
        sobject_label="Contact",
        report_key_column=KEY_COLUMN,
        salesforce_key_field=KEY_FIELD,
        api_mode=api_mode,
        owner=user,
    )
    for position, (column, field) in enumerate(MAPPING.items()):
        FieldMapping.objects.create(
            integration=integration,
            report_column=column,
            salesforce_field=field,
            position=position,
        )
    return integration


def new_run(integration):
    """A run already claimed (running), as the worker hands it to the runner."""
    from django.utils import timezone

    from integrations.models import IntegrationRun, RunStatus, RunTrigger

    now = timezone.now()
    return IntegrationRun.objects.create(
        integration=integration,
        trigger=RunTrigger.MANUAL,
        status=RunStatus.RUNNING,
        report_name=integration.report.name,
        sobject_name=integration.sobject_name,
        started_at=now,
        heartbeat_at=now,
    )


# ---------------------------------------------------------------------------- the org


@dataclass
class OrgShape:
    """How the org differs from the report: the share of matched rows whose values differ."""

    changed_share: float


def is_unchanged_contact(index: int, changed_share: float) -> bool:
    """Contacts that already hold the report's values (deterministic by contact number)."""
    return index % 1000 >= round(changed_share * 1000)


def _unchanged_rows(report_path: Path, first_row: int, changed_share: float) -> Iterator[list]:
    from salesforce_emulator import seed
    from salesforce_emulator.store import make_id

    columns = list(MAPPING)
    seen: set[int] = set()
    with open(report_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        positions = [header.index(c) for c in columns]
        key_position = header.index(KEY_COLUMN)
        for cells in reader:
            match = EMAIL_RE.fullmatch(cells[key_position].strip().lower())
            if match is None:
                continue
            index = int(match.group(1))
            if index in seen or not is_unchanged_contact(index, changed_share):
                continue
            seen.add(index)
            yield [make_id("003", seed.PRODUCTION_POD, first_row + index)] + [
                cells[p] for p in positions
            ]


def prepare_org(emulator: RemoteEmulator, user, rows: int, report_path: Path, changed_share: float):
    """Reset the org, add `rows` Contacts, and give the unchanged share the report's values
    (through a Bulk 2.0 job, outside the measured run). Returns a fresh connection."""
    emulator.reset()
    emulator.set_latency(0)
    first_row = emulator.generate_contacts(rows)
    connection = connect(emulator, user)
    lines = [",".join(["Id", *MAPPING.values()])]
    for cells in _unchanged_rows(report_path, first_row, changed_share):
        lines.append(",".join(_csv_cell(c) for c in cells))
    if len(lines) > 1:
        _bulk_update(emulator, connection, ("\n".join(lines) + "\n").encode())
    emulator.reset_request_counts()
    return connection


def _csv_cell(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _bulk_update(emulator: RemoteEmulator, connection, document: bytes) -> None:
    import time

    from salesforce_auth.fields import reveal

    base = f"{connection.instance_url}/services/data/v62.0/jobs/ingest"
    http = requests.Session()
    http.trust_env = False
    http.verify = emulator.ca_bundle
    http.headers["Authorization"] = f"Bearer {reveal(connection.access_token)}"
    job = http.post(
        base + "/",
        json={"object": "Contact", "operation": "update", "contentType": "CSV", "lineEnding": "LF"},
        timeout=60,
    ).json()
    http.put(
        f"{base}/{job['id']}/batches/",
        data=document,
        headers={"Content-Type": "text/csv"},
        timeout=600,
    ).raise_for_status()
    http.patch(f"{base}/{job['id']}/", json={"state": "UploadComplete"}, timeout=60)
    while True:
        info = http.get(f"{base}/{job['id']}/", timeout=60).json()
        if info["state"] in ("JobComplete", "Failed", "Aborted"):
            break
        time.sleep(0.1)
    if info["state"] != "JobComplete":
        raise RuntimeError(f"setting up the org failed: Bulk job {info}")
