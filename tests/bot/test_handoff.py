"""Handoff to a human agent: state machine, queue order and wait estimate, presence, call-backs,
service hours (Chinese holidays and adjusted working days) and the claim race on real databases."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import delete, select

from bot.cases.crypto import CaseCipher
from bot.config import load_settings
from bot.db import build_session_factory
from bot.errors import Conflict, Forbidden
from bot.handoff import hours, lifecycle
from bot.handoff import service as handoff_service
from bot.handoff.errors import (
    AlreadyClaimed,
    CallbackNotFound,
    HandoffNotFound,
    IllegalHandoffTransition,
    InvalidHandoffField,
    NotHandoffAgent,
)
from bot.handoff.models import AgentPresence, CallbackRequest, Handoff, HandoffEvent
from bot.staff.models import StaffAccount

# Tuesday 2026-11-24 10:00 in Asia/Shanghai.
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
CIPHER = CaseCipher(Fernet.generate_key().decode("ascii"))


def shanghai(year, month, day, hour, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=hours.CHINA)


def settings(**changes):
    base = dataclasses.replace(
        load_settings(), agent_hours="09:00-21:00", agent_holidays_closed=True, agent_weekends_closed=False
    )
    return dataclasses.replace(base, **changes)


def conversation() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def clean(session):
    """An empty queue inside the test's transaction (other tests may have committed handoffs)."""
    for model in (HandoffEvent, Handoff, CallbackRequest, AgentPresence):
        session.execute(delete(model))
    return session


def make_staff(session, role="agent", name=None) -> StaffAccount:
    staff = StaffAccount(
        username=f"{role}-{uuid.uuid4().hex[:8]}",
        display_name=name or f"测试{role}",
        role=role,
        password_hash="not-used",
        active=True,
        created_at=NOW,
    )
    session.add(staff)
    session.flush()
    return staff


def actions(session, handoff) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.from_status, e.to_status)
        for e in handoff_service.list_events(session=session, handoff=handoff)
    ]


# --- service hours (pure) ------------------------------------------------------------------------


def test_opening_hours_on_an_ordinary_day():
    s = settings()
    assert hours.is_service_time(shanghai(2026, 11, 24, 9, 0), s)
    assert hours.is_service_time(shanghai(2026, 11, 24, 20, 59), s)
    assert not hours.is_service_time(shanghai(2026, 11, 24, 21, 0), s)
    assert not hours.is_service_time(shanghai(2026, 11, 24, 8, 59), s)
    # 01:00 UTC is 09:00 in Shanghai.
    assert hours.is_service_time(datetime(2026, 11, 24, 1, 0, tzinfo=UTC), s)


def test_several_ranges_and_midnight():
    s = settings(agent_hours="09:00-12:00, 13:00-24:00")
    assert hours.is_service_time(shanghai(2026, 11, 24, 11, 59), s)
    assert not hours.is_service_time(shanghai(2026, 11, 24, 12, 30), s)
    assert hours.is_service_time(shanghai(2026, 11, 24, 23, 59), s)


@pytest.mark.parametrize("spec", ["", "9-21", "21:00-09:00", "09:00-25:00", "09:61-10:00"])
def test_malformed_hours_are_refused(spec):
    with pytest.raises(ValueError):
        hours.parse_hours(spec)


def test_national_day_is_closed_when_holidays_are_closed():
    assert hours.holiday_name(shanghai(2026, 10, 1, 10).date()) == "National Day"
    assert not hours.is_service_time(shanghai(2026, 10, 1, 10), settings())
    assert hours.is_service_time(shanghai(2026, 10, 1, 10), settings(agent_holidays_closed=False))
    # A plain weekend is no holiday: open every day by default.
    assert hours.is_service_time(shanghai(2026, 11, 21, 10), settings())


def test_adjusted_working_saturday_is_open_even_when_weekends_are_closed():
    weekdays_only = settings(agent_weekends_closed=True)
    # 2026-10-10 is a Saturday worked in exchange for the National Day holiday (调休).
    assert shanghai(2026, 10, 10, 10).weekday() == 5
    assert hours.holiday_name(shanghai(2026, 10, 10, 10).date()) is None
    assert hours.is_working_day(shanghai(2026, 10, 10, 10).date())
    assert hours.is_service_time(shanghai(2026, 10, 10, 10), weekdays_only)
    assert not hours.is_service_time(shanghai(2026, 10, 11, 10), weekdays_only)  # ordinary Sunday
    assert hours.is_service_time(shanghai(2026, 10, 11, 10), settings())


