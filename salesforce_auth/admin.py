from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import path, reverse

from salesforce_auth import metadata, oauth
from salesforce_auth.models import Environment, SalesforceConnection


@admin.register(SalesforceConnection)
class SalesforceConnectionAdmin(admin.ModelAdmin):
    # Tokens are deliberately absent from every list, form and detail page.
    list_display = (
        "username",
        "environment",
        "org_id",
        "instance_url",
        "status",
        "created_at",
        "connected_by",
    )
    list_filter = ("environment", "status")
    list_select_related = ("connected_by",)
    search_fields = ("username", "org_id", "user_id")
    fields = (
        "environment",
        "username",
        "org_id",
        "user_id",
        "login_url",
        "instance_url",
        "scope",
        "issued_at",
        "status",
        "last_error",
        "connected_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ["refresh_metadata"]
    change_list_template = "admin/salesforce_auth/salesforceconnection/change_list.html"

    def has_add_permission(self, request):
        # Connections are only made through the OAuth flow, never typed in.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        page = self.admin_site.admin_view(self.integrations_page)
        return [path("integrations/", page, name="salesforce_integrations"), *super().get_urls()]

    @admin.action(description="Refresh metadata (objects and fields) of the selected accounts")
    def refresh_metadata(self, request, queryset):
        for connection in queryset:
            metadata.clear_metadata_cache(connection)
        self.message_user(
            request, f"Metadata will be fetched again for {queryset.count()} account(s)."
        )

    def integrations_page(self, request: HttpRequest) -> TemplateResponse:
        """The "Salesforce Integrations" page: connected accounts by environment."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        connections = list(
            SalesforceConnection.objects.select_related("connected_by").order_by(
                "environment", "username"
            )
        )
        sections = [
            {
                "environment": environment,
                "default_login_url": oauth.default_login_url(environment.value),
                "connections": [c for c in connections if c.environment == environment],
            }
            for environment in (Environment.PRODUCTION, Environment.SANDBOX)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Salesforce Integrations",
            "opts": self.model._meta,
            "sections": sections,
            "configured": oauth.is_configured(),
            "callback_url": request.build_absolute_uri(oauth.CALLBACK_PATH),
            "can_connect": request.user.has_perm("salesforce_auth.add_salesforceconnection"),
            "can_disconnect": request.user.has_perm(
                "salesforce_auth.disconnect_salesforceconnection"
            ),
            "new_integration_url": reverse("admin:integrations_integration_add"),
            "all_connections_url": reverse("admin:salesforce_auth_salesforceconnection_changelist"),
        }
        return TemplateResponse(
            request, "admin/salesforce_auth/salesforceconnection/integrations.html", context
        )
