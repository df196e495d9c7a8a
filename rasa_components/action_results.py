"""What Rasa sends the action server made lighter, and its replies checked against Rasa's schema
compiled once, not on every reply.

**Calls.** Rasa 3.6 sends the whole tracker with every action call (`EventVerbosity.ALL`), and each
customer message in it carries its NLU result: the intent ranking, the entities and the response
selector's ranking with answer texts. Serialising that payload was 12 % of our Rasa's CPU under load
(py-spy, README "Turn cost"), and the action server parses it all again. Our actions read only
the *latest* message's NLU result (`tracker.latest_message`, sent apart from the events) and, of
past customer messages, their text (tests/rasa_components/test_action_results.py checks the
actions' code for it). `lighter_action_calls()` drops `parse_data` and `metadata` (the API's
signed identity claims, read from the latest message only) from past `user` events in the call;
the latest message, every other event and everything Rasa stores are unchanged.

**Replies.**

Rasa 3.6 checks every reply of the action server with `jsonschema.validate(result, schema)`,
which first validates the (large, constant) schema itself against the JSON Schema meta-schema and
builds a new validator: ~40x the cost of checking the reply (measured 165 ms against 4 ms per
reply on a busy 2-core machine; 9 % of our Rasa's time under load). `use_compiled_schema()` makes
`RemoteAction._validate_action_result` check the same reply against the same schema with a
validator built once: the same replies pass, the same `ValidationError` (with Rasa's hint appended)
is raised for the others. Called by the tracker store of endpoints*.yml (rasa_components/stores.py)
when the Rasa server starts; it leaves Rasa untouched on a version whose method it has not checked.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.version import __version__ as rasa_version

logger = logging.getLogger(__name__)

CHECKED_RASA = "3.6."


@lru_cache(maxsize=1)
def _validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa 3.6's RemoteAction._validate_action_result with the validator built once."""
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


_stock_action_call_format = RemoteAction._action_call_format
PAST_USER_KEYS_DROPPED = frozenset({"parse_data", "metadata"})


def _lighter_action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
    """Rasa 3.6's call, past customer messages without their NLU result and metadata."""
    call = _stock_action_call_format(self, tracker, domain)
    call["tracker"] = without_past_parse_data(call["tracker"])
    return call


def without_past_parse_data(state: dict[str, Any]) -> dict[str, Any]:
    """The tracker state with `parse_data` and `metadata` dropped from every `user` event but the
    last one."""
    events = state.get("events")
    if not events:
        return state
    last_user = max((i for i, event in enumerate(events) if event.get("event") == "user"), default=-1)
    lighter = [
        {key: value for key, value in event.items() if key not in PAST_USER_KEYS_DROPPED}
        if event.get("event") == "user" and i != last_user
        else event
        for i, event in enumerate(events)
    ]
    return {**state, "events": lighter}


def lighter_action_calls() -> bool:
    """Installs the lighter calls; returns whether it did (only on the Rasa version checked)."""
    if not rasa_version.startswith(CHECKED_RASA):
        logger.warning("Rasa %s: action calls are Rasa's own (written for %sx).", rasa_version, CHECKED_RASA)
        return False
    RemoteAction._action_call_format = _lighter_action_call_format
    return True


def use_compiled_schema() -> bool:
    """Installs the compiled check; returns whether it did (only on the Rasa version checked)."""
    if not rasa_version.startswith(CHECKED_RASA):
        logger.warning(
            "Rasa %s: action results are checked by Rasa's own code (compiled check written for %sx).",
            rasa_version,
            CHECKED_RASA,
        )
        return False
    RemoteAction._validate_action_result = _validate_action_result
    return True
