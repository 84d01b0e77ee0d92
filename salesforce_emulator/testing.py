"""Helpers for tests that talk to the emulator: trusted sessions, PKCE, driving the OAuth forms."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlparse

import requests

from . import seed

API_VERSION = "62.0"


def make_session(server) -> requests.Session:
    """A requests session that trusts only the emulator's CA (REQUESTS_CA_BUNDLE ignored)."""
    s = requests.Session()
    s.trust_env = False
    s.verify = server.ca_bundle
    return s


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(
    server,
    session,
    *,
    login_url=None,
    username=seed.PRODUCTION_USERNAME,
    password=seed.DEMO_PASSWORD,
    decision="allow",
    challenge=None,
    redirect_uri=seed.DEMO_REDIRECT_URIS[0],
    state="st-123",
    scope=None,
):
    """Drive the sign-in and consent HTML forms; returns the final redirect Location."""
    login_url = login_url or server.production_login_url
    params = {
        "response_type": "code",
        "client_id": seed.DEMO_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    if scope:
        params["scope"] = scope
    page = session.get(
        f"{login_url}/services/oauth2/authorize", params=params, allow_redirects=False
    )
    if page.status_code != 200 or "Log In" not in page.text:
        return page
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    form.update(username=username, password=password)
    consent = session.post(
        f"{login_url}/services/oauth2/authorize", data=form, allow_redirects=False
    )
    if "Allow" not in consent.text:
        return consent
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', consent.text))
    form["decision"] = decision
    return session.post(f"{login_url}/services/oauth2/authorize", data=form, allow_redirects=False)


def redirect_params(resp) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(resp.headers["Location"]).query).items()}


def exchange(
    server, session, code, verifier, login_url=None, redirect_uri=seed.DEMO_REDIRECT_URIS[0]
):
    login_url = login_url or server.production_login_url
    return session.post(
        f"{login_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )


def refresh(server, session, refresh_token, secret=seed.DEMO_CLIENT_SECRET, login_url=None):
    """The refresh_token grant at the login host, as a connected app sends it."""
    login_url = login_url or server.production_login_url
    return session.post(
        f"{login_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": secret,
        },
    )


def login(server, session, login_url=None, username=seed.PRODUCTION_USERNAME) -> dict:
    verifier, challenge = pkce_pair()
    resp = authorize(server, session, login_url=login_url, username=username, challenge=challenge)
    assert resp.status_code == 302, resp.text
    code = redirect_params(resp)["code"]
    r = exchange(server, session, code, verifier, login_url=login_url)
    assert r.status_code == 200, r.text
    return r.json()
