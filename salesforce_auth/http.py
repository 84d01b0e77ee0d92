"""The one way to build a requests Session that talks to Salesforce.

Every session ignores the environment (REQUESTS_CA_BUNDLE, proxies from env would otherwise
override the CA we choose), verifies with settings.SALESFORCE_CA_BUNDLE (or the system CAs),
and applies connect/read timeouts to every request, because simple-salesforce does not
forward a timeout on all of its calls.
"""

from typing import Any

import requests
from django.conf import settings


def salesforce_timeout() -> tuple[int, int]:
    return (settings.SALESFORCE_CONNECT_TIMEOUT, settings.SALESFORCE_READ_TIMEOUT)


class SalesforceSession(requests.Session):
    """A Session with our CA bundle and a default timeout on every request."""

    def __init__(self) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = settings.SALESFORCE_CA_BUNDLE or True
        self.timeout = salesforce_timeout()

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def new_session() -> SalesforceSession:
    return SalesforceSession()
