"""Drive the emulator's Salesforce sign-in and consent pages like a browser would.

The Django test client serves our views; the emulator's pages are real HTTPS, so they are
fetched with requests (trusting only the emulator's CA).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from django.test import Client

from salesforce_emulator import seed


@dataclass
class _Form:
    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.form: _Form | None = None
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.form = _Form(action=attrs.get("action", ""))
            self._inside = True
        elif tag == "input" and self._inside and attrs.get("name"):
            self.form.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def parse_form(html: str, form_id: str) -> _Form:
    parser = _FormParser(form_id)
    parser.feed(html)
    assert parser.form is not None, f"no form #{form_id} on the page:\n{html[:2000]}"
    return parser.form


class EmulatorSignIn:
    """A user at the emulator's login and consent pages."""

    def __init__(self, ca_bundle: str) -> None:
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.verify = ca_bundle

    def sign_in(
        self,
        authorize_url: str,
        username: str,
        password: str = seed.DEMO_PASSWORD,
        decision: str = "allow",
    ) -> str:
        """Sign in and answer the consent page; returns where Salesforce redirects back to."""
        page = self.http.get(authorize_url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text[:1000]
        login = parse_form(page.text, "login_form")
        consent_page = self.http.post(
            urljoin(authorize_url, login.action),
            data={**login.fields, "username": username, "password": password},
            allow_redirects=False,
            timeout=10,
        )
        consent = parse_form(consent_page.text, "consent_form")
        answer = self.http.post(
            urljoin(authorize_url, consent.action),
            data={**consent.fields, "decision": decision},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 302, answer.text[:1000]
        return answer.headers["Location"]


def username_for(environment: str) -> str:
    return seed.SANDBOX_USERNAME if environment == "sandbox" else seed.PRODUCTION_USERNAME


def start_connect(client: Client, environment: str, **extra: str):
    """Press "+ Add account": the response redirects to the Salesforce authorize URL."""
    return client.post("/salesforce/connect/", {"environment": environment, **extra})


def follow_callback(client: Client, location: str):
    """Let the browser follow Salesforce's redirect back to our callback."""
    parts = urlsplit(location)
    assert parts.path == "/salesforce/oauth/callback/", location
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    return client.get(parts.path, query)


def connect_through_emulator(
    client: Client, ca_bundle: str, environment: str, decision: str = "allow", **extra: str
):
    """The whole "+ Add account" flow; returns our callback's response."""
    started = start_connect(client, environment, **extra)
    assert started.status_code == 302, started.content[:1000]
    location = EmulatorSignIn(ca_bundle).sign_in(
        started["Location"], username_for(environment), decision=decision
    )
    return follow_callback(client, location)
