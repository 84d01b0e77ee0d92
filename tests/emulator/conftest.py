from salesforce_emulator.pytest_plugin import *  # noqa: F401,F403
