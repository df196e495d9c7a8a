"""Opening conversations, checking their tokens and logging every message's delivery.

Functions take the session as a keyword argument and flush; the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.db import utcnow
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from bot.leases import service as lease_service
from bot.leases.models import Lease
from bot.text.cleaning import clean_text

from .lifetime import Lifetime
from .models import Conversation, ConversationMessage

CUSTOMER = "customer"
ASSISTANT = "assistant"
AGENT = "agent"
# Notices about the service itself: queue position, an agent joining or leaving, rating prompt.
SYSTEM = "system"

RECEIVED = "received"
DELIVERED = "delivered"
FAILED = "failed"

CHANNELS = ("web", "app")
MAX_CLIENT_MESSAGE_ID_CHARS = 64
# A message's text as sent, before cleaning (whitespace and control characters removed); after
# cleaning the configured MAX_MESSAGE_CHARS (1,000) applies.
MAX_TEXT_CHARS_AS_SENT = 4000
MAX_IN_PROGRESS_RETRY_SECONDS = 3


# The statements every customer message runs, built once: building a statement anew is most of
# its cost in SQLAlchemy (README "Turn cost"). They write through the tables' column types
# (encryption at rest, UTC timestamps) as the ORM does.
_MESSAGES = ConversationMessage.__table__
_INSERT_MESSAGE = insert(_MESSAGES)
_MARK_DELIVERED = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("message_id")).values(status=DELIVERED)
_MESSAGE_CONVERSATION = select(_MESSAGES.c.conversation_id).where(_MESSAGES.c.id == bindparam("message_id"))
_TOUCH = (
    update(Conversation.__table__)
    .where(Conversation.__table__.c.id == bindparam("conversation_id_"))
    .values(last_activity_at=bindparam("now"))
)
_CONVERSATION = select(Conversation).where(Conversation.id == bindparam("conversation_id"))
_INSERT_LEASE = insert(Lease.__table__)
_DELETE_LEASE = delete(Lease.__table__).where(Lease.__table__.c.name == bindparam("lease_name"))


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    customer_message = "会话不存在或已结束，请刷新页面开始新的会话。"


class InvalidConversationToken(Forbidden):
    code = "invalid_conversation_token"
    customer_message = "会话凭证无效或已失效，请刷新页面后重试。"


class ConversationExpired(Unauthenticated):
    code = "conversation_expired"
    customer_message = "由于长时间未操作，本次会话已结束。如需继续咨询，请开始新的会话。"


class IdentityMismatch(Forbidden):
    """The conversation was opened for another customer (or for one, and none is signed in now)."""

    code = "identity_mismatch"
    customer_message = "无法继续之前的会话，请开始新的会话。"


class EmptyMessage(InvalidInput):
    code = "empty_message"
    customer_message = "请输入您想咨询的内容。"


class MessageTooLong(InvalidInput):
    code = "message_too_long"


class InvalidClientMessageId(InvalidInput):
    code = "invalid_client_message_id"
    customer_message = "消息编号无效，请刷新页面后重新发送。"


class MessageInProgress(Conflict):
    code = "message_in_progress"
    customer_message = "您的这条消息正在处理中，请稍候。"

    def __init__(self, developer_message: str, *, retry_after_seconds: int = 1) -> None:
        super().__init__(developer_message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class UnknownChannel(InvalidInput):
    code = "unknown_channel"
    customer_message = "暂不支持该接入渠道。"


@dataclass
class AcceptedMessage:
    """A customer message as stored, with the replies it already has (for an idempotent resend)."""

    message: ConversationMessage
    replies: list[ConversationMessage] = field(default_factory=list)
    # An earlier attempt may have reached the assistant (its process died, or the answer was
    # lost): what the assistant applied must be checked before delivering it again.
    attempted: bool = False

    @property
    def needs_delivery(self) -> bool:
        return self.message.status != DELIVERED


def delivery_lease_name(message_id: int) -> str:
    """The lease (bot.leases) held while one API process delivers this message."""
    return f"message:{message_id}"


def _take_delivery(
    *, session: Session, message: ConversationMessage, holder: str, ttl: timedelta, now: datetime
) -> None:
    """Takes the message's delivery lease, or raises MessageInProgress (with the seconds until
    its holder's deadline) while another request is delivering it. A holder that died loses
    the lease at its deadline, so its message is taken over then, not after a fixed wait."""
    name = delivery_lease_name(message.id)
    if lease_service.acquire(session, name=name, holder=holder, ttl=ttl, now=now):
        return
    lease = session.get(Lease, name)
    left = (lease.expires_at - now).total_seconds() if lease is not None else 1
    raise MessageInProgress(
        f"message {message.id} is being answered (lease until {lease.expires_at if lease else '?'})",
        # Ask again when the lease ends, or sooner (the answer may come any moment); never 5 s,
        # uvicorn's keep-alive, which a client waiting exactly that long would race.
        retry_after_seconds=min(math.ceil(left), MAX_IN_PROGRESS_RETRY_SECONDS),
    )


def _end_delivery(*, session: Session, message_id: int) -> None:
    session.execute(_DELETE_LEASE, {"lease_name": delivery_lease_name(message_id)})


def hash_token(token: str) -> str:
    """The stored form of a conversation token (a token with a lone surrogate hashes too, and
    matches nothing)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def prepare_customer_text(raw: str, *, max_chars: int) -> str:
    """Cleans a customer's text and enforces that it is neither empty nor too long."""
    if len(raw) > MAX_TEXT_CHARS_AS_SENT:  # refused before any work is spent on it
        raise MessageTooLong(
            f"text has {len(raw)} characters as sent, the limit is {MAX_TEXT_CHARS_AS_SENT}",
            customer_message=f"您的消息超过了 {max_chars} 个字的上限，请分几次发送。",
        )
    text = clean_text(raw)
    if not text:
        raise EmptyMessage("text is empty after removing whitespace and control characters")
    if len(text) > max_chars:
        raise MessageTooLong(
            f"text has {len(text)} characters, the limit is {max_chars}",
            customer_message=f"您的消息有 {len(text)} 个字，超过了 {max_chars} 个字的上限，请分几次发送。",
        )
    return text


