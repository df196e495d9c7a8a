"""Complaint intake and case lookups, run as the action server runs them: real trackers, the real
domain, and a real (migrated) database behind the case service."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import datetime, timedelta

import pytest
from rasa.core.nlg.interpolator import interpolate
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import common
from actions.buttons import ActionAnswerOption
from actions.case_lookup import ActionAskCaseReply, ActionStartCaseLookup, ValidateCaseForm
from actions.complaint import (
    ActionAskComplaintReply,
    ActionFinishComplaint,
    ActionStartComplaint,
    ValidateComplaintForm,
)
from bot.cases import access as case_access
from bot.cases import references
from bot.cases import service as case_service
from bot.cases.models import ComplaintCase
from bot.conversations import buttons as step_buttons
from bot.db import build_engine
from bot.entities.dates import CHINA
from tests.actions.conftest import signed_metadata
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml")).as_dict()


@pytest.fixture
def conversation(database_url, monkeypatch, tmp_path) -> str:
    """A fresh conversation id, with the actions pointed at the test database and key folder."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    common._session_factory.cache_clear()
    yield f"conv-{uuid.uuid4().hex[:8]}"
    common._session_factory.cache_clear()


def _tracker(
    conversation: str,
    text: str,
    slots: dict,
    *,
    form: str,
    slot: str,
    intent="nlu_fallback",
    customer: str | None = None,
    entities: list | None = None,
    address: str | None = None,
) -> Tracker:
    metadata = signed_metadata(conversation, customer=customer, channel="app", address=address)
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "metadata": metadata,
    }
    return Tracker.from_dict(
        {
            "sender_id": conversation,
            "slots": {slot: text, **slots},
            "latest_message": latest,
            "events": [
                {"event": "user", "text": text, "parse_data": latest, "metadata": metadata},
                {"event": "slot", "name": slot, "value": text},
            ],
            "active_loop": {"name": form},
        }
    )


def _run(action, tracker: Tracker) -> tuple[list[dict], dict]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return dispatcher.messages, {e["name"]: e["value"] for e in events if e["event"] == "slot"}


class Chat:
    """One customer talking to a form: validation, then the form's next question."""

    def __init__(self, conversation: str, form: str, slot: str, validator, ask, customer=None, parse=None):
        self.conversation, self.form, self.slot = conversation, form, slot
        self.validator, self.ask, self.customer = validator, ask, customer
        self.parse = parse  # the NLU's entities for a message (the parse_entities fixture)
        self.address: str | None = None  # the API's digest of the client's address
        self.slots: dict = {}

    def tracker(self, text: str, intent: str = "nlu_fallback") -> Tracker:
        entities = self.parse(text) if self.parse and text else []
        return _tracker(
            self.conversation,
            text,
            self.slots,
            form=self.form,
            slot=self.slot,
            intent=intent,
            customer=self.customer,
            entities=entities,
            address=self.address,
        )

    def start(self, action, text: str, intent: str) -> list[dict]:
        messages, changed = _run(action, self.tracker(text, intent))
        self.slots.update(changed)
        return messages + self._ask()

    def _ask(self) -> list[dict]:
        asked, _ = _run(self.ask, self.tracker(""))
        return asked

    def say(self, text: str) -> list[dict]:
        messages, changed = _run(self.validator, self.tracker(text))
        self.slots.update(changed)
        if self.slots.get(self.slot) is None:
            messages += self._ask()
        return messages


def _texts(messages: list[dict]) -> str:
    return " ".join(m.get("text") or m.get("response") or "" for m in messages)


def _complaint(conversation: str, customer: str | None = None, parse=None) -> Chat:
    return Chat(
        conversation,
        "complaint_form",
        "complaint_reply",
        ValidateComplaintForm(),
        ActionAskComplaintReply(),
        customer,
        parse,
    )


def _file(chat: Chat) -> list[dict]:
    messages, changed = _run(ActionFinishComplaint(), chat.tracker(""))
    chat.slots.update(changed)
    return messages


