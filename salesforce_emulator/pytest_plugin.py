"""pytest fixtures: ``salesforce_emulator_server`` (session) and ``emulator`` (per test, reset).

Enable with ``pytest_plugins = ["salesforce_emulator.pytest_plugin"]``.
"""

from __future__ import annotations

import pytest

from .server import EmulatorServer


@pytest.fixture(scope="session")
def salesforce_emulator_server(tmp_path_factory):
    """One emulator for the whole session, on a free port, its CA in a temp dir."""
    cert_dir = tmp_path_factory.mktemp("salesforce-emulator")
    server = EmulatorServer(port=0, cert_dir=cert_dir, control_token="test-control-token")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def emulator(salesforce_emulator_server):
    """The session's emulator, reset to the demo seed before the test."""
    salesforce_emulator_server.control.reset()
    return salesforce_emulator_server
