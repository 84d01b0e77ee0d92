from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from salesforce_auth.fields import EncryptedTextField
from salesforce_auth.models import SalesforceConnection


class WalkMeEnvironment(models.Model):
    """A WalkMe environment (e.g. Production, Test) whose Insights reports can be pushed."""

    name = models.CharField("name", max_length=100, unique=True)
    system_id = models.CharField(
        "account / system identifier",
        max_length=100,
        blank=True,
        help_text="WalkMe account or system identifier this environment belongs to.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "WalkMe environment"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SourceKind(models.TextChoices):
    UPLOAD = "upload", "Uploaded CSV file"
    HTTPS = "https", "HTTPS URL"
    S3 = "s3", "Amazon S3"


class InsightsReport(models.Model):
    """A WalkMe Insights custom report, read from one source (an export of the report)."""

    environment = models.ForeignKey(
        WalkMeEnvironment,
        verbose_name="WalkMe environment",
        on_delete=models.PROTECT,
        related_name="reports",
    )
    name = models.CharField("report name", max_length=200)
    source_kind = models.CharField(
        "source", max_length=20, choices=SourceKind.choices, default=SourceKind.UPLOAD
    )
    source_config = models.JSONField(
        "source settings",
        default=dict,
        blank=True,
        help_text="Non-secret settings of the source (URL, bucket, prefix, region...).",
    )
    source_secret = EncryptedTextField(
        "source credentials (encrypted)",
        help_text="Credentials for the source, encrypted at rest.",
    )
    upload = models.FileField(
        "uploaded file",
        upload_to="reports/%Y/%m/",
        blank=True,
        help_text="CSV export of the report (.csv or .csv.gz).",
    )
    columns = models.JSONField(
        "columns", default=list, blank=True, help_text="Cached column names of the report."
    )
    sample_rows = models.JSONField(
        "sample rows", default=list, blank=True, help_text="First rows, for mapping previews."
    )
    expected_every_hours = models.PositiveIntegerField(
        "export expected every (hours)",
        null=True,
        blank=True,
        help_text="How often a new export arrives; a run on an older export fails.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Insights report"
        ordering = ["environment__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["environment", "name"], name="unique_report_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ReportUpload(models.Model):
    """One CSV file uploaded for a report; replacing the file keeps the earlier ones here."""

    report = models.ForeignKey(InsightsReport, on_delete=models.CASCADE, related_name="uploads")
    file_name = models.CharField("stored file", max_length=255)
    original_name = models.CharField("uploaded as", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("size (bytes)", default=0)
    uploaded_at = models.DateTimeField("uploaded at (UTC)")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="uploaded by",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "report upload"
        ordering = ["report", "-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name or self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M} UTC)"


class ApiMode(models.TextChoices):
    AUTO = "auto", "Auto (REST, or Bulk API 2.0 for large changes)"
    REST = "rest", "REST (sObject Collections)"
    BULK = "bulk", "Bulk API 2.0"


class Integration(models.Model):
    """Pushes one Insights report into one Salesforce object, matching rows by key."""

    name = models.CharField("name", max_length=200)
    connection = models.ForeignKey(
        SalesforceConnection,
        verbose_name="Salesforce account",
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    walkme_environment = models.ForeignKey(
        WalkMeEnvironment,
        verbose_name="WalkMe environment",
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    report = models.ForeignKey(
        InsightsReport,
        verbose_name="Insights report",
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    sobject_name = models.CharField(
        "Salesforce object", max_length=100, help_text="API name, e.g. Contact."
    )
    sobject_label = models.CharField("Salesforce object label", max_length=200, blank=True)
    report_key_column = models.CharField(
        "report key column",
        max_length=200,
        help_text="Report column holding each row's unique identifier (e.g. email).",
    )
    salesforce_key_field = models.CharField(
        "Salesforce key field",
        max_length=100,
        help_text="Field of the object matched against the report key (e.g. Email).",
    )
    enabled = models.BooleanField("enabled", default=True)
    api_mode = models.CharField(
        "API mode", max_length=10, choices=ApiMode.choices, default=ApiMode.AUTO
    )
    bulk_threshold = models.PositiveIntegerField(
        "Bulk threshold",
        default=10_000,
        help_text="In Auto mode, use Bulk API 2.0 above this many changed records.",
    )
    update_all_matches = models.BooleanField(
        "update all matches",
        default=False,
        help_text="When a key matches several records, update all of them "
        "(otherwise the row is reported as ambiguous and not written).",
    )
    schedule_minute = models.CharField("schedule minute", max_length=60, default="0")
    schedule_hour = models.CharField("schedule hour", max_length=60, default="9")
    schedule_day_of_week = models.CharField("schedule day of week", max_length=60, default="*")
    schedule_day_of_month = models.CharField("schedule day of month", max_length=60, default="*")
    schedule_month_of_year = models.CharField("schedule month", max_length=60, default="*")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="owner",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Receives alerts when a run fails or completes with errors.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "integration"
        ordering = ["name"]
        permissions = [("run_integration", "Can run an integration now")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Beat parses these with celery's crontab; a bad value must be refused here, not
        # discovered by beat at 09:00.
        from integrations.cron import CRON_FIELDS, cron_field_errors

        errors = cron_field_errors({name: getattr(self, name) for name in CRON_FIELDS})
        if errors:
            raise ValidationError(errors)


class EmptyCellPolicy(models.TextChoices):
    LEAVE = "leave", "Leave the field unchanged"
    CLEAR = "clear", "Clear the field"


class FieldMapping(models.Model):
    """One report column written to one Salesforce field."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="mappings")
    report_column = models.CharField("report column", max_length=200)
    salesforce_field = models.CharField("Salesforce field", max_length=100)
    empty_policy = models.CharField(
        "empty cells",
        max_length=10,
        choices=EmptyCellPolicy.choices,
        default=EmptyCellPolicy.LEAVE,
    )
    position = models.PositiveIntegerField("position", default=0)

    class Meta:
        verbose_name = "field mapping"
        ordering = ["integration", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "salesforce_field"], name="one_mapping_per_target_field"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report_column} → {self.salesforce_field}"

    def clean(self) -> None:
        # The key field identifies the record; writing it would re-key records silently.
        # A CheckConstraint cannot look across tables, so the rule lives here and in
        # services.save_integration.
        if self.integration_id and (
            self.salesforce_field.lower() == self.integration.salesforce_key_field.lower()
        ):
            raise ValidationError(
                {
                    "salesforce_field": (
                        f"{self.salesforce_field} is the key field and cannot be a target."
                    )
                }
            )


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Run now"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class IntegrationRun(models.Model):
    """One sync of an integration: its status, counts and raw log."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField("trigger", max_length=10, choices=RunTrigger.choices)
    status = models.CharField(
        "status", max_length=30, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    dry_run = models.BooleanField("dry run", default=False)
    report_name = models.CharField(
        "report name", max_length=200, help_text="The report's name when the run was made."
    )
    sobject_name = models.CharField(
        "Salesforce object", max_length=100, help_text="The object's name when the run was made."
    )
    created_at = models.DateTimeField("queued at", auto_now_add=True)
    started_at = models.DateTimeField("start (UTC)", null=True, blank=True)
    finished_at = models.DateTimeField("end (UTC)", null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        "heartbeat", null=True, blank=True, help_text="Last sign of life of the worker."
    )
    rows_read = models.PositiveIntegerField("rows read", default=0)
    rows_updated = models.PositiveIntegerField("updated", default=0)
    rows_unchanged = models.PositiveIntegerField("unchanged", default=0)
    rows_unmatched = models.PositiveIntegerField("unmatched", default=0)
    rows_ambiguous = models.PositiveIntegerField("ambiguous", default=0)
    rows_duplicate = models.PositiveIntegerField("duplicate key", default=0)
    rows_invalid = models.PositiveIntegerField("invalid", default=0)
    rows_failed = models.PositiveIntegerField("failed", default=0)
    raw_log = models.TextField("raw log", blank=True)
    error_summary = models.TextField("error summary", blank=True)

    class Meta:
        verbose_name = "integration run"
        verbose_name_plural = "run log"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_integration",
            ),
        ]
        indexes = [models.Index(fields=["integration", "-created_at"], name="run_log_list")]

    def __str__(self) -> str:
        return f"{self.report_name} → {self.sobject_name} ({self.get_status_display()})"

    OUTCOME_FIELDS = (
        "rows_updated",
        "rows_unchanged",
        "rows_unmatched",
        "rows_ambiguous",
        "rows_duplicate",
        "rows_invalid",
        "rows_failed",
    )

    @property
    def runtime(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class RowOutcome(models.TextChoices):
    UPDATED = "updated", "Updated"
    UNCHANGED = "unchanged", "Unchanged"
    UNMATCHED = "unmatched", "Unmatched"
    AMBIGUOUS = "ambiguous", "Ambiguous"
    DUPLICATE = "duplicate", "Duplicate key"
    INVALID = "invalid", "Invalid"
    FAILED = "failed", "Failed"


class RunRowResult(models.Model):
    """What happened to one report row that was not simply written or unchanged."""

    run = models.ForeignKey(IntegrationRun, on_delete=models.CASCADE, related_name="row_results")
    line_number = models.PositiveIntegerField("line")
    key = models.CharField("key", max_length=255, blank=True)
    outcome = models.CharField("outcome", max_length=20, choices=RowOutcome.choices)
    field = models.CharField("field", max_length=200, blank=True)
    error_code = models.CharField("error code", max_length=100, blank=True)
    message = models.TextField("message", blank=True)
    salesforce_id = models.CharField("Salesforce Id", max_length=18, blank=True)

    class Meta:
        verbose_name = "row result"
        ordering = ["run", "line_number", "id"]
        indexes = [models.Index(fields=["run", "line_number"], name="row_result_by_line")]

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.get_outcome_display()}"
