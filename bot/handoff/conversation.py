"""The customer's side of a handoff, as pure rules: what the customer is told, how a message is
read while waiting (cancel?) or after a closed service (a rating?), which words are signs of fraud
or distress, and the call-back request taken in conversation.

Message kinds (`kind` of a chat message) let the chat clients render these notices: a waiting
notice with the queue position, the agent joining, the agent leaving, and the rating prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from bot import bank
from bot.conversations import buttons as step_buttons
from bot.replies import replies
from bot.text.masking import mask_mobile, mask_text
from bot.text.normalize import normalize_text
from bot.text.phones import find_mobile
from bot.text.ratings import parse_rating
from bot.text.replies import clean_reply

from . import lifecycle

KIND_WAITING = "handoff_waiting"
KIND_STARTED = "handoff_started"
KIND_ENDED = "handoff_ended"
KIND_RATING = "rating"
KIND_TEXT = "text"

CANCEL_PAYLOAD = "取消转人工"
CALLBACK_PAYLOAD = "/request_callback"
DECLINE_PAYLOAD = "/decline_human"

# --- reading the customer's messages -------------------------------------------------------------

_CANCEL_WORDS = (
    "取消",
    "取消转人工",
    "取消排队",
    "不排了",
    "不用了",
    "不用人工了",
    "不要人工了",
    "算了",
    "不等了",
    "我不等了",
    "回到智能助手",
    "返回智能助手",
    "找机器人",
    "不转了",
    "不用转了",
)


def is_cancel_request(text: str) -> bool:
    """True when a waiting customer asks to leave the queue ("取消", "算了不等了")."""
    reply = clean_reply(text)
    if not reply:
        return False
    if reply in _CANCEL_WORDS:
        return True
    return len(reply) <= 12 and any(
        reply.startswith(word) or reply.endswith(word) for word in _CANCEL_WORDS if len(word) >= 3
    )


# After a closed service, a rating is taken for this long.
RATING_WINDOW = timedelta(hours=2)


def rating_for(handoff, text: str, now: datetime) -> int | None:
    """The customer's 1–5 rating when `text` is one and the conversation's latest handoff is a
    closed, not yet rated service that ended within RATING_WINDOW; otherwise None."""
    if (
        handoff is None
        or handoff.status != lifecycle.CLOSED
        or handoff.satisfaction is not None
        or handoff.ended_at is None
        or now - handoff.ended_at >= RATING_WINDOW
    ):
        return None
    return parse_rating(text)


# Signs that money or a person is at risk now (not questions about fraud in general): these
# customers are taken to a person at once and served first.
_FRAUD_SIGNS = (
    "被骗",
    "骗了我",
    "骗走",
    "上当了",
    "钱被盗",
    "被盗刷",
    "把验证码给了",
    "验证码告诉了",
    "验证码发给了",
    "转给了陌生人",
    "转到了安全账户",
    "转到安全账户了",
    "已经转给对方",
)
_DISTRESS_SIGNS = (
    "不想活",
    "活不下去",
    "想死",
    "去死",
    "自杀",
    "轻生",
    "跳楼",
    "走投无路",
    "绝望",
    "崩溃了",
    "活着没意思",
)


# Words just before a fraud sign that make it a question about fraud in general ("怎么防止被骗",
# "万一被骗了怎么办"), not something that has happened.
_HYPOTHETICAL = re.compile(
    r"(防止|预防|避免|以防|以免|防范|万一|如果|假如|要是|怕|担心|会不会|怎样不|怎么不|如何不|不会)\S{0,2}$"
)


def _has_happened(text: str, signs: tuple[str, ...]) -> bool:
    for sign in signs:
        start = text.find(sign)
        while start >= 0:
            if not _HYPOTHETICAL.search(text[max(0, start - 6) : start]):
                return True
            start = text.find(sign, start + 1)
    return False


def urgent_reason(text: str) -> str | None:
    """`distress` or `fraud` when the message shows signs of either, otherwise None."""
    normalised = normalize_text(text or "")
    if any(sign in normalised for sign in _DISTRESS_SIGNS):
        return lifecycle.DISTRESS
    if _has_happened(normalised, _FRAUD_SIGNS):
        return lifecycle.FRAUD
    return None


# --- what the customer is told -------------------------------------------------------------------


def _say(key: str, **fields) -> str:
    return replies("handoff").text(key, **fields)


def _place(position: int) -> str:
    return _say("place_next") if position <= 1 else _say("place_behind", ahead=position - 1)


def _estimate(wait_minutes: int, known: bool) -> str:
    """An estimate only from past waits; without them, say so instead of guessing."""
    if not known:
        return _say("estimate_unknown")
    return _say("estimate", minutes=max(wait_minutes, 1))


def waiting_text(position: int, wait_minutes: int, reason: str | None = None, *, known: bool = True) -> str:
    lead = _say("lead_urgent") if reason in (lifecycle.FRAUD, lifecycle.DISTRESS) else _say("lead")
    return _say("waiting", lead=lead, place=_place(position), estimate=_estimate(wait_minutes, known))


def waiting_ack_text(position: int, wait_minutes: int, *, known: bool = True) -> str:
    return _say("waiting_ack", position=position, estimate=_estimate(wait_minutes, known))


def moved_back_text(position: int, wait_minutes: int, *, known: bool = True) -> str:
    """Pushed when an urgent case (fraud, distress) is served before the customer."""
    return _say("moved_back", position=position, estimate=_estimate(wait_minutes, known))


def moved_up_text(position: int, wait_minutes: int, *, known: bool = True) -> str:
    """Pushed when the queue moves (someone ahead was taken or left). The place is the number
    the agents see; "您是下一位" after "第1位" said it twice."""
    return _say("moved_up", position=position, estimate=_estimate(wait_minutes, known))


# What to do now, as numbered steps whose numbers the chat makes tap-to-call links
# (bot/bank.py); the next message says whether a person is being connected or, with nobody
# online, offers a call-back (so these never promise a person). No lecture about what the
# customer should not have done: only what helps now.
def distress_text() -> str:
    return _say("distress", police=bank.POLICE, ambulance=bank.AMBULANCE, mental_health=bank.MENTAL_HEALTH)


def fraud_text(identity: bank.BankIdentity) -> str:
    return _say(
        "fraud",
        bank=identity.name,
        fraud_line=identity.fraud_line,
        police=bank.POLICE,
        anti_fraud=bank.ANTI_FRAUD,
    )


def opening_text(moment: datetime) -> str:
    """ "12月6日（周六）09:00": when agents are back, with the weekday."""
    return _say(
        "opening",
        month=moment.month,
        day=moment.day,
        weekday=_say("weekdays")[moment.weekday()],
        time=f"{moment:%H:%M}",
    )


def closed_text(
    hours_text: str, next_opening: datetime | None, identity: bank.BankIdentity, *, urgent: bool = False
) -> str:
    """Outside agent hours. For an urgent matter the 24-hour hotline comes first, the call-back
    second (DOMAIN_RULES "Urgent help")."""
    back = _say("back_at", opening=opening_text(next_opening)) if next_opening is not None else ""
    if urgent:
        return _say("closed_urgent", fraud_line=identity.fraud_line, back=back)
    return _say("closed", hours=hours_text, back=back, hotline=identity.hotline)


def no_agent_text(identity: bank.BankIdentity, *, urgent: bool = False) -> str:
    if urgent:
        return _say("no_agent_urgent", fraud_line=identity.fraud_line)
    return _say("no_agent", hotline=identity.hotline)


def expired_text() -> str:
    return _say("expired")


def cancelled_text() -> str:
    return _say("cancelled")


def started_text(agent_name: str) -> str:
    return _say("started", agent=agent_name)


def already_serving_text() -> str:
    """The answer to a request for a person while an agent already serves the conversation."""
    return _say("already_serving")


def customer_left_text() -> str:
    return _say("customer_left")


def handed_back_text() -> str:
    return _say("handed_back")


def service_ended_text() -> str:
    """The end notice of a closed service (the rating prompt follows it)."""
    return _say("service_ended")


def closed_service_text() -> str:
    """The rating prompt after a closed service (the end itself has its own notice)."""
    return _say("rating_prompt")


def rated_text(satisfaction: int) -> str:
    return _say("rated", score=satisfaction)


def rating_buttons() -> list[dict[str, str]]:
    titles = [_say("rating_button", score=score) for score in range(1, 6)]
    return [{"title": title, "payload": title} for title in titles]


def callback_offer_buttons() -> list[dict[str, str]]:
    return [
        {"title": _say("callback_button"), "payload": CALLBACK_PAYLOAD},
        {"title": _say("decline_button"), "payload": DECLINE_PAYLOAD},
    ]


def handoff_step(handoff_id: int) -> str:
    """The step a waiting notice's buttons answer: this handoff, while it waits."""
    return f"handoff:{handoff_id}"


