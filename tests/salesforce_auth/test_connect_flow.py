"""The "+ Add account" OAuth flow against the emulator over HTTPS."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages

from salesforce_auth.fields import reveal
from salesforce_auth.models import ConnectionStatus, Environment, SalesforceConnection
from salesforce_auth.oauth import code_challenge
from salesforce_emulator import seed
from tests.salesforce_auth.signin import (
    EmulatorSignIn,
    connect_through_emulator,
    follow_callback,
    start_connect,
)

pytestmark = pytest.mark.django_db

PAGE = "/admin/salesforce_auth/salesforceconnection/integrations/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_it_sends_the_user_to_the_authorize_url_with_state_and_pkce(
    alice_client, salesforce_settings, emulator
):
    response = start_connect(alice_client, "production")

    url = urlsplit(response["Location"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == emulator.production_login_url
    assert url.path == "/services/oauth2/authorize"
    assert query["response_type"] == "code"
    assert set(query["scope"].split()) == {"api", "refresh_token", "id"}
    assert query["redirect_uri"] == "http://testserver/salesforce/oauth/callback/"
    assert query["code_challenge_method"] == "S256"
    pending = alice_client.session["salesforce_oauth_pending"][query["state"]]
    assert code_challenge(pending["verifier"]) == query["code_challenge"]


@pytest.mark.parametrize(
    ("environment", "username", "org_id"),
    [
        ("production", seed.PRODUCTION_USERNAME, seed.PRODUCTION_ORG_ID),
        ("sandbox", seed.SANDBOX_USERNAME, seed.SANDBOX_ORG_ID),
    ],
)
def test_it_connects_an_org(
    alice, alice_client, salesforce_settings, emulator, environment, username, org_id
):
    response = connect_through_emulator(alice_client, emulator.ca_bundle, environment)

    assert response.status_code == 302
    assert response["Location"] == PAGE
    connection = SalesforceConnection.objects.get()
    assert connection.environment == environment
    assert connection.username == username
    assert connection.org_id == org_id
    assert connection.instance_url == emulator.base_url.rstrip("/")
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.connected_by == alice
    expected_login = (
        emulator.sandbox_login_url if environment == "sandbox" else emulator.production_login_url
    )
    assert connection.login_url == expected_login
    assert reveal(connection.access_token) and reveal(connection.refresh_token)
    assert any(username in m and "Connected" in m for m in messages_of(response))
    page = alice_client.get(PAGE)
    assert username in page.content.decode()


def test_it_updates_the_connection_when_the_same_user_connects_again(
    alice_client, salesforce_settings, emulator
):
    connect_through_emulator(alice_client, emulator.ca_bundle, "production")
    first = SalesforceConnection.objects.get()
    SalesforceConnection.objects.filter(pk=first.pk).update(
        status=ConnectionStatus.NEEDS_REAUTH, last_error="expired access/refresh token"
    )

    connect_through_emulator(alice_client, emulator.ca_bundle, "production")

    again = SalesforceConnection.objects.get()
    assert again.pk == first.pk
    assert again.status == ConnectionStatus.CONNECTED
    assert again.last_error == ""
    assert reveal(again.access_token) != reveal(first.access_token)


def test_it_reconnects_an_existing_account_from_its_row(
    alice_client, salesforce_settings, emulator
):
    connect_through_emulator(alice_client, emulator.ca_bundle, "sandbox")
    connection = SalesforceConnection.objects.get()

    started = alice_client.post("/salesforce/connect/", {"connection": connection.pk})
    location = EmulatorSignIn(emulator.ca_bundle).sign_in(
        started["Location"], seed.SANDBOX_USERNAME
    )
    follow_callback(alice_client, location)

    assert started["Location"].startswith(emulator.sandbox_login_url + "/")
    assert SalesforceConnection.objects.get().pk == connection.pk


def test_it_refuses_a_callback_with_a_state_it_did_not_issue(
    alice_client, salesforce_settings, emulator
):
    started = start_connect(alice_client, "production")
    location = EmulatorSignIn(emulator.ca_bundle).sign_in(
        started["Location"], seed.PRODUCTION_USERNAME
    )
    forged = location.replace("state=", "state=forged")

    assert follow_callback(alice_client, forged).status_code == 403
    assert not SalesforceConnection.objects.exists()


def test_it_refuses_a_callback_without_state(alice_client, salesforce_settings, emulator):
    response = alice_client.get("/salesforce/oauth/callback/", {"code": "anything"})

    assert response.status_code == 403


def test_it_uses_each_state_once(alice_client, salesforce_settings, emulator):
    started = start_connect(alice_client, "production")
    location = EmulatorSignIn(emulator.ca_bundle).sign_in(
        started["Location"], seed.PRODUCTION_USERNAME
    )
    assert follow_callback(alice_client, location).status_code == 302

    assert follow_callback(alice_client, location).status_code == 403


def test_it_says_so_when_the_user_denies_access(alice_client, salesforce_settings, emulator):
    response = connect_through_emulator(
        alice_client, emulator.ca_bundle, "production", decision="deny"
    )

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert any("did not allow access" in m for m in messages_of(response))
    assert not SalesforceConnection.objects.exists()


def test_it_shows_salesforces_reason_when_the_code_exchange_fails(
    alice_client, salesforce_settings, emulator
):
    # PKCE: a verifier that does not match the challenge sent must be refused by Salesforce.
    started = start_connect(alice_client, "production")
    session = alice_client.session
    for pending in session["salesforce_oauth_pending"].values():
        pending["verifier"] = "a-different-verifier-" + "x" * 40
    session.save()
    location = EmulatorSignIn(emulator.ca_bundle).sign_in(
        started["Location"], seed.PRODUCTION_USERNAME
    )

    response = follow_callback(alice_client, location)

    assert response.status_code == 302
    assert any("invalid code verifier" in m for m in messages_of(response))
    assert not SalesforceConnection.objects.exists()


def test_it_connects_through_a_my_domain_login_url(alice_client, salesforce_settings, emulator):
    # The emulator's sandbox host stands in for a My Domain: a host other than the default.
    salesforce_settings.SALESFORCE_LOGIN_URL_SANDBOX = "https://test.salesforce.invalid"

    response = connect_through_emulator(
        alice_client, emulator.ca_bundle, "sandbox", login_url=emulator.sandbox_login_url + "/"
    )

    assert response.status_code == 302
    connection = SalesforceConnection.objects.get()
    assert connection.login_url == emulator.sandbox_login_url
    assert connection.environment == Environment.SANDBOX


@pytest.mark.parametrize(
    "login_url",
    ["http://acme.my.salesforce.com", "https://acme.my.salesforce.com/path", "not a url"],
)
def test_it_rejects_a_bad_my_domain_url(alice_client, salesforce_settings, login_url):
    response = start_connect(alice_client, "production", login_url=login_url)

    assert response["Location"] == PAGE
    assert any("Login URL" in m for m in messages_of(response))


def test_it_explains_how_to_configure_salesforce_when_unset(alice_client, settings):
    settings.SALESFORCE_CLIENT_ID = ""
    settings.SALESFORCE_CLIENT_SECRET = ""

    page = alice_client.get(PAGE)
    started = start_connect(alice_client, "production")

    assert page.status_code == 200
    assert "SALESFORCE_CLIENT_ID" in page.content.decode()
    assert "+ Add account" not in page.content.decode()
    assert any("SALESFORCE_CLIENT_ID" in m for m in messages_of(started))