def test_a_complaint_is_taken_step_by_step_and_filed_with_a_number(
    conversation, database_url, parse_entities
):
    chat = _complaint(conversation, customer="C0001", parse=parse_entities)
    opening = chat.start(ActionStartComplaint(), "你们手机银行乱扣我钱", "complain")
    assert [m.get("response") for m in opening] == ["utter_complaint_sorry", "utter_complaint_more"]

    chat.say("上个月信用卡被扣了两次年费，一共200元")
    facts = chat.say("说完了")[-1]
    # What the description told is put to the customer once: the month, the sum, the channel
    # and the business. "不对" asks them one at a time instead.
    assert facts["response"] == "utter_complaint_confirm_facts"
    assert facts["facts"].splitlines() == [
        "· 发生时间：上个月",
        "· 涉及金额：200元",
        "· 办理渠道：手机银行/移动客户端",
        "· 业务类型：银行卡",
    ]
    business = chat.say("不对")[-1]
    assert "“银行卡”，对吗" in business["text"]
    assert business["buttons"][0]["title"] == "是的"
    assert step_buttons.read(business["buttons"][0]["payload"]).step == chat.slots["complaint_draft"][
        "id"
    ].join(["complaint:", ":business"])
    assert "手机银行/移动客户端" in chat.say("是的")[-1]["text"]
    assert "收费不合理或被多扣钱" in chat.say("对")[-1]["text"]
    assert chat.say("是的")[-1]["response"] == "utter_complaint_ask_request"
    chat.say("退还多扣的年费")
    assert chat.say("上个月15号")[-1]["response"] == "utter_complaint_ask_phone"
    wrong = chat.say("12345")
    assert [m.get("response") for m in wrong] == [
        "utter_complaint_invalid_phone",
        "utter_complaint_ask_phone",
    ]
    chat.say("138 1234 5678")
    summary = chat.say("王小明")[-1]["text"]
    assert "联系电话：138****5678" in summary and "投诉原因：收费不合理或被多扣钱" in summary

    assert "涉及金额" not in summary  # "不对" dropped the sum read from the description
    assert chat.say("确认提交") == []
    assert chat.slots["complaint_reply"] == "submitted"
    filed = _file(chat)[0]
    assert filed["response"] == "utter_complaint_filed" and filed["number"].startswith("TS")

    engine = build_engine(database_url)
    with Session(engine) as session:
        case = case_service.get_case_by_number(session=session, number=filed["number"])
        stored = (
            case.customer_id,
            case.conversation_id,
            case.business_code,
            case.channel_code,
            case.reason_code,
            case.request,
            case.occurred_when,
            case.contact_phone_masked,
            case.intake_channel,
            case.status,
        )
        description = case.description
    engine.dispose()
    assert stored == (
        "C0001",
        conversation,
        "BT03",
        "CH05",
        "RS08",
        "退还多扣的年费",
        "上个月15号",
        "138****5678",
        "app",
        "received",
    )
    assert "两次年费" in description and "乱扣我钱" in description
    assert chat.slots["complaint_draft"] is None


def test_what_the_customer_already_said_is_confirmed_once_not_asked_again(
    conversation, database_url, parse_entities
):
    chat = _complaint(conversation, customer="C0002", parse=parse_entities)
    opening = chat.start(
        ActionStartComplaint(), "上周五手机银行转了5000元到工商银行，到现在还没到账", "complain"
    )
    assert [m.get("response") for m in opening] == ["utter_complaint_sorry", "utter_complaint_more"]
    today = datetime.now(CHINA).date()
    last_friday = today - timedelta(days=today.weekday() + 3)
    day = f"{last_friday.year}年{last_friday.month}月{last_friday.day}日"

    facts = chat.say("说完了")[-1]
    assert facts["response"] == "utter_complaint_confirm_facts"
    assert facts["facts"].splitlines() == [
        f"· 发生时间：上周五（{day}）",
        "· 涉及金额：5,000元",
        "· 办理渠道：手机银行/移动客户端",
        "· 业务类型：支付结算",
    ]
    # One "对的" confirms all four: the next question is the reason, never the channel, the
    # business type or when it happened.
    asked = chat.say("对的")[-1]
    assert "投诉原因" in asked["text"]
    assert chat.say("其他")[-1]["response"] == "utter_complaint_ask_request"
    assert chat.say("尽快到账")[-1]["response"] == "utter_complaint_ask_phone"
    chat.say("13812345678")
    summary = chat.say("王小明")[-1]["text"]
    assert f"发生时间：上周五（{day}）" in summary and "涉及金额：5,000元" in summary
    assert "办理渠道：手机银行/移动客户端" in summary and "业务类型：支付结算" in summary
    chat.say("确认提交")
    number = _file(chat)[0]["number"]

    engine = build_engine(database_url)
    with Session(engine) as session:
        case = case_service.get_case_by_number(session=session, number=number)
        stored = (
            case.occurred_when,
            case.occurred_on,
            case.amount_cents,
            case.amount_currency,
            case.channel_code,
            case.business_code,
        )
    engine.dispose()
    assert stored == ("上周五", last_friday, 500000, "CNY", "CH05", "BT04")


