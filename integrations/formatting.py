"""Small display helpers shared by the admin pages and the management commands."""

from datetime import timedelta


def format_duration(delta: timedelta | None) -> str:
    """`1m 12s`, `3h 05m`, `0.4s`: how long a run took, readable at a glance."""
    if delta is None:
        return "—"
    seconds = delta.total_seconds()
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
