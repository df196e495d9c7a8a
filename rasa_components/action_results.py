"""The action server's replies checked against Rasa's schema compiled once, not on every reply.

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
