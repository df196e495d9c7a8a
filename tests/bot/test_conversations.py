"""Conversations: tokens guard them, and every customer message is stored once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.conversations import service
from bot.conversations.models import ConversationMessage


def test_a_conversation_opens_with_a_token_that_only_it_accepts(session):
    conversation, token = service.open_conversation(session=session, channel="app")
    other, other_token = service.open_conversation(session=session)

    assert service.get_authorized(session=session, conversation_id=conversation.id, token=token)
    with pytest.raises(service.InvalidConversationToken):
        service.get_authorized(session=session, conversation_id=conversation.id, token=other_token)
    with pytest.raises(service.InvalidConversationToken):
        service.get_authorized(session=session, conversation_id=conversation.id, token=None)
    assert conversation.token_hash != token, "the token itself must never be stored"


def test_an_unknown_conversation_is_reported_as_such(session):
    with pytest.raises(service.ConversationNotFound):
        service.get_authorized(session=session, conversation_id="nope", token="x")


def test_an_unknown_channel_is_refused(session):
    with pytest.raises(service.UnknownChannel):
        service.open_conversation(session=session, channel="fax")


@pytest.mark.parametrize("raw", ["", "   ", "\u3000\n\t", "\x00\x07"])
def test_empty_text_is_refused_with_a_chinese_explanation(raw):
    with pytest.raises(service.EmptyMessage) as caught:
        service.prepare_customer_text(raw, max_chars=1000)
    assert "请输入" in caught.value.customer_message


def test_text_over_the_limit_is_refused_and_the_customer_is_told_the_limit():
    with pytest.raises(service.MessageTooLong) as caught:
        service.prepare_customer_text("转" * 1001, max_chars=1000)
    assert "1000" in caught.value.customer_message
    assert service.prepare_customer_text("转" * 1000, max_chars=1000) == "转" * 1000


def test_emoji_and_traditional_characters_pass_unchanged():
    text = "您好👍🏻 我想問一下轉賬👨‍👩‍👧"
    assert service.prepare_customer_text(text, max_chars=1000) == text


def test_resending_with_the_same_client_id_does_not_duplicate(session):
    conversation, _ = service.open_conversation(session=session)
    first = service.accept_customer_message(
        session=session, conversation=conversation, text="你好", client_message_id="c-1"
    )
    service.record_replies(
        session=session, message_id=first.message.id, replies=[{"text": "您好！", "buttons": []}]
    )

    again = service.accept_customer_message(
        session=session, conversation=conversation, text="你好", client_message_id="c-1"
    )

    assert again.message.id == first.message.id
    assert not again.needs_delivery
    assert [reply.text for reply in again.replies] == ["您好！"]
    stored = service.list_messages(session=session, conversation_id=conversation.id)
    assert [(m.sender, m.text) for m in stored] == [("customer", "你好"), ("assistant", "您好！")]


def test_a_failed_message_is_kept_and_delivered_on_resend(session):
    conversation, _ = service.open_conversation(session=session)
    accepted = service.accept_customer_message(
        session=session, conversation=conversation, text="转账要多久", client_message_id="c-2"
    )
    service.record_failure(session=session, message_id=accepted.message.id)

    resent = service.accept_customer_message(
        session=session, conversation=conversation, text="转账要多久", client_message_id="c-2"
    )

    assert resent.message.id == accepted.message.id
    assert resent.message.status == service.FAILED
    assert resent.needs_delivery


def test_a_resend_while_the_first_is_still_answered_is_refused(session):
    conversation, _ = service.open_conversation(session=session)
    now = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    service.accept_customer_message(
        session=session,
        conversation=conversation,
        text="在吗",
        client_message_id="c-3",
        in_flight_timeout=timedelta(seconds=12),
        now=now,
    )
    with pytest.raises(service.MessageInProgress) as refused:
        service.accept_customer_message(
            session=session,
            conversation=conversation,
            text="在吗",
            client_message_id="c-3",
            now=now + timedelta(seconds=4),
        )
    assert refused.value.retry_after_seconds == 3  # the lease ends in 8 s; ask again sooner
    # Its process died: at the lease's deadline the resend takes the delivery over.
    stuck = service.accept_customer_message(
        session=session,
        conversation=conversation,
        text="在吗",
        client_message_id="c-3",
        now=now + timedelta(seconds=13),
    )
    assert stuck.needs_delivery and stuck.attempted


def test_a_client_id_reused_for_another_text_is_refused(session):
    conversation, _ = service.open_conversation(session=session)
    service.accept_customer_message(
        session=session, conversation=conversation, text="A", client_message_id="c-4"
    )
    with pytest.raises(service.InvalidClientMessageId):
        service.accept_customer_message(
            session=session, conversation=conversation, text="B", client_message_id="c-4"
        )


def test_replies_keep_their_buttons_and_history_pages_in_order(session):
    conversation, _ = service.open_conversation(session=session)
    for index in range(3):
        accepted = service.accept_customer_message(
            session=session, conversation=conversation, text=f"问题{index}"
        )
        service.record_replies(
            session=session,
            message_id=accepted.message.id,
            replies=[{"text": f"回答{index}", "buttons": [{"title": "转人工", "payload": "/request_human"}]}],
        )
    first_page = service.list_messages(session=session, conversation_id=conversation.id, limit=4)
    second_page = service.list_messages(
        session=session, conversation_id=conversation.id, after_id=first_page[-1].id, limit=4
    )

    texts = [m.text for m in first_page + second_page]
    assert texts == ["问题0", "回答0", "问题1", "回答1", "问题2", "回答2"]
    assert second_page[-1].payload == {"buttons": [{"title": "转人工", "payload": "/request_human"}]}
    assert all(isinstance(m, ConversationMessage) for m in first_page)
    assert first_page[0].created_at.tzinfo is not None
