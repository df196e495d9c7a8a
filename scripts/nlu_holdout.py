"""Accuracy on the held-out customer phrasings (tests/nlu/holdout.yml), per group.

`python -m scripts.nlu_holdout` — loads the current model in-process and parses every phrasing.
A phrasing counts as right when the assistant would answer it with the right thing: the intent
for basic intents and out-of-scope, the FAQ topic (response selector) for faq/* phrasings.
Prints overall and per-group accuracy and every miss.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import yaml

from bot.faq.catalog import load_catalog

from .train import ROOT, ensure_model

HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"
BAR = 0.90


def load_holdout(path: Path = HOLDOUT) -> list[tuple[str, str]]:
    """(text, expected label) pairs."""
    pairs = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
        for line in block["examples"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                pairs.append((line[2:].strip(), block["intent"]))
    return pairs


def predicted_label(parse: dict) -> str:
    """What the assistant acts on: the intent, or faq/<topic> (chitchat/<x>) for retrieval intents."""
    intent = (parse.get("intent") or {}).get("name") or ""
    if intent in {"faq", "chitchat"}:
        for selector in (parse.get("response_selector") or {}).values():
            if not isinstance(selector, dict):
                continue  # "all_retrieval_intents" is a plain list
            ranking = [
                entry["intent_response_key"]
                for entry in selector.get("ranking") or []
                if entry.get("intent_response_key", "").startswith(intent + "/")
            ]
            if ranking:
                return ranking[0]
    return intent


def group_of(label: str) -> str:
    if label.startswith("faq/"):
        topic = load_catalog().topic(label[4:])
        return topic.group if topic else "unknown"
    return "out_of_scope" if label == "out_of_scope" else "basics"


async def evaluate(model: Path) -> list[tuple[str, str, str]]:
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    agent = Agent.load(str(model))
    results = []
    for text, expected in load_holdout():
        parse = await agent.parse_message(text)
        results.append((text, expected, predicted_label(parse)))
    return results


def main() -> int:
    model = ensure_model(quiet=True)
    results = asyncio.run(evaluate(model))
    by_group: dict[str, Counter] = defaultdict(Counter)
    misses = []
    for text, expected, predicted in results:
        group = group_of(expected)
        by_group[group]["total"] += 1
        if predicted == expected:
            by_group[group]["right"] += 1
        else:
            misses.append((group, expected, predicted, text))
    right = sum(c["right"] for c in by_group.values())
    total = sum(c["total"] for c in by_group.values())
    catalog = load_catalog()
    print(f"Held-out phrasings: {total} (model {model.name})")
    print(f"{'group':<16}{'right':>7}{'total':>7}{'accuracy':>10}")
    for group in sorted(by_group):
        counts = by_group[group]
        name = catalog.groups.get(group, group)
        print(
            f"{group:<16}{counts['right']:>7}{counts['total']:>7}{counts['right'] / counts['total']:>10.1%}  {name}"
        )
    accuracy = right / total
    print(f"{'overall':<16}{right:>7}{total:>7}{accuracy:>10.1%}  (bar {BAR:.0%})")
    if misses:
        print("\nMisses (group | expected | predicted | text):")
        for group, expected, predicted, text in sorted(misses):
            print(f"  {group} | {expected} | {predicted} | {text}")
    return 0 if accuracy >= BAR else 1


if __name__ == "__main__":
    sys.exit(main())