def open_conversation(
    *, session: Session, channel: str = "web", customer_id: str | None = None
) -> tuple[Conversation, str]:
    """Opens a conversation and returns it with its access token (shown once, stored hashed)."""
    if channel not in CHANNELS:
        raise UnknownChannel(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    token = secrets.token_urlsafe(32)
    conversation = Conversation(
        id=uuid.uuid4().hex,
        token_hash=hash_token(token),
        channel=channel,
        customer_id=customer_id,
    )
    session.add(conversation)
    session.flush()
    return conversation, token


def get_authorized(
    *,
    session: Session,
    conversation_id: str,
    token: str | None,
    lifetime: Lifetime | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Gets a conversation if the token is the one it was opened with and, given a `lifetime`,
    has not expired (ConversationExpired)."""
    conversation = (
        session.scalars(_CONVERSATION, {"conversation_id": conversation_id}).first()
        if conversation_id
        else None
    )
    if conversation is None:
        raise ConversationNotFound(f"conversation {conversation_id!r} does not exist")
    if not token or not hmac.compare_digest(conversation.token_hash, hash_token(token)):
        raise InvalidConversationToken(f"wrong or missing token for conversation {conversation_id!r}")
    if lifetime is not None:
        reason = lifetime.expired(
            created_at=conversation.created_at,
            last_activity_at=conversation.last_activity_at,
            now=now or utcnow(),
        )
        if reason is not None:
            raise ConversationExpired(f"conversation {conversation_id!r} token ended ({reason} lifetime)")
    return conversation


def resume_conversation(
    *,
    session: Session,
    conversation_id: str,
    token: str | None,
    customer_id: str | None,
    lifetime: Lifetime,
    now: datetime | None = None,
) -> Conversation:
    """The conversation a returning client may continue: its token is valid and unexpired, and
    the customer signed in now is the one it was opened for (both anonymous counts as the same).
    IdentityMismatch otherwise: another or no identity starts a new conversation."""
    conversation = get_authorized(
        session=session, conversation_id=conversation_id, token=token, lifetime=lifetime, now=now
    )
    if conversation.customer_id != customer_id:
        raise IdentityMismatch(
            f"conversation {conversation_id!r} belongs to another identity than the one presented"
        )
    return conversation


def end_conversation(*, session: Session, conversation: Conversation) -> None:
    """Revokes the conversation's token (the customer logged out or restarted the chat): every
    later use of it is refused. The messages stay for the agent and the records."""
    conversation.token_hash = hash_token(secrets.token_urlsafe(32))  # nobody knows this token
    session.flush()


def _touch(*, session: Session, conversation_id: str, now: datetime | None = None) -> None:
    """Something happened in the conversation: its idle expiry starts again."""
    session.execute(_TOUCH, {"conversation_id_": conversation_id, "now": now or utcnow()})


def _replies_to(*, session: Session, message_id: int) -> list[ConversationMessage]:
    statement = (
        select(ConversationMessage)
        .where(ConversationMessage.reply_to_id == message_id)
        .order_by(ConversationMessage.id)
    )
    return list(session.scalars(statement))


def accept_customer_message(
    *,
    session: Session,
    conversation: Conversation,
    text: str,
    client_message_id: str | None = None,
    in_flight_timeout: timedelta = timedelta(seconds=60),
    holder: str | None = None,
    now: datetime | None = None,
) -> AcceptedMessage:
    """Stores a customer message before delivery; a resend with the same client id is not duplicated.

    The caller delivers it under a lease (`holder`, until now + `in_flight_timeout`, the
    delivery budget). A resend while that lease holds is refused (MessageInProgress, 409 with
    Retry-After); once it has expired (the process died) or was given up (the delivery failed)
    the resend takes it over, marked `attempted`.
    """
    now = now or utcnow()
    holder = holder or uuid.uuid4().hex
    if client_message_id is not None:
        client_message_id = client_message_id.strip()
        if not client_message_id or len(client_message_id) > MAX_CLIENT_MESSAGE_ID_CHARS:
            raise InvalidClientMessageId(
                f"client_message_id must be 1-{MAX_CLIENT_MESSAGE_ID_CHARS} characters"
            )
        existing = session.scalars(
            select(ConversationMessage).where(
                ConversationMessage.conversation_id == conversation.id,
                ConversationMessage.client_message_id == client_message_id,
            )
        ).first()
        if existing is not None:
            if existing.text != text:
                raise InvalidClientMessageId(
                    f"client_message_id {client_message_id!r} was already used for another text"
                )
            if existing.status == DELIVERED:
                return AcceptedMessage(existing, _replies_to(session=session, message_id=existing.id))
            _take_delivery(session=session, message=existing, holder=holder, ttl=in_flight_timeout, now=now)
            return AcceptedMessage(existing, attempted=True)

    values = {
        "conversation_id": conversation.id,
        "sender": CUSTOMER,
        "text": text,
        "client_message_id": client_message_id,
        "status": RECEIVED,
        "created_at": now,
    }
    message_id = session.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]
    _touch(session=session, conversation_id=conversation.id, now=now)
    set_committed_value(conversation, "last_activity_at", now)
    # Nobody else can be delivering a message stored in this very transaction: its lease is simply
    # written (a row of that name could only be left over from a deleted message whose id SQLite
    # reused, so it goes first).
    name = delivery_lease_name(message_id)
    session.execute(_DELETE_LEASE, {"lease_name": name})
    session.execute(_INSERT_LEASE, {"name": name, "holder": holder, "expires_at": now + in_flight_timeout})
    return AcceptedMessage(ConversationMessage(id=message_id, **values))


def record_replies(*, session: Session, message_id: int, replies: list[dict]) -> list[ConversationMessage]:
    """Marks a customer message delivered and stores the assistant's replies to it (returned as
    stored, not attached to the session)."""
    session.flush()  # pending ORM changes first: the statements below go straight to the tables
    conversation_id = session.execute(_MESSAGE_CONVERSATION, {"message_id": message_id}).scalar()
    if conversation_id is None:
        raise NotFound(f"message {message_id} does not exist")
    now = utcnow()
    stored = []
    for reply in replies:
        values = {
            "conversation_id": conversation_id,
            "sender": SYSTEM if reply.get("sender") == SYSTEM else ASSISTANT,
            "text": reply.get("text") or "",
            "payload": message_payload(reply),
            "status": DELIVERED,
            "reply_to_id": message_id,
            "created_at": now,
        }
        reply_id = session.execute(_INSERT_MESSAGE, values).inserted_primary_key[0]
        stored.append(ConversationMessage(id=reply_id, client_message_id=None, **values))
    session.execute(_MARK_DELIVERED, {"message_id": message_id})
    _end_delivery(session=session, message_id=message_id)
    # A copy of the message loaded earlier in this session would say "received" still.
    loaded = session.identity_map.get(session.identity_key(ConversationMessage, message_id))
    if loaded is not None:
        set_committed_value(loaded, "status", DELIVERED)
    return stored


def message_payload(content: dict) -> dict | None:
    """The structured part of a reply kept with its text: buttons, the kind of notice
    (bot.handoff.conversation KIND_*) and the agent's display name."""
    payload = {key: content[key] for key in ("buttons", "kind", "agent_name") if content.get(key)}
    return payload or None


def post_message(
    *,
    session: Session,
    conversation_id: str,
    sender: str,
    text: str,
    buttons: list[dict] | None = None,
    kind: str | None = None,
    agent_name: str | None = None,
) -> ConversationMessage:
    """Stores a message that answers no customer message: an agent's reply or a system notice.
    Clients receive it pushed over the WebSocket, or in the history."""
    if sender not in (AGENT, SYSTEM):
        raise InvalidInput(f"only agent and system messages are posted, not {sender!r}")
    text = (text or "").strip()
    if not text:
        raise EmptyMessage("an empty message is not posted", customer_message="请输入要发送的内容。")
    if session.get(Conversation, conversation_id) is None:  # purged, or never existed
        raise ConversationNotFound(f"no conversation {conversation_id!r} to post to")
    message = ConversationMessage(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        payload=message_payload({"buttons": buttons, "kind": kind, "agent_name": agent_name}),
        status=DELIVERED,
    )
    session.add(message)
    _touch(session=session, conversation_id=conversation_id)
    session.flush()
    return message


def pushed_messages(
    *, session: Session, conversation_id: str, after_id: int = 0, limit: int = 100
) -> list[ConversationMessage]:
    """The agent and system messages that answer no customer message (so a WebSocket client has
    not received them as replies), in order, after `after_id`."""
    statement = (
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.id > after_id,
            ConversationMessage.reply_to_id.is_(None),
            ConversationMessage.sender.in_((AGENT, SYSTEM)),
        )
        .order_by(ConversationMessage.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def last_message_id(*, session: Session, conversation_id: str) -> int:
    return (
        session.scalar(
            select(func.max(ConversationMessage.id)).where(
                ConversationMessage.conversation_id == conversation_id
            )
        )
        or 0
    )


def record_failure(*, session: Session, message_id: int) -> None:
    """Marks a customer message as not yet answered so that a resend delivers it."""
    message = session.get(ConversationMessage, message_id)
    if message is not None and message.status != DELIVERED:
        message.status = FAILED
        _end_delivery(session=session, message_id=message_id)
        session.flush()


def list_messages(
    *, session: Session, conversation_id: str, after_id: int = 0, limit: int = 100
) -> list[ConversationMessage]:
    """Lists a conversation's messages in order, after a given message id."""
    statement = (
        select(ConversationMessage)
        .where(
            ConversationMessage.conversation_id == conversation_id,
            ConversationMessage.id > after_id,
        )
        .order_by(ConversationMessage.id)
        .limit(limit)
    )
    return list(session.scalars(statement))
