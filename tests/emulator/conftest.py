"""Fixtures for the emulator's own tests (no Django needed)."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce

from salesforce_emulator.pytest_plugin import *  # noqa: F401,F403
from salesforce_emulator.testing import API_VERSION, login, make_session


@pytest.fixture
def http(emulator):
    s = make_session(emulator)
    yield s
    s.close()


@pytest.fixture
def tokens(emulator, http):
    return login(emulator, http)


@pytest.fixture
def sf(emulator, http, tokens):
    return Salesforce(
        instance_url=tokens["instance_url"],
        session_id=tokens["access_token"],
        session=http,
        version=API_VERSION,
    )


@pytest.fixture
def api(emulator, tokens):
    """(base data URL, headers) for raw requests."""
    return (
        f"{tokens['instance_url']}/services/data/v{API_VERSION}",
        {"Authorization": f"Bearer {tokens['access_token']}"},
    )
