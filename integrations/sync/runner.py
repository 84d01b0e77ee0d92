"""One run, start to end: read -> keys -> match -> cast/diff -> push, then finish_run.

Memory grows with the number of distinct keys only: the report streams past once, and per
key only its first line, the key as written and the cast values are kept (KeyGroups).
Matching, diffing and pushing then go chunk by chunk; row results are flushed in batches.
"""

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from integrations.models import ApiMode, EmptyCellPolicy, IntegrationRun, RowOutcome
from integrations.sources import SourceError, open_source
from integrations.sync import matching, push
from integrations.sync.api import DailyLimitReached, SalesforceApi, SyncError
from integrations.sync.casting import CastError, cast_cell
from integrations.sync.diff import LEAVE, changed_fields
from integrations.sync.keys import KeyedRow, KeyGroups, normalise_key
from integrations.sync.outcome import RunLog, RunOutcome, Tally
from salesforce_auth.exceptions import ReauthorizationRequired, SalesforceConnectionError
from salesforce_auth.metadata import FieldInfo

logger = logging.getLogger(__name__)

# A progress callback: (phase, done, total or None). The management command draws a bar.
Progress = Callable[[str, int, int | None], None]
HEARTBEAT_SECONDS = 2.0
READ_BEAT_ROWS = 10_000
EXAMPLES_PER_FIELD = 3
API_LIMIT_REASON = "API limit"


