"""FAQ answers: pick the topic (or ask which of two), and answer follow-ups in context."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from bot import bank as bank_identity
from bot.db import utcnow
from bot.entities import facts as entity_facts
from bot.faq import rules as faq_rules
from bot.faq import several as several_questions
from bot.faq.answers import topic_button
from bot.faq.catalog import load_catalog
from bot.faq.published import published_answers

from .common import in_transaction
from .handoff import escalate_if_urgent

LAST_TOPIC_SLOT = "last_faq_topic"
BANK_SLOT = "transfer_bank"
RETRIEVAL_PREFIX = "faq/"


def faq_ranking(latest_message: dict[str, Any]) -> list[tuple[str, float]]:
    """(topic id, confidence) pairs from the response selector, best first."""
    selectors = latest_message.get("response_selector") or {}
    ranking = []
    for selector in selectors.values():
        if not isinstance(selector, dict):
            continue
        for entry in selector.get("ranking") or []:
            key = entry.get("intent_response_key") or ""
            if key.startswith(RETRIEVAL_PREFIX):
                ranking.append((key[len(RETRIEVAL_PREFIX) :], float(entry.get("confidence", 0))))
    return sorted(ranking, key=lambda pair: pair[1], reverse=True)


def named_banks(tracker: Tracker) -> list[str]:
    """The other banks the latest message names (BANK entities), e.g. ["中国工商银行"]."""
    return entity_facts.values_of(
        entity_facts.from_parse((tracker.latest_message or {}).get("entities")), "BANK"
    )


async def refresh_answers() -> None:
    """Reads the published answers again if a reviewer approved a change (on any replica) since
    this process last read them: one cheap database read (bot/faq/published.py)."""
    try:
        await in_transaction(lambda session: published_answers().refresh(session=session))
    except SQLAlchemyError as exc:  # the answers last loaded (or the files) still serve
        published_answers().kept(exc)


async def answer(dispatcher: CollectingDispatcher, topic_id: str, tracker: Tracker) -> list[dict[str, Any]]:
    """The topic's answer; a transfer answer says which other bank it is about when the customer
    named one (now or earlier in the transfer questions), and remembers it for follow-ups."""
    await refresh_answers()
    topic = load_catalog().topic(topic_id)
    bank = faq_rules.bank_for_answer(
        topic_group=topic.group if topic else None,
        named_banks=named_banks(tracker),
        remembered=tracker.get_slot(BANK_SLOT),
    )
    if bank:
        dispatcher.utter_message(response="utter_faq_bank_context", bank=bank)
    utter_answer(dispatcher, topic_id)
    return [SlotSet(LAST_TOPIC_SLOT, topic_id), SlotSet(BANK_SLOT, bank)]


def utter_answer(dispatcher: CollectingDispatcher, topic_id: str) -> None:
    """The topic's published answer from the knowledge base, as last refreshed (call
    `refresh_answers()` first). The reply's metadata names the answer and its version (the
    database's version id, which the transcript keeps, and a hash of the wording)."""
    reply = published_answers().rendered(topic_id, bank=bank_identity.configured(), now=utcnow())
    dispatcher.utter_message(
        text=reply.text,
        buttons=reply.buttons,
        utter_action=reply.name,
        faq_answer_version=reply.version,
        faq_answer_version_id=reply.version_id,
    )


def faq_choice(tracker: Tracker) -> faq_rules.Choice:
    """What the message asks: a topic to answer, two close topics to offer, or nothing clear.

    A clicked topic button (faq_choose) is that topic; a faq message goes by the response
    selector's ranking (bot/faq/rules.py); any other intent asks no FAQ."""
    catalog = load_catalog()
    latest = tracker.latest_message or {}
    intent = (latest.get("intent") or {}).get("name")
    if intent == "faq_choose":
        # A button from before a merge names a retired topic: its successor answers it.
        chosen = catalog.current(next(tracker.get_latest_entity_values("faq_topic"), None))
        return faq_rules.Choice(answer=chosen.id) if chosen else faq_rules.Choice()
    if intent != "faq":
        return faq_rules.Choice()
    ranking = [(t, c) for t, c in faq_ranking(latest) if catalog.topic(t) is not None]
    return faq_rules.choose_topic(ranking, bare_term=faq_rules.is_bare_term(latest.get("text")))


