"""The project's Celery app for a worker subprocess started by a test:
`celery -A tests.runs.worker_app worker`.

It is walkme_integration's app, with the broker transport options the test passes as JSON
in WALKME_TEST_BROKER_TRANSPORT_OPTIONS laid over the configured ones (on Redis: the test's
own key prefix, see tests.runs.conftest.own_redis_keyspace). Settings have no variable for
them, and the worker must share the test's broker space, not the shared default one.
"""

import json
import os

from walkme_integration.celery import app

_overrides = os.environ.get("WALKME_TEST_BROKER_TRANSPORT_OPTIONS")
if _overrides:
    app.conf.broker_transport_options = {
        **app.conf.broker_transport_options,
        **json.loads(_overrides),
    }

__all__ = ["app"]
