from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    SolarSchedule,
)

from integrations import services
from integrations.charts import integration_runs_chart, rows_not_written
from integrations.formatting import format_duration
from integrations.integration_admin import IntegrationAdmin, MenuItem
from integrations.models import (
    ACTIVE_RUN_STATUSES,
    Integration,
    IntegrationRun,
    RunRowResult,
    RunStatus,
)
from integrations.report_admin import InsightsReportAdmin, WalkMeEnvironmentAdmin  # noqa: F401
from integrations.run_admin import (
    AUTO_REFRESH_SECONDS,
    ScheduleForm,
    can_run,
    queue_run_and_report,
    run_selected_integrations,
    runs_are_active,
)
from integrations.schedules import describe_schedule, next_run_at


@admin.register(Integration)
class IntegrationGridAdmin(IntegrationAdmin):
    """The grid (integration_admin.py) plus the runs feature: Run now and Logs."""

    actions = [*IntegrationAdmin.actions, run_selected_integrations]

    def has_run_integration_permission(self, request) -> bool:
        return can_run(request)

    def options_menu_items(self, obj: Integration) -> list[MenuItem]:
        logs = reverse("admin:integrations_integrationrun_changelist")
        run_now = reverse("admin:integrations_integrationrun_run_now", args=[obj.pk])
        return [
            *super().options_menu_items(obj),
            MenuItem("Run now", run_now, post=True),
            MenuItem("Dry run (write nothing)", f"{run_now}?dry_run=1", post=True),
            MenuItem("Logs", f"{logs}?integration__id__exact={obj.pk}"),
            MenuItem("Schedule", reverse("admin:integrations_integration_schedule", args=[obj.pk])),
        ]

    def get_urls(self):
        schedule = path(
            "<int:object_id>/schedule/",
            self.admin_site.admin_view(self.schedule_view),
            name="integrations_integration_schedule",
        )
        return [schedule, *super().get_urls()]

    def schedule_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Override the daily 09:00 UTC with cron fields; beat's PeriodicTask follows."""
        integration = get_object_or_404(Integration, pk=object_id)
        if not self.has_change_permission(request, integration):
            raise PermissionDenied
        form = ScheduleForm(request.POST or None, instance=integration)
        if request.method == "POST" and form.is_valid():
            services.set_schedule(integration, **form.cleaned_data)
            upcoming = next_run_at(integration)
            when = f"; next run {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else ""
            self.message_user(
                request,
                f"Schedule of {integration.name} saved: {describe_schedule(integration)}{when}.",
            )
            return HttpResponseRedirect(reverse("admin:integrations_integration_changelist"))
        integration.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Schedule: {integration.name}",
            "integration": integration,
            "form": form,
            "schedule": describe_schedule(integration),
            "next_run": next_run_at(integration),
        }
        return TemplateResponse(request, "admin/integrations/integration/schedule.html", context)

    def get_queryset(self, request: HttpRequest):
        latest = IntegrationRun.objects.filter(integration=OuterRef("pk")).order_by(
            "-created_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(last_run_rows_read=Subquery(latest.values("rows_read")[:1]))
        )

    @admin.display(description="Last run")
    def last_run_display(self, obj: Integration) -> str:
        shown = super().last_run_display(obj)
        if getattr(obj, "last_run_status", None) == RunStatus.RUNNING:
            # The runner updates the counts after every batch: show how far it got.
            return format_html("{}<br><small>{} rows so far</small>", shown, obj.last_run_rows_read)
        return shown

    def changelist_view(self, request, extra_context=None):
        # The grid's last-run column follows a running run by reloading itself.
        extra_context = extra_context or {}
        if runs_are_active():
            extra_context["auto_refresh_seconds"] = AUTO_REFRESH_SECONDS
        return super().changelist_view(request, extra_context)


