"""A local HTTPS emulator of Salesforce's OAuth 2.0, REST and Bulk API 2.0 wire formats.

Start it in-process with :class:`salesforce_emulator.server.EmulatorServer` or standalone with
``python -m salesforce_emulator``. See ``salesforce_emulator/README.md``.
"""

from .seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URIS,
    PRODUCTION_USERNAME,
    SANDBOX_USERNAME,
)

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_PASSWORD",
    "DEMO_REDIRECT_URIS",
    "PRODUCTION_USERNAME",
    "SANDBOX_USERNAME",
    "EmulatorServer",
]


def __getattr__(name):
    if name == "EmulatorServer":
        from .server import EmulatorServer

        return EmulatorServer
    raise AttributeError(name)
