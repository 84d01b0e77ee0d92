"""Checking an integration's cron fields with celery's own parser (what beat will use)."""

from celery.schedules import ParseException, crontab_parser

# Field name -> (celery's parser bounds, what a user may write).
CRON_FIELDS = {
    "schedule_minute": ((60, 0), "0-59, e.g. 0 or */15"),
    "schedule_hour": ((24, 0), "0-23, e.g. 9 or 9,17"),
    "schedule_day_of_week": ((7, 0), "0-6 or mon-sun, e.g. * or mon-fri"),
    "schedule_day_of_month": ((31, 1), "1-31, e.g. * or 1"),
    "schedule_month_of_year": ((12, 1), "1-12, e.g. * or 1,4,7,10"),
}


def cron_field_errors(values: dict[str, str]) -> dict[str, str]:
    """{field: message} for every value in `values` celery's crontab would reject."""
    errors = {}
    for name, value in values.items():
        (max_, min_), hint = CRON_FIELDS[name]
        text = (value or "").strip()
        if not text:
            errors[name] = f"Required: {hint}."
            continue
        try:
            crontab_parser(max_, min_).parse(text)
        except (ValueError, ParseException) as exc:
            errors[name] = f"{text!r} is not a valid cron value ({hint}): {exc}"
    return errors
