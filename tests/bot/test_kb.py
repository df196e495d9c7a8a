"""The knowledge base's answer versions: seeding, four-eyes review, scheduling, the audit trail, the
cache every process serves from, the reviewers' warnings and the side-by-side comparison.

The database tests run on SQLite and PostgreSQL (the shared `session` fixture rolls back); the
migration step has seeded every topic from bot/faq/answers, as on a new install."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.bank import BankIdentity
from bot.db import utcnow
from bot.errors import Conflict, Forbidden, InvalidInput, NotFound
from bot.faq import checks, review
from bot.faq import diff as answer_diff
from bot.faq import service as faq_service
from bot.faq.answers import ANSWERS_DIR, read_answers
from bot.faq.catalog import load_catalog
from bot.faq.models import FaqAnswerEvent, FaqAnswerVersion
from bot.faq.published import PublishedAnswers

BANK = BankIdentity(
    name="厦岭银行", hotline="400-820-1234", fraud_line="95123", website="https://www.bank.example"
)
NEW_FEE = "自2027年1月1日起，本行手机银行跨行转账免收手续费；柜台转账按{bank_hotline}公布的标准收取。"


def _draft(
    session, *, text=NEW_FEE, related=None, author="editor-a", effective_from=None, topic="transfer_fee"
):
    return faq_service.create_draft(
        session=session,
        topic_id=topic,
        text=text,
        related=["transfer_limit"] if related is None else related,
        effective_from=effective_from,
        note="手续费调整",
        author=author,
        now=utcnow(),
    )


def _actions(session, version_id: int) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(FaqAnswerEvent).where(FaqAnswerEvent.version_id == version_id).order_by(FaqAnswerEvent.id)
    )
    return [(event.action, event.actor) for event in rows]


# --- seeding ---------------------------------------------------------------------------------------


def test_every_topic_was_seeded_once_as_its_published_version_one(session):
    catalog = load_catalog()
    states = faq_service.topic_states(session=session, now=utcnow())
    assert set(states) == set(catalog.topics)
    fee = states["transfer_fee"].current
    files = read_answers(ANSWERS_DIR, catalog)
    assert (fee.number, fee.author, fee.reviewer, fee.text) == (
        1,
        "system",
        "system",
        files["transfer_fee"].text,
    )
    assert _actions(session, fee.id) == [("seeded", "system")]


def test_seeding_again_adds_only_topics_the_database_does_not_hold(session):
    answers = read_answers(ANSWERS_DIR, load_catalog())
    before = session.scalar(select(func.count()).select_from(FaqAnswerVersion))
    assert faq_service.seed_from_files(session=session, answers=answers, now=utcnow()) == []
    assert session.scalar(select(func.count()).select_from(FaqAnswerVersion)) == before


# --- drafts and four eyes --------------------------------------------------------------------------


def test_a_draft_waits_for_review_and_is_audited(session):
    draft = _draft(session)
    assert (draft.status, draft.number, draft.related) == ("pending", 2, ["transfer_limit"])
    state = faq_service.topic_states(session=session, now=utcnow())["transfer_fee"]
    assert state.states == ["published", "pending"] and state.current.number == 1
    assert _actions(session, draft.id) == [("drafted", "editor-a")]


@pytest.mark.parametrize(
    "text, related",
    [
        ("请致电{bank_phone}咨询。", []),  # unknown placeholder
        ("请致电{bank_hotline咨询。", []),  # a lone brace
        ("   ", []),
        ("手续费以公告为准。", ["no_such_topic"]),
        ("手续费以公告为准。", ["transfer_fee"]),  # a button to itself
    ],
)
def test_a_draft_breaking_the_knowledge_base_rules_is_refused(session, text, related):
    with pytest.raises(InvalidInput) as refused:
        _draft(session, text=text, related=related)
    assert refused.value.customer_message


def test_a_draft_for_an_unknown_topic_is_not_found(session):
    with pytest.raises(NotFound):
        _draft(session, topic="no_such_topic")


def test_nobody_approves_or_rejects_their_own_draft(session):
    draft = _draft(session, author="admin-1")
    with pytest.raises(Forbidden):
        faq_service.approve(
            session=session, version_id=draft.id, reviewer="admin-1", comment=None, now=utcnow()
        )
    with pytest.raises(Forbidden):
        faq_service.reject(
            session=session, version_id=draft.id, reviewer="admin-1", comment="不行", now=utcnow()
        )
    assert draft.status == "pending"


def test_an_approved_draft_is_published_at_once_and_bumps_the_revision(session):
    draft = _draft(session)
    revision = faq_service.revision(session=session)
    now = utcnow()
    faq_service.approve(session=session, version_id=draft.id, reviewer="reviewer-b", comment="同意", now=now)
    state, versions = faq_service.topic_history(session=session, topic_id="transfer_fee", now=now)
    assert state.current.id == draft.id and state.states == ["published"]
    assert [faq_service.version_state(v, state) for v in versions] == ["published", "superseded"]
    assert faq_service.revision(session=session) == revision + 1
    assert _actions(session, draft.id) == [("drafted", "editor-a"), ("approved", "reviewer-b")]
    with pytest.raises(Conflict):  # decided once
        faq_service.approve(
            session=session, version_id=draft.id, reviewer="reviewer-c", comment=None, now=now
        )


def test_a_rejection_needs_a_comment_and_keeps_the_published_version(session):
    draft = _draft(session)
    with pytest.raises(InvalidInput):
        faq_service.reject(
            session=session, version_id=draft.id, reviewer="reviewer-b", comment=" ", now=utcnow()
        )
    faq_service.reject(
        session=session, version_id=draft.id, reviewer="reviewer-b", comment="请注明生效日期", now=utcnow()
    )
    state = faq_service.topic_states(session=session, now=utcnow())["transfer_fee"]
    assert state.current.number == 1 and state.states == ["published"]
    assert (draft.status, draft.review_comment) == ("rejected", "请注明生效日期")


def test_only_its_author_withdraws_a_draft(session):
    draft = _draft(session)
    with pytest.raises(Forbidden):
        faq_service.withdraw(session=session, version_id=draft.id, author="editor-z", now=utcnow())
    faq_service.withdraw(session=session, version_id=draft.id, author="editor-a", now=utcnow())
    assert draft.status == "withdrawn"
    assert _actions(session, draft.id)[-1] == ("withdrawn", "editor-a")


def test_a_scheduled_version_serves_customers_from_its_time(session):
    now = utcnow()
    draft = _draft(session, effective_from=now + timedelta(days=3))
    faq_service.approve(session=session, version_id=draft.id, reviewer="reviewer-b", comment=None, now=now)
    assert draft.effective_at == now + timedelta(days=3)
    state = faq_service.topic_states(session=session, now=now)["transfer_fee"]
    assert state.current.number == 1 and state.states == ["published", "scheduled"]
    later = faq_service.topic_states(session=session, now=now + timedelta(days=3, seconds=1))["transfer_fee"]
    assert later.current.id == draft.id and later.states == ["published"]


# --- what the action server serves ----------------------------------------------------------------


def test_the_published_answers_follow_approvals_and_schedules(session):
    answers = PublishedAnswers()
    answers.refresh(session=session)
    before = answers.rendered("transfer_fee", bank=BANK, now=utcnow())
    assert before.version_id is not None and "{" not in before.text

    draft = _draft(session)
    answers.refresh(session=session)  # nothing approved: the same wording
    assert answers.rendered("transfer_fee", bank=BANK, now=utcnow()).version_id == before.version_id

    faq_service.approve(
        session=session, version_id=draft.id, reviewer="reviewer-b", comment=None, now=utcnow()
    )
    answers.refresh(session=session)
    after = answers.rendered("transfer_fee", bank=BANK, now=utcnow())
    assert after.version_id == draft.id
    assert after.text == NEW_FEE.format(bank_hotline="400-820-1234")
    assert after.buttons == [{"title": "转账限额", "payload": '/faq_choose{"faq_topic": "transfer_limit"}'}]


def test_every_replica_serves_an_approval_at_its_next_answer(session):
    """Two action servers (two caches over one database): the one that did not see the approval
    notices the revision and reloads; a scheduled version needs no reload at all."""
    first, second = PublishedAnswers(), PublishedAnswers()
    for replica in (first, second):
        replica.refresh(session=session)
    now = utcnow()
    draft = _draft(session, effective_from=now + timedelta(hours=1))
    faq_service.approve(session=session, version_id=draft.id, reviewer="reviewer-b", comment=None, now=now)
    for replica in (first, second):
        replica.refresh(session=session)
        assert replica.rendered("transfer_fee", bank=BANK, now=now).version_id != draft.id
        later = replica.rendered("transfer_fee", bank=BANK, now=now + timedelta(hours=1, seconds=1))
        assert later.version_id == draft.id


def test_a_topic_without_a_version_in_the_database_is_answered_from_the_files(session):
    answers = PublishedAnswers()  # never refreshed: nothing loaded
    reply = answers.rendered("card_lost", bank=BANK, now=utcnow())
    assert reply.version_id is None and reply.text


# --- warnings for reviewers (pure) -----------------------------------------------------------------

CATALOG = load_catalog()
FIGURE_ANSWER = "转账限额因渠道而异。您本人的额度请在手机银行转账设置中查看，也可致电客服热线查询。"


def _codes(text: str, related=(), published=FIGURE_ANSWER) -> list[str]:
    return [
        w.code
        for w in checks.answer_warnings(
            rendered_text=text, related=related, catalog=CATALOG, published_text=published
        )
    ]


def test_a_short_answer_with_its_guidance_has_no_warning():
    assert _codes(FIGURE_ANSWER, ["transfer_limit_adjust"]) == []


def test_warnings_name_what_a_reviewer_should_look_at():
    assert _codes("很长" * 81) == ["too_long", "figure_guidance_missing"]
    assert _codes("转账限额因渠道而异，单笔最高5万元。") == ["figure_guidance_missing"]
    assert _codes("转账限额因渠道而异，单笔最高5万元。", published="本行网点周一至周五营业。") == []
    assert _codes(FIGURE_ANSWER, ["retired_topic"]) == ["unknown_related_topic"]
    assert _codes(FIGURE_ANSWER + "如有疑问请联系客户经理13812345678。") == ["personal_data"]


def test_the_shipped_answers_raise_no_personal_data_or_length_warning():
    answers = read_answers(ANSWERS_DIR, CATALOG)
    for topic_id, answer in answers.items():
        text = answer.text.format(**BANK.slots())
        codes = _codes(text, answer.related, published=answer.text)
        assert codes == [], (topic_id, codes)


def test_four_eyes_and_states_are_plain_rules():
    with pytest.raises(Forbidden):
        review.check_can_decide(status="pending", author="a", reviewer="a")
    with pytest.raises(Conflict):
        review.check_can_decide(status="approved", author="a", reviewer="b")
    review.check_can_decide(status="pending", author="a", reviewer="b")
    assert review.version_state("approved", version_id=3, current_id=2, scheduled_ids=[3]) == "scheduled"
    assert review.version_state("approved", version_id=1, current_id=2, scheduled_ids=[3]) == "superseded"


def test_the_comparison_marks_removed_and_added_characters():
    left, right = answer_diff.side_by_side("跨行转账每笔收取5元。", "跨行转账每笔2元，柜台另计。")
    assert [(s.text, s.kind) for s in left] == [
        ("跨行转账每笔", "same"),
        ("收取5", "removed"),
        ("元", "same"),
        ("。", "same"),
    ]
    assert [(s.text, s.kind) for s in right] == [
        ("跨行转账每笔", "same"),
        ("2", "added"),
        ("元", "same"),
        ("，柜台另计", "added"),
        ("。", "same"),
    ]
