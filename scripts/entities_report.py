"""Precision, recall and F1 of the entities per type on tests/nlu/entities_eval.yml, and every miss.

`python -m scripts.entities_report [--pipeline DIR] [--quiet] [FILE ...]` — for the evaluation
set (and, after it, the fresh set tests/nlu/entities_fresh.yml) runs each message the way the
Rasa pipeline does (the normaliser, the spaCy pipeline, bot.entities.resolve) with "now" set to
the file's reference time, so relative dates have fixed expected values. Without --pipeline it
builds the pipeline from data/entities/ and the product catalogue, as `scripts/train.py` would.

An entity counts as found when type, start and end all match (spans are compared on the
normalised text: the expected spans are carried over from the text as typed by aligning the two);
its value is checked separately where the file gives one. Exit status 1 when a type is under the
F1 target (0.90) on the evaluation set.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from pathlib import Path

import yaml

from bot.entities.patterns import LABELS
from bot.text.normalize import normalize_text, to_half_width, to_simplified

ROOT = Path(__file__).resolve().parent.parent
EVAL_FILE = ROOT / "tests" / "nlu" / "entities_eval.yml"
FRESH_FILE = ROOT / "tests" / "nlu" / "entities_fresh.yml"
TARGET_F1 = 0.90
_MARKUP = re.compile(r"\[([^\]]+)\]\(([A-Z_]+)(?:=([^)]*))?\)")


@dataclass(frozen=True)
class Expected:
    type: str
    start: int
    end: int
    value: str | None


@dataclass(frozen=True)
class Example:
    group: str
    text: str
    entities: tuple[Expected, ...]


def parse_markup(line: str) -> tuple[str, list[Expected]]:
    """ "[上周五](DATE=2026-11-27)转了…" → the plain text and its annotated spans."""
    plain, entities, position = [], [], 0
    for match in _MARKUP.finditer(line):
        plain.append(line[position : match.start()])
        start = sum(map(len, plain))
        plain.append(match.group(1))
        entities.append(Expected(match.group(2), start, start + len(match.group(1)), match.group(3)))
        position = match.end()
    plain.append(line[position:])
    return "".join(plain), entities


def load_examples(path: Path = EVAL_FILE) -> tuple[datetime, list[Example]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    reference = datetime.fromisoformat(data["reference_time"])
    examples = []
    for group in data["sets"]:
        for line in group["messages"].splitlines():
            line = line.strip()
            if line.startswith("- "):
                text, entities = parse_markup(line[2:].strip())
                examples.append(Example(group["name"], text, tuple(entities)))
    return reference, examples


def carry_span(original: str, normalized: str, start: int, end: int) -> tuple[int, int]:
    """Where a span of the text as typed lies in its normalised form ("二十万元" → "200000元").
    Width and character variants change one character for one, so only the numerals the
    normaliser rewrote are left to align."""
    original = to_simplified(to_half_width(original))
    opcodes = SequenceMatcher(None, original, normalized, autojunk=False).get_opcodes()

    def carry(position: int, is_end: bool) -> int:
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= position < i2 or (is_end and position == i2 and i2 > i1):
                if tag == "equal":
                    return j1 + position - i1
                return j2 if is_end else j1
        return len(normalized)

    return carry(start, False), carry(end, True)


def evaluate(nlp, reference: datetime, examples: list[Example]):
    from bot.entities.pipeline import find_entities

    results = []
    for example in examples:
        normalized = normalize_text(example.text)
        found = find_entities(nlp, example.text, now=reference)
        expected = [
            Expected(e.type, *carry_span(example.text, normalized, e.start, e.end), e.value)
            for e in example.entities
        ]
        results.append((example, normalized, expected, found))
    return results


def report(results, *, quiet: bool = False) -> bool:
    counts: dict[str, Counter] = defaultdict(Counter)
    misses: list[str] = []
    for example, normalized, expected, found in results:
        predicted = {(e.type, e.start, e.end): e for e in found}
        gold = {(e.type, e.start, e.end): e for e in expected}
        for key, entity in gold.items():
            if key in predicted:
                counts[entity.type]["tp"] += 1
                if entity.value is not None:
                    counts[entity.type]["valued"] += 1
                    got = predicted[key].value
                    if got == entity.value:
                        counts[entity.type]["value_ok"] += 1
                    else:
                        misses.append(
                            f"  value {entity.type} {normalized[entity.start : entity.end]!r}: "
                            f"expected {entity.value}, got {got}   | {example.text}"
                        )
            else:
                counts[entity.type]["fn"] += 1
                near = [f"{e.type}:{e.text}" for e in found if e.start < entity.end and e.end > entity.start]
                misses.append(
                    f"  missed {entity.type} {normalized[entity.start : entity.end]!r}"
                    f"{' (found ' + ', '.join(near) + ')' if near else ''}   | {example.text}"
                )
        for key, entity in predicted.items():
            if key not in gold:
                counts[entity.type]["fp"] += 1
                misses.append(f"  extra  {entity.type} {entity.text!r} = {entity.value}   | {example.text}")
    messages = len(results)
    print(f"Entity evaluation: {messages} messages, {sum(len(r[2]) for r in results)} annotated entities")
    print(f"{'type':<12} {'gold':>5} {'found':>6} {'prec':>6} {'recall':>7} {'F1':>6} {'values':>8}")
    all_ok = True
    totals = Counter()
    for label in LABELS:
        c = counts[label]
        totals.update(c)
        gold_n, found_n = c["tp"] + c["fn"], c["tp"] + c["fp"]
        precision = c["tp"] / found_n if found_n else 0.0
        recall = c["tp"] / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        values = f"{c['value_ok']}/{c['valued']}" if c["valued"] else "-"
        flag = "" if f1 >= TARGET_F1 else "  < target"
        all_ok &= f1 >= TARGET_F1
        print(
            f"{label:<12} {gold_n:>5} {found_n:>6} {precision:>6.3f} {recall:>7.3f} {f1:>6.3f} {values:>8}{flag}"
        )
    tp, fp, fn = totals["tp"], totals["fp"], totals["fn"]
    micro = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    print(
        f"{'all (micro)':<12} {tp + fn:>5} {tp + fp:>6} {tp / (tp + fp):>6.3f} {tp / (tp + fn):>7.3f} "
        f"{micro:>6.3f} {totals['value_ok']}/{totals['valued']}"
    )
    if misses and not quiet:
        print(f"\nMisses ({len(misses)}):")
        print("\n".join(misses))
    print(f"\nTarget F1 >= {TARGET_F1:.2f} for every type: {'met' if all_ok else 'NOT met'}")
    return all_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", type=Path, help="a saved pipeline directory (default: build one)")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    parser.add_argument("files", nargs="*", type=Path, default=[EVAL_FILE, FRESH_FILE])
    args = parser.parse_args(argv)
    from bot.entities.pipeline import build_pipeline, load_pipeline

    nlp = load_pipeline(args.pipeline) if args.pipeline else build_pipeline()
    status = 0
    for number, path in enumerate(args.files):
        reference, examples = load_examples(path)
        print(f"\n=== {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ===")
        met = report(evaluate(nlp, reference, examples), quiet=args.quiet)
        if number == 0 and not met:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