def cancel_buttons(handoff_id: int) -> list[dict[str, str]]:
    """ "取消转人工" bound to the handoff it cancels: pressed after an agent joined, or after this
    wait ended, it cancels nothing (see stale_cancel_text)."""
    return [step_buttons.button(CANCEL_PAYLOAD, handoff_step(handoff_id))]


def pressed_cancel(text: str, handoff) -> bool | None:
    """For a message that is a handoff button: True when it cancels `handoff` (the
    conversation's active handoff, or None) now, False when it is stale. None for any other
    message (typed "取消" is read by is_cancel_request)."""
    press = step_buttons.read(text)
    if press is None or press.flow != "handoff":
        return None
    return (
        handoff is not None and handoff.status == lifecycle.WAITING and press.step == handoff_step(handoff.id)
    )


def stale_cancel_text(handoff) -> str:
    """The answer to "取消转人工" pressed when there is no wait of that handoff to cancel."""
    if handoff is not None and handoff.status == lifecycle.CLAIMED:
        return _say("stale_cancel_claimed")
    if handoff is not None and handoff.status == lifecycle.WAITING:
        return _say("stale_cancel_waiting")
    return _say("stale_cancel_ended")


# --- the call-back request in conversation -------------------------------------------------------


class CallbackStage(str, Enum):
    PHONE = "phone"
    TIME = "time"
    DONE = "done"
    CANCELLED = "cancelled"
    GAVE_UP = "gave_up"


