"""Buttons bound to the step they answer.

A button stays on screen after its question has moved on (in the widget history, in the mobile
app, through the API), so its payload says which step it answers: `/answer_option{"step": …,
"choice": …}`. The flow compares `step` with the step it is at now and takes `choice` as the
answer only when they agree; an old button is refused and the current step asked again, so a
question 1 "D" can never become question 3's "D". Typed words always answer the current step.

The intent prefix makes Rasa skip the NLU for the press (a payload is never guessed at); outside
the flow it belongs to, the rule for `answer_option` explains that the button has expired.

Step ids (built by each flow): `assessment:<version>:<question id>` (or `…:summary`),
`complaint:<draft id>:<stage>`, `handoff:<handoff id>`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

INTENT = "answer_option"
_PREFIX = f"/{INTENT}"
# A press is short; anything longer is not one of our payloads (and is never parsed as JSON).
_MAX_PAYLOAD_CHARS = 300


@dataclass(frozen=True)
class Press:
    step: str
    choice: str

    @property
    def flow(self) -> str:
        """ "assessment", "complaint" or "handoff": the part of the step before the first colon."""
        return self.step.partition(":")[0]


def payload(step: str, choice: str) -> str:
    """The payload of a button that answers `step` with `choice`."""
    body = json.dumps({"step": step, "choice": choice}, ensure_ascii=False, separators=(",", ":"))
    return _PREFIX + body


def button(title: str, step: str, choice: str | None = None) -> dict[str, str]:
    """{"title", "payload"} of a bound button; the choice defaults to the title."""
    return {"title": title, "payload": payload(step, title if choice is None else choice)}


def read(text: str | None) -> Press | None:
    """The press a message carries, or None for typed text and other payloads."""
    if not text or not text.startswith(_PREFIX + "{") or len(text) > _MAX_PAYLOAD_CHARS:
        return None
    try:
        body = json.loads(text[len(_PREFIX) :])
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    step, choice = body.get("step"), body.get("choice")
    if not isinstance(step, str) or not isinstance(choice, str) or not step:
        return None
    return Press(step=step, choice=choice)


def shown_text(text: str) -> str:
    """What a person reads for a customer message: the choice of a press, otherwise the text."""
    press = read(text)
    return press.choice if press else text
