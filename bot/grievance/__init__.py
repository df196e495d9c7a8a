"""Grievances: a bad experience or blame, whatever the subject.

"柜台让我等了两个小时" names the counter, "没通知就扣了我年费" the annual fee, "客服电话永远打不通"
the hotline: the classifiers answer the topic those words belong to, but the customer wants an
apology and someone to take it up (the dissatisfaction offer: a complaint or a person). Wordings
alone cannot teach that, because the subject words tie the message to its topic.

`grievance(text)` is the rule: the message carries a grievance marker (`markers.yml`: deceived,
charged arbitrarily, not informed, kept waiting, ignored, unreachable, again and again, a broken
promise, anger) that is not preceded by a word making it a question or a worry ("会乱扣费吗",
"是不是骗人的") or reported speech ("说电话打不通"), and shows no scam or theft (those keep the
fraud answers and the urgent handling). It returns `complain` when the customer also asks to
complain or demands an answer ("我要投诉", "给个说法"), `express_dissatisfaction` otherwise, and
None for everything else, neutral questions about the same subject included ("为什么扣了我年费",
"转账多久到账"). Which predicted intents it may override is the pipeline component's choice
(rasa_components/grievances.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from bot.text.normalize import comparable

MARKERS_FILE = Path(__file__).with_name("markers.yml")
COMPLAIN = "complain"
DISSATISFIED = "express_dissatisfaction"
# How many characters may stand between a word of `not_a_grievance_before` and the marker
# ("是不是在骗人", "说电话打不通").
GUARD_GAP = 2
_CLAUSE_ENDS = ",，。.!！?？;；~～"


@dataclass(frozen=True)
class Markers:
    markers: dict[str, re.Pattern]  # kind → one pattern for all its expressions
    complain_request: re.Pattern
    guard: re.Pattern  # matched on the text before a marker
    scam_signals: tuple[str, ...]
    why_is_a_question: frozenset[str] = frozenset()  # kinds a "why" before them makes a question
    why: re.Pattern | None = None  # matched on the text before such a marker


def _either(expressions: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{expression})" for expression in expressions))


@lru_cache(maxsize=1)
def load_markers(path: Path = MARKERS_FILE) -> Markers:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    guard = _either([str(e) for e in data["not_a_grievance_before"]]).pattern
    return Markers(
        markers={
            kind: _either([str(e) for e in expressions]) for kind, expressions in data["markers"].items()
        },
        complain_request=_either([str(e) for e in data["complain_request"]]),
        guard=re.compile(rf"(?:{guard}).{{0,{GUARD_GAP}}}$"),
        scam_signals=tuple(str(word) for word in data["scam_signals"]),
        why_is_a_question=frozenset(data.get("why_is_a_question") or ()),
        # a why-word anywhere before the marker in the same clause
        why=re.compile(rf"(?:{'|'.join(data.get('why_words') or ['(?!)'])})[^{_CLAUSE_ENDS}]*$"),
    )


def grievance_markers(text: str) -> list[str]:
    """The kinds of grievance marker the message carries (["not_informed", "upset"]), those
    preceded by a question or worry word or by reported speech not counted."""
    markers = load_markers()
    plain = comparable(text)
    if any(signal in plain for signal in markers.scam_signals):
        return []
    kinds = []
    for kind, pattern in markers.markers.items():
        why_guard = markers.why if kind in markers.why_is_a_question else None
        for match in pattern.finditer(plain):
            before = plain[: match.start()]
            if markers.guard.search(before) or (why_guard and why_guard.search(before)):
                continue
            kinds.append(kind)
            break
    return kinds


def grievance(text: str) -> str | None:
    """`complain` for a grievance that asks to complain, `express_dissatisfaction` for any other
    grievance, None when the message is no grievance (bot/grievance/markers.yml)."""
    if not grievance_markers(text):
        return None
    return COMPLAIN if load_markers().complain_request.search(comparable(text)) else DISSATISFIED
