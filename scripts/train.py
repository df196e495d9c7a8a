"""Trains the Rasa model only when its inputs changed: `python -m scripts.train`.

The model file is named by a hash of config.yml, domain/, data/ and the dependency lock, so a
second run (or a test run) with the same inputs reuses it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_PREFIX = "bankbot-"
KEEP_MODELS = 3
INPUTS = (
    "config.yml", "domain", "data", "rasa_components", "bot/text", "requirements/lock.txt"
)  # fmt: skip


def _input_files() -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def inputs_hash() -> str:
    """A hash of everything the trained model depends on."""
    digest = hashlib.sha256()
    for path in _input_files():
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(b"\0")
        content = path.read_bytes()
        if path.suffix == ".txt" and path.parent.name == "requirements":
            # Only the pins matter, not the comments.
            content = b"\n".join(
                line for line in content.splitlines() if not line.startswith(b"#")
            )
        digest.update(content)
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    """Where the model for the current inputs lives (it may not exist yet)."""
    return MODELS_DIR / f"{MODEL_PREFIX}{inputs_hash()}.tar.gz"


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
    if target.exists():
        if not quiet:
            print(f"Rasa model is up to date: {target.relative_to(ROOT)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    log_dir = ROOT / "var" / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "train.log"
    rasa = Path(sys.executable).with_name("rasa")
    command = [
        str(rasa), "train",
        "--config", "config.yml", "--domain", "domain", "--data", "data",
        "--out", str(MODELS_DIR), "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
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
    return target


if __name__ == "__main__":
    if sys.argv[1:] == ["--path"]:
        print(model_path())
    else:
        ensure_model()
