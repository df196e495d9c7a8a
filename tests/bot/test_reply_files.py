"""bot.replies: customer sentences read from bot/replies/<flow>.yml."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cases import intake
from bot.handoff.conversation import agent_quick_replies
from bot.replies import parse_replies, replies

ROOT = Path(__file__).resolve().parents[2]
# flow → the function that reads its sentences by key, and the modules that call it.
READERS = {
    "handoff": ("_say", ["bot/handoff/conversation.py"]),
    "complaint": ("_say", ["actions/complaint.py"]),
    "case_lookup": ("_say", ["bot/cases/lookup.py"]),
    "assessment": ("_say", ["actions/assessment.py"]),
    "suitability": ("_say", ["actions/suitability.py"]),
    "errors": ("error_text", ["api/errors.py", "api/ws.py", "api/security.py", "api/routes/chat.py"]),
}


def test_text_fills_the_named_fields():
    sentences = parse_replies("demo", {"hello": "您好，{name}。", "plain": "好的。\n"})
    assert sentences.text("hello", name="王先生") == "您好，王先生。"
    assert sentences.text("plain") == "好的。"


def test_a_missing_key_names_the_file():
    with pytest.raises(KeyError, match=r"bot/replies/demo.yml"):
        parse_replies("demo", {}).text("nothing")


@pytest.mark.parametrize("data", [["a list"], {"key": 3}])
def test_a_malformed_file_is_refused(data):
    with pytest.raises(ValueError):
        parse_replies("demo", data)


@pytest.mark.parametrize("flow", sorted(READERS))
def test_every_key_read_by_the_code_exists(flow):
    reader, modules = READERS[flow]
    for module in modules:
        source = (ROOT / module).read_text(encoding="utf-8")
        keys = set(re.findall(reader + r'\(\s*"(\w+)"', source))
        assert keys, module
        assert keys <= set(replies(flow).sentences), module


def test_the_agent_quick_replies_keep_their_order():
    quick = agent_quick_replies()
    assert len(quick) == 6
    assert quick[0].startswith("您好，我是人工客服") and quick[-1] == "请问还有其他可以帮您的吗？"


def test_complaint_has_a_hint_for_every_stage_and_a_name_for_every_axis():
    sentences = replies("complaint").sentences
    assert {f"axis_{axis}" for axis in intake.CHOICE_AXES} <= set(sentences)
    hints = {key.removeprefix("hint_") for key in sentences if key.startswith("hint_")}
    assert set(intake.CHOICE_AXES) <= hints
