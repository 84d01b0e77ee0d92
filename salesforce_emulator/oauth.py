"""OAuth 2.0 web-server flow, refresh, revoke, userinfo and identity URL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html as _html
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from .wire import Request, Response, html, json_response, oauth_error, redirect

CODE_LIFETIME = 15 * 60
OAUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "login_hint",
    "nonce",
    "display",
)


@dataclass
class AuthCode:
    code: str
    org_key: str
    user_id: str
    username: str
    client_id: str
    redirect_uri: str
    scope: str
    challenge: str | None
    login_host: str
    created: float
    used: bool = False


@dataclass
class RefreshGrant:
    token: str
    org_key: str
    username: str
    client_id: str
    scope: str
    login_host: str
    revoked: bool = False


@dataclass
class Session:
    token: str
    org_key: str
    username: str
    client_id: str
    scope: str
    login_host: str
    issued: float
    expires: float
    refresh: str | None = None
    revoked: bool = False


def b64url_sha256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


def login_host_kind(host: str) -> str:
    return "sandbox" if host.lower() == "localhost" else "production"


def _login_base(emu, req: Request) -> str:
    return (
        emu.sandbox_login_url
        if login_host_kind(req.host) == "sandbox"
        else emu.production_login_url
    )


_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body></html>
"""


def _hidden(params: dict) -> str:
    return "\n".join(
        f'<input type="hidden" name="{_html.escape(k)}" value="{_html.escape(v)}">'
        for k, v in params.items()
        if v is not None
    )


def _error_page(error: str, description: str) -> Response:
    body = (
        "<p>We can't authorize you because of an OAuth error. For more information, contact "
        "your Salesforce administrator.</p>\n"
        f'<p id="oauth-error">OAUTH_EC_APP_NOT_FOUND: error={_html.escape(error)}</p>\n'
        f'<p id="oauth-error-description">{_html.escape(description)}</p>'
    )
    return html(400, _PAGE.format(title="OAuth Error", body=body))


