"""Settings come from the environment; a wrong value names the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_settings(*, unset: tuple[str, ...] = (), **overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in unset} | overrides
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "variable,value",
    [
        ("DJANGO_DEBUG", "maybe"),
        ("CELERY_TASK_SOFT_TIME_LIMIT", "soon"),
        ("SALESFORCE_API_VERSION", "latest"),
        ("SALESFORCE_LOGIN_URL_SANDBOX", "http://test.salesforce.com"),
        ("DATABASE_URL", "nosuchdb://x"),
    ],
)
def test_it_names_the_variable_with_a_bad_value(variable, value):
    result = _load_settings(**{variable: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr


def test_it_requires_a_secret_key_when_debug_is_off():
    result = _load_settings(unset=("DJANGO_SECRET_KEY",), DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_time_limits_stay_below_the_visibility_timeout(settings):
    assert settings.TIME_ZONE == "UTC" or os.environ.get("DJANGO_TIME_ZONE")
    assert settings.USE_TZ
    assert settings.CELERY_TIMEZONE == "UTC"
    assert settings.CELERY_TASK_ACKS_LATE
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1
    assert (
        settings.CELERY_TASK_SOFT_TIME_LIMIT
        < settings.CELERY_TASK_TIME_LIMIT
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    )


def test_it_refuses_limits_in_the_wrong_order():
    result = _load_settings(CELERY_TASK_SOFT_TIME_LIMIT="600", CELERY_TASK_TIME_LIMIT="500")
    assert result.returncode != 0
    assert "CELERY_TASK_SOFT_TIME_LIMIT" in result.stderr
