"""The Celery application; configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "walkme_integration.settings")

app = Celery("walkme_integration")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="walkme_integration.ping")
def ping(marker_path: str | None = None) -> str:
    """Check that a worker answers through the configured broker.

    No result backend is configured (runs report through the database), so a caller that
    needs proof of execution passes a file path for the worker to write.
    """
    if marker_path:
        with open(marker_path, "w") as marker:
            marker.write("pong")
    return "pong"