def test_a_fact_corrected_in_words_is_asked_about_again(conversation, parse_entities):
    chat = _complaint(conversation, parse=parse_entities)
    chat.start(ActionStartComplaint(), "昨天在ATM取了2000块，只吐出来1000", "complain")
    first = chat.say("说完了")[-1]["facts"]
    assert "涉及金额：2,000元" in first and "办理渠道：自助机具" in first
    corrected = chat.say("不对，金额是1000元")[-1]
    assert corrected["response"] == "utter_complaint_confirm_facts"
    assert "涉及金额：1,000元" in corrected["facts"] and "2,000" not in corrected["facts"]
    # Nothing in the words told the business type: it is asked; the channel, confirmed, is not.
    assert "业务类型" in chat.say("对的")[-1]["text"]
    assert "投诉原因" in chat.say("人民币储蓄")[-1]["text"]


def test_a_typed_verification_code_is_warned_about_and_never_stored(conversation):
    chat = _complaint(conversation)
    chat.start(ActionStartComplaint(), "我要投诉", "complain")
    messages = chat.say("客服打电话让我说验证码，我说了验证码是384756，结果钱被转走了")
    assert messages[0]["response"] == "utter_complaint_sensitive_warning"
    assert "384756" not in str(chat.slots["complaint_draft"])


def test_a_person_keeps_the_draft_and_cancel_keeps_nothing(conversation):
    chat = _complaint(conversation)
    chat.start(ActionStartComplaint(), "ATM吞了我的卡", "complain")
    chat.say("转人工")
    assert chat.slots["complaint_reply"] == "person"
    messages = _file(chat)
    # Nobody is online in these tests: the customer keeps the draft and is offered a call-back
    # (the queue itself is tested in tests/actions/test_handoff.py).
    assert messages[0]["response"] == "utter_complaint_handed_over"
    assert "/request_callback" in [b["payload"] for b in messages[1]["buttons"]]
    assert chat.slots["complaint_draft"]["description"] == ["ATM吞了我的卡"]

    other = _complaint(f"{conversation}-b")
    other.start(ActionStartComplaint(), "ATM吞了我的卡", "complain")
    assert other.say("不投诉了")[0]["response"] == "utter_complaint_confirm_cancel"
    other.say("确定")
    assert _file(other)[0]["response"] == "utter_complaint_cancelled"


def _open(
    database_url: str,
    phone: str = "13812345678",
    customer: str | None = None,
    conversation: str | None = None,
) -> tuple[str, str]:
    """Files a case; returns its number and its reference as the customer is shown it."""
    engine = build_engine(database_url)
    with Session(engine) as session, session.begin():
        case = case_service.open_case(
            session=session,
            description="网点柜员态度差",
            intake_channel="web",
            contact_phone=phone,
            customer_name="李四",
            customer_id=customer,
            conversation_id=conversation,
        )
        number, reference = case.number, references.format_reference(case.reference)
    engine.dispose()
    return number, reference


def _case(database_url: str, number: str):
    engine = build_engine(database_url)
    with Session(engine) as session:
        case = case_service.get_case_by_number(session=session, number=number)
        session.expunge(case)
    engine.dispose()
    return case


