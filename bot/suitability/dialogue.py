"""The questionnaire conversation as a pure state machine.

An `Attempt` is what the customer has answered so far; `step()` takes one customer message and
returns the next attempt and what happened, so the action only renders replies and stores results.
Commands ("上一题", "重新开始", "不做了", "转人工", "修改第3题") are recognised by these rules
rather than by the NLU model: they must work the same on every turn and never be guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from bot.text.replies import CONFIRM_WORDS, clean_reply

from .matching import match_option
from .questionnaire import Questionnaire

MAX_UNCLEAR_ANSWERS = 3
# A command is a short message; a long one that merely contains "退出" is an answer or a question.
_MAX_COMMAND_CHARS = 14

_TRAILING_PARTICLES = re.compile(r"(吧|啊|呀|呢|哦|嘛|了吧)$")

_RESTART = re.compile(r"重新开始|从头开始|从头来|重新来|重新做|重做|从第1题开始|重新答|重来")
_PREVIOUS = re.compile(r"上一题|上一道|上一个问题|上个问题|前一题|返回上一|回到上一|退回上一|改上一")
_EXIT = re.compile(
    r"不做了|不想做了|不测了|不评估了|不答了|退出|结束评估|先不做|停止|放弃|下次再做|取消评估|不弄了"
)
_PERSON = re.compile(r"转人工|人工客服|人工服务|真人|找客服|人工")
_EDIT = re.compile(r"(?:修改|改|重选|更改)第?(\d{1,2})题|第(\d{1,2})题(?:选错了|要改|改一下|重选|修改)")
# What a button payload that reaches the form as an intent (another flow's button) means here.
PAYLOAD_WORDS = {"request_human": "转人工", "affirm": "是", "deny": "不是"}
_YES = CONFIRM_WORDS | {"行", "嗯嗯", "确认无误", "无误", "确定退出", "确定重新开始", "yes", "ok"}
_NO = {
    "不",
    "不是",
    "否",
    "不对",
    "不用",
    "不要",
    "不用了",
    "继续",
    "继续答题",
    "继续评估",
    "接着做",
    "接着答",
    "不退出",
    "no",
    "修改答案",
    "我要修改",
    "要修改",
    "有错",
}


class Command(str, Enum):
    RESTART = "restart"
    PREVIOUS = "previous"
    EXIT = "exit"
    PERSON = "person"
    EDIT = "edit"
    YES = "yes"
    NO = "no"


class Event(str, Enum):
    """What one customer message did to the attempt."""

    RECORDED = "recorded"  # answered the current question; ask the next one (or summarise)
    UNCLEAR = "unclear"  # fits no option: explain and ask again
    OFFER_PERSON = "offer_person"  # third unclear answer in a row
    FAQ = "faq"  # a banking question mid-way: answer it, then ask the same question again
    CONFIRM_EXIT = "confirm_exit"
    CONFIRM_RESTART = "confirm_restart"
    RESUMED = "resumed"  # the customer did not confirm leaving/restarting/a person
    RESTARTED = "restarted"
    PREVIOUS = "previous"
    AT_FIRST_QUESTION = "at_first_question"
    EDITING = "editing"  # going back to a numbered question from the summary
    NO_SUCH_QUESTION = "no_such_question"
    WHICH_TO_EDIT = "which_to_edit"
    SUBMITTED = "submitted"
    EXITED = "exited"
    PERSON = "person"
    STALE = "stale"  # a button of another question (or of the summary): ask the current one again


@dataclass(frozen=True)
class Attempt:
    """Answers so far (option index per question, in order) and the turn's context."""

    version: int
    answers: tuple[int, ...] = ()
    failures: int = 0
    pending: str | None = None  # "exit", "restart" or "person": waiting for yes/no
    editing: int | None = None  # index of a question being changed from the summary

    def current(self, questionnaire: Questionnaire) -> int | None:
        """The index of the question to ask now; None when every question is answered."""
        if self.editing is not None:
            return self.editing
        if len(self.answers) < len(questionnaire.questions):
            return len(self.answers)
        return None

    def to_slot(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "answers": list(self.answers),
            "failures": self.failures,
            "pending": self.pending,
            "editing": self.editing,
        }

    @classmethod
    def from_slot(cls, value: Any) -> Attempt | None:
        """The attempt kept in a slot; None for an empty or unreadable slot."""
        if not isinstance(value, dict) or not isinstance(value.get("version"), (int, float)):
            return None
        try:
            return cls(
                version=int(value["version"]),
                answers=tuple(int(a) for a in value.get("answers") or ()),
                failures=int(value.get("failures") or 0),
                pending=value.get("pending"),
                editing=None if value.get("editing") is None else int(value["editing"]),
            )
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Step:
    attempt: Attempt
    event: Event
    faq_topic: str | None = None


def _clean(text: str) -> str:
    text = clean_reply(text)
    return _TRAILING_PARTICLES.sub("", text) or text


