"""The analysts' dashboard tells the truth: a known set of conversations, stored from Rasa broker
events the way the consumer stores them, gives the rates computed by hand from the definitions
in bot/transcripts/outcomes.py; a form's answers are never "未识别的问法"; FAQ topics are counted
apart and named by their catalog titles; button presses show the button's title. SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete

from bot.archive.models import ServiceRecord
from bot.cases.crypto import CaseCipher
from bot.handoff import service as handoff_service
from bot.transcripts import dashboard, labels, outcomes
from bot.transcripts import service as transcripts
from bot.transcripts.models import (
    TranscriptConversation,
    TranscriptConversationIntent,
    TranscriptDialogueState,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTerm,
)
from bot.transcripts.query import ConversationFilter, conversation_detail, list_conversations

START = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in China


@pytest.fixture
def store(session):
    """An empty transcript store (other tests may have committed rows to the shared database;
    the deletes are rolled back with the test)."""
    for model in (
        TranscriptTerm,
        TranscriptEvent,
        TranscriptConversationIntent,
        TranscriptMessage,
        TranscriptConversation,
        TranscriptDialogueState,
        ServiceRecord,
    ):
        session.execute(delete(model))
    return session


class Script:
    """Rasa broker rows for a few conversations, one event at a time, a second apart."""

    def __init__(self):
        self.rows: list[tuple[int, str, str]] = []
        self.clock = START

    def add(self, sender: str, event: dict) -> None:
        self.clock += timedelta(seconds=1)
        event = {"timestamp": self.clock.timestamp(), **event}
        self.rows.append((len(self.rows) + 1, sender, json.dumps(event, ensure_ascii=False)))

    def user(self, sender, text, intent, confidence=0.9, topic=None):
        parse = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []}
        if topic:  # the response selector's answer, as the linear selector gives it
            parse["response_selector"] = {
                "default": {"response": {"intent_response_key": topic}, "ranking": []}
            }
        self.add(
            sender,
            {
                "event": "user",
                "text": text,
                "parse_data": parse,
                "metadata": {"channel": "web", "customer_id": "C-7"},
            },
        )

    def bot(self, sender, text, utter=None, buttons=None):
        self.add(
            sender,
            {
                "event": "bot",
                "text": text,
                "data": {"buttons": buttons or []},
                "metadata": {"utter_action": utter} if utter else {},
            },
        )

    def action(self, sender, name):
        self.add(sender, {"event": "action", "name": name})

    def form(self, sender, name, slot):
        self.add(sender, {"event": "active_loop", "name": name})
        self.add(sender, {"event": "slot", "name": "requested_slot", "value": slot})

    def form_done(self, sender):
        self.add(sender, {"event": "slot", "name": "requested_slot", "value": None})
        self.add(sender, {"event": "active_loop", "name": None})


def known_conversations(store) -> Script:
    """Eight conversations whose outcomes are known by reading them."""
    s = Script()
    # c1 self-service: an FAQ answered, then thanks.
    s.user("c1", "信用卡年费怎么收", "faq", topic="faq/annual_fee")
    s.bot("c1", "年费因卡种而异……", utter="utter_faq/annual_fee")
    s.user("c1", "谢谢", "thank")
    s.bot("c1", "不客气。", utter="utter_you_are_welcome")
    # c2 self-service with a fallback: gibberish, then the rephrased question is answered.
    s.user("c2", "qwzx jkvb", "nlu_fallback", 0.2)
    s.action("c2", "action_handle_fallback")
    s.bot("c2", "抱歉，我没有完全理解您的意思。", utter="utter_ask_rephrase")
    s.user("c2", "银行卡丢了怎么办", "faq", topic="faq/card_lost")
    s.bot("c2", "请立即挂失……", utter="utter_faq/card_lost")
    # c3 unresolved: two misunderstandings, then the customer leaves.
    s.user("c3", "zzkk ppqq", "nlu_fallback", 0.1)
    s.action("c3", "action_handle_fallback")
    s.bot("c3", "抱歉，我没有完全理解您的意思。", utter="utter_ask_rephrase")
    s.user("c3", "zzkk ppqq rr", "nlu_fallback", 0.1)
    s.action("c3", "action_handle_fallback")
    s.bot("c3", "需要为您转接人工客服吗？", utter="utter_offer_human")
    # c4 self-service: a complaint taken to the end; its answers look like nonsense to the NLU.
    s.user("c4", "我要投诉", "complain")
    s.form("c4", "complaint_form", "complaint_reply")
    s.bot("c4", "请您说说具体发生了什么？", utter="action_ask_complaint_reply")
    s.user("c4", "上周三", "nlu_fallback", 0.3)
    s.bot("c4", "收到。还有要补充的吗？", buttons=[{"title": "说完了", "payload": "说完了"}])
    s.user("c4", "说完了", "nlu_fallback", 0.3)
    s.bot("c4", "请问您的姓名？")
    s.user("c4", "张三", "nlu_fallback", 0.2)
    s.form_done("c4")
    s.bot("c4", "您的投诉已受理。", utter="utter_complaint_filed")
    # c5 unresolved: a complaint left after the first answer (a form answer, not a fallback).
    s.user("c5", "你们乱扣我钱", "complain")
    s.form("c5", "complaint_form", "complaint_reply")
    s.bot("c5", "请您说说具体发生了什么？")
    s.user("c5", "昨天下午", "nlu_fallback", 0.3)
    s.bot("c5", "收到。还有要补充的吗？")
    # c6 handed off: queued for a person.
    s.user("c6", "转人工", "request_human")
    s.add("c6", {"event": "pause"})
    # c7 handed off: no agent online, a call-back booked with the offered button.
    s.user("c7", "转人工", "request_human")
    s.bot(
        "c7",
        "目前没有客服在线，可以为您预约回电。",
        buttons=[
            {"title": "预约回电", "payload": "/request_callback"},
            {"title": "不用了", "payload": "/decline_human"},
        ],
    )
    s.user("c7", "/request_callback", "request_callback", 1.0)
    s.form("c7", "callback_form", "callback_reply")
    s.bot("c7", "请留下您的手机号码。")
    s.user("c7", "13812345678", "nlu_fallback", 0.2)
    s.form_done("c7")
    s.bot("c7", "好的，客服会给您回电。")
    # c8: the chat was opened and nobody wrote.
    s.bot("c8", "您好！请问有什么可以帮您？")
    handoff_service.request_callback(
        session=store,
        phone="13812345678",
        conversation_id="c7",
        customer_id="C-7",
        reason="request",
        cipher=CaseCipher(Fernet.generate_key().decode()),
    )
    return s


def test_the_rates_are_the_hand_computed_ones(store):
    script = known_conversations(store)
    transcripts.ingest_rasa_events(store, script.rows)
    transcripts.refresh_conversations(store, ["c7"])  # the call-back row, as the domain round does
    outcome = dict(store.query(TranscriptConversation.conversation_id, TranscriptConversation.outcome))
    assert outcome == {
        "c1": "self_service",
        "c2": "self_service",
        "c3": "unresolved",
        "c4": "self_service",
        "c5": "unresolved",
        "c6": "handed_off",
        "c7": "handed_off",
        "c8": None,
    }

    totals = dashboard.dashboard(session=store, filters=ConversationFilter(), now=START)["totals"]
    # By hand: 8 conversations, 7 with a customer message; self-service c1 c2 c4 (3/7), handed
    # off c6 c7 (2/7), unresolved c3 c5 (2/7); fallback c2 c3 (2/7): c4's, c5's and c7's answers
    # were answers to a form's question, not free text.
    assert (totals["total_conversations"], totals["customer_conversations"]) == (8, 7)
    assert (totals["contained"], totals["handed_off"], totals["unresolved"], totals["fallback"]) == (
        3,
        2,
        2,
        2,
    )
    assert totals["containment_rate"] == round(3 / 7, 4) == 0.4286
    assert totals["handoff_rate"] == totals["unresolved_rate"] == totals["fallback_rate"] == round(2 / 7, 4)
    assert totals["containment_rate"] + totals["handoff_rate"] + totals["unresolved_rate"] == pytest.approx(
        1, abs=1e-3
    )
    # Each figure's filter lists exactly its conversations.
    for name, expected in (
        ("contained", {"c1", "c2", "c4"}),
        ("handed_off", {"c6", "c7"}),
        ("unresolved", {"c3", "c5"}),
        ("fallback", {"c2", "c3"}),
    ):
        filters = ConversationFilter(**{k: _value(v) for k, v in totals["filters"][name].items()})
        items, total = list_conversations(session=store, filters=filters, page_size=100)
        assert {item["conversation_id"] for item in items} == expected and total == len(expected), name


def _value(text: str):
    return {"true": True, "false": False}.get(text, text)


def test_unrecognised_phrases_are_free_text_only(store):
    transcripts.ingest_rasa_events(store, known_conversations(store).rows)
    groups = dashboard.unrecognised_groups(session=store, filters=ConversationFilter())
    phrases = {example for group in groups for example in group["examples"]}
    assert phrases == {"qwzx jkvb", "zzkk ppqq", "zzkk ppqq rr"}
    answers = {
        m.text: m
        for m in store.query(TranscriptMessage).filter(
            TranscriptMessage.conversation_id.in_(["c4", "c5", "c7"])
        )
    }
    assert (answers["上周三"].form, answers["上周三"].requested_slot, answers["上周三"].fallback) == (
        "complaint_form",
        "complaint_reply",
        False,
    )
    assert answers["138****5678"].form == "callback_form"  # masked, and a form answer
    assert answers["我要投诉"].form is None  # the message that started the form was free text


def test_a_form_answer_read_in_a_later_batch_is_still_a_form_answer(store):
    rows = known_conversations(store).rows
    c5 = [row for row in rows if row[1] == "c5"]
    split = next(i for i, row in enumerate(c5) if '"昨天下午"' in row[2])
    transcripts.ingest_rasa_events(store, c5[:split])
    transcripts.ingest_rasa_events(store, c5[split:])
    [answer] = store.query(TranscriptMessage).filter(TranscriptMessage.text == "昨天下午").all()
    assert (answer.form, answer.fallback) == ("complaint_form", False)
    assert store.get(TranscriptConversation, "c5").outcome == outcomes.UNRESOLVED


def test_topics_count_apart_with_their_titles_and_faq_finds_them_all(store):
    transcripts.ingest_rasa_events(store, known_conversations(store).rows)
    top = dashboard.dashboard(session=store, filters=ConversationFilter(), now=START)["top_intents"]
    by_intent = {entry["intent"]: entry for entry in top}
    assert by_intent["faq/annual_fee"]["label"] == "信用卡年费"
    assert by_intent["faq/card_lost"]["label"] == "银行卡挂失"
    assert by_intent["request_human"]["label"] == "转人工"
    assert by_intent["nlu_fallback"]["label"] == "未识别"
    assert "faq" not in by_intent  # no lump of every topic
    items, _ = list_conversations(session=store, filters=ConversationFilter(intent="faq"), page_size=100)
    assert {item["conversation_id"] for item in items} == {"c1", "c2"}
    items, _ = list_conversations(
        session=store, filters=ConversationFilter(intent="faq/card_lost"), page_size=100
    )
    assert [item["conversation_id"] for item in items] == ["c2"]
    assert items[0]["intent_labels"] == ["未识别", "银行卡挂失"]


def test_button_presses_show_the_buttons_title(store):
    transcripts.ingest_rasa_events(store, known_conversations(store).rows)
    messages = conversation_detail(session=store, conversation_id="c7")["messages"]
    pressed = next(m for m in messages if m["payload"] == "/request_callback")
    assert pressed["text"] == "预约回电" and pressed["intent_label"] == "预约回电"
    offer = next(m for m in messages if m["buttons"])
    assert [b["title"] for b in offer["buttons"]] == ["预约回电", "不用了"]


def test_payloads_without_an_offered_button_are_named_from_the_catalog_and_the_labels():
    assert labels.button_title('/faq_choose{"faq_topic":"card_lost"}', None) == "银行卡挂失"
    assert labels.button_title("/request_callback", None) == "预约回电"
    assert labels.button_title("/request_human", []) == "转人工"
    assert labels.button_title("D", [{"title": "D. 65岁及以上", "payload": "D"}]) == "D. 65岁及以上"
    assert labels.button_title("我想问问年费", None) is None  # typed text stays as typed
    assert labels.intent_label("faq/no_such_topic") == "faq/no_such_topic"
    assert labels.intent_label("chitchat/ask_name") == "闲聊：问名字"


def test_outcome_rules():
    rule = outcomes.outcome_of
    assert (
        rule(
            customer_messages=0,
            handed_off=True,
            callback_requested=False,
            last_customer_fallback=False,
            unfinished_form=False,
        )
        is None
    )
    assert (
        rule(
            customer_messages=3,
            handed_off=False,
            callback_requested=True,
            last_customer_fallback=True,
            unfinished_form=True,
        )
        == outcomes.HANDED_OFF
    )
    assert (
        rule(
            customer_messages=2,
            handed_off=False,
            callback_requested=False,
            last_customer_fallback=False,
            unfinished_form=True,
        )
        == outcomes.UNRESOLVED
    )
    assert (
        rule(
            customer_messages=2,
            handed_off=False,
            callback_requested=False,
            last_customer_fallback=False,
            unfinished_form=False,
        )
        == outcomes.SELF_SERVICE
    )
