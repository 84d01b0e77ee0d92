"""Strict readers for settings that come from the environment.

A wrong value must stop start-up with the variable's name in the message, rather than
silently falling back to a default that behaves differently in production.
"""

import os
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {number}")
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(name: str, default: str | None = None, schemes: tuple[str, ...] = ("https",)) -> str:
    value = env_str(name, default)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set")
    if not any(value.startswith(f"{scheme}://") for scheme in schemes):
        raise ImproperlyConfigured(
            f"{name} must start with {' or '.join(s + '://' for s in schemes)}, got {value!r}"
        )
    return value.rstrip("/")


def env_checked(name: str, default: str, check: Callable[[str], bool], expected: str) -> str:
    value = env_str(name, default) or default
    if not check(value):
        raise ImproperlyConfigured(f"{name} must be {expected}, got {value!r}")
    return value