def test_next_opening_skips_the_holiday_week():
    assert hours.next_opening(shanghai(2026, 11, 24, 22), settings()) == shanghai(2026, 11, 25, 9)
    assert hours.next_opening(shanghai(2026, 9, 30, 22), settings()) == shanghai(2026, 10, 8, 9)
    now = shanghai(2026, 11, 24, 10)
    assert hours.next_opening(now, settings()) == now


def test_a_year_without_a_published_schedule_keeps_the_fixed_holidays():
    assert hours.holiday_name(datetime(2099, 10, 1).date()) is not None
    assert hours.holiday_name(datetime(2099, 10, 12).date()) is None


def test_hours_text():
    assert hours.describe_hours(settings()) == "每天 09:00-21:00（法定节假日除外）"
    assert hours.describe_hours(settings(agent_weekends_closed=True)) == "工作日 09:00-21:00"


# --- state machine -------------------------------------------------------------------------------


def test_request_is_idempotent_while_active(clean):
    session = clean
    conv = conversation()
    first = handoff_service.request_handoff(
        session=session,
        conversation_id=conv,
        reason="complaint",
        customer_id="C1",
        context={"draft": "扣费问题"},
        now=NOW,
    )
    again = handoff_service.request_handoff(session=session, conversation_id=conv, reason="request", now=NOW)
    assert again.id == first.id
    assert first.status == lifecycle.WAITING and first.priority == lifecycle.PRIORITY["complaint"]
    assert handoff_service.context_of(first) == {"draft": "扣费问题"}
    assert handoff_service.active_handoff(session=session, conversation_id=conv).id == first.id
    assert actions(session, first) == [("requested", None, "waiting")]


def test_unknown_reason_is_refused(clean):
    with pytest.raises(InvalidHandoffField):
        handoff_service.request_handoff(
            session=clean, conversation_id=conversation(), reason="bored", now=NOW
        )


def test_claim_hand_back_and_a_new_request_afterwards(clean):
    session = clean
    agent = make_staff(session)
    conv = conversation()
    handoff = handoff_service.request_handoff(
        session=session, conversation_id=conv, reason="request", now=NOW
    )
    claimed = handoff_service.claim(
        session=session, handoff_id=handoff.id, staff=agent, now=NOW + timedelta(minutes=2)
    )
    assert claimed.status == lifecycle.CLAIMED and claimed.agent_id == agent.id
    assert claimed.claimed_at == NOW + timedelta(minutes=2)
    assert handoff_service.agent_handoffs(session=session, staff=agent) == [claimed]
    back = handoff_service.hand_back(
        session=session,
        handoff_id=handoff.id,
        staff=agent,
        note="客户手机号13812345678已核实",
        now=NOW + timedelta(minutes=9),
    )
    assert back.status == lifecycle.HANDED_BACK and back.ended_at == NOW + timedelta(minutes=9)
    assert handoff_service.active_handoff(session=session, conversation_id=conv) is None
    events = handoff_service.list_events(session=session, handoff=back)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("requested", None, "waiting"),
        ("claimed", "waiting", "claimed"),
        ("handed_back", "claimed", "handed_back"),
    ]
    assert events[1].actor == f"staff:{agent.username}"
    assert "13812345678" not in events[2].note and "138****5678" in events[2].note
    # A later 转人工 in the same conversation is a new handoff.
    second = handoff_service.request_handoff(session=session, conversation_id=conv, reason="request", now=NOW)
    assert second.id != handoff.id
    assert handoff_service.agent_handoffs(session=session, staff=agent, include_ended=True) == [back]


@pytest.mark.parametrize(
    "setup, action",
    [
        ("waiting", "hand_back"),
        ("waiting", "close"),
        ("closed", "claim"),
        ("closed", "hand_back"),
        ("handed_back", "close"),
        ("cancelled", "claim"),
        ("expired", "claim"),
    ],
)
def test_illegal_transitions(clean, setup, action):
    session = clean
    agent = make_staff(session)
    conv = conversation()
    handoff = handoff_service.request_handoff(
        session=session, conversation_id=conv, reason="request", now=NOW
    )
    if setup in ("closed", "handed_back"):
        handoff_service.claim(session=session, handoff_id=handoff.id, staff=agent, now=NOW)
        getattr(handoff_service, "close" if setup == "closed" else "hand_back")(
            session=session, handoff_id=handoff.id, staff=agent, now=NOW
        )
    elif setup == "cancelled":
        handoff_service.cancel(session=session, conversation_id=conv, now=NOW)
    elif setup == "expired":
        handoff_service.expire_waiting(
            session=session, older_than=timedelta(minutes=1), now=NOW + timedelta(hours=1)
        )
    with pytest.raises(IllegalHandoffTransition) as error:
        getattr(handoff_service, action)(session=session, handoff_id=handoff.id, staff=agent, now=NOW)
    assert "不能变更为" in error.value.customer_message
    assert session.get(Handoff, handoff.id).status == setup


