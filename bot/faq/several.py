"""Several questions in one message: "手机银行怎么开通，转账限额多少".

The classifiers read a message as one question and pick one topic; the second question would be
dropped without a word. The NLU pipeline therefore also classifies each question-like clause of a
message on its own (`rasa_components/several_questions.py`, clauses cut here), and the FAQ action
answers one topic and offers the others as buttons (`other_topics`).

Only clauses that look like questions of their own count (an interrogative word, at least
`MIN_CLAUSE_CHARS` characters), so that "我的卡丢了，怎么办" or "转账失败了，钱扣了" stay one question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Where one question ends and another may begin: punctuation, spaces, and the phrases customers
# use to add a question. Not ".", the decimal point of "2.5万"; not a bare 还有 or 另外, which
# are as often inside one question ("卡里还有多少钱", "另外一张卡怎么激活").
_BREAK = re.compile(r"[，,；;。！!？?\s]+|(?:顺便|再|还想|另外)问一?下|还有个问题|还有一个问题")
# A clause asks something when it holds an interrogative word or particle.
_QUESTION = re.compile(
    r"怎么|怎样|如何|咋|多少|多久|多长|几点|几号|几天能|吗|呢|什么|啥|哪|能不能|可不可以|可以不|是否|有没有|是不是|"
    r"为什么|为何|为啥|要不要|会不会|行不行|收费不|[？?]"
)
# A part that opens with one of these goes on with the part before it ("为什么我有额度，但是借不
# 出来", "必须用微信吗，还是可以提现"): one question.
_GOES_ON = re.compile(r"^(?:但是|但|可是|不过|然后|所以|而且|并且|还是|或者|或是|就|那|而)")
_NOT_TEXT = re.compile(r"[\W_]+")
# Shorter clauses ("怎么办", "是吗", "多少钱") lean on the clause before them: they are that
# question's ending, not a question of their own.
MIN_CLAUSE_CHARS = 4
# A message holding more questions than this is a list or a complaint, not a set of questions
# to answer one by one; its clauses are not classified.
MAX_CLAUSES = 3
# A clause's own topic counts only when the response selector is this sure of it (calibrated
# confidences, bot/faq/rules.py). A question of its own ("转账限额多少") scores 0.99-1.0; the
# clauses of one question told at length score lower and would add a wrong button ("你们网点能
# 直接换吗" in a question about foreign exchange: 网点查询 0.75; "对方知道我在哪家银行办的卡" in a
# privacy complaint: 跨行转账 0.86; measured on the held-out set and the real samples, README).
CLAUSE_CONFIDENCE = 0.9
# At most this many further topics are offered after the answer.
MAX_OFFERED = 2


@dataclass(frozen=True)
class Clause:
    """One question-like clause of a message and what the pipeline read in it."""

    text: str
    intent: str | None
    topic: str | None
    confidence: float


def question_clauses(text: str) -> list[str]:
    """The message's clauses when it holds at least two questions of their own (at most
    `MAX_CLAUSES`), else [] — one question, however long, is left whole."""
    if not text or text.startswith("/"):
        return []
    pieces = []
    start = 0
    for match in _BREAK.finditer(text):
        # a question mark belongs to the clause before it ("转账限额多少？")
        mark = "？" if "?" in match.group() or "？" in match.group() else ""
        pieces.append(text[start : match.start()] + mark)
        start = match.end()
    pieces.append(text[start:])
    joined: list[str] = []
    for piece in pieces:
        if joined and _GOES_ON.match(piece):
            joined[-1] += "，" + piece
        else:
            joined.append(piece)
    questions = [
        piece
        for piece in joined
        if len(_NOT_TEXT.sub("", piece)) >= MIN_CLAUSE_CHARS and _QUESTION.search(piece)
    ]
    return questions if 2 <= len(questions) <= MAX_CLAUSES else []


def clause_topics(clauses: Sequence[Clause]) -> list[str]:
    """The distinct FAQ topics the clauses ask about with confidence, in the customer's order."""
    topics: list[str] = []
    for clause in clauses:
        if clause.intent != "faq" or not clause.topic or clause.confidence < CLAUSE_CONFIDENCE:
            continue
        if clause.topic not in topics:
            topics.append(clause.topic)
    return topics


def several_topics(answer: str | None, clauses: Sequence[Clause]) -> tuple[str, list[str]] | None:
    """(topic to answer, topics to offer) when the message asks about two or more topics, else
    None. The questions are answered in the customer's order: the first one now, the others as
    buttons. When the whole message has a clear topic, it must be one of the clauses' topics;
    otherwise the message is one question told at length, and its answer stands alone."""
    topics = clause_topics(clauses)
    if len(topics) < 2 or (answer is not None and answer not in topics):
        return None
    return topics[0], topics[1 : 1 + MAX_OFFERED]
