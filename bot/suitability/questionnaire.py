"""The versioned risk-tolerance questionnaire: loading, checking and scoring (pure rules)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

QUESTIONNAIRE_DIR = Path(__file__).with_name("questionnaires")
LETTERS = "ABCDEFGH"
UNITS = {"years_of_age", "yuan", "percent", "years"}


class QuestionnaireError(ValueError):
    """The questionnaire file is inconsistent."""


@dataclass(frozen=True)
class Option:
    label: str
    points: int
    keywords: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def covers(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]
    unit: str | None = None

    def prompt_lines(self) -> list[str]:
        """The options as the customer reads them: "A. 18–30岁"."""
        return [f"{LETTERS[i]}. {option.label}" for i, option in enumerate(self.options)]


@dataclass(frozen=True)
class Band:
    level: str
    name: str
    low: int
    high: int
    meaning: str = ""


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title: str
    questions: tuple[Question, ...]
    bands: tuple[Band, ...]

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def band(self, level: str) -> Band:
        for band in self.bands:
            if band.level == level:
                return band
        raise KeyError(level)


@dataclass(frozen=True)
class Result:
    total: int
    level: str
    level_name: str


def parse_questionnaire(data: Mapping) -> Questionnaire:
    """Builds a questionnaire from its file content, refusing inconsistent files."""
    questions = []
    for raw in data["questions"]:
        unit = raw.get("unit")
        if unit is not None and unit not in UNITS:
            raise QuestionnaireError(f"question {raw['id']}: unknown unit {unit}")
        options = []
        for raw_option in raw["options"]:
            low, high = raw_option.get("range", (None, None))
            if (low is None) != (unit is None) and low is not None:
                raise QuestionnaireError(f"question {raw['id']}: a range needs a unit")
            options.append(
                Option(
                    label=raw_option["label"],
                    points=int(raw_option["points"]),
                    keywords=tuple(raw_option.get("keywords", ())),
                    low=None if low is None else float(low),
                    high=None if high is None else float(high),
                )
            )
        if not 2 <= len(options) <= len(LETTERS):
            raise QuestionnaireError(f"question {raw['id']} needs 2-{len(LETTERS)} options")
        questions.append(Question(raw["id"], raw["text"], tuple(options), unit))
    if len({q.id for q in questions}) != len(questions):
        raise QuestionnaireError("question ids must be unique")
    bands = tuple(
        Band(b["level"], b["name"], int(b["min"]), int(b["max"]), b.get("meaning", "")) for b in data["bands"]
    )
    lowest = sum(min(o.points for o in q.options) for q in questions)
    highest = sum(max(o.points for o in q.options) for q in questions)
    for total in range(lowest, highest + 1):
        if sum(band.low <= total <= band.high for band in bands) != 1:
            raise QuestionnaireError(f"total {total} falls in no band or in several")
    return Questionnaire(int(data["version"]), data["title"], tuple(questions), bands)


@cache
def load_questionnaire(version: int | None = None) -> Questionnaire:
    """The questionnaire of a version, or the newest one."""
    files = {int(p.stem.lstrip("v")): p for p in QUESTIONNAIRE_DIR.glob("v*.yml")}
    chosen = max(files) if version is None else version
    if chosen not in files:
        raise QuestionnaireError(f"no questionnaire version {chosen}")
    questionnaire = parse_questionnaire(yaml.safe_load(files[chosen].read_text(encoding="utf-8")))
    if questionnaire.version != chosen:
        raise QuestionnaireError(f"{files[chosen].name} declares version {questionnaire.version}")
    return questionnaire


def score_answers(questionnaire: Questionnaire, answers: Mapping[str, int]) -> Result:
    """Totals the points of the chosen options (question id → option index) and finds the level."""
    missing = [q.id for q in questionnaire.questions if q.id not in answers]
    if missing:
        raise QuestionnaireError(f"unanswered questions: {', '.join(missing)}")
    total = 0
    for question in questionnaire.questions:
        index = answers[question.id]
        if not 0 <= index < len(question.options):
            raise QuestionnaireError(f"question {question.id} has no option {index}")
        total += question.options[index].points
    band = next(b for b in questionnaire.bands if b.low <= total <= b.high)
    return Result(total=total, level=band.level, level_name=band.name)