def run_time_limit_seconds() -> float:
    """How long a run may take; Bulk polling stops (and aborts the job) at this point.

    Defaults to a margin under the Celery soft time limit, so the run ends cleanly
    before the worker is told to stop."""
    configured = getattr(settings, "SYNC_RUN_TIME_LIMIT_SECONDS", None)
    if configured is not None:
        return float(configured)
    return max(60.0, float(getattr(settings, "CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600)) - 120.0)


class BudgetRefused(SyncError):
    """The org has fewer API calls left today than the run needs: refuse before writing."""


@dataclass
class Plan:
    """The integration resolved against the object's describe: what to read and write."""

    sobject: str
    key_column: str
    key_field: FieldInfo
    columns: tuple[str, ...]
    fields: tuple[FieldInfo, ...]
    clear_empty: tuple[bool, ...]
    update_all_matches: bool
    api_mode: str
    bulk_threshold: int


@dataclass
class FieldChanges:
    count: int = 0
    examples: list[str] = field(default_factory=list)


class Run:
    """The state of one execution; `execute()` below is the entry point."""

    def __init__(self, run: IntegrationRun, dry_run: bool, progress: Progress | None) -> None:
        self.run = run
        self.dry_run = dry_run
        self.progress = progress or (lambda phase, done, total: None)
        self.log = RunLog()
        self.tally = Tally(run)
        self.rows_read = 0
        self.groups = KeyGroups()
        self.changes: list[push.Change] = []
        self.rows_with_changes = 0
        self.field_changes: dict[str, FieldChanges] = {}
        self.api: SalesforceApi | None = None
        self.results: push.PushResults | None = None
        self.duplicates_counted = False
        self.last_beat = 0.0
        self.deadline = time.monotonic() + run_time_limit_seconds()

    # ------------------------------------------------------------------ driving

    def execute(self) -> IntegrationRun:
        from integrations.services import finish_run

        integration = self.run.integration
        self.log(
            f"run {self.run.pk} of integration {integration.pk} “{integration.name}”"
            f"{' (DRY RUN: nothing is written)' if self.dry_run else ''}"
        )
        failure, reason = "", "not written: the run stopped"
        try:
            self._sync()
        except ReauthorizationRequired as exc:
            failure = (
                f"The Salesforce account {integration.connection} must be re-authorised: {exc}. "
                "Reconnect it under Salesforce connections, then run again."
            )
        except DailyLimitReached as exc:
            failure = (
                f"{exc}. The run stopped; unsent rows are counted failed ({API_LIMIT_REASON})."
            )
            reason = API_LIMIT_REASON
        except BudgetRefused as exc:
            failure, reason = str(exc), API_LIMIT_REASON
        except (SyncError, SourceError, SalesforceConnectionError) as exc:
            failure = str(exc)
        except Exception as exc:
            logger.exception("Run %s failed", self.run.pk)
            failure = f"Internal error: {type(exc).__name__}: {exc}"
        if failure:
            self.log(f"FAILED: {failure}")
            self._settle_unfinished(reason)
        self._log_summary()
        outcome = RunOutcome(
            rows_read=self.rows_read,
            counts=self.tally.counts,
            raw_log=self.log.text(),
            failure=failure,
            row_results=self.tally.pending,
        )
        return finish_run(self.run, outcome)

    def _sync(self) -> None:
        integration = self.run.integration
        connection = integration.connection
        if not connection.is_usable:
            raise SyncError(
                f"The Salesforce account {connection} is {connection.get_status_display()}: "
                "reconnect it under Salesforce connections."
            )
        from salesforce_auth.client import get_client
        from salesforce_auth.metadata import describe_fields

        self.log.phase("prepare")
        source = open_source(integration.report)
        source.check_freshness(timezone.now())
        plan = self._plan(integration, describe_fields(connection, integration.sobject_name))
        self.log(
            f"{plan.sobject}: key {plan.key_column} → {plan.key_field.name}; "
            + ", ".join(f"{c} → {f.name}" for c, f in zip(plan.columns, plan.fields, strict=True))
        )
        self.api = SalesforceApi(get_client(connection), self.log)

        self.log.phase("read report")
        self._read(source, plan)
        self._count_duplicates()
        self.log(
            f"{self.rows_read} rows read, {len(self.groups)} distinct keys to match, "
            f"{self.tally.counts[RowOutcome.INVALID]} invalid, "
            f"{self.tally.counts[RowOutcome.DUPLICATE]} duplicate"
        )

        self.log.phase("budget")
        remaining, maximum = self.api.read_limits()
        self.log(f"daily API requests before: {maximum - remaining} used of {maximum}")
        select = self._select_fields(plan)
        keys = [k for k in self.groups.rows if matching.queryable_key(k)]
        chunks = matching.count_chunks(plan.sobject, plan.key_field.name, select, keys)
        query_calls = math.ceil(chunks / matching.QUERIES_PER_COMPOSITE)
        write_calls = 0 if self.dry_run else self._write_calls(plan, len(self.groups))
        self.log(f"plan: {chunks} queries in {query_calls} calls, up to {write_calls} write calls")
        if query_calls + write_calls > remaining:
            raise BudgetRefused(
                f"This run needs up to {query_calls + write_calls} Salesforce API calls but only "
                f"{remaining} of the org's daily allocation remain; nothing was written. "
                "Run it later, or raise the org's API limit"
            )

        self.log.phase("match and compare")
        self._match(plan, select, keys)

        mode = self._mode(plan)
        if self.dry_run:
            self.log.phase("dry run: nothing written")
            self._log_field_changes()
            self.results = push.PushResults()
            self._finish_changes()
            return
        needed = (
            push.rest_calls_needed(len(self.changes))
            if mode == ApiMode.REST
            else push.bulk_calls_needed(len(self.changes))
        )
        left = self.api.remaining
        if left is not None and needed > left:
            raise BudgetRefused(
                f"Writing {len(self.changes)} changed records needs about {needed} Salesforce API "
                f"calls but only {left} remain today; nothing was written"
            )
        self.log.phase(f"push ({'Bulk API 2.0' if mode == ApiMode.BULK else 'REST'})")
        self._log_field_changes()
        self.results = push.PushResults(on_progress=self._push_progress)
        if mode == ApiMode.BULK:
            push.push_bulk(
                self.api, plan.sobject, plan.fields, self.changes, self.results, self.deadline
            )
        else:
            push.push_rest(self.api, plan.sobject, plan.fields, self.changes, self.results)
        self._finish_changes()

    # ------------------------------------------------------------------ steps

    def _plan(self, integration: Any, described: list[FieldInfo]) -> Plan:
        by_name = {f.name.lower(): f for f in described}
        sobject = integration.sobject_name
        key_field = by_name.get(integration.salesforce_key_field.lower())
        if key_field is None:
            raise SyncError(
                f"The key field {integration.salesforce_key_field} is not on {sobject}, or the "
                "connected user cannot see it. Edit the integration and choose another key"
            )
        mappings = list(integration.mappings.all())
        if not mappings:
            raise SyncError("The integration maps no report column; edit it and add a mapping")
        fields, problems = [], []
        for mapping in mappings:
            target = by_name.get(mapping.salesforce_field.lower())
            if target is None:
                problems.append(f"{mapping.salesforce_field} is not on {sobject} or not visible")
            elif not target.mappable:
                problems.append(f"{target.name} cannot be written by the connected user")
            else:
                fields.append(target)
        if problems:
            raise SyncError(
                "The mapping no longer fits Salesforce: " + "; ".join(problems) + ". Edit the "
                "integration's mapping (or fix the field's access in Salesforce)"
            )
        return Plan(
            sobject=sobject,
            key_column=integration.report_key_column,
            key_field=key_field,
            columns=tuple(m.report_column for m in mappings),
            fields=tuple(fields),
            clear_empty=tuple(m.empty_policy == EmptyCellPolicy.CLEAR for m in mappings),
            update_all_matches=integration.update_all_matches,
            api_mode=integration.api_mode,
            bulk_threshold=integration.bulk_threshold,
        )

    def _select_fields(self, plan: Plan) -> list[str]:
        names = ["Id", plan.key_field.name]
        for f in plan.fields:
            if f.name not in names:
                names.append(f.name)
        return names

    def _write_calls(self, plan: Plan, candidates: int) -> int:
        if plan.api_mode == ApiMode.BULK or (
            plan.api_mode == ApiMode.AUTO and candidates > plan.bulk_threshold
        ):
            return min(push.bulk_calls_needed(candidates), push.rest_calls_needed(candidates))
        return push.rest_calls_needed(candidates)

    def _mode(self, plan: Plan) -> str:
        if plan.api_mode == ApiMode.AUTO:
            return ApiMode.BULK if len(self.changes) > plan.bulk_threshold else ApiMode.REST
        return plan.api_mode

    def _read(self, source: Any, plan: Plan) -> None:
        tally, groups = self.tally, self.groups
        key_column, key_type = plan.key_column, plan.key_field.type
        cells = tuple(zip(plan.columns, plan.fields, plan.clear_empty, strict=True))
        checked_columns = False
        for row in source.iter_rows():
            self.rows_read += 1
            if self.rows_read % READ_BEAT_ROWS == 0:
                self.progress("read", self.rows_read, None)
                self._beat()
            values = row.values
            if values is None:
                tally.add(RowOutcome.INVALID, row.line_number, message=row.error or "malformed row")
                continue
            if not checked_columns:
                missing = [c for c in (key_column, *plan.columns) if c not in values]
                if missing:
                    raise SyncError(
                        "The report has no column "
                        + ", ".join(f"“{c}”" for c in missing)
                        + "; edit the integration's mapping or fix the report"
                    )
                checked_columns = True
            raw_key = values[key_column].strip()
            norm = normalise_key(raw_key, key_type)
            if not norm:
                tally.add(
                    RowOutcome.INVALID,
                    row.line_number,
                    field=key_column,
                    code="BLANK_KEY",
                    message=f"the key column “{key_column}” is empty",
                )
                continue
            cast: list[Any] = []
            problem = None
            for column, target, clear in cells:
                raw = values[column]
                if not raw.strip():
                    cast.append(None if clear else LEAVE)
                    continue
                try:
                    cast.append(cast_cell(target, raw))
                except CastError as exc:
                    problem = (column, target, str(exc))
                    break
            if problem is not None:
                column, target, reason = problem
                tally.add(
                    RowOutcome.INVALID,
                    row.line_number,
                    raw_key,
                    field=column,
                    code="INVALID_VALUE",
                    message=f"{column} → {target.name}: {reason}",
                )
                continue
            groups.add(norm, row.line_number, raw_key, tuple(cast))
        self.progress("read", self.rows_read, self.rows_read)

    def _count_duplicates(self) -> None:
        if self.duplicates_counted:
            return
        self.duplicates_counted = True
        for line, key, reason in self.groups.duplicates():
            self.tally.add(RowOutcome.DUPLICATE, line, key, code="DUPLICATE_KEY", message=reason)

    def _match(self, plan: Plan, select: list[str], keys: list[str]) -> None:
        tally, groups = self.tally, self.groups
        # Keys too long for a SOQL literal cannot match any record.
        for norm in [k for k in groups.rows if not matching.queryable_key(k)]:
            row = groups.rows.pop(norm)
            tally.add(RowOutcome.UNMATCHED, row.line, row.key, message="key too long to match")
        total, done = len(keys), 0
        fields = plan.fields
        for chunk_keys, found in matching.fetch(
            self.api, plan.sobject, plan.key_field.name, plan.key_field.type, select, keys
        ):
            for norm in chunk_keys:
                row = groups.rows.pop(norm)
                records = found.get(norm)
                if not records:
                    tally.add(
                        RowOutcome.UNMATCHED,
                        row.line,
                        row.key,
                        message=f"no {plan.sobject} has {plan.key_field.name} = {row.key}",
                    )
                    continue
                if len(records) > 1 and not plan.update_all_matches:
                    ids = ", ".join(r["Id"] for r in records[:5])
                    tally.add(
                        RowOutcome.AMBIGUOUS,
                        row.line,
                        row.key,
                        code="AMBIGUOUS",
                        message=f"{len(records)} records match ({ids}"
                        f"{', …' if len(records) > 5 else ''}); none was written",
                    )
                    continue
                row_changed = False
                for record in records:
                    mask = changed_fields(fields, row.values, record)
                    if mask:
                        self.changes.append(push.Change(record["Id"], row, mask))
                        self._note_field_changes(fields, row, record, mask)
                        row_changed = True
                if row_changed:
                    self.rows_with_changes += 1
                else:
                    tally.count(RowOutcome.UNCHANGED)
            done += len(chunk_keys)
            self.progress("match", done, total)
            self._beat()
        self.log(
            f"{len(self.changes)} records to update from {self.rows_with_changes} rows; "
            f"{self.tally.counts[RowOutcome.UNCHANGED]} unchanged, "
            f"{self.tally.counts[RowOutcome.UNMATCHED]} unmatched, "
            f"{self.tally.counts[RowOutcome.AMBIGUOUS]} ambiguous"
        )

    def _note_field_changes(
        self, fields: tuple[FieldInfo, ...], row: KeyedRow, record: dict, mask: int
    ) -> None:
        for position, target in enumerate(fields):
            if mask >> position & 1:
                entry = self.field_changes.setdefault(target.name, FieldChanges())
                entry.count += 1
                if len(entry.examples) < EXAMPLES_PER_FIELD:
                    new = row.values[position]
                    entry.examples.append(f"{row.key}: {record.get(target.name)!r} → {new!r}")

    def _log_field_changes(self) -> None:
        verb = "would change" if self.dry_run else "changing"
        for name, entry in self.field_changes.items():
            self.log(f"{name}: {entry.count} values {verb}; e.g. " + "; ".join(entry.examples))

    def _finish_changes(self) -> None:
        """Turn push results into row outcomes: a row is updated when all its records were."""
        results = self.results
        failed_lines: set[int] = set()
        for failure in results.failures:
            change = failure.change
            first = change.row.line not in failed_lines
            failed_lines.add(change.row.line)
            self.tally.add(
                RowOutcome.FAILED,
                change.row.line,
                change.row.key,
                field=failure.field,
                code=failure.code,
                message=failure.message,
                salesforce_id=change.record_id,
                counted=first,
            )
        results.failures = []
        self.tally.count(RowOutcome.UPDATED, self.rows_with_changes - len(failed_lines))
        self.rows_with_changes = 0
        self.changes = []

    def _settle_unfinished(self, reason: str) -> None:
        """After a stop: every row read and not yet given an outcome is `failed`."""
        self._count_duplicates()
        for row in self.groups.rows.values():
            self.tally.add(RowOutcome.FAILED, row.line, row.key, code="NOT_SENT", message=reason)
        self.groups.rows.clear()
        if self.changes:
            results = self.results or push.PushResults()
            for change in self.changes:
                if not change.done:
                    results.failed(change, "NOT_SENT", reason)
            self.results = results
            self._finish_changes()

    # ------------------------------------------------------------------ progress and log

    def _push_progress(self) -> None:
        results = self.results
        self.progress("push", results.updated + len(results.failures), len(self.changes))
        self._beat()

    def _beat(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_beat < HEARTBEAT_SECONDS:
            return
        self.last_beat = now
        IntegrationRun.objects.filter(pk=self.run.pk).update(
            heartbeat_at=timezone.now(), **self.tally.as_count_fields(self.rows_read)
        )

    def _log_summary(self) -> None:
        counts = self.tally.counts
        self.log.phase("summary")
        self.log(
            f"rows read {self.rows_read}: "
            + ", ".join(f"{outcome.label.lower()} {counts[outcome]}" for outcome in RowOutcome)
        )
        if self.api is not None:
            calls = ", ".join(f"{kind} {n}" for kind, n in sorted(self.api.calls.items()))
            self.log(
                f"API calls {self.api.total_calls} ({calls or 'none'}); retries {self.api.retries}"
            )
            if self.api.api_used is not None:
                self.log(
                    f"daily API requests after: {self.api.api_used} used of {self.api.api_max}"
                )


def execute(
    run: IntegrationRun, *, dry_run: bool | None = None, progress: Progress | None = None
) -> IntegrationRun:
    """Run the sync for a run already marked running; always ends through finish_run."""
    return Run(run, run.dry_run if dry_run is None else dry_run, progress).execute()