def _lookup(conversation: str, customer: str | None = None, parse=None) -> Chat:
    return Chat(
        conversation, "case_form", "case_reply", ValidateCaseForm(), ActionAskCaseReply(), customer, parse
    )


def test_an_anonymous_lookup_needs_the_reference_and_the_last_four_digits(conversation, database_url):
    number, reference = _open(database_url)
    chat = _lookup(conversation)
    assert (
        chat.start(ActionStartCaseLookup(), "我的投诉怎么样了", "complaint_status")[-1]["response"]
        == "utter_case_ask_number"
    )
    assert chat.say("12345")[0]["response"] == "utter_case_bad_number"
    # The sequential case number does not open it, whether or not it exists
    assert chat.say(number)[0]["response"] == "utter_case_use_reference"
    assert chat.say(reference.lower().replace("-", " "))[-1]["response"] == "utter_case_ask_last4"
    status = chat.say("5678")[0]
    assert status["response"] == "utter_case_status" and status["status_label"] == "已受理"
    assert status["number"] == number and "前答复您" in status["detail"]
    assert chat.slots["case_reply"] == "done"


def test_the_case_guesser_learns_nothing_and_is_locked_out_while_the_owner_gets_in(
    conversation, database_url
):
    number, reference = _open(database_url, customer="C-owner-1")
    anonymous_number, anonymous_reference = _open(database_url)
    unknown = references.format_reference(references.new_reference())
    guesser = _lookup(conversation)
    guesser.start(ActionStartCaseLookup(), "查询投诉进度", "complaint_status")
    answers = []
    for typed, digits in ((unknown, "5678"), (anonymous_reference, "0000"), (reference, "5678")):
        guesser.say(typed)
        answers.append(guesser.say(digits)[0])
    # Unknown reference, wrong digits, someone else's bound case: the very same reply
    assert (
        all(answer == {**answers[0]} for answer in answers)
        and answers[0]["response"] == "utter_case_no_match"
    )
    assert not any("attempts_left" in answer or "number" in answer for answer in answers)
    # A fourth try in this conversation is locked, even with the right digits
    guesser.say(anonymous_reference)
    locked = guesser.say("5678")[0]
    assert locked["response"] == "utter_case_locked" and locked["minutes"] >= 29
    # More conversations from the same address are locked too, before they read any case
    address = "addr-digest-guesser"
    for n in range(case_access.lookup_policy().address.step + 1):
        other = Chat(
            f"{conversation}-{n}", "case_form", "case_reply", ValidateCaseForm(), ActionAskCaseReply()
        )
        other.address = address
        other.start(ActionStartCaseLookup(), f"查询投诉{unknown}", "complaint_status")
        last = other.say("5678")[0]["response"]
    assert last == "utter_case_locked"
    # The owner (verified identity) opens their case at once: no digits, no lockout
    owner = _lookup(f"{conversation}-owner", customer="C-owner-1")
    listed = owner.start(ActionStartCaseLookup(), "我的投诉怎么样了", "complaint_status")
    assert [b["payload"] for b in listed[-1]["buttons"]] == [number]
    status = owner.say(number)[0]
    assert status["response"] == "utter_case_status" and status["number"] == number
    # Another identified customer cannot open it by its number
    other_customer = _lookup(f"{conversation}-other", customer="C-other-2")
    asked = other_customer.start(ActionStartCaseLookup(), f"查询投诉{number}", "complaint_status")[-1]
    assert asked["response"] == "utter_case_ask_number" and not asked["buttons"]
    assert other_customer.say(number)[0]["response"] == "utter_case_use_reference"
    assert _case(database_url, anonymous_number).status == "received"


