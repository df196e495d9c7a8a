"""Rasa's process keeps numpy's BLAS to one thread (rasa_components/__init__.py): OpenBLAS's helper
thread otherwise spins on the second core during every small matrix product of a turn, which
doubled Rasa's CPU per turn and starved the API and the action server beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import numpy, threadpoolctl
import rasa_components  # what Rasa imports when it loads our pipeline
print(max(pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"))
"""


def blas_threads(**env: str) -> int:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.strip())


def test_loading_our_components_leaves_blas_one_thread():
    assert blas_threads() == 1


def test_an_operators_explicit_choice_stands():
    assert blas_threads(OPENBLAS_NUM_THREADS="2") == 2
