"""get_client(): timeouts, CA, and transparent refresh of an expired session."""

import pytest
import requests
from simple_salesforce.exceptions import SalesforceExpiredSession

from salesforce_auth import metadata
from salesforce_auth.client import get_client
from salesforce_auth.exceptions import ReauthorizationRequired, SalesforceConnectionError
from salesforce_auth.fields import reveal
from salesforce_auth.models import ConnectionStatus, SalesforceConnection
from salesforce_auth.oauth import refresh

pytestmark = pytest.mark.django_db


def stored(connection) -> SalesforceConnection:
    return SalesforceConnection.objects.get(pk=connection.pk)


def test_it_queries_the_connected_org(emulator_connection, emulator):
    sf = get_client(emulator_connection)

    result = sf.query("SELECT Id, Email FROM Contact WHERE Email = 'dana.levi@acme-corp.example'")

    assert result["totalSize"] == 1
    assert sf.sf_version == "62.0"
    assert sf.session.trust_env is False
    assert sf.session.verify == emulator.ca_bundle
    assert sf.session.timeout == (10, 120)


def test_it_refreshes_an_expired_session_mid_call_and_stores_the_new_token(
    emulator_connection, emulator
):
    sf = get_client(emulator_connection)
    sf.query("SELECT Id FROM Contact LIMIT 1")
    old_access = reveal(stored(emulator_connection).access_token)
    emulator.control.expire_sessions()

    result = sf.restful("query", params={"q": "SELECT Id FROM Contact LIMIT 1"})

    assert result["totalSize"] == 1
    new_access = reveal(stored(emulator_connection).access_token)
    assert new_access != old_access
    assert sf.session_id == new_access
    # The same client keeps working with the new token, for every kind of call.
    assert sf.query("SELECT Id FROM Contact LIMIT 1")["totalSize"] == 1


def test_it_refreshes_for_bulk2_calls_too(emulator_connection, emulator):
    sf = get_client(emulator_connection)
    emulator.control.expire_sessions()

    job = sf.bulk2.Contact._client.create_job("update", external_id_field=None)

    assert job["state"] == "Open"


def test_it_stores_the_rotated_refresh_token(emulator_connection, emulator):
    emulator.control.set_refresh_token_rotation(True)
    old_refresh = reveal(emulator_connection.refresh_token)
    sf = get_client(emulator_connection)
    emulator.control.expire_sessions()

    sf.query("SELECT Id FROM Contact LIMIT 1")

    new_refresh = reveal(stored(emulator_connection).refresh_token)
    assert new_refresh and new_refresh != old_refresh
    # Rotation killed the old one: only the stored token still works.
    with pytest.raises(SalesforceConnectionError, match="invalid_grant"):
        refresh(emulator_connection.login_url, old_refresh)
    assert refresh(emulator_connection.login_url, new_refresh).access_token


def test_it_refreshes_once_when_two_clients_hit_an_expired_session(emulator_connection, emulator):
    emulator.control.set_refresh_token_rotation(True)
    first = get_client(emulator_connection)
    second = get_client(stored(emulator_connection))
    emulator.control.expire_sessions()
    emulator.control.reset_request_counts()

    first.query("SELECT Id FROM Contact LIMIT 1")
    # The second worker's failed token is stale: it adopts the stored one, no second refresh
    # (which, with rotation, would have used a refresh token that is already dead).
    second.query("SELECT Id FROM Contact LIMIT 1")

    assert emulator.control.request_counts(org="production").get("oauth") == 1
    assert stored(emulator_connection).status == ConnectionStatus.CONNECTED


def test_it_marks_the_connection_for_reauthorisation_on_invalid_grant(
    emulator_connection, emulator
):
    sf = get_client(emulator_connection)
    sent = []
    sf.session.hooks["response"].append(lambda response, **kwargs: sent.append(response.url))
    emulator.control.revoke_refresh_tokens()
    emulator.control.expire_sessions()

    with pytest.raises(ReauthorizationRequired, match="Reconnect"):
        sf.query("SELECT Id FROM Contact LIMIT 1")

    connection = stored(emulator_connection)
    assert connection.status == ConnectionStatus.NEEDS_REAUTH
    assert "expired access/refresh token" in connection.last_error
    # The call is not resent after a refused refresh: a permanent error, no loop.
    assert len(sent) == 1
    with pytest.raises(ReauthorizationRequired):
        get_client(connection)


def test_it_gives_up_after_one_refresh_when_the_new_token_is_refused_too(
    emulator_connection, emulator
):
    emulator.control.set_token_lifetime(0)  # every token is born expired
    sf = get_client(emulator_connection)
    emulator.control.expire_sessions()

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Contact LIMIT 1")


def test_it_applies_the_read_timeout(emulator_connection, emulator, settings):
    settings.SALESFORCE_READ_TIMEOUT = 1
    sf = get_client(emulator_connection)
    emulator.control.set_latency(1500)

    with pytest.raises(requests.Timeout):
        sf.query("SELECT Id FROM Contact LIMIT 1")


def test_it_lists_updateable_objects_by_label_and_caches_them(emulator_connection, emulator):
    objects = metadata.list_objects(emulator_connection)
    emulator.control.reset_request_counts()
    again = metadata.list_objects(emulator_connection)

    names = [o.name for o in objects]
    assert {"Contact", "Lead"} <= set(names)
    assert [o.label.lower() for o in objects] == sorted(o.label.lower() for o in objects)
    assert all(o.updateable and o.queryable for o in objects)
    assert again == objects
    assert sum(emulator.control.request_counts(org="production").values()) == 0


def test_it_describes_fields_and_refreshes_after_clearing_the_cache(emulator_connection, emulator):
    fields = {f.name: f for f in metadata.describe_fields(emulator_connection, "Contact")}
    assert fields["Churn_Risk__c"].picklist_values == ("High", "Medium", "Low")
    assert fields["WalkMe_User_Id__c"].external_id
    emulator.control.hide_field("Contact", "NPS_Score__c")

    assert "NPS_Score__c" in {
        f.name for f in metadata.describe_fields(emulator_connection, "Contact")
    }
    metadata.clear_metadata_cache(emulator_connection)
    assert "NPS_Score__c" not in {
        f.name for f in metadata.describe_fields(emulator_connection, "Contact")
    }


def test_it_describes_sandbox_objects_separately(emulator_connection, emulator_sandbox_connection):
    assert metadata.describe_object(emulator_sandbox_connection, "Contact")["name"] == "Contact"
    assert emulator_sandbox_connection.environment == "sandbox"


def test_it_refuses_an_object_name_that_is_not_an_api_name(emulator_connection, emulator):
    emulator.control.reset_request_counts()

    with pytest.raises(ValueError, match="API name"):
        metadata.describe_fields(emulator_connection, "../limits")

    assert sum(emulator.control.request_counts().values()) == 0