def test_a_case_number_or_reference_in_a_free_sentence_is_taken(conversation, database_url, parse_entities):
    number, reference = _open(database_url, customer="C0042")
    spoken = "".join("零一二三四五六七八九"[int(d)] for d in number[2:])
    for sentence in (
        f"我那个{number}的投诉呢",
        f"我那个TS{spoken}的投诉呢",
        f"投诉编号{number[2:6]} {number[6:10]} {number[10:]}，怎么还没人联系我",
    ):
        chat = _lookup(f"{conversation}-{len(sentence)}", customer="C0042", parse=parse_entities)
        asked = chat.start(ActionStartCaseLookup(), sentence, "complaint_status")
        assert [b["payload"] for b in asked[-1]["buttons"]] == [number], sentence
        assert chat.say(number)[0]["status_label"] == "已受理"
    anonymous_number, anonymous_reference = _open(database_url)
    chat = _lookup(f"{conversation}-ref", parse=parse_entities)
    asked = chat.start(
        ActionStartCaseLookup(), f"查一下我的投诉，查询码{anonymous_reference.lower()}", "complaint_status"
    )
    assert asked[-1]["response"] == "utter_case_ask_last4"
    assert chat.say("后四位是5678")[0]["number"] == anonymous_number


def test_the_conversation_that_filed_a_case_sees_it_without_digits(conversation, database_url):
    number, _ = _open(database_url, conversation=conversation)
    chat = _lookup(conversation)
    listed = chat.start(ActionStartCaseLookup(), "我的投诉怎么样了", "complaint_status")
    assert [b["payload"] for b in listed[-1]["buttons"]] == [number]
    assert chat.say(number)[0]["response"] == "utter_case_status"


def test_an_answered_case_shows_the_answer_and_asks_for_a_rating(conversation, database_url):
    number, _ = _open(database_url, customer="C0042")
    engine = build_engine(database_url)
    with Session(engine) as session, session.begin():
        case_service.answer_case(
            session=session, number=number, text="已核实，向您致歉并已加强培训。", actor="staff:agent1"
        )
    engine.dispose()
    chat = _lookup(conversation, customer="C0042")
    listed = chat.start(ActionStartCaseLookup(), "我的投诉有结果了吗", "complaint_status")
    assert number in [b["payload"] for b in listed[-1]["buttons"]]
    status = chat.say(number)
    assert "已核实，向您致歉" in status[0]["detail"]
    assert status[-1]["response"] == "utter_case_ask_rating"
    rated = chat.say("五分")
    assert rated[0]["response"] == "utter_case_rated" and rated[0]["score"] == 5
    assert _case(database_url, number).satisfaction == 5


def test_withdrawal_is_confirmed_then_stops_the_case(conversation, database_url):
    number, reference = _open(database_url)
    chat = _lookup(conversation)
    chat.start(ActionStartCaseLookup(), f"撤回投诉，查询码 {reference}", "complaint_withdraw")
    confirm = chat.say("5678")
    assert confirm[-1]["response"] == "utter_case_confirm_withdraw"
    assert chat.say("确定")[0]["response"] == "utter_case_withdrawn"
    assert _case(database_url, number).status == "withdrawn"
    again = _lookup(f"{conversation}-2")
    again.start(ActionStartCaseLookup(), f"撤回投诉{reference}", "complaint_withdraw")
    assert again.say("5678")[0]["response"] == "utter_case_cannot_withdraw"


def test_withdrawal_is_checked_again_not_taken_from_the_dialogue_state(conversation, database_url):
    number, _ = _open(database_url)
    chat = _lookup(conversation)
    # A dialogue state that claims the check was passed (e.g. slots set by a crafted message)
    chat.slots = {
        "case_lookup": {
            "purpose": "withdraw",
            "stage": "withdraw_confirm",
            "number": number,
            "reference": None,
            "bad_numbers": 0,
        }
    }
    refused = chat.say("确定")[0]
    assert "重新查询并核实" in refused["text"] and chat.slots["case_reply"] == "done"
    assert _case(database_url, number).status == "received"


