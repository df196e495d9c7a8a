"""NLU quality report: 5-fold cross-validation over the training data.

`python -m scripts.nlu_report [--folds 5] [--seed 0]` runs `rasa test nlu --cross-validation`
and prints the intent and response-selector (FAQ topic) macro-F1 and the ten most confused
pairs. The fold split is seeded, so a figure can be reproduced; other seeds show its spread.
About 6 minutes on two cores (each fold trains the NLU pipeline); ~28 minutes on the busy shared
machine, where the same run with Rasa's unread training-set pass took ~41 and printed the same.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from .train import ROOT, training_config

BAR = 0.92


def confused_pairs(report: dict) -> list[tuple[int, str, str]]:
    pairs = []
    for label, figures in report.items():
        if not isinstance(figures, dict):
            continue
        for other, count in (figures.get("confused_with") or {}).items():
            pairs.append((int(count), label, other))
    return sorted(pairs, reverse=True)


def summarise(name: str, path: Path) -> float | None:
    if not path.exists():
        print(f"{name}: no report at {path}")
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    macro = report.get("macro avg", {})
    weighted = report.get("weighted avg", {})
    labels = {
        label: figures
        for label, figures in report.items()
        if isinstance(figures, dict) and "support" in figures and "avg" not in label
    }
    print(
        f"{name}: {len(labels)} labels, macro-F1 {macro.get('f1-score', 0):.3f}, "
        f"weighted-F1 {weighted.get('f1-score', 0):.3f}, accuracy {report.get('accuracy', 0):.3f}"
    )
    worst = sorted((figures["f1-score"], label) for label, figures in labels.items())[:10]
    print("  lowest F1: " + ", ".join(f"{label} {f1:.2f}" for f1, label in worst))
    print("  most confused pairs (count: true -> predicted):")
    for count, label, other in confused_pairs(report)[:10]:
        print(f"    {count:3}: {label} -> {other}")
    return macro.get("f1-score")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--config",
        default="config.yml",
        help="pipeline to evaluate (experiments); the "
        "entity pipeline's placeholder is replaced as scripts/train.py does",
    )
    parser.add_argument("--out", default=str(ROOT / "var" / "nlu-report"))
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds the fold split (Rasa shuffles folds with numpy's global generator)",
    )
    args = parser.parse_args()
    config = Path(args.config)
    if "models/spacy/bank_entities" in (config if config.is_absolute() else ROOT / config).read_text(
        encoding="utf-8"
    ):
        config = training_config(source=config)
    out = Path(args.out)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    print(
        f"rasa test nlu --cross-validation --folds {args.folds}, fold seed {args.seed} (a few minutes)...",
        flush=True,
    )
    arguments = [
        "rasa",
        "test",
        "nlu",
        "--config",
        str(config),
        "--nlu",
        "data/nlu",
        "--cross-validation",
        "--folds",
        str(args.folds),
        "--out",
        str(out),
        "--no-plot",
        "--domain",
        "domain.yml",
    ]
    # `rasa test nlu` in-process after seeding numpy, so the same data gives the same folds.
    # Rasa's cross-validation also parses every fold's training set through the trained model
    # (its "train" metrics, which it only logs); nothing here reads them, and skipping that pass
    # leaves the test figures as they were (the fold split is drawn once, before the first
    # training, and the classifiers are seeded): on 2026-12-06 both runs wrote the same per-label
    # reports and errors, and this one took ~28 minutes instead of ~41.
    launcher = (
        "import sys, numpy; numpy.random.seed(int(sys.argv[1])); "
        "sys.argv = sys.argv[2:]; import rasa.nlu.test as t; combine = t.combine_result\n"
        "async def test_folds_only(*args, **kwargs):\n"
        "    if len(args) < 6 and kwargs.get('intent_results') is None: return args[:3]\n"
        "    return await combine(*args, **kwargs)\n"
        "t.combine_result = test_folds_only\n"
        "from rasa.__main__ import main; main()"
    )
    result = subprocess.run(
        [sys.executable, "-c", launcher, str(args.seed), *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if result.returncode != 0:
        print(result.stderr[-3000:], file=sys.stderr)
        return result.returncode
    intent_f1 = summarise("Intents", out / "intent_report.json")
    topic_f1 = summarise("FAQ topics (response selector)", out / "response_selection_report.json")
    figures = [f for f in (intent_f1, topic_f1) if f is not None]
    ok = bool(figures) and min(figures) >= BAR
    print(f"\nmacro-F1 bar {BAR}: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
