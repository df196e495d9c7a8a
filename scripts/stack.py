"""Starts and stops the processes of the product: action server, Rasa server and API, and on the
embedded defaults the transcript follower (`python -m scripts.transcripts follow`, which copies
Rasa's SQL event broker into the analysts' transcript store in a process of its own).

Used by `make run` (scripts/run.py) and by the end-to-end tests, so both exercise one code path.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


# How often the stack's transcript follower copies Rasa's SQL broker (analysts see a turn then).
FOLLOW_INTERVAL_SECONDS = 5


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def api_command(port: int, ws_max_bytes: int = 65536) -> list[str]:
    """How the API is served: uvicorn on loopback, WebSocket frames limited to `ws_max_bytes`
    (WS_MAX_BYTES; uvicorn's own default is 16 MiB), no Server header."""
    return [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "api.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws-max-size",
        str(ws_max_bytes),
        "--no-server-header",
        # Forwarded headers are read by the app from TRUSTED_PROXIES only (api/operations.py).
        "--no-proxy-headers",
    ]


@dataclass
class StackConfig:
    """Where the processes listen and what they store; defaults are the embedded local run."""

    model: Path
    api_port: int = 8000
    rasa_port: int = 5005
    action_port: int = 5055
    var_dir: Path = ROOT / "var"
    database_url: str | None = None
    endpoints: Path = ROOT / "endpoints.yml"
    # Hex only: a urlsafe token may start with "-", which rasa's argument parser takes for an option.
    rasa_token: str = field(default_factory=lambda: secrets.token_hex(24))
    action_server_token: str = field(default_factory=lambda: secrets.token_hex(24))
    metadata_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    # uvicorn refuses WebSocket frames larger than this (WS_MAX_BYTES; its own default is 16 MiB).
    ws_max_bytes: int = 65536
    extra_env: dict[str, str] = field(default_factory=dict)
    # The transcript follower runs unless TRANSCRIPTS_IN_API is set (true: the API copies;
    # false: RabbitMQ and its consumer do) or this is False.
    transcript_follower: bool = True

    def runs_follower(self) -> bool:
        """Whether the stack starts the transcript follower (and the API leaves the copy to it)."""
        chosen = {**os.environ, **self.extra_env}.get("TRANSCRIPTS_IN_API", "").strip()
        return self.transcript_follower and not chosen

    def environment(self) -> dict[str, str]:
        """The environment every process of the stack shares."""
        env = dict(os.environ)
        env.update(
            {
                "RASA_TELEMETRY_ENABLED": "false",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
                "SANIC_HOST": "127.0.0.1",
                "API_PORT": str(self.api_port),
                "RASA_PORT": str(self.rasa_port),
                "ACTION_PORT": str(self.action_port),
                "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
                "RASA_TOKEN": self.rasa_token,
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.action_port}/webhook",
                "VAR_DIR": str(self.var_dir),
                "DATABASE_URL": self.database_url or f"sqlite:///{self.var_dir / 'app.db'}",
            }
        )
        # Rasa ↔ action server token and the API ↔ actions metadata secret: the operator's when
        # set (production requires them), else fresh ones for this run (nothing to keep).
        for name, generated in (
            ("ACTION_SERVER_TOKEN", self.action_server_token),
            ("RASA_METADATA_SECRET", self.metadata_secret),
        ):
            if not env.get(name):
                env[name] = generated
        env.setdefault("RASA_TRACKER_DB", str(self.var_dir / "rasa_tracker.db"))
        env.setdefault("RASA_EVENTS_DB", str(self.var_dir / "rasa_events.db"))
        env.update(self.extra_env)
        if self.runs_follower():
            env["TRANSCRIPTS_FOLLOWER"] = "true"
        return env


class StackError(RuntimeError):
    """A process of the stack failed to start or died."""


class Stack:
    """The running processes; `start()` returns once all three answer their health checks."""

    def __init__(self, config: StackConfig):
        self.config = config
        self.processes: dict[str, subprocess.Popen] = {}
        self.log_dir = config.var_dir / "log"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.config.api_port}"

    def _commands(self) -> dict[str, list[str]]:
        config = self.config
        commands = {
            "actions": [
                str(BIN / "rasa"),
                "run",
                "actions",
                "--port",
                str(config.action_port),
                "--actions",
                "actions",
            ],
            "rasa": [
                str(BIN / "rasa"),
                "run",
                "--enable-api",
                "--interface",
                "127.0.0.1",
                "--port",
                str(config.rasa_port),
                "--auth-token",
                config.rasa_token,
                "--model",
                str(config.model),
                "--endpoints",
                str(config.endpoints),
                "--credentials",
                str(ROOT / "credentials.yml"),
            ],
            "api": api_command(config.api_port, config.ws_max_bytes),
        }
        if config.runs_follower():
            # At nice 10: the copy for the analysts yields the CPU to customers' turns. Every
            # 5 s: small rounds as the turns come (a 30 s round was a burst of seconds of work).
            commands["transcripts"] = [
                str(BIN / "python"),
                "-m",
                "scripts.transcripts",
                "follow",
                "--interval",
                str(FOLLOW_INTERVAL_SECONDS),
                "--nice",
                "10",
            ]
        return commands

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, timeout: float = 240.0) -> None:
        config = self.config
        for name, port in (
            ("API", config.api_port),
            ("Rasa", config.rasa_port),
            ("action server", config.action_port),
        ):
            if port_in_use(port):
                raise StackError(f"port {port} for the {name} is already in use")
        config.var_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in self._commands():
            self._spawn(name, mode="w")
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def _spawn(self, name: str, mode: str = "a") -> None:
        log = self.log_path(name).open(mode)
        self.processes[name] = subprocess.Popen(
            self._commands()[name],
            cwd=ROOT,
            env=self.config.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: Ctrl-C is handled by us
        )
        log.close()

    def exited(self) -> dict[str, int]:
        """The processes that have stopped, with their exit codes."""
        return {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}

    def restart(self, name: str) -> None:
        """Starts one process again (its log continues)."""
        with self.log_path(name).open("a") as log:
            log.write(f"\n--- restarted by the run command at {time.strftime('%H:%M:%S')} ---\n")
        self._spawn(name)

    def log_tail(self, name: str, lines: int = 20) -> str:
        return "\n".join(self.log_path(name).read_text(errors="replace").splitlines()[-lines:])

    def _ready(self, client: httpx.Client) -> dict[str, bool]:
        config = self.config
        checks = {
            "actions": f"http://127.0.0.1:{config.action_port}/health",
            "rasa": f"http://127.0.0.1:{config.rasa_port}/status?token={config.rasa_token}",
            "api": f"{self.api_url}/healthz",
        }
        state = {}
        for name, url in checks.items():
            try:
                state[name] = client.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                state[name] = False
        return state

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                self.check_alive()
                if all(self._ready(client).values()):
                    return
                time.sleep(0.5)
            state = self._ready(client)
        waiting = ", ".join(name for name, ok in state.items() if not ok)
        raise StackError(f"not ready after {timeout:.0f} s: {waiting}; logs in {self.log_dir}")

    def check_alive(self) -> None:
        """Raises if a process has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                tail = self.log_path(name).read_text(errors="replace").splitlines()[-20:]
                raise StackError(f"{name} exited with code {process.returncode}:\n" + "\n".join(tail))

    def stop(self, grace: float = 15.0) -> None:
        """Asks every process to stop, then kills whatever is still running after `grace` seconds."""
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            remaining = max(0.1, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self.processes.clear()