def _with_query(uri: str, params: dict) -> str:
    parts = urlsplit(uri)
    q = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{q}" if parts.query else q
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect_error(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    """Back to the client with an OAuth error, as Salesforce does once redirect_uri is known."""
    return redirect(
        _with_query(
            redirect_uri, {"error": error, "error_description": description, "state": state}
        )
    )


def _login_page(params: dict, error: str | None = None, username: str = "") -> Response:
    err = f'<div id="error" class="loginError">{_html.escape(error)}</div>\n' if error else ""
    body = f"""{err}<form method="post" action="/services/oauth2/authorize" id="login_form">
{_hidden(params)}
<input type="hidden" name="step" value="login">
<label for="username">Username</label>
<input type="email" id="username" name="username" value="{_html.escape(username)}">
<label for="password">Password</label>
<input type="password" id="password" name="password">
<button type="submit" id="Login" name="Login" value="Log In">Log In</button>
</form>"""
    return html(200, _PAGE.format(title="Login | Salesforce", body=body))


def _consent_page(emu, params: dict, ticket: str, app_name: str, username: str) -> Response:
    body = f"""<p>{_html.escape(app_name)} is asking to access your Salesforce data as
<strong>{_html.escape(username)}</strong>:</p>
<ul><li>Manage user data via APIs (api)</li>
<li>Perform requests at any time (refresh_token, offline_access)</li></ul>
<form method="post" action="/services/oauth2/authorize" id="consent_form">
{_hidden(params)}
<input type="hidden" name="step" value="consent">
<input type="hidden" name="ticket" value="{_html.escape(ticket)}">
<button type="submit" id="oaapprove" name="decision" value="allow">Allow</button>
<button type="submit" id="oadeny" name="decision" value="deny">Deny</button>
</form>"""
    return html(200, _PAGE.format(title="Allow Access?", body=body))


def _ticket(emu, username: str) -> str:
    expires = str(int(time.time()) + 600)
    msg = f"{username}|{expires}".encode()
    sig = hmac.new(emu.secret, msg, hashlib.sha256).hexdigest()
    return base64.urlsafe_b64encode(msg).decode() + "." + sig


def _check_ticket(emu, ticket: str) -> str | None:
    try:
        raw, sig = ticket.split(".", 1)
        msg = base64.urlsafe_b64decode(raw.encode())
        if not hmac.compare_digest(hmac.new(emu.secret, msg, hashlib.sha256).hexdigest(), sig):
            return None
        username, expires = msg.decode().rsplit("|", 1)
        if int(expires) < time.time():
            return None
        return username
    except Exception:
        return None


def authorize(emu, req: Request) -> Response:
    params = req.form() if req.method == "POST" else {k: v[0] for k, v in req.query.items()}
    oauth_params = {k: params.get(k) for k in OAUTH_PARAMS if params.get(k) is not None}
    app = emu.apps.get(params.get("client_id", ""))
    if app is None:
        return _error_page("invalid_client_id", "client identifier invalid")
    redirect_uri = params.get("redirect_uri", "")
    if redirect_uri not in app.redirect_uris:
        return _error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
    state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect_error(
            redirect_uri, "unsupported_response_type", "response type not supported", state
        )
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method") or ("S256" if challenge else None)
    if (app.require_pkce and not challenge) or (challenge and method != "S256"):
        description = (
            "missing required code challenge" if not challenge else "invalid code challenge method"
        )
        return _redirect_error(redirect_uri, "invalid_request", description, state)
    host_kind = login_host_kind(req.host)
    step = params.get("step") if req.method == "POST" else None
    if step == "login":
        username = params.get("username", "").strip()
        password = params.get("password", "")
        user = None
        org = emu.orgs.get(host_kind)
        if org is not None:
            user = org.users.get(username)
        if user is None or not hmac.compare_digest(user.password, password):
            return _login_page(
                oauth_params,
                "Please check your username and password. If you still can't log in, contact your "
                "Salesforce administrator.",
                username,
            )
        return _consent_page(emu, oauth_params, _ticket(emu, username), app.name, username)
    if step == "consent":
        username = _check_ticket(emu, params.get("ticket", ""))
        user = emu.orgs[host_kind].users.get(username or "")
        if user is None:
            return _login_page(oauth_params, "Your session has expired. Please log in again.")
        if params.get("decision") != "allow":
            return _redirect_error(
                redirect_uri, "access_denied", "end-user denied authorization", state
            )
        code = "aPrx" + secrets.token_urlsafe(60)[:80] + "=="
        with emu.auth_lock:
            emu.codes[code] = AuthCode(
                code=code,
                org_key=host_kind,
                user_id=user.id,
                username=username,
                client_id=app.client_id,
                redirect_uri=redirect_uri,
                scope=params.get("scope") or "api refresh_token",
                challenge=challenge,
                login_host=_login_base(emu, req),
                created=time.time(),
            )
        return redirect(_with_query(redirect_uri, {"code": code, "state": state}))
    return _login_page(oauth_params, username=params.get("login_hint", ""))


def _access_token(org) -> str:
    return org.org_id[:15] + "!" + secrets.token_urlsafe(72)[:96]


def _token_payload(emu, org, user, app, scope: str, login_host: str, token: str) -> dict:
    issued_at = str(int(time.time() * 1000))
    id_url = f"{login_host}/id/{org.org_id}/{user.id}"
    sig = base64.b64encode(
        hmac.new(app.client_secret.encode(), (id_url + issued_at).encode(), hashlib.sha256).digest()
    ).decode()
    return {
        "access_token": token,
        "signature": sig,
        "scope": scope,
        "instance_url": emu.base_url,
        "id": id_url,
        "token_type": "Bearer",
        "issued_at": issued_at,
    }


def _new_session(emu, org_key, username, client_id, scope, login_host, refresh) -> Session:
    org = emu.orgs[org_key]
    now = time.time()
    s = Session(
        _access_token(org),
        org_key,
        username,
        client_id,
        scope,
        login_host,
        now,
        now + emu.token_lifetime,
        refresh,
    )
    emu.sessions[s.token] = s
    return s


def token(emu, req: Request) -> Response:
    ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    if req.method != "POST":
        return oauth_error(400, "invalid_request", "must use HTTP POST")
    if ctype not in ("application/x-www-form-urlencoded", ""):
        return oauth_error(400, "invalid_request", "invalid content type")
    form = req.form()
    grant_type = form.get("grant_type")
    if not grant_type:
        return oauth_error(400, "unsupported_grant_type", "grant type not supported")
    client_id = form.get("client_id")
    secret = form.get("client_secret")
    basic = req.header("Authorization") or ""
    if basic[:6].lower() == "basic ":
        # client_secret_basic (RFC 6749 2.3.1), as OAuth libraries often send it
        try:
            cid, _, csecret = base64.b64decode(basic[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return oauth_error(400, "invalid_client", "invalid client credentials")
        from urllib.parse import unquote_plus

        client_id = client_id or unquote_plus(cid)
        secret = secret if secret is not None else unquote_plus(csecret)
    if grant_type not in ("authorization_code", "refresh_token"):
        return oauth_error(400, "unsupported_grant_type", "grant type not supported")
    app = emu.apps.get(client_id or "")
    if app is None:
        return oauth_error(400, "invalid_client_id", "client identifier invalid")
    if (secret is not None or app.require_secret) and not hmac.compare_digest(
        (secret or "").encode(), app.client_secret.encode()
    ):
        return oauth_error(400, "invalid_client", "invalid client credentials")
    with emu.auth_lock:
        if grant_type == "authorization_code":
            code = form.get("code")
            if not code:
                return oauth_error(400, "invalid_request", "code must not be empty")
            ac = emu.codes.get(code)
            if ac is None or ac.client_id != app.client_id:
                return oauth_error(400, "invalid_grant", "invalid authorization code")
            if ac.used or time.time() - ac.created > CODE_LIFETIME:
                ac.used = True
                return oauth_error(400, "invalid_grant", "expired authorization code")
            if form.get("redirect_uri") != ac.redirect_uri:
                return oauth_error(
                    400, "redirect_uri_mismatch", "redirect_uri must match configuration"
                )
            if ac.challenge is not None:
                verifier = form.get("code_verifier")
                if not verifier or not hmac.compare_digest(b64url_sha256(verifier), ac.challenge):
                    return oauth_error(400, "invalid_grant", "invalid code verifier")
            elif form.get("code_verifier"):
                return oauth_error(400, "invalid_grant", "invalid code verifier")
            ac.used = True
            org = emu.orgs[ac.org_key]
            user = org.users[ac.username]
            scopes = set(ac.scope.split())
            refresh = None
            if scopes & {"refresh_token", "offline_access", "full"}:
                refresh = "5Aep861" + secrets.token_urlsafe(64)[:80]
                emu.refresh_tokens[refresh] = RefreshGrant(
                    refresh, ac.org_key, ac.username, app.client_id, ac.scope, ac.login_host
                )
            s = _new_session(
                emu, ac.org_key, ac.username, app.client_id, ac.scope, ac.login_host, refresh
            )
            payload = _token_payload(emu, org, user, app, ac.scope, ac.login_host, s.token)
            if refresh:
                payload["refresh_token"] = refresh
            emu.count(org, "oauth")
            return json_response(200, payload)
        # refresh_token grant
        rt = form.get("refresh_token")
        if not rt:
            return oauth_error(400, "invalid_request", "refresh_token must not be empty")
        grant = emu.refresh_tokens.get(rt)
        if grant is None or grant.client_id != app.client_id:
            return oauth_error(400, "invalid_grant", "authentication failure")
        if grant.revoked:
            return oauth_error(400, "invalid_grant", "expired access/refresh token")
        org = emu.orgs[grant.org_key]
        user = org.users[grant.username]
        new_refresh = None
        if emu.rotation:
            grant.revoked = True
            new_refresh = "5Aep861" + secrets.token_urlsafe(64)[:80]
            emu.refresh_tokens[new_refresh] = RefreshGrant(
                new_refresh,
                grant.org_key,
                grant.username,
                app.client_id,
                grant.scope,
                grant.login_host,
            )
        s = _new_session(
            emu,
            grant.org_key,
            grant.username,
            app.client_id,
            grant.scope,
            grant.login_host,
            new_refresh or rt,
        )
        payload = _token_payload(emu, org, user, app, grant.scope, grant.login_host, s.token)
        if new_refresh:
            payload["refresh_token"] = new_refresh
        emu.count(org, "oauth")
        return json_response(200, payload)


def revoke(emu, req: Request) -> Response:
    params = req.form() if req.method == "POST" else {k: v[0] for k, v in req.query.items()}
    tok = params.get("token")
    if not tok:
        return oauth_error(400, "unsupported_token_type", "this token type is not supported")
    with emu.auth_lock:
        grant = emu.refresh_tokens.get(tok)
        if grant is not None:
            grant.revoked = True
            for s in emu.sessions.values():
                if s.refresh == tok:
                    s.revoked = True
            emu.count(emu.orgs[grant.org_key], "oauth")
            return Response(200, b"", None)
        s = emu.sessions.get(tok)
        if s is not None:
            s.revoked = True
            emu.count(emu.orgs[s.org_key], "oauth")
            return Response(200, b"", None)
    return oauth_error(400, "invalid_token", "invalid token")


def bearer_session(emu, req: Request) -> Session | None:
    auth = req.header("Authorization") or ""
    tok = None
    if auth[:7].lower() == "bearer " or auth[:6].lower() == "oauth ":
        tok = auth.split(" ", 1)[1].strip()
    elif req.arg("oauth_token"):
        tok = req.arg("oauth_token")
    if not tok:
        return None
    s = emu.sessions.get(tok)
    if s is None or s.revoked or s.expires <= time.time():
        return None
    return s


def _urls(emu, org_id: str, user_id: str) -> dict:
    b = emu.base_url
    return {
        "enterprise": f"{b}/services/Soap/c/{{version}}/{org_id[:15]}",
        "metadata": f"{b}/services/Soap/m/{{version}}/{org_id[:15]}",
        "partner": f"{b}/services/Soap/u/{{version}}/{org_id[:15]}",
        "rest": f"{b}/services/data/v{{version}}/",
        "sobjects": f"{b}/services/data/v{{version}}/sobjects/",
        "search": f"{b}/services/data/v{{version}}/search/",
        "query": f"{b}/services/data/v{{version}}/query/",
        "recent": f"{b}/services/data/v{{version}}/recent/",
        "tooling_soap": f"{b}/services/Soap/T/{{version}}/{org_id[:15]}",
        "tooling_rest": f"{b}/services/data/v{{version}}/tooling/",
        "profile": f"{b}/{user_id}",
        "feeds": f"{b}/services/data/v{{version}}/chatter/feeds",
        "groups": f"{b}/services/data/v{{version}}/chatter/groups",
        "users": f"{b}/services/data/v{{version}}/chatter/users",
        "feed_items": f"{b}/services/data/v{{version}}/chatter/feed-items",
        "feed_elements": f"{b}/services/data/v{{version}}/chatter/feed-elements",
        "custom_domain": b,
    }


def userinfo(emu, req: Request) -> Response:
    s = bearer_session(emu, req)
    if s is None:
        return Response(403, b"Bad_OAuth_Token", "text/plain;charset=UTF-8")
    org = emu.orgs[s.org_key]
    u = org.users[s.username]
    emu.count(org, "oauth")
    return json_response(
        200,
        {
            "sub": f"{s.login_host}/id/{org.org_id}/{u.id}",
            "user_id": u.id,
            "organization_id": org.org_id,
            "preferred_username": u.username,
            "nickname": u.username.split("@")[0],
            "name": f"{u.first_name} {u.last_name}",
            "email": u.email,
            "email_verified": True,
            "given_name": u.first_name,
            "family_name": u.last_name,
            "zoneinfo": "Europe/London",
            "photos": {"picture": f"{emu.base_url}/img/userprofile/default_profile_200_v2.png"},
            "profile": f"{emu.base_url}/{u.id}",
            "picture": f"{emu.base_url}/img/userprofile/default_profile_200_v2.png",
            "address": {},
            "is_salesforce_integration_user": False,
            "urls": _urls(emu, org.org_id, u.id),
            "active": True,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "updated_at": "2026-01-01T00:00:00Z",
            "is_app_installed": True,
        },
    )


def identity(emu, req: Request, org_id: str, user_id: str) -> Response:
    s = bearer_session(emu, req)
    if s is None:
        return Response(403, b"Bad_OAuth_Token", "text/plain;charset=UTF-8")
    org = emu.orgs[s.org_key]
    u = org.users[s.username]
    if org_id[:15] != org.org_id[:15] or user_id[:15] != u.id[:15]:
        return Response(403, b"Bad_Id", "text/plain;charset=UTF-8")
    emu.count(org, "oauth")
    return json_response(
        200,
        {
            "id": f"{s.login_host}/id/{org.org_id}/{u.id}",
            "asserted_user": True,
            "user_id": u.id,
            "organization_id": org.org_id,
            "username": u.username,
            "nick_name": u.username.split("@")[0],
            "display_name": f"{u.first_name} {u.last_name}",
            "email": u.email,
            "email_verified": True,
            "first_name": u.first_name,
            "last_name": u.last_name,
            "timezone": "Europe/London",
            "photos": {
                "picture": f"{emu.base_url}/img/userprofile/default_profile_200_v2.png",
                "thumbnail": f"{emu.base_url}/img/userprofile/default_profile_45_v2.png",
            },
            "addr_street": None,
            "addr_city": None,
            "addr_state": None,
            "addr_country": None,
            "addr_zip": None,
            "mobile_phone": None,
            "mobile_phone_verified": False,
            "is_lightning_login_user": False,
            "status": {"created_date": None, "body": None},
            "urls": _urls(emu, org.org_id, u.id),
            "active": True,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "last_modified_date": "2026-01-01T00:00:00Z",
            "is_app_installed": True,
        },
    )
