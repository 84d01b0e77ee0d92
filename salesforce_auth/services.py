"""What the views, the admin and the API client call to change a SalesforceConnection."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from salesforce_auth import metadata, oauth
from salesforce_auth.exceptions import (
    OAuthError,
    ReauthorizationRequired,
    SalesforceConnectionError,
    SalesforceUnreachable,
)
from salesforce_auth.fields import reveal
from salesforce_auth.models import ConnectionStatus, SalesforceConnection

logger = logging.getLogger(__name__)


def _issued_at(tokens: oauth.TokenResponse) -> datetime:
    try:
        return datetime.fromtimestamp(int(tokens.issued_at) / 1000, tz=UTC)
    except (TypeError, ValueError):
        return timezone.now()


@sensitive_variables("code", "code_verifier", "tokens")
def connect_with_code(
    *,
    environment: str,
    login_url: str,
    code: str,
    code_verifier: str,
    redirect_uri: str,
    user,
) -> SalesforceConnection:
    """Finish the web-server flow: exchange the code and store (or update) the connection.

    The same org user connected again updates their connection rather than adding another.
    """
    tokens = oauth.exchange_code(login_url, code, redirect_uri, code_verifier)
    username = oauth.fetch_username(tokens)
    with transaction.atomic():
        connection, created = SalesforceConnection.objects.select_for_update().get_or_create(
            environment=environment,
            org_id=tokens.org_id,
            user_id=tokens.user_id,
            defaults={"login_url": login_url, "instance_url": tokens.instance_url},
        )
        connection.login_url = login_url
        connection.instance_url = tokens.instance_url
        connection.username = username or connection.username
        connection.access_token = tokens.access_token
        if tokens.refresh_token:
            connection.refresh_token = tokens.refresh_token
        connection.scope = tokens.scope
        connection.issued_at = _issued_at(tokens)
        connection.status = ConnectionStatus.CONNECTED
        connection.last_error = ""
        connection.connected_by = user
        if not created:
            # "connected at" is when this authorisation was given, not the first one ever.
            connection.created_at = timezone.now()
        connection.save()
    metadata.clear_metadata_cache(connection)
    logger.info(
        "Salesforce connection %s %s (%s, org %s)",
        connection.pk,
        "created" if created else "reconnected",
        connection.environment,
        connection.org_id,
    )
    # Reload so the instance holds ciphertext wrappers, not plaintext tokens.
    return SalesforceConnection.objects.get(pk=connection.pk)


def mark_needs_reauthorisation(connection: SalesforceConnection, reason: str) -> None:
    SalesforceConnection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.NEEDS_REAUTH, last_error=reason, updated_at=timezone.now()
    )
    connection.status = ConnectionStatus.NEEDS_REAUTH
    connection.last_error = reason


@sensitive_variables("failed_access_token", "tokens", "current")
def refresh_access_token(connection: SalesforceConnection, failed_access_token: str) -> str:
    """A fresh access token for `connection`, refreshing at most once across workers.

    The row lock serialises refreshes: with refresh-token rotation, two workers refreshing
    at once would each invalidate the other's refresh token. A worker that waited for the
    lock finds the token already replaced and uses it without calling Salesforce.
    Raises ReauthorizationRequired when Salesforce refuses the refresh token.
    """
    reauth_reason = None
    with transaction.atomic():
        locked = SalesforceConnection.objects.select_for_update().get(pk=connection.pk)
        current = reveal(locked.access_token)
        if current and current != failed_access_token:
            _copy_tokens(locked, connection)
            return current
        if locked.status != ConnectionStatus.CONNECTED or not locked.refresh_token:
            raise ReauthorizationRequired(_reauth_message(locked.last_error or "not connected"))
        try:
            tokens = oauth.refresh(locked.login_url, reveal(locked.refresh_token))
        except OAuthError as exc:
            if exc.error != "invalid_grant":
                raise SalesforceConnectionError(
                    f"Refreshing the Salesforce session failed: {exc}"
                ) from None
            reauth_reason = _reauth_message(exc.description or exc.error)
        else:
            locked.access_token = tokens.access_token
            if tokens.refresh_token:  # rotation: the old refresh token is dead now
                locked.refresh_token = tokens.refresh_token
            locked.instance_url = tokens.instance_url
            locked.issued_at = _issued_at(tokens)
            locked.save(
                update_fields=[
                    "access_token",
                    "refresh_token",
                    "instance_url",
                    "issued_at",
                    "updated_at",
                ]
            )
    if reauth_reason:
        # Outside the atomic block above so the status survives the exception we raise.
        mark_needs_reauthorisation(connection, reauth_reason)
        logger.warning("Salesforce connection %s needs re-authorisation", connection.pk)
        raise ReauthorizationRequired(reauth_reason)
    fresh = SalesforceConnection.objects.get(pk=connection.pk)
    _copy_tokens(fresh, connection)
    logger.info("Refreshed the Salesforce session of connection %s", connection.pk)
    return tokens.access_token


def _copy_tokens(source: SalesforceConnection, target: SalesforceConnection) -> None:
    for name in ("access_token", "refresh_token", "instance_url", "issued_at", "status"):
        setattr(target, name, getattr(source, name))


def _reauth_message(reason: str) -> str:
    return (
        f"Salesforce refused the stored authorisation ({reason}). "
        "Reconnect the account on the Salesforce Integrations page."
    )


@dataclass(frozen=True)
class DisconnectResult:
    revoked_at_salesforce: bool
    integrations_disabled: int
    problem: str = ""


@sensitive_variables("token")
def disconnect(connection: SalesforceConnection) -> DisconnectResult:
    """Revoke at Salesforce, wipe the tokens, mark revoked, disable its integrations.

    Local tokens are wiped even if Salesforce cannot be reached; the result says so.
    """
    problem = ""
    revoked = False
    token = reveal(connection.refresh_token) or reveal(connection.access_token)
    if token:
        try:
            oauth.revoke(connection.login_url, token)
            revoked = True
        except SalesforceUnreachable as exc:
            problem = f"Salesforce could not be reached to revoke the token ({exc})."
        except OAuthError as exc:
            # invalid_token: already revoked on Salesforce's side, which is what we want.
            revoked = exc.error == "invalid_token"
            if not revoked:
                problem = f"Salesforce refused to revoke the token ({exc})."
    else:
        revoked = True
    with transaction.atomic():
        connection.access_token = ""
        connection.refresh_token = ""
        connection.status = ConnectionStatus.REVOKED
        connection.last_error = problem or "Disconnected."
        connection.save(
            update_fields=["access_token", "refresh_token", "status", "last_error", "updated_at"]
        )
        disabled = _disable_integrations(connection)
    metadata.clear_metadata_cache(connection)
    logger.info("Salesforce connection %s disconnected (revoked=%s)", connection.pk, revoked)
    return DisconnectResult(
        revoked_at_salesforce=revoked, integrations_disabled=disabled, problem=problem
    )


def _disable_integrations(connection: SalesforceConnection) -> int:
    from integrations import services as integration_services

    return integration_services.disable_integrations_for_connection(connection) or 0