def detect_command(text: str) -> tuple[Command, int | None] | None:
    """A questionnaire command in the message, with the question number for EDIT."""
    cleaned = _clean(text)
    if not cleaned or len(cleaned) > _MAX_COMMAND_CHARS:
        return None
    if cleaned in _YES:
        return Command.YES, None
    if cleaned in _NO:
        return Command.NO, None
    edit = _EDIT.search(cleaned)
    if edit:
        return Command.EDIT, int(edit.group(1) or edit.group(2))
    for pattern, command in (
        (_RESTART, Command.RESTART),
        (_PREVIOUS, Command.PREVIOUS),
        (_EXIT, Command.EXIT),
        (_PERSON, Command.PERSON),
    ):
        if pattern.search(cleaned):
            return command, None
    return None


def step_id(version: int, question_id: str) -> str:
    """The step a question's buttons answer (bot.conversations.buttons): version and question
    id, so a button of another question, or of an older questionnaire, is told apart."""
    return f"assessment:{version}:{question_id}"


def current_step(questionnaire: Questionnaire, attempt: Attempt) -> str:
    """The step the attempt waits for: the current question, or the summary to confirm."""
    index = attempt.current(questionnaire)
    question_id = "summary" if index is None else questionnaire.questions[index].id
    return step_id(attempt.version, question_id)


def start(questionnaire: Questionnaire) -> Attempt:
    return Attempt(version=questionnaire.version)


def _resolve_pending(attempt: Attempt, command: Command | None) -> Step | None:
    """Yes/no to "确定要退出吗？" and the like; anything else drops the question."""
    if attempt.pending is None:
        return None
    if command == Command.YES:
        done = {"exit": Event.EXITED, "restart": Event.RESTARTED, "person": Event.PERSON}
        event = done[attempt.pending]
        if event == Event.RESTARTED:
            return Step(Attempt(version=attempt.version), event)
        return Step(replace(attempt, pending=None), event)
    if command == Command.NO:
        return Step(replace(attempt, pending=None, failures=0), Event.RESUMED)
    return None


def step(
    questionnaire: Questionnaire,
    attempt: Attempt,
    text: str,
    *,
    faq_topic: str | None = None,
    pressed: str | None = None,
) -> Step:
    """Applies one customer message. `faq_topic` is the FAQ the NLU recognised, if any: it is
    answered only when the message is not an answer to the current question. `pressed` is the
    step of the button the message came from (None for typed text): a button of any other step
    than the current one changes nothing."""
    if pressed is not None and pressed != current_step(questionnaire, attempt):
        return Step(replace(attempt, pending=None), Event.STALE)
    found = detect_command(text)
    command, number = found if found else (None, None)

    if attempt.pending:
        resolved = _resolve_pending(attempt, command)
        if resolved:
            return resolved
        attempt = replace(attempt, pending=None)

    if command == Command.PERSON:
        return Step(attempt, Event.PERSON)
    if command == Command.EXIT:
        return Step(replace(attempt, pending="exit"), Event.CONFIRM_EXIT)
    if command == Command.RESTART:
        if not attempt.answers:
            return Step(Attempt(version=attempt.version), Event.RESTARTED)
        return Step(replace(attempt, pending="restart"), Event.CONFIRM_RESTART)

    current = attempt.current(questionnaire)
    total = len(questionnaire.questions)

    if command == Command.PREVIOUS:
        position = current if current is not None else total
        if position == 0:
            return Step(replace(attempt, failures=0), Event.AT_FIRST_QUESTION)
        if attempt.editing is None and current is not None:
            return Step(replace(attempt, answers=attempt.answers[:-1], failures=0), Event.PREVIOUS)
        return Step(replace(attempt, editing=position - 1, failures=0), Event.PREVIOUS)
    if command == Command.EDIT:
        if number is None or not 1 <= number <= len(attempt.answers):
            return Step(attempt, Event.NO_SUCH_QUESTION)
        return Step(replace(attempt, editing=number - 1, failures=0), Event.EDITING)

    if current is None:  # every question answered: the summary is waiting for a yes
        if command == Command.YES:
            return Step(attempt, Event.SUBMITTED)
        if faq_topic and command is None:
            return Step(attempt, Event.FAQ, faq_topic)
        return Step(attempt, Event.WHICH_TO_EDIT)

    index = match_option(questionnaire.questions[current], text)
    if index is not None:
        if attempt.editing is not None:
            answers = list(attempt.answers)
            answers[current] = index
            return Step(Attempt(version=attempt.version, answers=tuple(answers)), Event.RECORDED)
        return Step(Attempt(version=attempt.version, answers=attempt.answers + (index,)), Event.RECORDED)
    if faq_topic and command is None:
        return Step(attempt, Event.FAQ, faq_topic)
    failures = attempt.failures + 1
    if failures >= MAX_UNCLEAR_ANSWERS:
        return Step(replace(attempt, failures=0, pending="person"), Event.OFFER_PERSON)
    return Step(replace(attempt, failures=failures), Event.UNCLEAR)


def answered_options(questionnaire: Questionnaire, attempt: Attempt) -> dict[str, int]:
    """Question id → chosen option index, as the scoring and the archive expect."""
    return {q.id: i for q, i in zip(questionnaire.questions, attempt.answers)}