def test_second_claim_and_foreign_agents(clean):
    session = clean
    first, second = make_staff(session, name="王小明"), make_staff(session)
    supervisor, analyst = make_staff(session, "supervisor"), make_staff(session, "analyst")
    handoff = handoff_service.request_handoff(
        session=session, conversation_id=conversation(), reason="request", now=NOW
    )
    handoff_service.claim(session=session, handoff_id=handoff.id, staff=first, now=NOW)
    with pytest.raises(AlreadyClaimed) as error:
        handoff_service.claim(session=session, handoff_id=handoff.id, staff=second, now=NOW)
    assert isinstance(error.value, Conflict) and "王小明" in error.value.customer_message
    with pytest.raises(AlreadyClaimed) as again:
        handoff_service.claim(session=session, handoff_id=handoff.id, staff=first, now=NOW)
    assert again.value.customer_message == "您已接入该会话。"
    with pytest.raises(NotHandoffAgent):
        handoff_service.hand_back(session=session, handoff_id=handoff.id, staff=second, now=NOW)
    with pytest.raises(Forbidden):
        handoff_service.claim(session=session, handoff_id=handoff.id, staff=analyst, now=NOW)
    with pytest.raises(HandoffNotFound):
        handoff_service.claim(session=session, handoff_id=987654, staff=first, now=NOW)
    # A supervisor may close a conversation any agent holds.
    assert (
        handoff_service.close(session=session, handoff_id=handoff.id, staff=supervisor, now=NOW).status
        == "closed"
    )
    assert [a for a, _, _ in actions(session, handoff)] == ["requested", "claimed", "closed"]


def test_cancel_only_while_waiting(clean):
    session = clean
    agent = make_staff(session)
    conv = conversation()
    handoff_service.request_handoff(session=session, conversation_id=conv, reason="request", now=NOW)
    cancelled = handoff_service.cancel(session=session, conversation_id=conv, now=NOW)
    assert cancelled.status == lifecycle.CANCELLED and cancelled.ended_at == NOW
    with pytest.raises(HandoffNotFound):
        handoff_service.cancel(session=session, conversation_id=conv, now=NOW)
    handoff = handoff_service.request_handoff(
        session=session, conversation_id=conv, reason="request", now=NOW
    )
    handoff_service.claim(session=session, handoff_id=handoff.id, staff=agent, now=NOW)
    with pytest.raises(IllegalHandoffTransition):
        handoff_service.cancel(session=session, conversation_id=conv, now=NOW)


def test_expire_only_old_waiting_handoffs(clean):
    session = clean
    agent = make_staff(session)
    old = handoff_service.request_handoff(
        session=session, conversation_id=conversation(), reason="request", now=NOW
    )
    taken = handoff_service.request_handoff(
        session=session, conversation_id=conversation(), reason="request", now=NOW
    )
    handoff_service.claim(session=session, handoff_id=taken.id, staff=agent, now=NOW)
    fresh = handoff_service.request_handoff(
        session=session, conversation_id=conversation(), reason="request", now=NOW + timedelta(minutes=25)
    )
    expired = handoff_service.expire_waiting(
        session=session, older_than=timedelta(minutes=30), now=NOW + timedelta(minutes=31)
    )
    assert [h.id for h in expired] == [old.id]
    assert old.status == "expired" and taken.status == "claimed" and fresh.status == "waiting"
    assert actions(session, old)[-1] == ("expired", "waiting", "expired")