MAX_BAD_PHONES = 3
MAX_TIME_CHARS = 50
_STOP_WORDS = ("取消", "不用了", "算了", "不要了", "不预约了", "不需要了")
_ANY_TIME = ("随时", "都可以", "都行", "尽快", "越快越好", "什么时候都行")


@dataclass(frozen=True)
class CallbackIntake:
    """What the call-back request has collected so far; kept in a slot between messages."""

    stage: CallbackStage = CallbackStage.PHONE
    phone: str | None = None
    preferred_time: str | None = None
    bad_phones: int = 0

    def to_slot(self) -> dict:
        return {
            "stage": self.stage.value,
            "phone": self.phone,
            "preferred_time": self.preferred_time,
            "bad_phones": self.bad_phones,
        }

    @classmethod
    def from_slot(cls, value) -> CallbackIntake:
        if not isinstance(value, dict):
            return cls()
        try:
            stage = CallbackStage(value.get("stage", "phone"))
        except ValueError:
            stage = CallbackStage.PHONE
        return cls(
            stage=stage,
            phone=value.get("phone"),
            preferred_time=value.get("preferred_time"),
            bad_phones=int(value.get("bad_phones") or 0),
        )

    @property
    def finished(self) -> bool:
        return self.stage in (CallbackStage.DONE, CallbackStage.CANCELLED, CallbackStage.GAVE_UP)


@dataclass(frozen=True)
class CallbackStep:
    intake: CallbackIntake
    # What to tell the customer before the next question (empty: just ask it).
    say: list[str] = field(default_factory=list)


def callback_question(intake: CallbackIntake) -> str:
    if intake.stage == CallbackStage.PHONE:
        return _say("callback_ask_phone")
    return _say("callback_ask_time")


def read_callback_reply(intake: CallbackIntake, text: str, *, hotline: str) -> CallbackStep:
    """One customer message of the call-back request: phone, then preferred time."""
    reply = clean_reply(text)
    if reply in _STOP_WORDS:
        return CallbackStep(replace(intake, stage=CallbackStage.CANCELLED), [_say("callback_cancelled")])
    if intake.stage == CallbackStage.PHONE:
        mobile = find_mobile(text or "")
        if mobile is None:
            bad = intake.bad_phones + 1
            if bad >= MAX_BAD_PHONES:
                return CallbackStep(
                    replace(intake, stage=CallbackStage.GAVE_UP, bad_phones=bad),
                    [_say("callback_gave_up", hotline=hotline)],
                )
            return CallbackStep(
                replace(intake, bad_phones=bad),
                [_say("callback_bad_phone")],
            )
        return CallbackStep(replace(intake, stage=CallbackStage.TIME, phone=mobile))
    preferred = reply if reply not in _ANY_TIME else _say("callback_any_time")
    if not preferred:
        return CallbackStep(intake, [_say("callback_time_missing")])
    if len(preferred) > MAX_TIME_CHARS:
        return CallbackStep(intake, [_say("callback_time_too_long", max_chars=MAX_TIME_CHARS)])
    return CallbackStep(replace(intake, stage=CallbackStage.DONE, preferred_time=mask_text(preferred)))


def callback_done_text(phone: str, preferred_time: str | None) -> str:
    return _say(
        "callback_done",
        phone=mask_mobile(phone),
        time=preferred_time or _say("callback_time_default"),
    )


def agent_quick_replies() -> list[str]:
    """Ready-made replies offered in the agent console, in order (bot/replies/agent_quick_replies.yml)."""
    return list(replies("agent_quick_replies").sentences.values())
