"""An action run twice for one customer message (the API resent it) makes its record once."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from bot.archive import raw_copies
from bot.conversations import effects
from bot.conversations.models import Conversation


def _key(conversation: str, message: str = "m1", action: str = "action_finish_complaint"):
    return effects.EffectKey(conversation_id=conversation, message_id=message, action=action)


def test_the_second_run_for_a_message_finds_the_first_runs_record(session):
    made = []
    key = _key(f"c-{uuid.uuid4().hex[:8]}")

    def run(key):
        return effects.once(
            session=session,
            key=key,
            make=lambda: made.append(f"case-{len(made) + 1}") or made[-1],
            record_of=lambda record: record,
            find=lambda record: f"found {record}",
        )

    assert run(key) == "case-1"
    assert run(key) == "found case-1"
    # Another message, another action, or a message that did not come through the API: made anew.
    assert run(_key(key.conversation_id, message="m2")) == "case-2"
    assert run(_key(key.conversation_id, action="action_finish_assessment")) == "case-3"
    assert run(None) == "case-4" and run(None) == "case-5"


def test_two_runs_racing_for_one_message_cannot_both_be_remembered(session):
    key = _key(f"c-{uuid.uuid4().hex[:8]}")
    effects.remember(session=session, key=key, record="TS1")
    with pytest.raises(IntegrityError), session.begin_nested():
        effects.remember(session=session, key=key, record="TS2")
    assert effects.recall(session=session, key=key) == "TS1"


def test_the_rows_go_with_their_conversation_when_it_is_purged(session):
    conversation = uuid.uuid4().hex
    session.add(Conversation(id=conversation, token_hash="0" * 64, channel="web"))
    session.flush()
    effects.remember(session=session, key=_key(conversation), record="TS20261205000001")
    raw_copies.purge_api_log(session=session, conversation_ids=[conversation])
    assert effects.recall(session=session, key=_key(conversation)) is None
