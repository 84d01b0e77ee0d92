"""The integrations grid (the Integration changelist) and the wizard hosted in the admin."""

from dataclasses import dataclass

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from integrations import services
from integrations.models import Integration, IntegrationRun, RunStatus
from integrations.schedules import describe_schedule, next_run_at
from integrations.wizard import IntegrationWizard


@dataclass(frozen=True)
class MenuItem:
    """One entry of a row's options menu; `post` items are buttons (they change things)."""

    label: str
    url: str
    post: bool = False


class IntegrationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "report",
        "sobject_display",
        "account_display",
        "schedule_display",
        "enabled",
        "last_run_display",
        "next_run_display",
        "options_menu",
    )
    list_display_links = ("name",)
    list_filter = ("enabled", "connection__environment", "walkme_environment")
    list_select_related = ("report", "connection")
    search_fields = ("name", "sobject_name", "report__name")
    actions = ["enable_selected", "disable_selected", "delete_selected_integrations"]
    change_list_template = "admin/integrations/integration/change_list.html"

    class Media:
        css = {"all": ["integrations/grid.css"]}

    # --- the grid ---------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Integration]:
        latest = IntegrationRun.objects.filter(integration=OuterRef("pk")).order_by(
            "-created_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_status=Subquery(latest.values("status")[:1]),
                last_run_started=Subquery(latest.values("started_at")[:1]),
                last_run_created=Subquery(latest.values("created_at")[:1]),
            )
        )

    @admin.display(description="Salesforce object", ordering="sobject_name")
    def sobject_display(self, obj: Integration) -> str:
        if obj.sobject_label and obj.sobject_label != obj.sobject_name:
            return f"{obj.sobject_label} ({obj.sobject_name})"
        return obj.sobject_name

    @admin.display(description="Salesforce account", ordering="connection__username")
    def account_display(self, obj: Integration) -> str:
        connection = obj.connection
        shown = format_html(
            "{}<br><small>{}</small>",
            connection.username or connection.user_id,
            connection.get_environment_display(),
        )
        if connection.is_usable:
            return shown
        # Scheduled runs of this integration will fail until the account is reconnected:
        # say so where the admin looks every day, with the way to fix it.
        return format_html(
            '{}<br><a style="color: #ba2121;" href="{}">{}: reconnect</a>',
            shown,
            reverse("admin:salesforce_integrations"),
            connection.get_status_display(),
        )

    @admin.display(description="Schedule")
    def schedule_display(self, obj: Integration) -> str:
        return describe_schedule(obj)

    @admin.display(description="Last run")
    def last_run_display(self, obj: Integration) -> str:
        status = getattr(obj, "last_run_status", None)
        if not status:
            return "Never run"
        moment = getattr(obj, "last_run_started", None) or obj.last_run_created
        return format_html(
            '<span class="run-status run-status-{}">{}</span><br><small>{}</small>',
            status,
            RunStatus(status).label,
            f"{moment:%Y-%m-%d %H:%M} UTC",
        )

    @admin.display(description="Next run")
    def next_run_display(self, obj: Integration) -> str:
        upcoming = next_run_at(obj)
        return f"{upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "—"

    def options_menu_items(self, obj: Integration) -> list[MenuItem]:
        """The row's options menu. Other features append their entries here."""
        return [
            MenuItem("Edit", reverse("admin:integrations_integration_wizard_edit", args=[obj.pk]))
        ]

    @admin.display(description="Options")
    def options_menu(self, obj: Integration) -> str:
        # POST items submit the changelist form (which carries the CSRF token) to their URL,
        # because a form cannot sit inside another form.
        entries = format_html_join(
            "",
            "<li>{}</li>",
            (
                (
                    format_html(
                        '<button type="submit" formaction="{}" formmethod="post" '
                        'class="options-menu-button">{}</button>',
                        item.url,
                        item.label,
                    )
                    if item.post
                    else format_html('<a href="{}">{}</a>', item.url, item.label),
                )
                for item in self.options_menu_items(obj)
            ),
        )
        return format_html(
            '<details class="options-menu"><summary aria-label="Options for {}">Options</summary>'
            "<ul>{}</ul></details>",
            obj.name,
            entries,
        )

    # --- actions: one-liners over the services ------------------------------------------

    @admin.action(description="Enable selected integrations", permissions=["change"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            services.set_enabled(integration, True)
        self.message_user(request, f"Enabled {len(queryset)} integration(s).", messages.SUCCESS)

    @admin.action(description="Disable selected integrations", permissions=["change"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            services.set_enabled(integration, False)
        self.message_user(request, f"Disabled {len(queryset)} integration(s).", messages.SUCCESS)

    @admin.action(description="Delete selected integrations", permissions=["delete"])
    def delete_selected_integrations(
        self, request: HttpRequest, queryset: QuerySet[Integration]
    ) -> None:
        count = 0
        for integration in queryset:
            services.delete_integration(integration)
            count += 1
        self.message_user(request, f"Deleted {count} integration(s).", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The stock bulk delete skips the services and would leave beat schedules behind.
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj: Integration) -> None:
        services.delete_integration(obj)

    def delete_queryset(self, request, queryset: QuerySet[Integration]) -> None:
        for integration in queryset:
            services.delete_integration(integration)

    # --- the wizard stands in for the add and change forms -----------------------------

    def get_urls(self):
        wizard = self.admin_site.admin_view(IntegrationWizard.as_view(model_admin=self))
        info = self.opts.app_label, self.opts.model_name
        return [
            path("wizard/", wizard, name="{}_{}_wizard".format(*info)),
            path("<int:object_id>/wizard/", wizard, name="{}_{}_wizard_edit".format(*info)),
        ] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:integrations_integration_wizard"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not str(object_id).isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return HttpResponseRedirect(
            reverse("admin:integrations_integration_wizard_edit", args=[object_id])
        )
