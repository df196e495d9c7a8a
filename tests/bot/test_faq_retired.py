"""Topics merged into another (catalog `retired`): an installation that ran before the merge keeps
working after the upgrade. Its stored answer versions stay in service even when their buttons name
a retired topic (the button becomes the successor's), the retired topic's own versions are history
that nobody is served, editors are told where the topic went, and staff views name the successor.

The database tests run on SQLite and PostgreSQL (the shared `session` fixture rolls back); the
migration step has seeded every current topic, as on a new install."""

from __future__ import annotations

import logging

import pytest
import yaml
from sqlalchemy import select

from bot.bank import BankIdentity
from bot.db import utcnow
from bot.errors import NotFound
from bot.faq import console, review
from bot.faq import service as faq_service
from bot.faq.answers import ANSWERS_DIR, topic_button
from bot.faq.catalog import CATALOG_FILE, load_catalog, parse_catalog
from bot.faq.models import FaqAnswerVersion
from bot.faq.published import PublishedAnswers
from bot.transcripts.labels import button_title, correction_intent, intent_label

BANK = BankIdentity(
    name="厦岭银行", hotline="400-820-1234", fraud_line="95123", website="https://www.bank.example"
)
CATALOG = load_catalog()
# Retired on 2026-12-05 (issue 14); the knowledge base (issue 19) had already seeded them.
RETIRED, SUCCESSOR = "credit_line_lowered", "credit_line_none"


def _catalog(**changes) -> dict:
    data = yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))
    data.update(changes)
    return data


# --- the catalog ----------------------------------------------------------------------------------


def test_every_retired_topic_is_answered_by_a_current_one():
    assert CATALOG.retired, "the catalog lists the topics merged so far"
    for old, successor in CATALOG.retired.items():
        assert CATALOG.topic(old) is None
        assert CATALOG.current(old) == CATALOG.topics[successor]
    assert CATALOG.current("card_lost") == CATALOG.topics["card_lost"]
    assert CATALOG.current("no_such_topic") is None and CATALOG.current(None) is None


def test_a_topic_retired_into_one_retired_later_reaches_today_s_topic():
    retired = {**CATALOG.retired, "very_old_topic": RETIRED}
    catalog = parse_catalog(_catalog(retired=retired))
    assert catalog.current("very_old_topic").id == SUCCESSOR


@pytest.mark.parametrize(
    "retired, problem",
    [
        ({"card_lost": "card_replace"}, "still a topic"),
        ({"old_topic": "no_such_topic"}, "unknown topic"),
        ({"old_a": "old_b", "old_b": "old_a"}, "into itself"),
    ],
)
def test_a_broken_retirement_is_refused(retired, problem):
    with pytest.raises(ValueError, match=problem):
        parse_catalog(_catalog(retired=retired))


def test_what_ships_names_only_current_topics():
    """The answer files, follow-up links and the welcome screen are written for this release."""
    named = set()
    for path in ANSWERS_DIR.glob("*.yml"):
        for topic_id, entry in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            named |= {topic_id, *(item for item in entry.get("related") or [] if isinstance(item, str))}
    for links in [*CATALOG.group_followups.values(), *CATALOG.topic_followups.values()]:
        named |= set(links.values())
    named |= set(CATALOG.topic_followups)
    assert not named & set(CATALOG.retired)


# --- an installation upgraded from before the merge ----------------------------------------------


def _stored(session, topic_id: str, number: int, text: str, related: list) -> FaqAnswerVersion:
    """A version as the earlier release stored it (approved, serving customers)."""
    now = utcnow()
    version = FaqAnswerVersion(
        topic_id=topic_id,
        number=number,
        text=text,
        related=related,
        status=review.APPROVED,
        effective_at=now,
        author="editor-a",
        reviewer="reviewer-b",
        created_at=now,
        decided_at=now,
    )
    session.add(version)
    session.flush()
    return version


@pytest.fixture
def upgraded(session):
    """The knowledge base of an installation from before the merge: the retired topic's own
    published answer, and an answer of another topic (approved later) with a button to it."""
    retired = _stored(session, RETIRED, 1, "额度降低的说明。", ["credit_line_raise"])
    raise_number = faq_service.topic_history(session=session, topic_id="credit_line_raise", now=utcnow())[1][
        0
    ].number
    pointing = _stored(
        session,
        "credit_line_raise",
        raise_number + 1,
        "额度由系统定期评估，详询{bank_hotline}。",
        ["credit_line_range", RETIRED],
    )
    faq_service._bump_revision(session, utcnow())
    return {"retired": retired, "pointing": pointing}


