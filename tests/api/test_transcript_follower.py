"""The transcript follower (`python -m scripts.transcripts follow`), the process `make run` starts
so that the copy for the analysts never holds up the API's answers: it copies Rasa's SQL broker
round after round while Rasa goes on publishing, stops cleanly on SIGTERM, and the stack hands
the copy to it (the API then leaves it alone) unless TRANSCRIPTS_IN_API says who copies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from api import maintenance
from bot.db import build_engine, build_session_factory
from bot.transcripts.models import TranscriptMessage
from scripts.migrate import upgrade
from scripts.stack import ROOT, Stack, StackConfig
from tests.api.test_transcript_rounds import _publish_turns


def _messages(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(TranscriptMessage))


def _wait_for(condition, what: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Waits for a condition (not for a time): a busy machine only makes it slower."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the follower exited ({process.returncode}) before {what}:\n{process.stdout.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {timeout:.0f} s")
        time.sleep(0.1)


def test_the_follower_copies_round_after_round_and_stops_on_sigterm(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    engine = build_engine(url)
    factory = build_session_factory(engine)
    events_db = tmp_path / "rasa_events.db"
    _publish_turns(events_db, conversations=2, turns=3)  # 12 messages before it starts
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RASA_EVENTS_DB": str(events_db),
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    follower = subprocess.Popen(
        [sys.executable, "-m", "scripts.transcripts", "follow", "--interval", "0.2", "--nice", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: _messages(factory) == 12, "copy of the first turns", follower)
        assert os.getpriority(os.PRIO_PROCESS, follower.pid) >= 5  # customers' turns come first
        _publish_turns(events_db, conversations=1, turns=2)  # Rasa goes on publishing
        _wait_for(lambda: _messages(factory) == 16, "copy of the later turns", follower)
        follower.send_signal(signal.SIGTERM)
        output, _ = follower.communicate(timeout=60)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert follower.returncode == 0, output
    assert "stored 16 messages" in output
    # it gave its lease up on the way out: a new follower copies at once, not a lease later
    assert maintenance.hold_lease(factory, "next-follower", 30, "transcripts")
    engine.dispose()


def _config(tmp_path, **extra_env) -> StackConfig:
    return StackConfig(model=tmp_path / "model.tar.gz", var_dir=tmp_path, extra_env=extra_env)


def test_the_stack_runs_the_follower_and_tells_the_api_to_leave_the_copy_to_it(tmp_path, monkeypatch):
    monkeypatch.delenv("TRANSCRIPTS_IN_API", raising=False)
    stack = Stack(_config(tmp_path))
    assert stack._commands()["transcripts"][-6:] == [
        "scripts.transcripts",
        "follow",
        "--interval",
        "5",
        "--nice",
        "10",
    ]
    assert stack.config.environment()["TRANSCRIPTS_FOLLOWER"] == "true"

    from bot.config import load_settings

    for name, value in stack.config.environment().items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.transcripts_in_api and settings.transcripts_follower
    assert not settings.rabbitmq_configured  # the embedded broker: no RabbitMQ credentials asked for


@pytest.mark.parametrize("chosen", ["true", "false"])
def test_an_explicit_transcripts_in_api_keeps_its_meaning_and_no_follower_runs(tmp_path, monkeypatch, chosen):
    monkeypatch.delenv("TRANSCRIPTS_IN_API", raising=False)
    stack = Stack(_config(tmp_path, TRANSCRIPTS_IN_API=chosen))
    assert "transcripts" not in stack._commands()  # true: the API copies; false: RabbitMQ's consumer
    assert "TRANSCRIPTS_FOLLOWER" not in stack.config.environment()