def test_rating_after_the_human_service(clean):
    session = clean
    agent = make_staff(session)
    conv = conversation()
    handoff = handoff_service.request_handoff(
        session=session, conversation_id=conv, reason="request", now=NOW
    )
    with pytest.raises(IllegalHandoffTransition):
        handoff_service.rate(session=session, conversation_id=conv, satisfaction=5, now=NOW)
    handoff_service.claim(session=session, handoff_id=handoff.id, staff=agent, now=NOW)
    handoff_service.close(session=session, handoff_id=handoff.id, staff=agent, now=NOW)
    for bad in (0, 6, True, "5"):
        with pytest.raises(InvalidHandoffField):
            handoff_service.rate(session=session, conversation_id=conv, satisfaction=bad, now=NOW)
    rated = handoff_service.rate(session=session, conversation_id=conv, satisfaction=4, now=NOW)
    assert rated.satisfaction == 4 and rated.rated_at == NOW
    with pytest.raises(IllegalHandoffTransition, match="already rated"):
        handoff_service.rate(session=session, conversation_id=conv, satisfaction=5, now=NOW)
    assert actions(session, handoff)[-1] == ("rated", None, None)


# --- queue order and wait estimate ---------------------------------------------------------------


def test_queue_puts_fraud_and_complaints_first_then_oldest(clean):
    session = clean
    ids = {}
    for minute, reason in [
        (0, "request"),
        (1, "complaint"),
        (2, "misunderstood"),
        (3, "fraud"),
        (4, "complaint"),
    ]:
        ids[(minute, reason)] = handoff_service.request_handoff(
            session=session,
            conversation_id=conversation(),
            reason=reason,
            now=NOW + timedelta(minutes=minute),
        ).id
    entries = handoff_service.queue(session=session, now=NOW + timedelta(minutes=5), agents=1)
    assert [e.handoff.id for e in entries] == [
        ids[(3, "fraud")],
        ids[(1, "complaint")],
        ids[(4, "complaint")],
        ids[(0, "request")],
        ids[(2, "misunderstood")],
    ]
    assert [e.position for e in entries] == [1, 2, 3, 4, 5]
    # No claim history: the default (5 minutes) per customer ahead.
    assert [e.estimated_wait_minutes for e in entries] == [5, 10, 15, 20, 25]
    last = handoff_service.queue_position(
        session=session, conversation_id=entries[-1].handoff.conversation_id, agents=2, now=NOW
    )
    assert (last.position, last.ahead, last.estimated_wait_minutes) == (5, 4, 15)
    # ... which the customer is not given as an estimate: no past waits, no figure.
    assert not last.estimate_known and not any(e.estimate_known for e in entries)
    # The fraud case is taken: everyone behind it moves up and is told.
    agent = make_staff(session)
    handoff_service.claim(
        session=session, handoff_id=entries[0].handoff.id, staff=agent, now=NOW + timedelta(minutes=6)
    )
    moved = handoff_service.moved_up(session=session, left=entries[0].handoff, agents=1)
    assert [e.handoff.id for e in moved] == [e.handoff.id for e in entries[1:]]
    assert [e.position for e in moved] == [1, 2, 3, 4]
    notices = handoff_service.queue_update_notices(session=session, left=entries[2].handoff, agents=1)
    assert [conversation for conversation, _ in notices] == [e.handoff.conversation_id for e in entries[3:]]
    assert "暂时无法估计等待时间" in notices[0][1]["text"]
    assert handoff_service.queue_position(session=session, conversation_id="nobody", now=NOW) is None


def test_wait_estimate_is_the_median_of_recent_claims(clean):
    session = clean
    agent = make_staff(session)
    assert handoff_service.estimate_wait(session=session).samples == 0
    for i, wait in enumerate([1, 2, 30, 3]):  # minutes; one outlier
        requested = NOW + timedelta(hours=i)
        h = handoff_service.request_handoff(
            session=session, conversation_id=conversation(), reason="request", now=requested
        )
        handoff_service.claim(
            session=session, handoff_id=h.id, staff=agent, now=requested + timedelta(minutes=wait)
        )
    estimate = handoff_service.estimate_wait(session=session)
    assert estimate.samples == 4 and estimate.per_position == timedelta(minutes=2.5)
    assert estimate.for_position(1) == 3 and estimate.for_position(3, agents=2) == 5
    # Only the last N claims count: the two most recent were 30 and 3 minutes.
    assert handoff_service.estimate_wait(session=session, sample_size=2).samples == 0
    recent = handoff_service.estimate_wait(session=session, sample_size=3)
    assert recent.per_position == timedelta(minutes=3)


# --- presence and availability -------------------------------------------------------------------


