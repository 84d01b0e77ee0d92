"""OAuth 2.0 web-server flow against the emulator, over real TLS sockets."""

from __future__ import annotations

import base64
import hashlib
import hmac

import requests

from salesforce_emulator import seed
from salesforce_emulator.testing import (
    API_VERSION,
    authorize,
    exchange,
    login,
    make_session,
    pkce_pair,
    redirect_params,
    refresh,
)


def test_web_server_flow_with_pkce(emulator, http):
    """Salesforce Help: OAuth 2.0 Web Server Flow for Web App Integration (token response)."""
    verifier, challenge = pkce_pair()
    resp = authorize(emulator, http, challenge=challenge, state="abc")
    assert resp.status_code == 302
    params = redirect_params(resp)
    assert params["state"] == "abc"
    assert resp.headers["Location"].startswith(seed.DEMO_REDIRECT_URIS[0])
    r = exchange(emulator, http, params["code"], verifier)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert "expires_in" not in body
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == emulator.base_url
    org_id = emulator.control.org_ids()["production"]
    assert body["id"].startswith(f"{emulator.production_login_url}/id/{org_id}/005")
    assert body["issued_at"].isdigit() and len(body["issued_at"]) == 13
    expected = base64.b64encode(
        hmac.new(
            seed.DEMO_CLIENT_SECRET.encode(),
            (body["id"] + body["issued_at"]).encode(),
            hashlib.sha256,
        ).digest()
    ).decode()
    assert body["signature"] == expected
    # the code is single use
    again = exchange(emulator, http, params["code"], verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_pkce_mismatch(emulator, http):
    """Salesforce Help: OAuth 2.0 Web Server Flow (PKCE code_verifier check)."""
    _, challenge = pkce_pair()
    resp = authorize(emulator, http, challenge=challenge)
    code = redirect_params(resp)["code"]
    r = exchange(emulator, http, code, "not-the-verifier-" * 3)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "invalid code verifier"}


def test_pkce_required(emulator, http):
    """Salesforce Help: Connected App 'Require PKCE' (authorize refuses a missing challenge)."""
    resp = authorize(emulator, http, challenge=None, state="s1")
    assert resp.status_code == 302
    p = redirect_params(resp)
    assert p["error"] == "invalid_request"
    assert p["state"] == "s1"
    assert "code" not in p


def test_deny(emulator, http):
    """Salesforce Help: OAuth 2.0 Web Server Flow (user denies access)."""
    _, challenge = pkce_pair()
    resp = authorize(emulator, http, challenge=challenge, decision="deny", state="q")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(
        "error=access_denied&error_description=end-user+denied+authorization&state=q"
    )


def test_wrong_client_id_and_redirect_uri_show_error_page(emulator, http):
    """Salesforce Help: OAuth error page (bad client id or redirect_uri: no redirect)."""
    url = f"{emulator.production_login_url}/services/oauth2/authorize"
    r = http.get(
        url,
        params={
            "response_type": "code",
            "client_id": "nope",
            "redirect_uri": seed.DEMO_REDIRECT_URIS[0],
        },
        allow_redirects=False,
    )
    assert r.status_code == 400
    assert "text/html" in r.headers["Content-Type"]
    assert "invalid_client_id" in r.text
    r = http.get(
        url,
        params={
            "response_type": "code",
            "client_id": seed.DEMO_CLIENT_ID,
            "redirect_uri": "https://evil.example/cb",
        },
        allow_redirects=False,
    )
    assert r.status_code == 400
    assert "redirect_uri_mismatch" in r.text
    assert "Location" not in r.headers


def test_bad_password_and_wrong_login_host(emulator, http):
    """Salesforce Help: Log In to Salesforce (sandbox users sign in at test.salesforce.com)."""
    _, challenge = pkce_pair()
    r = authorize(emulator, http, challenge=challenge, password="wrong")
    assert r.status_code == 200
    assert "Please check your username and password" in r.text
    # a sandbox user at the production login host
    r = authorize(emulator, http, challenge=challenge, username=seed.SANDBOX_USERNAME)
    assert "Please check your username and password" in r.text
    # and a production user at the sandbox login host
    r = authorize(emulator, http, challenge=challenge, login_url=emulator.sandbox_login_url)
    assert "Please check your username and password" in r.text


