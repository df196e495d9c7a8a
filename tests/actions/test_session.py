"""A conversation starts with the bank's identity as slots (every response can give the hotline)."""

from __future__ import annotations

import asyncio

from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml")).as_dict()


def test_a_session_starts_with_the_banks_identity_and_keeps_the_other_slots(monkeypatch):
    monkeypatch.setenv("BANK_NAME", "厦岭银行")
    monkeypatch.setenv("BANK_HOTLINE", "400-820-1234")
    tracker = Tracker.from_dict(
        {
            "sender_id": "c1",
            "slots": {"faq_last_topic": "annual_fee", "bank_hotline": "95000"},
            "events": [],
            "latest_message": {},
        }
    )
    events = asyncio.run(ActionSessionStart().run(CollectingDispatcher(), tracker, DOMAIN))
    assert events[0]["event"] == "session_started" and events[-1] == {
        **events[-1],
        "event": "action",
        "name": "action_listen",
    }
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["bank_name"] == "厦岭银行" and slots["bank_hotline"] == "400-820-1234"
    assert slots["bank_fraud_line"] == "400-820-1234" and slots["faq_last_topic"] == "annual_fee"
    assert [e["name"] for e in events if e["event"] == "slot"].count("bank_hotline") == 1
