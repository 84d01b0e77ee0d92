"""`/healthz`: can this process reach the database and the task queue?

200 with {"database": "ok", "broker": "ok"}, or 503 with the error of what failed, for a
load balancer or an uptime check. It says nothing about Salesforce: an expired Salesforce
token is the integration's problem (its runs fail and alert), not the server's.
"""

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

BROKER_TIMEOUT_SECONDS = 3


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    from walkme_integration.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)


CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # any failure of a dependency is what this view reports
            healthy = False
            results[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    return JsonResponse(results, status=200 if healthy else 503)