def test_a_stored_answer_with_a_button_to_a_retired_topic_stays_in_service(session, upgraded, caplog):
    answers = PublishedAnswers()
    with caplog.at_level(logging.ERROR, logger="bot.faq.published"):
        answers.refresh(session=session)
    assert "cannot be served" not in caplog.text
    reply = answers.rendered("credit_line_raise", bank=BANK, now=utcnow())
    assert reply.version_id == upgraded["pointing"].id
    assert reply.text == "额度由系统定期评估，详询400-820-1234。"
    assert [button["title"] for button in reply.buttons] == [
        "借款额度的范围",
        CATALOG.topics[SUCCESSOR].title,
    ]
    assert reply.buttons[1]["payload"] == topic_button(SUCCESSOR, "")["payload"]


def test_a_button_that_would_point_at_the_answer_s_own_topic_is_left_out(session, upgraded):
    _stored(session, SUCCESSOR, 99, "没有额度的说明。", [RETIRED, "credit_line_raise", RETIRED])
    faq_service._bump_revision(session, utcnow())
    answers = PublishedAnswers()
    answers.refresh(session=session)
    reply = answers.rendered(SUCCESSOR, bank=BANK, now=utcnow())
    assert reply.text == "没有额度的说明。"
    assert [button["title"] for button in reply.buttons] == ["如何提高借款额度"]


def test_the_retired_topic_s_versions_are_kept_and_serve_nobody(session, upgraded):
    answers = PublishedAnswers()
    answers.refresh(session=session)
    assert answers.current(RETIRED, now=utcnow()) is None
    assert session.get(FaqAnswerVersion, upgraded["retired"].id).status == review.APPROVED
    assert answers.rendered(SUCCESSOR, bank=BANK, now=utcnow()).version_id is not None


def test_migrating_again_does_not_seed_or_touch_the_retired_topic(session, upgraded):
    from bot.faq.answers import read_answers

    before = session.scalars(select(FaqAnswerVersion.id).where(FaqAnswerVersion.topic_id == RETIRED)).all()
    assert (
        faq_service.seed_from_files(session=session, answers=read_answers(ANSWERS_DIR, CATALOG), now=utcnow())
        == []
    )
    after = session.scalars(select(FaqAnswerVersion.id).where(FaqAnswerVersion.topic_id == RETIRED)).all()
    assert before == after == [upgraded["retired"].id]


def test_a_pending_draft_naming_a_retired_topic_can_still_be_approved(session):
    draft = _stored(session, "credit_line_raise", 50, "新的提额说明。", [RETIRED])
    draft.status, draft.effective_at, draft.reviewer, draft.decided_at = review.PENDING, None, None, None
    session.flush()
    approved = faq_service.approve(
        session=session, version_id=draft.id, reviewer="reviewer-c", comment=None, now=utcnow()
    )
    assert approved.status == review.APPROVED


def test_an_editor_is_told_where_a_retired_topic_went(session, upgraded):
    with pytest.raises(NotFound) as refused:
        faq_service.create_draft(
            session=session,
            topic_id=RETIRED,
            text="额度说明。",
            related=[],
            effective_from=None,
            note=None,
            author="editor-a",
            now=utcnow(),
        )
    assert CATALOG.topics[SUCCESSOR].title in refused.value.customer_message
    with pytest.raises(NotFound, match="merged"):
        console.topic_detail(session=session, topic_id=RETIRED, now=utcnow(), bank=BANK)


def test_a_new_draft_s_button_to_a_retired_topic_is_saved_as_the_successor_s(session):
    draft = faq_service.create_draft(
        session=session,
        topic_id="credit_line_raise",
        text="额度由系统定期评估。",
        related=[RETIRED],
        effective_from=None,
        note=None,
        author="editor-a",
        now=utcnow(),
    )
    assert draft.related == [SUCCESSOR]


def test_the_console_lists_today_s_topics_and_shows_the_stored_version(session, upgraded, tmp_path):
    rows, _ = console.topic_rows(session=session, now=utcnow(), report_dir=tmp_path)
    assert RETIRED not in {row.topic_id for row in rows}
    _state, views = console.topic_detail(
        session=session, topic_id="credit_line_raise", now=utcnow(), bank=BANK
    )
    shown = next(view for view in views if view.version.id == upgraded["pointing"].id)
    assert [button["title"] for button in shown.rendered.buttons][-1] == CATALOG.topics[SUCCESSOR].title


# --- what staff read in transcripts ---------------------------------------------------------------


def test_transcripts_from_before_the_merge_name_the_successor():
    title = CATALOG.topics[SUCCESSOR].title
    assert intent_label(f"faq/{RETIRED}") == title
    assert button_title(topic_button(RETIRED, "")["payload"], None) == title
    # An analyst's correction naming the retired topic teaches its successor.
    assert correction_intent(f"faq/{RETIRED}") == f"faq/{SUCCESSOR}"
    assert correction_intent(RETIRED) == f"faq/{SUCCESSOR}"
