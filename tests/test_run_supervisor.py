"""The run command's supervisor restarts a process that died, with back-off, and leaves the
others running (the processes are real, short-lived Python children)."""

from __future__ import annotations

import sys
import time

from scripts.run import Supervisor
from scripts.stack import Stack, StackConfig


class TinyStack(Stack):
    """The stack's own start/exited/restart machinery around children that just sleep (or die)."""

    def __init__(self, tmp_path, commands):
        super().__init__(StackConfig(model=tmp_path / "no-model", var_dir=tmp_path))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._tiny = commands
        for name in commands:
            self._spawn(name, mode="w")

    def _commands(self):
        return self._tiny


def test_a_process_that_dies_is_restarted_with_back_off_and_the_others_keep_running(tmp_path, capsys):
    stack = TinyStack(
        tmp_path,
        {
            "rasa": [sys.executable, "-c", "print('dying'); raise SystemExit(3)"],
            "api": [sys.executable, "-c", "import time; time.sleep(120)"],
        },
    )
    api_pid = stack.processes["api"].pid
    supervisor = Supervisor(stack)
    try:
        restarts = []
        deadline = time.monotonic() + 60
        while len(restarts) < 2 and time.monotonic() < deadline:
            before = stack.processes["rasa"].pid
            supervisor.tick(time.monotonic())
            if stack.processes["rasa"].pid != before:
                restarts.append(time.monotonic())
            time.sleep(0.05)
        assert len(restarts) == 2, capsys.readouterr().err
        assert stack.processes["api"].pid == api_pid and stack.processes["api"].poll() is None
        assert supervisor.delays["rasa"] == 2.0  # 1 s, then 2 s: back-off
        err = capsys.readouterr().err
        assert "The rasa process stopped unexpectedly (exit code 3); restarting it in 1 s" in err
        assert "dying" in err  # the log's last lines say why
        assert stack.log_path("rasa").read_text().count("restarted by the run command") == 2
    finally:
        stack.stop(grace=5)
