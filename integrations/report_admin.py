"""Admin for WalkMe environments and their Insights reports (and each report's source).

The form turns the source's fields into source_config / source_secret; reading the report
happens in integrations.sources (refresh_report_columns), and every SourceError is shown
to the user as an admin message, never as an error page.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from integrations.models import InsightsReport, SourceKind, WalkMeEnvironment
from integrations.sources import SourceError, format_utc, refresh_report_columns
from integrations.sources.https import AUTH_CHOICES
from integrations.sources.parsing import ParseProblem, read_preview
from integrations.sources.s3 import secret_for
from integrations.sources.upload import record_upload

HTTPS_FIELDS = ("url", "auth", "username", "secret")
S3_FIELDS = ("bucket", "prefix", "region", "endpoint_url", "access_key_id", "secret_access_key")
SECRET_HELP = "Stored encrypted. Leave blank to keep the stored value."


@admin.register(WalkMeEnvironment)
class WalkMeEnvironmentAdmin(admin.ModelAdmin):
    list_display = ("name", "system_id", "report_count", "created_at")
    search_fields = ("name", "system_id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_report_count=Count("reports"))

    @admin.display(description="Insights reports", ordering="_report_count")
    def report_count(self, obj: WalkMeEnvironment) -> str:
        url = reverse("admin:integrations_insightsreport_changelist")
        return format_html(
            '<a href="{}?environment__id__exact={}">{}</a>', url, obj.pk, obj._report_count
        )


class InsightsReportForm(forms.ModelForm):
    url = forms.URLField(
        label="URL",
        required=False,
        assume_scheme="https",
        help_text="HTTPS address of the report's CSV export (.csv or .csv.gz).",
    )
    auth = forms.ChoiceField(label="Credentials", choices=AUTH_CHOICES, required=False)
    username = forms.CharField(label="User name", required=False, max_length=200)
    secret = forms.CharField(
        label="Token or password",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=SECRET_HELP,
    )
    bucket = forms.CharField(label="Bucket", required=False, max_length=63)
    prefix = forms.CharField(
        label="Prefix",
        required=False,
        max_length=1024,
        help_text="Folder WalkMe exports to, e.g. insights/onboarding/. The newest object "
        "under it is read.",
    )
    region = forms.CharField(label="Region", required=False, max_length=40, initial="us-east-1")
    endpoint_url = forms.URLField(
        label="Endpoint URL",
        required=False,
        assume_scheme="https",
        help_text="Only for S3-compatible stores (MinIO, Ceph...). Blank for Amazon S3.",
    )
    access_key_id = forms.CharField(
        label="Access key id",
        required=False,
        max_length=128,
        help_text="Blank to use this system's AWS credentials (environment or instance role).",
    )
    secret_access_key = forms.CharField(
        label="Secret access key",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=SECRET_HELP,
    )

    class Meta:
        model = InsightsReport
        fields = ("environment", "name", "source_kind", "upload", "expected_every_hours")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        config = self.instance.source_config or {}
        for name in HTTPS_FIELDS + S3_FIELDS:
            if name in config and name not in ("secret", "secret_access_key"):
                self.initial.setdefault(name, config[name])
        self.has_secret = bool(self.instance.source_secret)

    def clean(self):
        data = super().clean()
        kind = data.get("source_kind")
        if kind == SourceKind.UPLOAD:
            if not data.get("upload") and not self.instance.upload:
                self.add_error("upload", "Upload the report's CSV export.")
        elif kind == SourceKind.HTTPS:
            url = data.get("url", "")
            if not url:
                self.add_error("url", "Enter the HTTPS address of the report's export.")
            elif not url.startswith("https://"):
                self.add_error("url", "The address must start with https://.")
            auth = data.get("auth") or "none"
            if auth == "basic" and not data.get("username"):
                self.add_error("username", "Enter the user name for basic authentication.")
            if auth != "none" and not data.get("secret") and not self._kept_secret(kind):
                self.add_error("secret", "Enter the token or password.")
        elif kind == SourceKind.S3:
            if not data.get("bucket"):
                self.add_error("bucket", "Enter the bucket WalkMe exports the report to.")
            if data.get("access_key_id") and not data.get("secret_access_key"):
                if not self._kept_secret(kind):
                    self.add_error("secret_access_key", "Enter the secret access key.")
        return data

    def _kept_secret(self, kind: str) -> bool:
        # A stored secret only counts for the source it was entered for.
        return self.has_secret and self.instance.pk and self.instance.source_kind == kind

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload and hasattr(upload, "content_type"):  # a newly uploaded file
            try:
                read_preview(upload, 1)
            except ParseProblem as exc:
                raise forms.ValidationError(f"{exc.problem}. {exc.fix}.") from None
            finally:
                upload.seek(0)
        return upload

    def save(self, commit=True):
        report = super().save(commit=False)
        data = self.cleaned_data
        kind = data.get("source_kind")
        if kind == SourceKind.HTTPS:
            report.source_config = {
                "url": data["url"],
                "auth": data.get("auth") or "none",
                "username": data.get("username", ""),
            }
            if report.source_config["auth"] == "none":
                report.source_secret = ""
            elif data.get("secret"):
                report.source_secret = data["secret"]
        elif kind == SourceKind.S3:
            report.source_config = {
                "bucket": data["bucket"].strip(),
                "prefix": data.get("prefix", "").strip(),
                "region": data.get("region", "").strip(),
                "endpoint_url": data.get("endpoint_url", ""),
                "access_key_id": data.get("access_key_id", "").strip(),
            }
            if not data.get("access_key_id"):
                report.source_secret = ""
            elif data.get("secret_access_key"):
                report.source_secret = secret_for(
                    data["access_key_id"].strip(), data["secret_access_key"]
                )
        else:
            report.source_config = {}
            report.source_secret = ""
        if commit:
            report.save()
        return report


@admin.register(InsightsReport)
class InsightsReportAdmin(admin.ModelAdmin):
    form = InsightsReportForm
    list_display = ("name", "environment", "source_kind", "column_count", "updated_at")
    list_filter = ("environment", "source_kind")
    list_select_related = ("environment",)
    search_fields = ("name",)
    actions = ["refresh_columns_action"]
    readonly_fields = ("columns_preview", "upload_history")
    change_form_template = "admin/integrations/insightsreport/change_form.html"
    fieldsets = (
        (None, {"fields": ("environment", "name", "expected_every_hours", "source_kind")}),
        # The source-* classes let the change form show only the chosen source's fields.
        (
            "Uploaded CSV file",
            {"fields": ("upload", "upload_history"), "classes": ["source-upload"]},
        ),
        ("HTTPS URL", {"fields": HTTPS_FIELDS, "classes": ["source-https"]}),
        ("Amazon S3", {"fields": S3_FIELDS, "classes": ["source-s3"]}),
        ("Columns", {"fields": ("columns_preview",)}),
    )

    @admin.display(description="Columns")
    def column_count(self, obj: InsightsReport) -> int:
        return len(obj.columns or [])

    @admin.display(description="Columns and first rows")
    def columns_preview(self, obj: InsightsReport) -> str:
        if not obj.columns:
            return "Not read yet: save the report, or use “Refresh columns”."
        header = format_html_join("", "<th>{}</th>", ((c,) for c in obj.columns))
        body = format_html_join(
            "",
            "<tr>{}</tr>",
            (
                (format_html_join("", "<td>{}</td>", ((row.get(c, ""),) for c in obj.columns)),)
                for row in obj.sample_rows or []
            ),
        )
        return format_html(
            '<div style="overflow-x:auto"><table class="report-preview"><thead><tr>{}</tr>'
            "</thead><tbody>{}</tbody></table></div>",
            header,
            body,
        )

    @admin.display(description="Upload history")
    def upload_history(self, obj: InsightsReport) -> str:
        uploads = list(obj.uploads.select_related("uploaded_by")[:50]) if obj.pk else []
        if not uploads:
            return "No uploads yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} — {} UTC{}{}</li>",
                (
                    (
                        u.original_name or u.file_name,
                        u.uploaded_at.strftime("%Y-%m-%d %H:%M"),
                        f" by {u.uploaded_by}" if u.uploaded_by else "",
                        " (current)" if u.file_name == obj.upload.name else "",
                    )
                    for u in uploads
                ),
            ),
        )

    # --- saving: cache the columns, report problems as messages ---------------------------
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        new_upload = "upload" in form.changed_data and obj.upload
        if new_upload:
            uploaded = form.cleaned_data["upload"]
            record_upload(obj, original_name=getattr(uploaded, "name", ""), user=request.user)
        source_changed = {"source_kind", "upload", *HTTPS_FIELDS, *S3_FIELDS} & set(
            form.changed_data
        )
        if not change or source_changed:
            self._refresh(request, obj)

    def _refresh(self, request: HttpRequest, report: InsightsReport) -> bool:
        try:
            preview = refresh_report_columns(report)
        except SourceError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return False
        when = (
            f"; newest export from {format_utc(preview.export_time)}" if preview.export_time else ""
        )
        self.message_user(
            request,
            f"Read {len(preview.columns)} columns and {len(preview.sample_rows)} sample rows "
            f"of “{report.name}”{when}.",
            messages.SUCCESS,
        )
        return True

    @admin.action(description="Refresh columns", permissions=["change"])
    def refresh_columns_action(self, request, queryset):
        for report in queryset:
            self._refresh(request, report)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/refresh-columns/",
                self.admin_site.admin_view(self.refresh_columns_view),
                name="integrations_insightsreport_refresh_columns",
            ),
            *super().get_urls(),
        ]

    def refresh_columns_view(self, request: HttpRequest, object_id: str):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        report = get_object_or_404(InsightsReport, pk=object_id)
        if not self.has_change_permission(request, report):
            raise PermissionDenied
        self._refresh(request, report)
        return HttpResponseRedirect(
            reverse("admin:integrations_insightsreport_change", args=[report.pk])
        )
