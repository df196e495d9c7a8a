"""End to end: banking questions in customers' words get the right answer, follow-ups are
understood in context, and the topic buttons work."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from bot import bank
from bot.config import load_settings
from bot.faq.answers import ANSWERS_DIR, AnswerStore
from tests.e2e.test_conversation import open_chat, say, texts
from tests.kb_helpers import current_version, process_tree, publish

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def answer_of(topic: str) -> str:
    """The topic's answer in the knowledge base, as the live product (with the demo bank's
    settings: "{bank_hotline}" is filled in) gives it."""
    return AnswerStore(ANSWERS_DIR).rendered(topic, bank.from_settings(load_settings())).text


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=60) as client:
        yield client


@pytest.mark.parametrize(
    "question, topic",
    [
        ("银行卡丢了怎么办", "card_lost"),
        ("手机银行转账限额是多少", "transfer_limit"),
        ("請問信用卡年費怎麼收", "annual_fee"),
        ("怎么做风险测评", "risk_assessment_howto"),
        ("有人打电话让我把钱转到安全账户", "fraud_fake_police"),
        ("ＡＰＰ收不到短信验证码", "sms_code_not_received"),
    ],
)
def test_a_question_gets_its_topic_answer(api, question, topic):
    conversation_id, headers = open_chat(api)
    assert answer_of(topic) in texts(say(api, conversation_id, headers, question))


def test_follow_ups_are_answered_in_the_context_of_the_last_topic(api):
    conversation_id, headers = open_chat(api)
    first = say(api, conversation_id, headers, "我想给别的银行的卡转钱")
    assert answer_of("interbank_transfer") in texts(first)

    assert answer_of("transfer_fee") in texts(say(api, conversation_id, headers, "那手续费呢？"))
    assert answer_of("transfer_arrival_time") in texts(say(api, conversation_id, headers, "要多久？"))


def test_a_follow_up_without_context_asks_which_business(api):
    conversation_id, headers = open_chat(api)
    reply = texts(say(api, conversation_id, headers, "那手续费呢"))
    assert "哪项业务" in reply


def test_answer_buttons_lead_to_the_linked_topic(api):
    conversation_id, headers = open_chat(api)
    first = say(api, conversation_id, headers, "银行卡丢了怎么办")
    buttons = [b for reply in first["replies"] for b in reply["buttons"]]
    assert buttons, "the card-lost answer offers next steps"
    chosen = say(api, conversation_id, headers, buttons[0]["payload"])
    assert texts(chosen) and texts(chosen) != texts(first)


def test_two_questions_in_one_message_get_an_answer_and_a_button_for_the_other(api):
    conversation_id, headers = open_chat(api)
    reply = say(api, conversation_id, headers, "手机银行怎么开通，转账限额是多少")
    answered = [t for t in ("app_register", "transfer_limit") if answer_of(t) in texts(reply)]
    assert len(answered) == 1, texts(reply)
    other = "transfer_limit" if answered == ["app_register"] else "app_register"
    offer = next(r for r in reply["replies"] if r["text"].startswith("另外，您还问到了"))
    assert [json.loads(b["payload"].removeprefix("/faq_choose"))["faq_topic"] for b in offer["buttons"]] == [
        other
    ]
    assert answer_of(other) in texts(say(api, conversation_id, headers, offer["buttons"][0]["payload"]))


def test_one_question_in_two_parts_gets_no_extra_offer(api):
    conversation_id, headers = open_chat(api)
    reply = say(api, conversation_id, headers, "银行卡丢了，怎么办")
    assert answer_of("card_lost") in texts(reply)
    assert "您还问到了" not in texts(reply)


def test_a_topic_button_answers_exactly_that_topic(api):
    conversation_id, headers = open_chat(api)
    reply = say(api, conversation_id, headers, '/faq_choose{"faq_topic": "card_replace"}')
    assert answer_of("card_replace") in texts(reply)


@pytest.mark.parametrize("word", ["理财", "信用卡", "密码"])
def test_a_bare_business_word_asks_which_of_two_topics(api, word):
    conversation_id, headers = open_chat(api)
    reply = say(api, conversation_id, headers, word)
    assert "您是想咨询" in texts(reply) and "还是" in texts(reply)
    buttons = [b for r in reply["replies"] for b in r["buttons"]]
    assert len(buttons) == 2 and all(b["payload"].startswith("/faq_choose") for b in buttons)
    # Either button answers its topic.
    topic = json.loads(buttons[1]["payload"].removeprefix("/faq_choose"))["faq_topic"]
    assert answer_of(topic) in texts(say(api, conversation_id, headers, buttons[1]["payload"]))


def test_a_specific_word_is_answered_at_once(api):
    conversation_id, headers = open_chat(api)
    assert answer_of("card_lost") in texts(say(api, conversation_id, headers, "挂失"))


def test_an_approved_answer_is_given_at_once_without_a_new_model_or_a_restart(api, live_product):
    """Operations change opening hours in the knowledge base (an editor writes, a reviewer
    approves): the next customer gets the new wording from the running product, with no new model
    file and no process restarted (the action server reads the published answer at run time)."""
    models_before = sorted(p.name for p in (ROOT / "models").glob("*.tar.gz"))
    processes_before = process_tree(live_product.process.pid)
    original = current_version(live_product.api_url, "branch_hours")
    changed = "自下月起，本行网点周六营业时间调整为9:00至15:00。" + original["text"]
    try:
        version = publish(live_product.api_url, "branch_hours", changed, original["related"])
        assert version["state"] == "published"
        conversation_id, headers = open_chat(api)
        reply = say(api, conversation_id, headers, '/faq_choose{"faq_topic": "branch_hours"}')
        assert "周六营业时间调整为9:00至15:00" in texts(reply)
    finally:
        publish(live_product.api_url, "branch_hours", original["text"], original["related"])
    conversation_id, headers = open_chat(api)
    reply = say(api, conversation_id, headers, '/faq_choose{"faq_topic": "branch_hours"}')
    assert "周六营业时间调整" not in texts(reply) and answer_of("branch_hours") in texts(reply)
    assert sorted(p.name for p in (ROOT / "models").glob("*.tar.gz")) == models_before
    assert process_tree(live_product.process.pid) == processes_before


def test_an_edit_of_the_answer_files_after_installation_changes_nothing(api, live_product):
    """The files are what a new install starts from; once imported, answers change only through
    review, so an unreviewed edit on disk never reaches customers."""
    path = live_product.faq_answers_dir / "service.yml"
    original = path.read_text(encoding="utf-8")
    entry = yaml.safe_load(original)["branch_hours"]["text"]
    try:
        path.write_text(
            original.replace(
                json.dumps(entry, ensure_ascii=False), json.dumps("未经审核的改动。", ensure_ascii=False)
            ),
            encoding="utf-8",
        )
        conversation_id, headers = open_chat(api)
        reply = say(api, conversation_id, headers, '/faq_choose{"faq_topic": "branch_hours"}')
        assert answer_of("branch_hours") in texts(reply) and "未经审核的改动" not in texts(reply)
    finally:
        path.write_text(original, encoding="utf-8")
