"""A fragment ("开不了", "为什么我不行") after an FAQ answer, and without one; a follow-up that
names a sibling topic."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionAnswerFragment
from actions.faq import ActionAnswerFollowup
from bot.handoff.conversation import CallbackIntake


def _run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def _user(text: str, intent: str) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def _tracker(events: list[dict], slots: dict | None = None, latest: dict | None = None) -> Tracker:
    return Tracker.from_dict(
        {"sender_id": "c1", "slots": slots or {}, "latest_message": latest or {}, "events": events}
    )


ANSWERED_ACTIVATION = [
    _user("新卡怎么激活", "faq"),
    {"event": "action", "name": "action_answer_faq"},
    {"event": "bot", "text": "您好，新卡可通过……"},
    {"event": "slot", "name": "last_faq_topic", "value": "card_activation"},
    {"event": "action", "name": "action_listen"},
]


def test_a_fragment_right_after_an_answer_is_about_that_topic():
    tracker = _tracker(
        [*ANSWERED_ACTIVATION, _user("开不了", "fragment")], {"last_faq_topic": "card_activation"}
    )
    messages, events = _run(ActionAnswerFragment(), tracker)
    assert messages[0]["response"] == "utter_fragment_after_faq"
    assert messages[0]["topic"] == "银行卡激活"
    assert events == []


def test_a_fragment_with_nothing_before_asks_what_the_customer_means():
    messages, _ = _run(ActionAnswerFragment(), _tracker([_user("为什么我不行", "fragment")]))
    assert messages[0]["response"] == "utter_fragment_no_context"


def test_a_fragment_after_small_talk_does_not_reach_back_to_an_old_answer():
    events = [
        *ANSWERED_ACTIVATION,
        _user("谢谢", "thank"),
        {"event": "action", "name": "utter_you_are_welcome"},
        {"event": "action", "name": "action_listen"},
        _user("是可以了吗", "fragment"),
    ]
    messages, _ = _run(ActionAnswerFragment(), _tracker(events, {"last_faq_topic": "card_activation"}))
    assert messages[0]["response"] == "utter_fragment_no_context"


def _selector(*pairs: tuple[str, float]) -> dict:
    ranking = [{"intent_response_key": f"faq/{t}", "confidence": c} for t, c in pairs]
    return {"default": {"ranking": ranking}}


def test_a_fee_follow_up_naming_the_installment_after_the_annual_fee_answers_installments():
    latest = {
        "intent": {"name": "followup_fee"},
        "response_selector": _selector(("installment", 0.8), ("annual_fee", 0.1)),
    }
    messages, events = _run(ActionAnswerFollowup(), _tracker([], {"last_faq_topic": "annual_fee"}, latest))
    assert messages[0]["utter_action"] == "utter_faq/installment"
    assert events[0]["value"] == "installment"


def test_a_plain_fee_follow_up_after_the_annual_fee_says_it_was_covered():
    latest = {
        "intent": {"name": "followup_fee"},
        "response_selector": _selector(("annual_fee", 0.6), ("installment", 0.2)),
    }
    messages, _ = _run(ActionAnswerFollowup(), _tracker([], {"last_faq_topic": "annual_fee"}, latest))
    assert messages[0]["response"] == "utter_followup_already_answered"


def _offered(buttons: list[tuple[str, str]], text: str = "……") -> list[dict]:
    return [
        _user("转人工", "request_human"),
        {"event": "action", "name": "action_request_human"},
        {
            "event": "bot",
            "text": text,
            "data": {"buttons": [{"title": title, "payload": payload} for title, payload in buttons]},
        },
        {"event": "action", "name": "action_listen"},
    ]


CALLBACK_OFFER = [("预约回电", "/request_callback"), ("不用了", "/decline_human")]


def test_yes_to_the_call_back_offer_takes_the_call_back_request():
    from actions.conversation import ActionAnswerYesNo

    tracker = _tracker(
        [*_offered(CALLBACK_OFFER), _user("好的", "affirm")], latest={"intent": {"name": "affirm"}}
    )
    messages, events = _run(ActionAnswerYesNo(), tracker)
    assert messages == []  # the call-back form asks for the phone number next
    assert {"event": "followup", "name": "callback_form"} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    fresh = CallbackIntake().to_slot()  # a new request: the phone number first
    assert [e["value"] for e in events if e.get("name") == "callback_state"] == [fresh]


def test_no_to_the_call_back_offer_is_respected():
    from actions.conversation import ActionAnswerYesNo

    tracker = _tracker(
        [*_offered(CALLBACK_OFFER), _user("不用了", "deny")], latest={"intent": {"name": "deny"}}
    )
    messages, events = _run(ActionAnswerYesNo(), tracker)
    assert [m["response"] for m in messages] == ["utter_decline_human"] and events == []


def test_yes_to_the_offer_of_a_person_asks_for_one():
    from actions.conversation import ActionAnswerYesNo
    from tests.actions.conftest import signed_metadata

    offer = [("转人工客服", "/request_human"), ("不用了，我换个说法", "/decline_human")]
    metadata = signed_metadata("c1", customer=None, channel="web")
    latest = {"text": "好的", "intent": {"name": "affirm"}, "metadata": metadata}
    user = {**_user("好的", "affirm"), "metadata": metadata}
    messages, _ = _run(ActionAnswerYesNo(), _tracker([*_offered(offer), user], latest=latest))
    # Nobody is online in these tests: the person comes as the call-back offer.
    assert "/request_callback" in [b["payload"] for b in messages[-1]["buttons"]]


def test_a_plain_yes_after_an_answer_is_just_acknowledged():
    from actions.conversation import ActionAnswerYesNo

    tracker = _tracker([*ANSWERED_ACTIVATION, _user("好的", "affirm")], latest={"intent": {"name": "affirm"}})
    messages, events = _run(ActionAnswerYesNo(), tracker)
    assert [m["response"] for m in messages] == ["utter_ok_anything_else"] and events == []


# "请问还有其他可以帮您的吗？" answered with a no ends the conversation with a goodbye, whatever the
# classifier made of the no; without that question the same words keep their usual answers.


def _after_anything_else(text: str, intent: str) -> Tracker:
    events = [
        *ANSWERED_ACTIVATION,
        _user("谢谢", "thank"),
        {"event": "action", "name": "utter_you_are_welcome"},
        {
            "event": "bot",
            "text": "不客气，很高兴能帮到您。请问还有其他可以帮您的吗？",
            "metadata": {"utter_action": "utter_you_are_welcome"},
        },
        {"event": "action", "name": "action_listen"},
        _user(text, intent),
    ]
    return _tracker(events, latest={"text": text, "intent": {"name": intent}})


def test_no_to_anything_else_says_goodbye_whatever_it_was_read_as():
    from actions.conversation import ActionAnswerYesNo
    from actions.fallback import ActionHandleFallback

    for action, text, intent in [
        (ActionAnswerYesNo(), "不用了", "deny"),
        (ActionAnswerFragment(), "没有", "fragment"),
        (ActionAnswerFragment(), "没了啊", "fragment"),
        (ActionHandleFallback(), "没有了，谢谢", "nlu_fallback"),
    ]:
        messages, events = _run(action, _after_anything_else(text, intent))
        assert [m["response"] for m in messages] == ["utter_goodbye"], text
        assert events == []


def test_without_the_question_a_bare_no_is_not_a_goodbye():
    messages, _ = _run(ActionAnswerFragment(), _tracker([_user("没有", "fragment")], latest={"text": "没有"}))
    assert messages[0]["response"] == "utter_fragment_no_context"
    # and after the question, a fragment that is not a no is still asked about
    messages, _ = _run(ActionAnswerFragment(), _after_anything_else("为什么没有", "fragment"))
    assert messages[0]["response"] != "utter_goodbye"


def test_thanks_are_welcomed_and_thanks_to_anything_else_say_goodbye():
    from actions.conversation import ActionAnswerThanks

    first = _tracker([_user("谢谢", "thank")], latest={"text": "谢谢", "intent": {"name": "thank"}})
    messages, events = _run(ActionAnswerThanks(), first)
    assert [m["response"] for m in messages] == ["utter_you_are_welcome"] and events == []
    # "不客气…请问还有其他可以帮您的吗？" answered "好的谢谢": the customer is done
    messages, events = _run(ActionAnswerThanks(), _after_anything_else("好的谢谢", "thank"))
    assert [m["response"] for m in messages] == ["utter_goodbye"] and events == []