@pytest.mark.parametrize(
    ("validator", "slot", "form"),
    [
        (ValidateComplaintForm(), "complaint_reply", "complaint_form"),
        (ValidateCaseForm(), "case_reply", "case_form"),
    ],
)
def test_the_reset_by_the_start_action_is_not_taken_as_an_answer(conversation, validator, slot, form):
    tracker = Tracker.from_dict(
        {
            "sender_id": conversation,
            "slots": {slot: None},
            "latest_message": {"text": "我要投诉", "intent": {"name": "complain"}},
            "events": [
                {"event": "user", "text": "我要投诉", "parse_data": {"intent": {"name": "complain"}}},
                {"event": "slot", "name": slot, "value": None},
            ],
            "active_loop": {"name": form},
        }
    )
    messages, changed = _run(validator, tracker)
    assert messages == [] and changed == {slot: None}


def _rendered_buttons(message: dict) -> list[dict]:
    """The buttons of a domain response as Rasa renders them, the step filled in."""
    template = DOMAIN["responses"][message["response"]][0]
    return interpolate(copy.deepcopy(template.get("buttons", [])), {"step": message.get("step")})


def _to_summary(chat: Chat) -> list[dict]:
    chat.start(ActionStartComplaint(), "上周五手机银行转了5000元到工商银行，到现在还没到账", "complain")
    for text in ["说完了", "对的", "其他", "尽快到账", "13812345678"]:
        chat.say(text)
    return chat.say("王小明")


def test_old_buttons_of_the_intake_confirm_nothing(conversation, database_url, parse_entities):
    chat = _complaint(conversation, customer="C0003", parse=parse_entities)
    summary = _to_summary(chat)[-1]
    assert "请核对您的投诉信息" in summary["text"]

    # "取消投诉" asks "确定要取消吗？"; the customer goes on instead. Its "确定" pressed later at the
    # summary must not confirm the summary (it was shown for the cancellation).
    ask = chat.say("取消投诉")[-1]
    assert ask["response"] == "utter_complaint_confirm_cancel"
    sure = next(b["payload"] for b in _rendered_buttons(ask) if b["title"] == "确定取消")
    chat.say("继续投诉")
    stale = chat.say(sure)
    assert stale[0]["response"] == "utter_complaint_stale"
    assert "请核对您的投诉信息" in stale[-1]["text"]  # the summary is shown again
    assert chat.slots["complaint_reply"] is None

    submit = next(b["payload"] for b in stale[-1]["buttons"] if b["title"] == "确认提交")
    assert chat.say(submit) == [] and chat.slots["complaint_reply"] == "submitted"
    ended = _file(chat)
    number = ended[0]["number"]
    assert chat.slots["complaint_ended"] == {
        "draft": step_buttons.read(submit).step.split(":")[1],
        "number": number,
    }

    # The same "确认提交" (or "取消投诉") pressed after filing: the customer is told the case
    # number again, and no second case is filed or the first one touched.
    for title in ("确认提交", "取消投诉"):
        payload = next(b["payload"] for b in stale[-1]["buttons"] if b["title"] == title)
        tracker = _tracker(
            conversation, payload, chat.slots, form="", slot="complaint_reply", intent="answer_option"
        )
        tracker.active_loop = {}
        said, _ = _run(ActionAnswerOption(), tracker)
        assert said == [{**said[0], "response": "utter_complaint_stale_filed", "number": number}]
    engine = build_engine(database_url)
    with Session(engine) as session:
        cases = case_service.list_customer_cases(session=session, customer_id="C0003")
        assert [(c.number, c.status) for c in cases] == [(number, "received")]
    engine.dispose()


def test_one_rating_widget_and_one_scale_for_complaints_and_services_by_a_person():
    from bot.handoff import conversation as handoff_rules

    complaint = DOMAIN["responses"]["utter_case_ask_rating"][0]["custom"]
    assert complaint["kind"] == handoff_rules.KIND_RATING
    assert complaint["buttons"] == handoff_rules.rating_buttons()  # 1分 … 5分, 5 the best, in order
    assert "5分最满意" in complaint["text"] and "5分最满意" in handoff_rules.closed_service_text()


