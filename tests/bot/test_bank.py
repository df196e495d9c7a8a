"""The bank's identity from the settings: in every answer that gives the hotline, and the numbers
the chat makes tap-to-call."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot import bank
from bot.config import load_settings
from bot.faq.answers import ANSWERS_DIR, read_answers
from bot.faq.catalog import load_catalog
from bot.handoff import conversation as rules
from tests.conftest import ROOT

IDENTITY = bank.BankIdentity(
    name="厦岭银行", hotline="400-820-1234", fraud_line="95123", website="https://www.bank.example"
)


def _responses() -> dict[str, list[dict]]:
    """Rasa's responses and the knowledge base's FAQ answers."""
    found = yaml.safe_load(Path(ROOT / "domain.yml").read_text(encoding="utf-8")).get("responses") or {}
    for topic_id, answer in read_answers(ANSWERS_DIR, load_catalog()).items():
        found[f"utter_faq/{topic_id}"] = [{"text": answer.text}]
    return found


def test_every_answer_that_mentions_the_hotline_gives_the_number_from_the_settings():
    mentions = 0
    for name, variants in _responses().items():
        for variant in variants:
            text = variant.get("text") or ""
            for match in re.finditer(r"热线", text):
                after = text[match.end() : match.end() + 20]
                if "心理援助" in text[max(0, match.start() - 4) : match.start()]:
                    continue
                mentions += 1
                assert re.match(r"[：:]?\{bank_(hotline|fraud_line)\}", after), (name, text)
            assert not re.search(r"95\d{3}(?!\d)", text), f"{name} holds a number of its own"
    assert mentions >= 20


def test_the_demo_bank_is_the_default_and_production_values_come_from_the_environment(monkeypatch):
    for name in ("BANK_NAME", "BANK_HOTLINE", "BANK_FRAUD_LINE", "BANK_WEBSITE"):
        monkeypatch.delenv(name, raising=False)
    demo = bank.from_settings(load_settings())
    assert (demo.name, demo.hotline, demo.fraud_line) == ("示例银行", "95000", "95000")
    assert bank.demo_values(load_settings()) == [
        "BANK_NAME",
        "BANK_HOTLINE",
        "BANK_FRAUD_LINE",
        "BANK_WEBSITE",
    ]
    monkeypatch.setenv("BANK_HOTLINE", "400-820-1234")  # the fraud line follows the hotline unless set
    assert bank.from_settings(load_settings()).fraud_line == "400-820-1234"
    monkeypatch.setenv("BANK_FRAUD_LINE", "95123")
    assert bank.from_settings(load_settings()).slots()["bank_fraud_line"] == "95123"


def test_the_numbers_a_reply_gives_are_found_standing_alone():
    text = "1. 拨打厦岭银行24小时客服热线95123；\n2. 拨打110报警，或拨打国家反诈专线96110。热线400-820-1234"
    assert bank.call_numbers(text, IDENTITY) == ["95123", "110", "96110", "400-820-1234"]
    assert bank.call_numbers("转了1100元，又转了110元，卡号6222110123", IDENTITY) == []
    assert bank.call_numbers(None, IDENTITY) == []
    assert bank.dial_digits("400-820-1234") == "4008201234"


def test_urgent_replies_are_numbered_steps_with_the_banks_numbers():
    fraud = rules.fraud_text(IDENTITY).splitlines()
    assert [line[:2] for line in fraud[1:]] == ["1.", "2.", "3."]
    assert "厦岭银行24小时客服热线95123" in fraud[1] and "110" in fraud[2] and "96110" in fraud[2]
    distress = rules.distress_text().splitlines()
    assert "110" in distress[1] and "120" in distress[1] and "12356" in distress[2]
    # With nobody to take them, the 24-hour number comes before the call-back.
    for text in (
        rules.no_agent_text(IDENTITY, urgent=True),
        rules.closed_text("每天 09:00-21:00", None, IDENTITY, urgent=True),
    ):
        assert text.index("95123") < text.index("预约回电")
    assert "24小时客服热线400-820-1234" in rules.no_agent_text(IDENTITY)
