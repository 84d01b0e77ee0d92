"""Salesforce OAuth 2.0 web-server flow: authorize URL (state + PKCE), code exchange, refresh,
revoke, userinfo.

Pure protocol: no models here. Tokens are passed in and returned in `TokenResponse`, whose
repr hides them; the functions that hold them are marked sensitive so Django's error reports
never print them.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from salesforce_auth.exceptions import (
    NotConfigured,
    OAuthError,
    SalesforceUnreachable,
)
from salesforce_auth.http import new_session
from salesforce_auth.models import Environment

SCOPES = "api refresh_token id"
CALLBACK_PATH = "/salesforce/oauth/callback/"


# --- configuration ------------------------------------------------------------------------
def is_configured() -> bool:
    return bool(settings.SALESFORCE_CLIENT_ID and settings.SALESFORCE_CLIENT_SECRET)


def client_credentials() -> tuple[str, str]:
    if not is_configured():
        raise NotConfigured(
            "Salesforce is not configured: set SALESFORCE_CLIENT_ID and "
            "SALESFORCE_CLIENT_SECRET to the consumer key and secret of your connected app."
        )
    return settings.SALESFORCE_CLIENT_ID, settings.SALESFORCE_CLIENT_SECRET


def default_login_url(environment: str) -> str:
    if environment == Environment.SANDBOX:
        return settings.SALESFORCE_LOGIN_URL_SANDBOX.rstrip("/")
    return settings.SALESFORCE_LOGIN_URL_PRODUCTION.rstrip("/")


def normalise_login_url(value: str) -> str:
    """A My Domain login URL as `https://host[:port]`; anything else is a ValidationError."""
    value = (value or "").strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError(
            "Enter a valid URL, like https://yourcompany.my.salesforce.com"
        ) from None
    if parts.scheme != "https":
        raise ValidationError("The login URL must start with https://")
    if not parts.hostname or "." not in parts.hostname and parts.hostname != "localhost":
        raise ValidationError("The login URL must name a host, like yourcompany.my.salesforce.com")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationError("The login URL must be just https:// and a host name")
    if parts.path not in ("", "/"):
        raise ValidationError("The login URL must be just https:// and a host name, with no path")
    host = parts.hostname.lower()
    return f"https://{host}:{port}" if port else f"https://{host}"


# --- authorize --------------------------------------------------------------------------
@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the user, and the secrets to keep in their session until the callback."""

    url: str
    state: str
    code_verifier: str = field(repr=False)


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start_authorization(login_url: str, redirect_uri: str) -> AuthorizationStart:
    client_id, _ = client_credentials()
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters, within PKCE's 43..128
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
            "prompt": "login consent",
        }
    )
    return AuthorizationStart(
        url=f"{login_url.rstrip('/')}/services/oauth2/authorize?{query}",
        state=state,
        code_verifier=verifier,
    )


# --- token endpoint ---------------------------------------------------------------------
@dataclass(frozen=True)
class TokenResponse:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)  # empty unless issued (or rotated)
    instance_url: str
    id_url: str
    issued_at: str
    scope: str
    signature: str = field(repr=False)

    @property
    def org_id(self) -> str:
        return parse_identity_url(self.id_url)[0]

    @property
    def user_id(self) -> str:
        return parse_identity_url(self.id_url)[1]


def parse_identity_url(id_url: str) -> tuple[str, str]:
    """`https://HOST/id/{orgId}/{userId}` -> (orgId, userId)."""
    parts = urlsplit(id_url).path.strip("/").split("/")
    if len(parts) != 3 or parts[0] != "id" or not parts[1] or not parts[2]:
        raise OAuthError("invalid_id", "Salesforce answered with an identity URL we cannot read")
    return parts[1], parts[2]


@sensitive_variables("client_secret", "payload")
def verify_signature(payload: dict[str, Any]) -> None:
    """The token response is signed with our client secret: proof it came from Salesforce."""
    _, client_secret = client_credentials()
    message = (payload.get("id", "") + payload.get("issued_at", "")).encode()
    expected = base64.b64encode(
        hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(expected, payload.get("signature") or ""):
        raise OAuthError("invalid_signature", "The token response's signature does not match")


@sensitive_variables("data", "payload", "response")
def _post_token(login_url: str, data: dict[str, str]) -> TokenResponse:
    client_id, client_secret = client_credentials()
    data = {**data, "client_id": client_id, "client_secret": client_secret}
    payload = _post(f"{login_url.rstrip('/')}/services/oauth2/token", data)
    verify_signature(payload)
    return TokenResponse(
        access_token=payload["access_token"],
        refresh_token=payload.get("refresh_token", ""),
        instance_url=payload["instance_url"].rstrip("/"),
        id_url=payload["id"],
        issued_at=payload.get("issued_at", ""),
        scope=payload.get("scope", ""),
        signature=payload.get("signature", ""),
    )


@sensitive_variables("data", "response")
def _post(url: str, data: dict[str, str]) -> dict[str, Any]:
    try:
        with new_session() as session:
            response = session.post(url, data=data)
    except requests.RequestException as exc:
        raise SalesforceUnreachable(
            f"Salesforce did not answer at {url}: {type(exc).__name__}"
        ) from None
    if response.status_code >= 500:
        raise SalesforceUnreachable(f"Salesforce answered {response.status_code} at {url}")
    try:
        payload = response.json() if response.content else {}
    except ValueError:
        payload = {}
    if response.status_code >= 400 or not isinstance(payload, dict):
        payload = payload if isinstance(payload, dict) else {}
        raise OAuthError(
            payload.get("error") or f"http_{response.status_code}",
            payload.get("error_description") or "",
            response.status_code,
        )
    return payload


@sensitive_variables("code", "code_verifier")
def exchange_code(
    login_url: str, code: str, redirect_uri: str, code_verifier: str
) -> TokenResponse:
    return _post_token(
        login_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )


@sensitive_variables("refresh_token")
def refresh(login_url: str, refresh_token: str) -> TokenResponse:
    return _post_token(login_url, {"grant_type": "refresh_token", "refresh_token": refresh_token})


@sensitive_variables("token")
def revoke(login_url: str, token: str) -> None:
    """Revoke a token (the refresh token also kills its access tokens)."""
    _post(f"{login_url.rstrip('/')}/services/oauth2/revoke", {"token": token})


@sensitive_variables("tokens", "response")
def fetch_username(tokens: TokenResponse) -> str:
    """The signed-in user's username, from the OpenID userinfo endpoint of their org."""
    url = f"{tokens.instance_url}/services/oauth2/userinfo"
    try:
        with new_session() as session:
            response = session.get(url, headers={"Authorization": f"Bearer {tokens.access_token}"})
    except requests.RequestException as exc:
        raise SalesforceUnreachable(
            f"Salesforce did not answer at {url}: {type(exc).__name__}"
        ) from None
    if response.status_code != 200:
        raise OAuthError("userinfo_failed", f"userinfo answered {response.status_code}")
    info = response.json()
    return info.get("preferred_username") or info.get("email") or ""
