"""Compares NLU pipelines on everything real we have: `python -m scripts.nlu_compare --corpus
<file> [--corpus <file> ...] [--config config.yml] [--config other.yml ...]`.

For each config it trains an NLU-only model (~1 min; cached in var/nlu-compare/ by the config's
and the training data's hash) and prints, side by side, the accuracy on every real-question
sample of tests/nlu/real_labels/ whose corpus was given (matched by sha256, so the order and names
of the files do not matter) and on the held-out phrasings (tests/nlu/holdout.yml), read the way
`make nlu-real` and `make nlu-holdout` read them (the intent, or faq/<topic>). Cross-validation
stays with `make nlu-report`, which takes far longer. With `--misses`, every question one config
gets right and another wrong is listed. Blind samples (`blind: true`) are left out: choosing a
pipeline on them would be tuning on them; measure them with `make nlu-real` only.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
from pathlib import Path

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .nlu_holdout import load_holdout, predicted_label
from .nlu_real import load_labels, parse_all, read_questions
from .train import ROOT, inputs_hash, training_config

LABELS_DIR = ROOT / "tests" / "nlu" / "real_labels"
OUT_DIR = ROOT / "var" / "nlu-compare"


def samples_for(corpora: list[Path]) -> list[tuple[str, Path, dict]]:
    """(sample name, corpus, labels) for every labels file whose corpus was given, blind ones aside."""
    by_digest = {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in corpora}
    samples = []
    for labels_path in sorted(LABELS_DIR.glob("*.yml")):
        labels = load_labels(labels_path)
        if labels["sha256"] in by_digest and not labels.get("blind"):
            samples.append((labels_path.stem, by_digest[labels["sha256"]], labels))
    return samples


def nlu_model(config: Path) -> Path:
    """An NLU-only model of this config and the current training data, trained if needed."""
    digest = hashlib.sha256(config.read_bytes() + inputs_hash().encode()).hexdigest()[:16]
    name = f"nlu-{config.stem}-{digest}"
    model = OUT_DIR / f"{name}.tar.gz"
    if not model.exists():
        from rasa.model_training import train_nlu

        OUT_DIR.mkdir(parents=True, exist_ok=True)
        print(f"Training an NLU model for {config} ...", flush=True)
        train_nlu(
            config=str(training_config(source=config)),
            nlu_data=str(ROOT / "data" / "nlu"),
            output=str(OUT_DIR),
            fixed_model_name=name,
            domain=str(ROOT / "domain.yml"),
        )
    return model


def evaluate(model: Path, samples: list[tuple[str, Path, dict]]) -> dict[str, list[tuple[str, bool, str]]]:
    """Per sample: (question, right, predicted) for every labelled question."""
    questions: list[tuple[str, str, list[str]]] = []
    for name, corpus, labels in samples:
        questions += [(name, text, accepted) for _, _, text, accepted in read_questions(corpus, labels)]
    questions += [("holdout", text, [expected]) for text, expected in load_holdout()]
    parses = asyncio.run(parse_all(model, [text for _, text, _ in questions]))
    results: dict[str, list[tuple[str, bool, str]]] = {}
    for (name, text, accepted), parse in zip(questions, parses):
        predicted = predicted_label(parse)
        results.setdefault(name, []).append((text, predicted in accepted, predicted))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="a local corpus copy")
    parser.add_argument("--config", type=Path, action="append", default=[], help="pipeline (repeatable)")
    parser.add_argument("--misses", action="store_true", help="list questions the configs disagree on")
    args = parser.parse_args(argv)
    configs = [path if path.is_absolute() else ROOT / path for path in args.config or [Path("config.yml")]]
    samples = samples_for(args.corpus)
    if args.corpus and not samples:
        print("None of the given files is the corpus of a labels file in tests/nlu/real_labels/ (sha256).")
        return 2
    results = {config: evaluate(nlu_model(config), samples) for config in configs}
    names = [name for name, _, _ in samples] + ["holdout"]
    print(f"\n{'config':<28}" + "".join(f"{name:>26}" for name in names))
    for config, by_sample in results.items():
        cells = []
        for name in names:
            rows = by_sample[name]
            right = sum(ok for _, ok, _ in rows)
            cells.append(f"{right}/{len(rows)} {right / len(rows):.1%}")
        print(f"{config.name:<28}" + "".join(f"{cell:>26}" for cell in cells))
    if args.misses and len(configs) > 1:
        print("\nQuestions the configs disagree on (sample | question | predicted per config):")
        for name in names:
            for index, (text, _, _) in enumerate(results[configs[0]][name]):
                outcomes = [results[config][name][index] for config in configs]
                if len({ok for _, ok, _ in outcomes}) > 1:
                    verdicts = " | ".join(f"{'+' if ok else '-'}{predicted}" for _, ok, predicted in outcomes)
                    print(f"  {name} | {text} | {verdicts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