def test_presence_and_agents_online(clean):
    session = clean
    agent, supervisor, away, stale = (
        make_staff(session),
        make_staff(session, "supervisor"),
        make_staff(session),
        make_staff(session),
    )
    analyst = make_staff(session, "analyst")
    handoff_service.set_presence(session=session, staff=agent, status="online", now=NOW)
    handoff_service.set_presence(
        session=session, staff=supervisor, status="online", now=NOW - timedelta(minutes=4)
    )
    handoff_service.set_presence(session=session, staff=away, status="away", now=NOW)
    handoff_service.set_presence(
        session=session, staff=stale, status="online", now=NOW - timedelta(minutes=6)
    )
    with pytest.raises(Forbidden):
        handoff_service.set_presence(session=session, staff=analyst, status="online", now=NOW)
    with pytest.raises(InvalidHandoffField):
        handoff_service.set_presence(session=session, staff=agent, status="busy", now=NOW)
    online = handoff_service.agents_online(session=session, now=NOW, within=timedelta(minutes=5))
    assert [s.id for s in online] == [agent.id, supervisor.id]
    # A heartbeat updates the same row.
    handoff_service.set_presence(session=session, staff=agent, status="offline", now=NOW)
    assert (
        session.scalars(select(AgentPresence).where(AgentPresence.staff_id == agent.id)).one().status
        == "offline"
    )
    assert [s.id for s in handoff_service.agents_online(session=session, now=NOW)] == [supervisor.id]


def test_can_queue_needs_service_time_and_an_agent(clean):
    session = clean
    s = settings()
    closed = handoff_service.can_queue(session=session, settings=s, now=shanghai(2026, 10, 1, 10))
    assert not closed.available and closed.reason == "closed"
    assert closed.next_opening == shanghai(2026, 10, 8, 9)
    nobody = handoff_service.can_queue(session=session, settings=s, now=NOW)
    assert not nobody.available and nobody.reason == "no_agent"
    handoff_service.set_presence(session=session, staff=make_staff(session), status="online", now=NOW)
    ready = handoff_service.can_queue(session=session, settings=s, now=NOW)
    assert ready.available and ready.reason is None and ready.hours_text.startswith("每天")


# --- call-backs ----------------------------------------------------------------------------------


def test_callback_request_stores_the_phone_encrypted_and_masked(clean):
    session = clean
    agent = make_staff(session)
    callback = handoff_service.request_callback(
        session=session,
        phone="+86 138-1234-5678",
        preferred_time="明天下午三点后",
        conversation_id=conversation(),
        customer_id="C9",
        now=NOW,
        cipher=CIPHER,
    )
    assert callback.phone_masked == "138****5678"
    assert "13812345678" not in callback.phone_encrypted
    assert CIPHER.decrypt(callback.phone_encrypted) == "13812345678"
    assert handoff_service.list_callbacks(session=session) == [callback]
    phone = handoff_service.reveal_callback_phone(
        session=session, callback_id=callback.id, staff=agent, cipher=CIPHER, now=NOW
    )
    assert phone == "13812345678"
    done = handoff_service.mark_callback_done(
        session=session, callback_id=callback.id, staff=agent, note="已回电", now=NOW
    )
    assert done.status == "done" and done.done_by_id == agent.id and done.done_at == NOW
    assert handoff_service.list_callbacks(session=session) == []
    assert handoff_service.list_callbacks(session=session, status=None) == [done]
    with pytest.raises(IllegalHandoffTransition):
        handoff_service.mark_callback_done(session=session, callback_id=callback.id, staff=agent, now=NOW)
    with pytest.raises(CallbackNotFound):
        handoff_service.mark_callback_done(session=session, callback_id=987654, staff=agent, now=NOW)
    events = session.scalars(
        select(HandoffEvent).where(HandoffEvent.callback_id == callback.id).order_by(HandoffEvent.id)
    )
    assert [(e.action, e.actor) for e in events] == [
        ("callback_requested", "customer"),
        ("phone_revealed", f"staff:{agent.username}"),
        ("callback_done", f"staff:{agent.username}"),
    ]


@pytest.mark.parametrize(
    "phone, preferred",
    [("12345", None), ("010-12345678", None), ("", None), ("13812345678", "任何时间" * 13)],
)
def test_callback_request_validation(clean, phone, preferred):
    with pytest.raises(InvalidHandoffField):
        handoff_service.request_callback(
            session=clean, phone=phone, preferred_time=preferred, now=NOW, cipher=CIPHER
        )


# --- the claim race on real, concurrent transactions ---------------------------------------------


