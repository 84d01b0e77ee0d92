"""The one place that builds a Salesforce API client for a connection.

`get_client(connection)` returns a simple-salesforce client whose requests.Session
- trusts only settings.SALESFORCE_CA_BUNDLE (or the system CAs), never the environment,
- applies connect/read timeouts to every request,
- on a 401 INVALID_SESSION_ID refreshes the access token once (serialised by a row lock),
  updates the client's headers and resends the request once.

Hooking refresh at the session level covers every API the sync code uses: `restful`,
`query`, `query_all`, sObject calls and `bulk2`.
"""

import logging
from collections.abc import Callable
from typing import Any

import requests
import simple_salesforce
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from salesforce_auth import services
from salesforce_auth.exceptions import ReauthorizationRequired, SalesforceConnectionError
from salesforce_auth.fields import reveal
from salesforce_auth.http import SalesforceSession
from salesforce_auth.models import SalesforceConnection

logger = logging.getLogger(__name__)


def _is_expired_session(response: requests.Response) -> bool:
    if response.status_code != 401:
        return False
    # REST answers [{"errorCode": "INVALID_SESSION_ID"}]; Bulk 2.0 the same. Any 401 from the
    # instance means the bearer token is no good, so treat an unreadable body alike.
    try:
        body = response.json()
    except ValueError:
        return True
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return body[0].get("errorCode") in (None, "INVALID_SESSION_ID")
    return True


class RefreshingSession(SalesforceSession):
    """Resends a request once with a refreshed token after 401 INVALID_SESSION_ID."""

    def __init__(self, connection: SalesforceConnection) -> None:
        super().__init__()
        self.connection = connection
        self.on_refresh: list[Callable[[str, str], None]] = []

    @sensitive_variables("new_token", "old_token", "headers")
    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        old_instance = self.connection.instance_url
        body = kwargs.get("data")
        start = body.tell() if hasattr(body, "seek") else None  # a file body, sent as it is read
        response = super().request(method, url, *args, **kwargs)
        if not _is_expired_session(response):
            return response
        response.close()
        if start is not None:
            body.seek(start)
        headers = kwargs.get("headers") or {}
        authorization = headers.get("Authorization", "")
        old_token = authorization.split(" ", 1)[1] if " " in authorization else ""
        new_token = services.refresh_access_token(self.connection, old_token)
        new_instance = self.connection.instance_url
        # The caller's headers dict may be shared (a bulk2 job object keeps one): updating it
        # in place fixes the caller's later requests too.
        headers["Authorization"] = f"Bearer {new_token}"
        kwargs["headers"] = headers
        if new_instance != old_instance and url.startswith(old_instance):
            url = new_instance + url[len(old_instance) :]
        for callback in self.on_refresh:
            callback(new_token, new_instance)
        return super().request(method, url, *args, **kwargs)


@sensitive_variables("access_token")
def get_client(connection: SalesforceConnection) -> simple_salesforce.Salesforce:
    """A ready simple-salesforce client for `connection`.

    Raises ReauthorizationRequired for a connection that needs reconnecting, and
    TokenDecryptionError (an ImproperlyConfigured) when no configured key decrypts its token.
    """
    if not connection.is_usable:
        raise ReauthorizationRequired(
            connection.last_error
            or f"The Salesforce account {connection} is {connection.get_status_display()}; "
            "reconnect it on the Salesforce Integrations page."
        )
    access_token = reveal(connection.access_token)
    if not access_token:
        raise SalesforceConnectionError(f"The Salesforce account {connection} holds no token.")
    session = RefreshingSession(connection)
    sf = simple_salesforce.Salesforce(
        instance_url=connection.instance_url,
        session_id=access_token,
        session=session,
        version=settings.SALESFORCE_API_VERSION,
    )

    @sensitive_variables("token")
    def follow_refresh(token: str, instance_url: str) -> None:
        sf.session_id = token
        sf.headers["Authorization"] = f"Bearer {token}"
        if instance_url.rstrip("/") != f"https://{sf.sf_instance}":
            sf.sf_instance = instance_url.split("://", 1)[-1].rstrip("/")
            version = settings.SALESFORCE_API_VERSION
            sf.base_url = f"https://{sf.sf_instance}/services/data/v{version}/"
            sf.apex_url = f"https://{sf.sf_instance}/services/apexrest/"
            sf.bulk_url = f"https://{sf.sf_instance}/services/async/{version}/"
            sf.bulk2_url = f"https://{sf.sf_instance}/services/data/v{version}/jobs/"
            sf.tooling_url = f"{sf.base_url}tooling/"
            sf.metadata_url = f"https://{sf.sf_instance}/services/Soap/m/{version}/"
            sf.oauth2_url = f"https://{sf.sf_instance}/services/oauth2/"

    session.on_refresh.append(follow_refresh)
    return sf
