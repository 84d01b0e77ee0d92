"""Errors of the Salesforce connection layer, split into what can be retried and what cannot."""


class SalesforceConnectionError(Exception):
    """A connection to Salesforce could not be used."""


class ReauthorizationRequired(SalesforceConnectionError):
    """Salesforce refused the refresh token: a person must reconnect the account.

    Permanent: retrying cannot help, so callers fail at once and show the message.
    """


class OAuthError(SalesforceConnectionError):
    """Salesforce's OAuth endpoints answered with an error (``error`` / ``error_description``)."""

    def __init__(self, error: str, description: str = "", status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}" if description else error)


class SalesforceUnreachable(SalesforceConnectionError):
    """Salesforce did not answer (network error, timeout or a 5xx): worth retrying later."""


class NotConfigured(SalesforceConnectionError):
    """SALESFORCE_CLIENT_ID / SALESFORCE_CLIENT_SECRET are not set."""
