from django.contrib import admin

from salesforce_auth.models import SalesforceConnection


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

    def has_add_permission(self, request):
        # Connections are only made through the OAuth flow, never typed in.
        return False