@admin.register(IntegrationRun)
class IntegrationRunAdmin(admin.ModelAdmin):
    """The run log: one row per sync with the spec's five columns and the counts."""

    list_display = (
        "report_name",
        "sobject_name",
        "start_utc",
        "runtime_display",
        "status_display",
        "rows_read",
        "rows_updated",
        "not_written",
        "view_log",
    )
    list_filter = ("status", "trigger", "integration")
    list_select_related = ("integration",)
    date_hierarchy = "created_at"
    change_list_template = "admin/integrations/integrationrun/change_list.html"
    change_form_template = "admin/integrations/integrationrun/view_log.html"

    @admin.display(description="Start (UTC)", ordering="started_at")
    def start_utc(self, obj: IntegrationRun) -> str:
        moment = obj.started_at or obj.created_at
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"

    @admin.display(description="Runtime")
    def runtime_display(self, obj: IntegrationRun) -> str:
        return format_duration(obj.runtime)

    @admin.display(description="Status", ordering="status")
    def status_display(self, obj: IntegrationRun) -> str:
        # A dry run's "updated" means "would be updated": say so wherever its status shows.
        status = obj.get_status_display()
        return f"{status} (dry run)" if obj.dry_run else status

    @admin.display(description="Not written")
    def not_written(self, obj: IntegrationRun) -> int:
        return rows_not_written(obj)

    @admin.display(description="")
    def view_log(self, obj: IntegrationRun) -> str:
        url = reverse("admin:integrations_integrationrun_change", args=[obj.pk])
        return format_html('<a href="{}">View log</a>', url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The log is read-only; "View log" uses the change view to show it.
        return False

    def get_urls(self):
        run_now = path(
            "run-now/<int:integration_id>/",
            self.admin_site.admin_view(self.run_now_view),
            name="integrations_integrationrun_run_now",
        )
        rows_csv = path(
            "<int:run_id>/rows.csv",
            self.admin_site.admin_view(self.rows_csv_view),
            name="integrations_integrationrun_rows_csv",
        )
        return [run_now, rows_csv, *super().get_urls()]

    def rows_csv_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        """The run's row results as a CSV download (formula-safe cells)."""
        from django.http import StreamingHttpResponse

        from integrations.sync.export import row_results_csv

        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(IntegrationRun, pk=run_id)
        response = StreamingHttpResponse(row_results_csv(run), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-rows.csv"'
        return response

    def run_now_view(self, request: HttpRequest, integration_id: int) -> HttpResponse:
        """POST only (CSRF-checked by admin_view): queue a run, then go back where we were."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_run(request):
            raise PermissionDenied
        integration = get_object_or_404(
            Integration.objects.select_related("report"), pk=integration_id
        )
        dry_run = request.GET.get("dry_run") == "1"
        queue_run_and_report(self, request, integration, dry_run=dry_run)
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:integrations_integration_changelist")
        return HttpResponseRedirect(back)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        integration = None
        integration_id = request.GET.get("integration__id__exact", "")
        if integration_id.isdigit():
            integration = Integration.objects.filter(pk=int(integration_id)).first()
        if integration is not None:
            extra_context["integration"] = integration
            extra_context["runs_chart"] = integration_runs_chart(integration.pk)
        if runs_are_active(integration):
            extra_context["auto_refresh_seconds"] = AUTO_REFRESH_SECONDS
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context["run"] = run
            extra_context["runtime"] = format_duration(run.runtime)
            extra_context["row_results"] = run.row_results.all()[:1000]
            extra_context["row_result_count"] = run.row_results.count()
            if run.status in ACTIVE_RUN_STATUSES:
                extra_context["auto_refresh_seconds"] = AUTO_REFRESH_SECONDS
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


# Schedules are kept in step by integrations.schedules; editing crontabs, intervals, clocked
# or solar schedules by hand would only confuse the picture, so the admin shows the periodic
# tasks themselves and nothing else of django-celery-beat.
for _schedule_model in (ClockedSchedule, CrontabSchedule, IntervalSchedule, SolarSchedule):
    if admin.site.is_registered(_schedule_model):
        admin.site.unregister(_schedule_model)
