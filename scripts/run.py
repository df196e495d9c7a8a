"""`make run`: starts the action server, the Rasa server, the API and the transcript follower;
Ctrl-C stops them all.
A process that dies is restarted with back-off; the others keep running."""

from __future__ import annotations

import signal
import sys
import time

from bot.config import ConfigurationError, load_settings
from bot.security import UnsafeConfiguration, check_configuration

from . import migrate
from .demo import seed_demo
from .stack import Stack, StackConfig, StackError
from .train import ensure_model


def main() -> int:
    try:
        settings = load_settings()
    except ConfigurationError as exc:  # e.g. TRANSCRIPTS_IN_API=maybe
        print(f"Not starting: {exc}", file=sys.stderr)
        return 1
    try:
        check_configuration(settings)  # APP_ENV=production: no demo or unsafe default
    except UnsafeConfiguration as exc:
        print(f"Not starting: {exc}", file=sys.stderr)
        return 1
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    print("Applying database migrations...")
    try:
        migrate.upgrade(settings.database_url)
    except Exception as exc:  # any failure here means the product cannot start
        print(f"Database migrations failed: {exc}", file=sys.stderr)
        return 1
    if settings.demo_mode:
        seed_demo(settings.database_url)
    model = ensure_model()
    config = StackConfig(
        model=model,
        var_dir=settings.var_dir,
        api_port=settings.api_port,
        rasa_port=settings.rasa_port,
        action_port=settings.action_port,
        database_url=settings.database_url,
        ws_max_bytes=settings.ws_max_bytes,
    )
    if settings.rasa_token:
        config.rasa_token = settings.rasa_token
    stack = Stack(config)
    stopping = False

    def request_stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    print("Starting the action server, the Rasa server and the API (loading the model takes ~20 s)...")
    try:
        stack.start()
    except StackError as exc:
        print(f"Could not start: {exc}", file=sys.stderr)
        return 1
    print()
    print(f"  Bank site:   {stack.api_url}/       (mock bank page with the chat widget)")
    print(f"  Chat page:   {stack.api_url}/chat")
    print(f"  Staff cases: {stack.api_url}/staff")
    print(f"  Agent desk:  {stack.api_url}/agent")
    print(f"  Analysts:    {stack.api_url}/analyst")
    print(f"  Answers:     {stack.api_url}/kb         (knowledge base: drafts, review, history)")
    print(f"  API docs:    {stack.api_url}/docs")
    print(f"  Health:      {stack.api_url}/healthz")
    print(f"  Logs:        {stack.log_dir}/{{{','.join(stack.processes)}}}.log")
    print()
    print("Press Ctrl-C to stop.", flush=True)
    supervisor = Supervisor(stack)
    while not stopping:
        time.sleep(0.5)
        supervisor.tick(time.monotonic())
    print("\nStopping all the processes...")
    stack.stop()
    print("Stopped.")
    return 0


class Supervisor:
    """Restarts a process that died, with back-off (1, 2, 4 … 30 s), instead of stopping the
    other two: the API keeps storing messages while Rasa restarts, Rasa answers (without its
    actions) while the action server restarts. A process that then runs for STABLE_SECONDS
    starts again from the shortest delay."""

    FIRST_DELAY = 1.0
    MAX_DELAY = 30.0
    STABLE_SECONDS = 60.0

    def __init__(self, stack: Stack):
        self.stack = stack
        self.delays: dict[str, float] = {}
        self.due: dict[str, float] = {}
        self.started: dict[str, float] = {name: time.monotonic() for name in stack.processes}

    def tick(self, now: float) -> None:
        for name, code in self.stack.exited().items():
            if name in self.due:
                if now >= self.due[name]:
                    del self.due[name]
                    print(f"Restarting the {name} process...", flush=True)
                    self.stack.restart(name)
                    self.started[name] = now
                continue
            if now - self.started.get(name, now) >= self.STABLE_SECONDS:
                self.delays.pop(name, None)
            delay = self.delays.get(name, self.FIRST_DELAY / 2) * 2
            delay = min(delay, self.MAX_DELAY)
            self.delays[name] = delay
            self.due[name] = now + delay
            print(
                f"\nThe {name} process stopped unexpectedly (exit code {code}); restarting it in "
                f"{delay:.0f} s. Last lines of its log:\n{self.stack.log_tail(name)}",
                file=sys.stderr,
                flush=True,
            )


if __name__ == "__main__":
    sys.exit(main())
