"""Tokens at rest: encrypted columns, key rotation, a wrong key, and no token anywhere visible."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib import admin
from django.core.management import call_command
from django.db import connection as db
from django.urls import reverse

from salesforce_auth.client import get_client
from salesforce_auth.crypto import TokenDecryptionError
from salesforce_auth.fields import reveal
from salesforce_auth.models import ConnectionStatus, SalesforceConnection

pytestmark = pytest.mark.django_db


def raw_row(table: str, columns: str, pk: int) -> tuple:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def raw_tokens(connection) -> tuple[str, str]:
    return raw_row(
        "salesforce_auth_salesforceconnection", "access_token, refresh_token", connection.pk
    )


def test_it_stores_only_ciphertext_in_the_token_columns(emulator_connection):
    access, refresh = (
        reveal(emulator_connection.access_token),
        reveal(emulator_connection.refresh_token),
    )

    raw_access, raw_refresh = raw_tokens(emulator_connection)

    assert raw_access.startswith("fernet:") and raw_refresh.startswith("fernet:")
    assert access not in raw_access and refresh not in raw_refresh
    assert access[:15] not in raw_access  # not even the org-id prefix of the token


def test_it_keeps_tokens_intact_when_a_loaded_connection_is_saved_again(emulator_connection):
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    before = reveal(connection.access_token)

    connection.username = "renamed@example.com"
    connection.save()

    assert reveal(SalesforceConnection.objects.get(pk=connection.pk).access_token) == before


def test_it_refuses_to_use_a_token_no_key_decrypts(emulator_connection, emulator, settings):
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    emulator.control.reset_request_counts()

    with pytest.raises(TokenDecryptionError, match="TOKEN_ENCRYPTION_KEYS"):
        get_client(connection)

    assert sum(emulator.control.request_counts().values()) == 0  # no ciphertext was sent
    assert SalesforceConnection.objects.get(pk=connection.pk).status == ConnectionStatus.CONNECTED


def test_it_rotates_every_secret_to_the_first_key(
    emulator_connection, onboarding_report, settings, capsys
):
    old_key = settings.TOKEN_ENCRYPTION_KEYS[0]
    onboarding_report.source_secret = "s3-secret-access-key"
    onboarding_report.save()
    token = reveal(emulator_connection.access_token)
    before = raw_tokens(emulator_connection)
    new_key = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [new_key, old_key]

    call_command("rotate_token_keys")

    after = raw_tokens(emulator_connection)
    assert after[0] != before[0] and after[1] != before[1]
    assert "salesforce_auth.SalesforceConnection: 2" in capsys.readouterr().out
    settings.TOKEN_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
    connection = SalesforceConnection.objects.get(pk=emulator_connection.pk)
    assert reveal(connection.access_token) == token
    assert get_client(connection).query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1
    onboarding_report.refresh_from_db()
    assert reveal(onboarding_report.source_secret) == "s3-secret-access-key"


def test_it_never_logs_a_token(alice_client, salesforce_settings, emulator, caplog):
    from tests.salesforce_auth.signin import connect_through_emulator

    caplog.set_level(logging.DEBUG)
    connect_through_emulator(alice_client, emulator.ca_bundle, "production")
    connection = SalesforceConnection.objects.get()
    tokens = [reveal(connection.access_token), reveal(connection.refresh_token)]
    emulator.control.set_refresh_token_rotation(True)
    emulator.control.expire_sessions()
    get_client(connection).query("SELECT Id FROM Contact LIMIT 1")
    connection = SalesforceConnection.objects.get()
    tokens += [reveal(connection.access_token), reveal(connection.refresh_token)]
    alice_client.post(reverse("salesforce_auth:disconnect", args=[connection.pk]))

    assert "Salesforce connection" in caplog.text  # the events themselves are logged
    for token in tokens:
        assert token[20:] not in caplog.text


def test_it_shows_no_token_on_any_admin_page(alice_client, emulator_connection):
    tokens = [reveal(emulator_connection.access_token), reveal(emulator_connection.refresh_token)]
    ciphertexts = list(raw_tokens(emulator_connection))
    urls = [
        reverse("admin:index"),
        reverse("admin:salesforce_integrations"),
        reverse("admin:salesforce_auth_salesforceconnection_change", args=[emulator_connection.pk]),
    ]
    urls += [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]

    for url in urls:
        response = alice_client.get(url, follow=True)
        html = response.content.decode()
        assert response.status_code == 200, url
        for secret in tokens + ciphertexts:
            assert secret[20:] not in html, url
    page = alice_client.get(reverse("admin:salesforce_integrations")).content.decode()
    assert emulator_connection.username in page
    assert emulator_connection.org_id in page
