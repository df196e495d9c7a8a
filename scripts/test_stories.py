"""Runs the Rasa test stories (tests/test_*.yml) against the current model; any wrong prediction
of an intent or an action fails the run. `python -m scripts.test_stories`.

All story files are tested in one `rasa test core` run (a folder of links to them), so the model
is loaded once instead of once per file (about a minute each on a busy two-core machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .train import ROOT, ensure_model


def main() -> int:
    model = ensure_model(quiet=True)
    story_files = sorted((ROOT / "tests").glob("test_*.yml"))
    if not story_files:
        print("no test stories found in tests/test_*.yml", file=sys.stderr)
        return 1
    out = ROOT / "var" / "story-results"
    folder = ROOT / "var" / "story-tests"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in story_files:
        (folder / path.name).symlink_to(path)
    names = ", ".join(str(p.relative_to(ROOT)) for p in story_files)
    print(f"rasa test core --fail-on-prediction-errors on {names}")
    rasa = Path(sys.executable).with_name("rasa")
    result = subprocess.run(
        [
            str(rasa),
            "test",
            "core",
            "--model",
            str(model),
            "--stories",
            str(folder),
            "--out",
            str(out),
            "--fail-on-prediction-errors",
            "--no-plot",
        ],
        cwd=ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        print(result.stdout[-4000:])
        print(result.stderr[-4000:], file=sys.stderr)
        failed = out / "failed_test_stories.yml"
        if failed.exists():
            print(failed.read_text()[-8000:])
        print(f"FAILED: wrong predictions are listed in {failed}")
        return 1
    summary = [line for line in result.stderr.splitlines() + result.stdout.splitlines() if "Correct:" in line]
    print(
        f"passed: {len(story_files)} story files"
        + (f" ({summary[0].split('Correct:')[1].strip()} stories)" if summary else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
