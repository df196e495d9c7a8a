"""Reading what Rasa applied from its tracker: the replies to one API message."""

from __future__ import annotations

from api.rasa_client import replies_after_message


def user(message_id, text="你好"):
    return {"event": "user", "text": text, "metadata": {"message_id": message_id}}


def bot(text, buttons=None):
    return {"event": "bot", "text": text, "data": {"buttons": buttons, "custom": None}}


LISTEN = {"event": "action", "name": "action_listen"}


def test_the_replies_between_the_message_and_the_next_one_are_what_rasa_applied():
    events = [
        user(1),
        {"event": "action", "name": "utter_greet"},
        bot("您好！"),
        LISTEN,
        user(2, "年费"),
        {"event": "action", "name": "action_answer_faq"},
        bot("年费说明", [{"title": "转人工", "payload": "/request_human"}]),
        LISTEN,
    ]
    assert replies_after_message(events, 1) == [{"text": "您好！", "buttons": []}]
    assert replies_after_message(events, 2) == [
        {"text": "年费说明", "buttons": [{"title": "转人工", "payload": "/request_human"}]}
    ]


def test_a_message_rasa_never_got_or_answered_with_nothing_must_be_delivered():
    lost_actions = [user(5), {"event": "action", "name": "action_answer_faq"}, LISTEN]
    assert replies_after_message(lost_actions, 5) is None  # the action server failed: resend
    assert replies_after_message(lost_actions, 6) is None  # never reached Rasa
    # Delivered again after the actions were lost: the last copy's replies count.
    assert replies_after_message(lost_actions + [user(5), bot("年费说明"), LISTEN], 5) == [
        {"text": "年费说明", "buttons": []}
    ]
