"""Rasa's own starter bot (`rasa init --no-prompt`) as the reference for `make benchmark`.

The project is built and trained once per Rasa version in var/bench/starter-<version>/ (a few
minutes the first time), then reused. It is served like our Rasa (`rasa run --enable-api`, REST
channel, loopback, an auth token) with the starter's own endpoints: in-memory tracker and lock
store, no event broker, no action server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import httpx

from scripts.stack import ROOT, free_port

CACHE_DIR = ROOT / "var" / "bench"
RASA = Path(sys.executable).with_name("rasa")

# What the starter bot understands (its greet / mood / bot-challenge / goodbye stories), cycled
# like our customer turns.
TURNS = [
    "hello",
    "I am sad",
    "yes",
    "great, thanks",
    "are you a bot?",
    "good morning",
    "I am feeling very unhappy",
    "no",
    "perfect",
    "bye",
]


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }


def project_dir() -> Path:
    """Where the starter project for the installed Rasa version lives (cache key: the version)."""
    return CACHE_DIR / f"starter-{version('rasa')}"


def ensure_starter(*, quiet: bool = False) -> Path:
    """Returns the starter project's trained model, building the project first if needed."""
    project = project_dir()
    models = sorted((project / "models").glob("*.tar.gz"))
    if models:
        return models[-1]
    building = project.with_name(project.name + f".building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    log = building.with_suffix(".log")
    if not quiet:
        print(f"Building Rasa's starter bot once in {project} (rasa init, a few minutes)...")
    started = time.monotonic()
    with log.open("w") as output:
        result = subprocess.run(
            [str(RASA), "init", "--no-prompt", "--init-dir", str(building)],
            cwd=building,
            env=_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0 or not list((building / "models").glob("*.tar.gz")):
        raise RuntimeError(f"rasa init failed (exit {result.returncode}); see {log}")
    shutil.rmtree(project, ignore_errors=True)
    building.rename(project)
    log.unlink(missing_ok=True)
    if not quiet:
        print(f"Starter bot trained in {time.monotonic() - started:.0f} s.")
    return sorted((project / "models").glob("*.tar.gz"))[-1]


class StarterServer:
    """`rasa run --enable-api` serving the starter model from its own project folder."""

    def __init__(self, model: Path, log_dir: Path) -> None:
        self.model, self.port, self.token = model, free_port(), uuid.uuid4().hex
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / "starter.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 300.0) -> None:
        project = self.model.parent.parent
        command = [
            str(RASA),
            "run",
            "--enable-api",
            "--model",
            str(self.model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--auth-token",
            self.token,
            "--endpoints",
            str(project / "endpoints.yml"),
            "--credentials",
            str(project / "credentials.yml"),
        ]
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                command,
                cwd=project,
                env=_env(),
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the starter bot exited; see {self.log}")
                try:
                    if client.get(f"{self.url}/status?token={self.token}", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the starter bot was not ready after {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