def test_the_case_number_comes_on_its_own_card_before_what_happens_next(conversation, parse_entities):
    chat = _complaint(conversation, customer="C0004", parse=parse_entities)
    _to_summary(chat)
    chat.say("确认提交")
    card, after = _file(chat)
    assert card == {**card, "response": "utter_complaint_filed"} and card["number"].startswith("TS")
    assert after["response"] == "utter_complaint_filed_next" and after["due_on"]
    template = DOMAIN["responses"]["utter_complaint_filed"][0]["custom"]
    assert template["kind"] == "case_number" and "{number}" in template["text"]


def test_a_confirmation_delivered_twice_files_one_case(conversation, database_url, parse_entities):
    """The API resends a message whose answer it never got (its process died, or Rasa gave up
    waiting for this action although it finished): the same message id files nothing new, and
    the customer is given the number of the case the first delivery filed."""
    chat = _complaint(conversation, parse=parse_entities)  # anonymous: the reply names the 查询码
    _to_summary(chat)
    chat.say("确认提交")
    confirmation = chat.tracker("")
    confirmation.latest_message["metadata"]["message_id"] = 4242
    first, _ = _run(ActionFinishComplaint(), confirmation)
    again, _ = _run(ActionFinishComplaint(), confirmation)
    assert again == first and first[0]["number"].startswith("TS")
    assert first[1]["reference"] and first[1]["response"] == "utter_complaint_filed_anonymous"
    engine = build_engine(database_url)
    with Session(engine) as session:
        filed = list(
            session.scalars(select(ComplaintCase.number).where(ComplaintCase.conversation_id == conversation))
        )
    engine.dispose()
    assert filed == [first[0]["number"]]


def _finish_with(chat: Chat, finish, text: str) -> list[dict]:
    """The finish action in the same turn as the message that ended the form."""
    messages, changed = _run(finish, chat.tracker(text))
    chat.slots.update(changed)
    return messages


def test_fraud_happening_now_interrupts_a_case_lookup_with_what_to_do_and_a_person(conversation):
    from actions.case_lookup import ActionFinishCaseLookup

    chat = _lookup(conversation)
    chat.start(ActionStartCaseLookup(), "我想查一下投诉进度", "complaint_status")
    said = "我被骗了，刚把验证码告诉了对方"
    # Not read as a case reference ("暂时没能找到您要查询的投诉"): the lookup ends at once.
    assert chat.say(said) == []
    messages = _finish_with(chat, ActionFinishCaseLookup(), said)
    steps = messages[0]["text"].splitlines()
    assert steps[1].startswith("1. 拨打") and "24小时客服热线95000" in steps[1]
    # Nobody is online in these tests: the person comes as a call-back, the 24-hour line first.
    assert "/request_callback" in [b["payload"] for b in messages[1]["buttons"]]
    assert chat.slots["case_reply"] is None and chat.slots["case_lookup"] is None


def test_a_complaint_about_fraud_happening_now_gives_the_steps_first_and_keeps_the_complaint(
    conversation,
):
    chat = _complaint(conversation)
    chat.start(ActionStartComplaint(), "我要投诉", "complain")
    said = "刚才有人冒充你们客服，我被骗了，验证码告诉了对方"
    messages = chat.say(said)
    assert messages[0]["text"].splitlines()[1].startswith("1. 拨打")  # what to do now, first
    assert "24小时客服热线95000" in messages[0]["text"]
    # The complaint goes on: the message is part of its description.
    assert chat.slots["complaint_reply"] is None
    assert chat.slots["complaint_draft"]["description"] == [said]


def test_distress_during_a_complaint_reaches_a_person_with_the_draft_kept(conversation):
    chat = _complaint(conversation)
    chat.start(ActionStartComplaint(), "我要投诉", "complain")
    chat.say("ATM吞了我的卡，打电话也没人管")
    said = "我真的崩溃了，不想活了"
    assert chat.say(said) == []
    assert chat.slots["complaint_reply"] == "urgent:distress"
    messages = _finish_with(chat, ActionFinishComplaint(), said)
    assert "12356" in messages[0]["text"] and "110" in messages[0]["text"]
    assert "/request_callback" in [b["payload"] for b in messages[1]["buttons"]]
    assert chat.slots["complaint_draft"]["description"] == ["ATM吞了我的卡，打电话也没人管"]
