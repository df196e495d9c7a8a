"""Custom Rasa NLU components (imported by Rasa through config.yml; never by bot/).

Importing this package also limits numpy's BLAS to one thread in the process that imports it (Rasa
loading the model, or training it). Our components multiply small matrices by one message's
features; OpenBLAS splits such a product over every core and its helper thread then *spins*
(`sched_yield`) waiting for work: under 20 concurrent conversations that thread kept the second
core 100 % busy, doubling Rasa's CPU per turn (29 → 14 ms) and starving the API and the action
server beside it (README "Turn cost", seventh session). Scaling is by Sanic workers and replicas,
never by BLAS threads. An operator who sets OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) explicitly
keeps that choice.
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger(__name__)

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads() -> int | None:
    """One BLAS thread unless the environment chose a number; returns the limit applied (None:
    the environment's choice stands)."""
    if any(os.environ.get(name) for name in BLAS_THREAD_VARIABLES):
        return None
    import numpy  # noqa: F401  (loads OpenBLAS: threadpoolctl limits only loaded libraries)
    from threadpoolctl import threadpool_limits

    # Used as a plain call, not a context manager: the limit stays for the process's life.
    threadpool_limits(limits=1, user_api="blas")
    logger.debug("BLAS limited to one thread")
    return 1


limit_blas_threads()