def several_topics(tracker: Tracker, choice: faq_rules.Choice) -> tuple[str, list[str]] | None:
    """(topic to answer, topics to offer) when the message asks two or more questions of
    different topics ("手机银行怎么开通，转账限额多少"; the pipeline read each clause,
    rasa_components/several_questions.py), else None. A clicked button is one question."""
    latest = tracker.latest_message or {}
    if (latest.get("intent") or {}).get("name") != "faq":
        return None
    catalog = load_catalog()
    clauses = [
        several_questions.Clause(
            text=str(read.get("text") or ""),
            intent=read.get("intent"),
            topic=read.get("topic") if catalog.topic(read.get("topic")) else None,
            confidence=float(read.get("confidence") or 0.0),
        )
        for read in latest.get("question_clauses") or []
        if isinstance(read, dict)
    ]
    return several_questions.several_topics(choice.answer, clauses)


def offer_other_questions(dispatcher: CollectingDispatcher, topic_ids: list[str]) -> None:
    """After the first answer: "您还问到了……" with a button per other question, so that no
    question of the message is dropped without a word."""
    topics = [load_catalog().topic(topic_id) for topic_id in topic_ids]
    buttons = [topic_button(topic.id, topic.title) for topic in topics]
    if len(topics) == 1:
        dispatcher.utter_message(response="utter_faq_also_asked", topic=topics[0].title, buttons=buttons)
    else:
        dispatcher.utter_message(response="utter_faq_also_asked_several", buttons=buttons)


class ActionAnswerFaq(Action):
    """Answers an FAQ, or asks "您是想咨询A，还是B？" when two topics are close."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        catalog = load_catalog()
        # "我被骗了，刚把验证码告诉了对方": what to do now and a person at once, never first the
        # FAQ's advice for before it happened ("请不要把验证码告诉任何人") or "A or B?".
        urgent = await escalate_if_urgent(dispatcher, tracker)
        if urgent is not None:
            return urgent
        choice = faq_choice(tracker)
        several = several_topics(tracker, choice)
        if several is not None:
            first, others = several
            events = await answer(dispatcher, first, tracker)
            offer_other_questions(dispatcher, others)
            return events
        if choice.offer:
            first, second = (catalog.topic(t) for t in choice.offer)
            dispatcher.utter_message(
                response="utter_faq_which",
                topic_a=first.title,
                topic_b=second.title,
                buttons=[topic_button(first.id, first.title), topic_button(second.id, second.title)],
            )
            banks = named_banks(tracker)  # kept for the answer the button will ask for
            return [SlotSet(BANK_SLOT, banks[0])] if banks else []
        if choice.answer is None:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        return await answer(dispatcher, choice.answer, tracker)


# A follow-up that names a topic of its own ("那分期手续费呢") is that topic when the response
# selector is at least this sure of it.
NAMED_TOPIC_CONFIDENCE = 0.5


def named_sibling_topic(tracker: Tracker, *, last_topic_id: str) -> str | None:
    """The topic a follow-up names, when it is clearly another topic of the same group than the
    last answer ("那分期手续费呢" after the annual fee), else None."""
    catalog = load_catalog()
    ranking = [(t, c) for t, c in faq_ranking(tracker.latest_message or {}) if catalog.topic(t)]
    if not ranking:
        return None
    best_id, confidence = ranking[0]
    last = catalog.current(last_topic_id)
    if best_id == last_topic_id or confidence < NAMED_TOPIC_CONFIDENCE:
        return None
    return best_id if last is not None and catalog.topic(best_id).group == last.group else None


class ActionAnswerFollowup(Action):
    """ "那手续费呢？" after a transfer answer → the transfer-fee answer."""

    def name(self) -> str:
        return "action_answer_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        catalog = load_catalog()
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""
        aspect = intent.removeprefix("followup_")
        aspect_name = catalog.aspect_name(aspect)
        last_topic_id = tracker.get_slot(LAST_TOPIC_SLOT)
        last = catalog.current(last_topic_id)  # a conversation from before a merge: its successor
        if last is None:
            dispatcher.utter_message(response="utter_followup_no_context", aspect=aspect_name)
            return []
        target = catalog.followup(last_topic_id=last.id, aspect=aspect)
        if target is None:
            dispatcher.utter_message(
                response="utter_followup_not_covered", topic=last.title, aspect=aspect_name
            )
            return []
        if target.id == last.id:
            # "那分期手续费呢" right after the annual-fee answer names a sibling topic: answer it.
            named = named_sibling_topic(tracker, last_topic_id=last.id)
            if named is not None:
                return await answer(dispatcher, named, tracker)
            # "那手续费呢" right after the annual-fee answer: don't repeat it.
            dispatcher.utter_message(
                response="utter_followup_already_answered", topic=last.title, aspect=aspect_name
            )
            return []
        return await answer(dispatcher, target.id, tracker)