def test_two_agents_claiming_at_once_exactly_one_wins(engine):
    factory = build_session_factory(engine)
    conv = conversation()
    with factory.begin() as session:
        agents = [make_staff(session) for _ in range(2)]
        agent_ids = [a.id for a in agents]
        handoff_id = handoff_service.request_handoff(
            session=session, conversation_id=conv, reason="request", now=NOW
        ).id
    barrier = threading.Barrier(2)
    outcomes: dict[int, object] = {}

    def attempt(agent_id: int) -> None:
        try:
            with factory.begin() as session:
                staff = session.get(StaffAccount, agent_id)
                barrier.wait(timeout=10)
                handoff_service.claim(session=session, handoff_id=handoff_id, staff=staff, now=NOW)
                # Hold the transaction open so the other claim runs while this one is uncommitted.
                time.sleep(0.3)
            outcomes[agent_id] = "won"
        except Exception as exc:  # recorded and asserted below
            outcomes[agent_id] = exc

    threads = [threading.Thread(target=attempt, args=(agent_id,)) for agent_id in agent_ids]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        winners = [a for a, outcome in outcomes.items() if outcome == "won"]
        losers = [outcome for outcome in outcomes.values() if outcome != "won"]
        assert len(winners) == 1, outcomes
        assert len(losers) == 1 and isinstance(losers[0], AlreadyClaimed), outcomes
        with factory() as session:
            handoff = session.get(Handoff, handoff_id)
            assert handoff.status == "claimed" and handoff.agent_id == winners[0]
            assert [a for a, _, _ in actions(session, handoff)] == ["requested", "claimed"]
    finally:
        with factory.begin() as session:
            session.execute(delete(Handoff).where(Handoff.id == handoff_id))
            session.execute(delete(StaffAccount).where(StaffAccount.id.in_(agent_ids)))


def test_two_replicas_requesting_at_once_make_one_handoff(engine):
    factory = build_session_factory(engine)
    conv = conversation()
    barrier = threading.Barrier(2)
    ids: list[int] = []
    errors: list[Exception] = []

    def attempt() -> None:
        try:
            with factory.begin() as session:
                barrier.wait(timeout=10)
                handoff = handoff_service.request_handoff(
                    session=session, conversation_id=conv, reason="request", now=NOW
                )
                time.sleep(0.2)
                ids.append(handoff.id)
        except Exception as exc:  # recorded and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors
        with factory() as session:
            rows = list(session.scalars(select(Handoff).where(Handoff.conversation_id == conv)))
        assert len(rows) == 1 and ids == [rows[0].id, rows[0].id]
    finally:
        with factory.begin() as session:
            session.execute(delete(Handoff).where(Handoff.conversation_id == conv))


def test_a_year_the_calendar_does_not_know_keeps_the_fixed_date_holidays():
    from datetime import date

    from bot.handoff import hours

    assert hours.holiday_name(date(2030, 10, 1)) is not None  # National Day falls on a fixed date
    assert hours.is_working_day(date(2030, 10, 1)) is False
    assert hours.holiday_name(date(2030, 10, 9)) is None
    assert hours.is_working_day(date(2030, 10, 8)) is True  # a Tuesday


def test_customers_an_urgent_case_goes_ahead_of_are_told_their_new_place(clean):
    from bot.conversations import service as conversation_service
    from bot.conversations.models import ConversationMessage

    session = clean
    waiting, _ = conversation_service.open_conversation(session=session)
    urgent, _ = conversation_service.open_conversation(session=session)
    first = handoff_service.request_handoff(
        session=session, conversation_id=waiting.id, reason="request", now=NOW
    )
    fraud = handoff_service.request_handoff(
        session=session, conversation_id=urgent.id, reason="fraud", now=NOW + timedelta(minutes=1)
    )
    notices = handoff_service.pushed_back_notices(session=session, arrived=fraud, agents=1)
    assert [conversation_id for conversation_id, _ in notices] == [waiting.id]
    assert "优先接入" in notices[0][1]["text"] and "排在第2位" in notices[0][1]["text"]
    # A request that queues at the end puts nobody back.
    assert handoff_service.pushed_back_notices(session=session, arrived=first, agents=1) == []
    told = handoff_service.post_queue_notices(session=session, notices=notices + [("gone", notices[0][1])])
    assert told == [waiting.id]  # a conversation removed meanwhile is skipped
    stored = session.scalars(
        select(ConversationMessage).where(ConversationMessage.conversation_id == waiting.id)
    ).all()
    assert [(m.sender, (m.payload or {}).get("kind")) for m in stored] == [("system", "handoff_waiting")]
