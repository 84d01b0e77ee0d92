from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from integrations.formatting import format_duration
from integrations.models import (
    FieldMapping,
    InsightsReport,
    Integration,
    IntegrationRun,
    RunRowResult,
    WalkMeEnvironment,
)


@admin.register(WalkMeEnvironment)
class WalkMeEnvironmentAdmin(admin.ModelAdmin):
    list_display = ("name", "system_id", "created_at")
    search_fields = ("name", "system_id")


@admin.register(InsightsReport)
class InsightsReportAdmin(admin.ModelAdmin):
    list_display = ("name", "environment", "source_kind", "updated_at")
    list_filter = ("environment", "source_kind")
    list_select_related = ("environment",)
    search_fields = ("name",)
    exclude = ("source_secret",)


class FieldMappingInline(admin.TabularInline):
    model = FieldMapping
    extra = 0
    fields = ("position", "report_column", "salesforce_field", "empty_policy")


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "report", "sobject_name", "connection", "enabled", "logs_link")
    list_filter = ("enabled", "connection__environment")
    list_select_related = ("report", "connection")
    search_fields = ("name", "sobject_name", "report__name")
    inlines = [FieldMappingInline]

    @admin.display(description="Logs")
    def logs_link(self, obj: Integration) -> str:
        url = reverse("admin:integrations_integrationrun_changelist")
        return format_html('<a href="{}?integration__id__exact={}">Logs</a>', url, obj.pk)


@admin.register(IntegrationRun)
class IntegrationRunAdmin(admin.ModelAdmin):
    """The run log: one row per sync with the spec's five columns."""

    list_display = (
        "report_name",
        "sobject_name",
        "start_utc",
        "runtime_display",
        "status",
        "rows_read",
        "rows_updated",
        "view_log",
    )
    list_filter = ("status", "trigger", "integration")
    list_select_related = ("integration",)
    date_hierarchy = "created_at"
    change_form_template = "admin/integrations/integrationrun/view_log.html"

    @admin.display(description="Start (UTC)", ordering="started_at")
    def start_utc(self, obj: IntegrationRun) -> str:
        moment = obj.started_at or obj.created_at
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"

    @admin.display(description="Runtime")
    def runtime_display(self, obj: IntegrationRun) -> str:
        return format_duration(obj.runtime)

    @admin.display(description="")
    def view_log(self, obj: IntegrationRun) -> str:
        url = reverse("admin:integrations_integrationrun_change", args=[obj.pk])
        return format_html('<a href="{}">View log</a>', url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The log is read-only; "View log" uses the change view to show it.
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context["run"] = run
            extra_context["runtime"] = format_duration(run.runtime)
            extra_context["row_results"] = run.row_results.all()[:1000]
            extra_context["row_result_count"] = run.row_results.count()
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(RunRowResult)
class RunRowResultAdmin(admin.ModelAdmin):
    list_display = ("run", "line_number", "key", "outcome", "field", "error_code", "message")
    list_filter = ("outcome",)
    list_select_related = ("run",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
