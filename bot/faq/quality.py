"""What the knowledge-base console shows about how well the assistant recognises each topic:
its number of training wordings (data/nlu), its F1 in the last cross-validation report
(`make nlu-report`), and the topics analysts marked as missing in transcripts.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from bot.config import PROJECT_ROOT
from bot.transcripts import labels as transcript_labels
from bot.transcripts.models import TranscriptAnnotation, TranscriptMessage

NLU_DIR = PROJECT_ROOT / "data" / "nlu"
FAQ_PREFIX = "faq/"
# The file of `rasa test nlu` that scores the response selector (the FAQ topics).
TOPIC_REPORT = "response_selection_report.json"
SUGGESTION_EXAMPLES = 3

_lock = threading.Lock()
_counts: tuple[tuple, dict[str, int]] | None = None


def _signature(directory: Path) -> tuple:
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(directory.glob("*.yml")))


def wording_counts(directory: Path = NLU_DIR) -> dict[str, int]:
    """Training wordings per FAQ topic (read again when a file changes); empty when the
    training data is not part of this deployment."""
    global _counts
    if not directory.is_dir():
        return {}
    signature = _signature(directory)
    with _lock:
        if _counts is not None and _counts[0] == signature:
            return _counts[1]
    counts: dict[str, int] = {}
    for path in sorted(directory.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in document.get("nlu") or []:
            intent = str(entry.get("intent") or "")
            if intent.startswith(FAQ_PREFIX):
                examples = [
                    line
                    for line in str(entry.get("examples") or "").splitlines()
                    if line.strip().startswith("- ")
                ]
                topic = intent[len(FAQ_PREFIX) :]
                counts[topic] = counts.get(topic, 0) + len(examples)
    with _lock:
        _counts = (signature, counts)
    return counts


@dataclass(frozen=True)
class CrossValidation:
    f1: dict[str, float]  # topic id → F1
    written_at: datetime


def last_cross_validation(report_dir: Path) -> CrossValidation | None:
    """Per-topic F1 of the last `make nlu-report`, or None when there is no report."""
    path = report_dir / TOPIC_REPORT
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        written_at = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    except (OSError, ValueError):
        return None
    f1 = {
        label[len(FAQ_PREFIX) :]: float(figures["f1-score"])
        for label, figures in report.items()
        if label.startswith(FAQ_PREFIX) and isinstance(figures, dict) and "f1-score" in figures
    }
    return CrossValidation(f1, written_at)


@dataclass(frozen=True)
class MissingTopic:
    """A topic analysts asked for: their note (the topic they would add), how often, examples."""

    note: str
    count: int
    last_at: datetime
    examples: list[str]  # the customers' messages, masked as every transcript is


def missing_topics(*, session: Session, limit: int = 50) -> list[MissingTopic]:
    """Annotations marking a customer message as a question no topic covers, grouped by note."""
    note = func.coalesce(TranscriptAnnotation.note, "")
    groups = session.execute(
        select(note, func.count(), func.max(TranscriptAnnotation.created_at))
        .where(TranscriptAnnotation.correct_intent == transcript_labels.MISSING_TOPIC)
        .group_by(note)
        .order_by(desc(func.count()), desc(func.max(TranscriptAnnotation.created_at)))
        .limit(limit)
    ).all()
    suggestions = []
    for text, count, last_at in groups:
        examples = session.scalars(
            select(TranscriptMessage.text)
            .join(TranscriptAnnotation, TranscriptAnnotation.message_id == TranscriptMessage.id)
            .where(TranscriptAnnotation.correct_intent == transcript_labels.MISSING_TOPIC, note == text)
            .order_by(TranscriptAnnotation.created_at.desc())
            .limit(SUGGESTION_EXAMPLES)
        ).all()
        suggestions.append(MissingTopic(text, count, last_at, list(examples)))
    return suggestions
