from django.conf import settings
from django.db import models

from salesforce_auth.fields import EncryptedTextField


class Environment(models.TextChoices):
    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "Connected"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
    REVOKED = "revoked", "Revoked"


class SalesforceConnection(models.Model):
    """One Salesforce user in one org, authorised over OAuth 2.0 for data access."""

    environment = models.CharField(
        "environment",
        max_length=20,
        choices=Environment.choices,
        help_text="Production or Sandbox org.",
    )
    login_url = models.URLField(
        "login URL",
        help_text="Host the user signed in at: the default login host or the org's My Domain.",
    )
    org_id = models.CharField("org id", max_length=18, help_text="Salesforce organization Id.")
    user_id = models.CharField("user id", max_length=18, help_text="Salesforce user Id.")
    username = models.CharField("username", max_length=255, blank=True)
    instance_url = models.URLField(
        "instance URL", help_text="Base URL of the org's API, from the token response."
    )
    access_token = EncryptedTextField("access token (encrypted)")
    refresh_token = EncryptedTextField("refresh token (encrypted)")
    scope = models.CharField("scope", max_length=255, blank=True)
    issued_at = models.DateTimeField(
        "token issued at", null=True, blank=True, help_text="When the access token was issued."
    )
    status = models.CharField(
        "status",
        max_length=20,
        choices=ConnectionStatus.choices,
        default=ConnectionStatus.CONNECTED,
    )
    last_error = models.TextField(
        "last error", blank=True, help_text="Why the connection last failed, and how to fix it."
    )
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="connected by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("connected at", auto_now_add=True)
    updated_at = models.DateTimeField("updated at", auto_now=True)

    class Meta:
        verbose_name = "Salesforce connection"
        ordering = ["environment", "username"]
        permissions = [("disconnect_salesforceconnection", "Can disconnect a Salesforce account")]
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "org_id", "user_id"], name="unique_connection_per_org_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username or self.user_id} ({self.get_environment_display()})"

    @property
    def is_usable(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED
