"""rasa_sdk plugins (rasa_sdk >= 3.6 imports a top-level package of this name when the action
server starts and calls `init_hooks`): here, the shared-secret check on every action call and,
with APP_LOG_FORMAT=json, JSON log lines with the conversation id."""

from __future__ import annotations

import sys

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Registers the modules that implement rasa_sdk's hooks."""
    import rasa_sdk_plugins.action_auth
    import rasa_sdk_plugins.json_logs  # noqa: F401

    manager.register(sys.modules["rasa_sdk_plugins.action_auth"])
    manager.register(sys.modules["rasa_sdk_plugins.json_logs"])
