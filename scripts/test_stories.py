"""Runs the Rasa test stories (tests/test_*.yml) against the current model; any wrong prediction
of an intent or an action fails the run. `python -m scripts.test_stories`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .train import ROOT, ensure_model


def main() -> int:
    model = ensure_model(quiet=True)
    story_files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_*.yml"))
    if not story_files:
        print("no test stories found in tests/test_*.yml", file=sys.stderr)
        return 1
    out = ROOT / "var" / "story-results"
    rasa = Path(sys.executable).with_name("rasa")
    status = 0
    for stories in story_files:
        print(f"rasa test core --stories {stories} --fail-on-prediction-errors")
        result = subprocess.run(
            [
                str(rasa),
                "test",
                "core",
                "--model",
                str(model),
                "--stories",
                stories,
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
            print(f"FAILED: {stories} (wrong predictions are listed in {out}/failed_test_stories.yml)")
            status = 1
        else:
            print(f"passed: {stories}")
    return status


if __name__ == "__main__":
    sys.exit(main())
