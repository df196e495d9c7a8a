"""Trains the Rasa model only when its inputs changed: `python -m scripts.train`.

The model file is named by a hash of config.yml, domain.yml, data/, the custom components and the
dependency lock, so a second run (or a test run) with the same inputs reuses it.

The entity pipeline (spaCy: bot/entities) is built first, into `models/spacy/bank_entities-<hash
of its inputs>/`, next to the Rasa models. config.yml names it `models/spacy/bank_entities`; the
training config written to var/ carries the versioned directory instead, so the trained model
loads exactly the pipeline it was trained with, and Rasa's training cache (whose fingerprint of
SpacyNLP is only this name) sees a new name whenever the patterns change.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_PREFIX = "bankbot-"
KEEP_MODELS = 3
INPUTS = (
    "config.yml",
    "domain.yml",
    # Training data, the jieba dictionary and our word vectors (data/vectors/word_vectors.npz,
    # built by scripts/build_word_vectors.py from the corpora, which a fresh clone does not need).
    "data",
    "rasa_components",
    "bot/text",
    "bot/entities",
    "bot/scope",
    # The fragment rule's word lists (its lexicon is computed at training time) and the reading of
    # several questions in one message, both used by pipeline components.
    "bot/fragments",
    # The grievance markers (bot/grievance/markers.yml), read by a pipeline component.
    "bot/grievance",
    "bot/faq/several.py",
    # The FAQ catalog and its rules, not the answers (bot/faq/answers): those are read at run time.
    "bot/faq/catalog.yml",
    "bot/faq/catalog.py",
    "bot/faq/rules.py",
    "bot/suitability/products.yml",
    "requirements/lock.txt",
)
CONFIG_FILE = "config.yml"
ENTITY_PIPELINE_DIR = MODELS_DIR / "spacy"
ENTITY_PIPELINE_PLACEHOLDER = "models/spacy/bank_entities"
ENTITY_PIPELINE_INPUTS = (
    "data/entities",
    "data/dictionary",
    "bot/entities",
    "bot/suitability/products.yml",
    "bot/text/normalize.py",
    "requirements/lock.txt",
)


def _input_files(inputs: tuple[str, ...] = INPUTS) -> list[Path]:
    files: list[Path] = []
    for name in inputs:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def inputs_hash(inputs: tuple[str, ...] = INPUTS) -> str:
    """A hash of everything the trained model (or the entity pipeline) depends on."""
    digest = hashlib.sha256()
    for path in _input_files(inputs):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(b"\0")
        content = path.read_bytes()
        if path.suffix == ".txt" and path.parent.name == "requirements":
            # Only the pins matter, not the comments.
            content = b"\n".join(line for line in content.splitlines() if not line.startswith(b"#"))
        digest.update(content)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return MODELS_DIR / f"{MODEL_PREFIX}{inputs_hash()}.tar.gz"


def entity_pipeline_path() -> Path:
    """Where the entity pipeline for the current inputs lives (it may not exist yet)."""
    return ENTITY_PIPELINE_DIR / f"bank_entities-{inputs_hash(ENTITY_PIPELINE_INPUTS)}"


def ensure_entity_pipeline(*, quiet: bool = False) -> Path:
    """Returns the entity pipeline directory for the current inputs, building it if needed
    (a few seconds; built in a temporary directory and renamed, so a half-written one is never
    used)."""
    target = entity_pipeline_path()
    if not target.exists():
        from bot.entities.pipeline import build_pipeline, save_pipeline

        started = time.monotonic()
        ENTITY_PIPELINE_DIR.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        save_pipeline(build_pipeline(), partial)
        try:
            partial.rename(target)
        except OSError:  # built at the same time by another process
            shutil.rmtree(partial, ignore_errors=True)
        if not quiet:
            print(
                f"Built the entity pipeline {target.relative_to(ROOT)} in {time.monotonic() - started:.0f} s"
            )
    os.utime(target)  # the pipelines used most recently are the ones kept
    return target


def training_config(pipeline: Path | None = None, source: str | Path = CONFIG_FILE) -> Path:
    """A pipeline config (config.yml by default) with the versioned entity pipeline in place of
    its placeholder, written to var/."""
    pipeline = pipeline or ensure_entity_pipeline(quiet=True)
    source = Path(source) if Path(source).is_absolute() else ROOT / source
    text = source.read_text(encoding="utf-8")
    if ENTITY_PIPELINE_PLACEHOLDER not in text:
        raise SystemExit(f"{source.name} no longer names {ENTITY_PIPELINE_PLACEHOLDER} for SpacyNLP")
    relative = pipeline.relative_to(ROOT).as_posix()
    out = ROOT / "var" / f"{source.stem}-{pipeline.name}.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text.replace(ENTITY_PIPELINE_PLACEHOLDER, relative), encoding="utf-8")
    return out


def _prune_old_entity_pipelines(keep: Path) -> None:
    pipelines = sorted(
        (p for p in ENTITY_PIPELINE_DIR.glob("bank_entities-*") if p.is_dir() and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in pipelines[KEEP_MODELS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def _prune_old_models(keep: Path) -> None:
    models = sorted(
        (p for p in MODELS_DIR.glob(f"{MODEL_PREFIX}*.tar.gz") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in models[KEEP_MODELS - 1 :]:
        old.unlink(missing_ok=True)


def ensure_model(*, quiet: bool = False) -> Path:
    """Returns the model for the current inputs, training it first if it does not exist."""
    target = model_path()
    pipeline = ensure_entity_pipeline(quiet=quiet)
    if target.exists():
        if not quiet:
            print(f"Rasa model is up to date: {target.relative_to(ROOT)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    config = training_config(pipeline)
    log_dir = ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "train.log"
    rasa = Path(sys.executable).with_name("rasa")
    command = [
        str(rasa),
        "train",
        "--config",
        str(config.relative_to(ROOT)),
        "--domain",
        "domain.yml",
        "--data",
        "data",
        "--out",
        str(MODELS_DIR),
        "--fixed-model-name",
        target.name.removesuffix(".tar.gz"),
    ]
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONPATH": str(ROOT),  # custom components in rasa_components/
    }
    print(f"Training the Rasa model (inputs changed; usually 1-2 minutes). Log: {log_file.relative_to(ROOT)}")
    started = time.monotonic()
    next_report = 15
    with log_file.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        while process.poll() is None:
            time.sleep(1)
            elapsed = time.monotonic() - started
            if elapsed >= next_report:
                print(f"  ... still training ({next_report} s)", flush=True)
                next_report += 15
    if process.returncode != 0 or not target.exists():
        tail = log_file.read_text(errors="replace").splitlines()[-30:]
        print("\n".join(tail), file=sys.stderr)
        raise SystemExit(f"rasa train failed (exit {process.returncode}); see {log_file}")
    print(f"Trained {target.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    _prune_old_models(target)
    _prune_old_entity_pipelines(pipeline)
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--path"]:
        print(model_path())
    elif sys.argv[1:] == ["--config"]:
        print(training_config().relative_to(ROOT))
    else:
        ensure_model()
