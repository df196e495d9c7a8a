"""Buttons bound to their step (bot/conversations/buttons.py) and the flows' checks of them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.cases import intake
from bot.conversations import buttons
from bot.handoff import conversation as handoff_rules
from bot.suitability import dialogue
from bot.suitability.questionnaire import load_questionnaire
from bot.transcripts import labels

Q = load_questionnaire()


def test_a_payload_carries_its_step_and_choice_and_reads_back():
    payload = buttons.payload("assessment:1:age", "D")
    assert payload == '/answer_option{"step":"assessment:1:age","choice":"D"}'
    assert buttons.read(payload) == buttons.Press("assessment:1:age", "D")
    assert buttons.read(payload).flow == "assessment"
    assert buttons.button("确认提交", "complaint:ab:summary")["payload"].endswith('"choice":"确认提交"}')


@pytest.mark.parametrize(
    "text",
    [
        "D",
        "确认提交",
        "/request_human",
        "/answer_option",
        "/answer_option{oops",
        '/answer_option{"step":3,"choice":"D"}',
        '/answer_option["x"]',
        None,
    ],
)
def test_typed_text_and_other_payloads_are_not_presses(text):
    assert buttons.read(text) is None


def test_staff_read_a_press_as_its_words():
    payload = buttons.payload("handoff:7", "取消转人工")
    assert buttons.shown_text(payload) == "取消转人工"
    assert buttons.shown_text("还要等多久") == "还要等多久"
    # In transcripts, a press of an earlier step (no longer among the latest buttons) too.
    assert labels.button_title(payload, [{"title": "5分", "payload": "5分"}]) == "取消转人工"


def test_at_question_3_question_1s_d_is_refused_and_nothing_is_stored():
    attempt = dialogue.Attempt(version=Q.version, answers=(1, 1))
    stale = dialogue.step(Q, attempt, "D", pressed=dialogue.step_id(Q.version, "age"))
    assert stale.event == dialogue.Event.STALE and stale.attempt.answers == (1, 1)
    current = dialogue.current_step(Q, attempt)
    assert current == f"assessment:{Q.version}:{Q.questions[2].id}"
    assert dialogue.step(Q, attempt, "D", pressed=current).attempt.answers == (1, 1, 3)
    # A typed "D" always answers the question being asked.
    assert dialogue.step(Q, attempt, "D").attempt.answers == (1, 1, 3)


def test_an_older_questionnaire_versions_button_is_refused():
    attempt = dialogue.Attempt(version=Q.version)
    older = f"assessment:{Q.version - 1 if Q.version > 1 else 99}:age"
    assert dialogue.step(Q, attempt, "A", pressed=older).event == dialogue.Event.STALE


def test_the_summarys_buttons_answer_only_the_summary():
    done = dialogue.Attempt(version=Q.version, answers=(1,) * len(Q.questions))
    summary = dialogue.step_id(Q.version, "summary")
    assert dialogue.current_step(Q, done) == summary
    assert dialogue.step(Q, done, "确认提交", pressed=summary).event == dialogue.Event.SUBMITTED
    editing = dialogue.Attempt(version=Q.version, answers=done.answers, editing=1)
    assert dialogue.step(Q, editing, "确认提交", pressed=summary).event == dialogue.Event.STALE


def test_a_complaint_button_answers_only_its_draft_and_step():
    draft = intake.Draft(
        id="d1",
        description=("扣了年费",),
        stage="summary",
        phone="13812345678",
        name="王小明",
        request="退费",
        occurred="昨天",
    )
    assert draft.step_id == "complaint:d1:summary"
    assert intake.step(draft, "确认提交", pressed="complaint:d1:summary").event == intake.Event.SUBMITTED
    for old in ("complaint:d1:business", "complaint:d0:summary", "complaint:d1:cancel"):
        stale = intake.step(draft, "确认提交", pressed=old)
        assert stale.event == intake.Event.STALE and stale.draft == draft
    # The "确定" of "确定要取消吗？" belongs to the pending question, not to the stage.
    pending = intake.Draft(id="d1", stage="summary", pending="cancel")
    assert pending.step_id == "complaint:d1:cancel"
    assert intake.step(pending, "确定", pressed="complaint:d1:cancel").event == intake.Event.CANCELLED
    stale = intake.step(pending, "确定", pressed="complaint:d1:summary")
    assert stale.event == intake.Event.STALE and stale.draft.pending is None


def test_a_draft_keeps_its_id_in_the_slot():
    started = intake.start("你们扣了我两次年费，太过分了")
    assert started.draft.id and intake.Draft.from_slot(started.draft.to_slot()) == started.draft
    assert intake.start().draft.id != started.draft.id


def _handoff(id_: int, status: str):
    return SimpleNamespace(id=id_, status=status)


def test_cancel_buttons_cancel_only_their_own_wait():
    [cancel] = handoff_rules.cancel_buttons(5)
    payload = cancel["payload"]
    assert handoff_rules.pressed_cancel(payload, _handoff(5, "waiting")) is True
    assert handoff_rules.pressed_cancel(payload, _handoff(5, "claimed")) is False
    assert handoff_rules.pressed_cancel(payload, _handoff(6, "waiting")) is False
    assert handoff_rules.pressed_cancel(payload, None) is False
    assert handoff_rules.pressed_cancel("取消转人工", _handoff(5, "waiting")) is None  # typed words
    assert "已经接入" in handoff_rules.stale_cancel_text(_handoff(5, "claimed"))
    assert "之前的一次排队" in handoff_rules.stale_cancel_text(_handoff(6, "waiting"))
    assert "排队已经结束" in handoff_rules.stale_cancel_text(None)