def test_sandbox_login(emulator, http):
    """Salesforce Help: OAuth endpoints for sandboxes (test.salesforce.com)."""
    body = login(
        emulator, http, login_url=emulator.sandbox_login_url, username=seed.SANDBOX_USERNAME
    )
    ids = emulator.control.org_ids()
    assert ids["production"] != ids["sandbox"]
    assert ids["sandbox"].startswith("00D") and len(ids["sandbox"]) == 18
    assert body["id"].startswith(f"{emulator.sandbox_login_url}/id/{ids['sandbox']}/005")
    assert body["instance_url"] == emulator.base_url
    # the token identifies the sandbox org: it sees the sandbox's data
    r = http.get(
        f"{body['instance_url']}/services/data/v{API_VERSION}/query",
        params={"q": "SELECT Id FROM Contact LIMIT 1"},
        headers={"Authorization": f"Bearer {body['access_token']}"},
    )
    assert r.status_code == 200
    assert r.json()["records"][0]["Id"][3:5] == ids["sandbox"][3:5]


def test_refresh_without_rotation(emulator, http, tokens):
    """Salesforce Help: OAuth 2.0 Refresh Token Flow (no new refresh token by default)."""
    r = refresh(emulator, http, tokens["refresh_token"])
    assert r.status_code == 200
    body = r.json()
    assert "refresh_token" not in body
    assert body["access_token"] != tokens["access_token"]
    assert set(body) == {
        "access_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    # the old refresh token still works
    r2 = refresh(emulator, http, tokens["refresh_token"])
    assert r2.status_code == 200


def test_refresh_with_rotation(emulator, http, tokens):
    """Salesforce Help: Refresh Token Rotation (old token stops working)."""
    emulator.control.set_refresh_token_rotation(True)
    r = refresh(emulator, http, tokens["refresh_token"])
    assert r.status_code == 200
    new_rt = r.json()["refresh_token"]
    assert new_rt != tokens["refresh_token"]
    old = refresh(emulator, http, tokens["refresh_token"])
    assert old.status_code == 400
    assert old.json() == {
        "error": "invalid_grant",
        "error_description": "expired access/refresh token",
    }
    assert refresh(emulator, http, new_rt).status_code == 200


def test_refresh_errors(emulator, http, tokens):
    """Salesforce Help: OAuth 2.0 Refresh Token Flow (error responses)."""
    r = refresh(emulator, http, "5Aep861bogus")
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant", "error_description": "authentication failure"}
    r = refresh(emulator, http, tokens["refresh_token"], secret="wrong")
    assert r.status_code == 400
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    r = http.post(
        f"{emulator.production_login_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
        },
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    emulator.control.revoke_refresh_tokens()
    r = refresh(emulator, http, tokens["refresh_token"])
    assert r.json()["error"] == "invalid_grant"


def test_revoke_refresh_token_kills_access_tokens(emulator, http, tokens):
    """Salesforce Help: Revoke OAuth Tokens."""
    url = f"{tokens['instance_url']}/services/data/v{API_VERSION}/limits"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get(url, headers=auth).status_code == 200
    r = http.post(
        f"{emulator.production_login_url}/services/oauth2/revoke",
        data={"token": tokens["refresh_token"]},
    )
    assert r.status_code == 200
    r = http.get(url, headers=auth)
    assert r.status_code == 401
    assert r.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    assert refresh(emulator, http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    bad = http.post(
        f"{emulator.production_login_url}/services/oauth2/revoke", data={"token": "nope"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_token"
    missing = http.post(f"{emulator.production_login_url}/services/oauth2/revoke", data={})
    assert missing.json()["error"] == "unsupported_token_type"


def test_userinfo_and_identity_url(emulator, http, tokens):
    """Salesforce Help: UserInfo Endpoint and Identity URLs (response shapes)."""
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    ui = http.get(f"{emulator.production_login_url}/services/oauth2/userinfo", headers=auth)
    assert ui.status_code == 200
    u = ui.json()
    org_id = emulator.control.org_ids()["production"]
    assert u["organization_id"] == org_id
    assert u["preferred_username"] == seed.PRODUCTION_USERNAME
    for k in ("user_id", "email", "name", "sub", "urls", "given_name", "family_name"):
        assert k in u
    ident = http.get(tokens["id"], headers=auth)
    assert ident.status_code == 200
    i = ident.json()
    assert i["id"] == tokens["id"]
    assert i["username"] == seed.PRODUCTION_USERNAME
    assert i["organization_id"] == org_id
    assert "{version}" in i["urls"]["rest"]
    assert http.get(tokens["id"]).status_code == 403


def test_access_token_expiry(emulator, http, tokens):
    """REST API Developer Guide: Status Codes and Error Responses (401 INVALID_SESSION_ID)."""
    url = f"{tokens['instance_url']}/services/data/v{API_VERSION}/limits"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get(url, headers=auth).status_code == 200
    emulator.control.expire_sessions()
    r = http.get(url, headers=auth)
    assert r.status_code == 401
    assert r.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    # token lifetime is configurable
    emulator.control.set_token_lifetime(0)
    fresh = refresh(emulator, http, tokens["refresh_token"]).json()
    r = http.get(url, headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert r.status_code == 401


def test_simple_salesforce_raises_expired_session(emulator, sf):
    """REST API Developer Guide: Status Codes and Error Responses (401 via simple-salesforce)."""
    from simple_salesforce.exceptions import SalesforceExpiredSession

    emulator.control.expire_sessions()
    try:
        sf.query("SELECT Id FROM Contact")
    except SalesforceExpiredSession:
        pass
    else:  # pragma: no cover
        raise AssertionError("expected SalesforceExpiredSession")


def test_token_endpoint_errors(emulator, http):
    """Salesforce Help: OAuth 2.0 Web Server Flow (token endpoint errors)."""
    url = f"{emulator.production_login_url}/services/oauth2/token"
    r = http.post(url, data={"grant_type": "password", "client_id": seed.DEMO_CLIENT_ID})
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = http.post(
        url,
        data={
            "grant_type": "authorization_code",
            "code": "bogus",
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "redirect_uri": seed.DEMO_REDIRECT_URIS[0],
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = http.post(
        url,
        data={
            "grant_type": "authorization_code",
            "code": "bogus",
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": "wrong",
        },
    )
    assert r.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }


def test_code_expires_after_15_minutes(emulator, http):
    """Salesforce Help: OAuth 2.0 Web Server Flow (authorization code lifetime 15 minutes)."""
    verifier, challenge = pkce_pair()
    code = redirect_params(authorize(emulator, http, challenge=challenge))["code"]
    emulator.emu.codes[code].created -= 16 * 60
    r = exchange(emulator, http, code, verifier)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"


def test_tls_is_verified(emulator):
    """The emulator's certificate is trusted only through its CA bundle."""
    s = requests.Session()
    s.trust_env = False
    try:
        s.get(f"{emulator.base_url}/services/data/", verify=True)
    except requests.exceptions.SSLError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the emulator's cert must not be trusted by default")
    s2 = make_session(emulator)
    assert s2.get(f"{emulator.sandbox_login_url}/services/data/").status_code == 200


def test_token_with_basic_client_auth(emulator, http):
    """RFC 6749 section 2.3.1: client credentials in an HTTP Basic header."""
    verifier, challenge = pkce_pair()
    code = redirect_params(authorize(emulator, http, challenge=challenge))["code"]
    r = http.post(
        f"{emulator.production_login_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seed.DEMO_REDIRECT_URIS[0],
            "code_verifier": verifier,
        },
        auth=(seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET),
    )
    assert r.status_code == 200, r.text
    assert "refresh_token" in r.json()
