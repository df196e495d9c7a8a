"""The production topology as real processes on loopback: what `make cluster-test` drives.

PostgreSQL (application database and Rasa's tracker store), Redis (Rasa's lock store and the API's
real-time fan-out) and RabbitMQ (Rasa's event broker) are this machine's servers; everything of
ours runs as its own process: N action servers, N Rasa servers, N API replicas, the RabbitMQ
transcript consumer, and Debian's nginx in front with deploy/nginx/bankbot-locations.conf (the
compose file's locations). nginx also balances the API's calls to Rasa and Rasa's calls to the
action servers, as Kubernetes Services do.

Each run gets its own databases, RabbitMQ user and queue and Redis key prefix, removed at the end.
The processes are configured as production (APP_ENV=production, JSON logs, secrets set, no demo).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.db import build_engine

from . import migrate
from .stack import BIN, ROOT, api_command, free_port

NGINX = Path(os.environ.get("NGINX", "/usr/sbin/nginx"))
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)


class ClusterError(RuntimeError):
    """A part of the cluster could not be set up or did not come up in time."""


@dataclass
class Process:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    health: str | None = None  # URL answering 200 once ready
    popen: subprocess.Popen | None = None
    killed_at: float | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kills the whole process group (uvicorn, sanic and nginx have children)."""
        if self.running:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
        self.killed_at = time.monotonic()

    def stop(self, grace: float = 15.0) -> None:
        if not self.running:
            return
        self.kill(signal.SIGTERM)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.popen.wait(timeout=grace)

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _admin_execute(statement: str) -> None:
    engine = build_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _rabbitmqctl(*args: str) -> None:
    result = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ClusterError(f"rabbitmqctl {args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")


@dataclass
class ClusterConfig:
    rasa: int = 2
    actions: int = 2
    api: int = 2
    model: Path | None = None  # None: no Rasa and no action servers (the proxy smoke test)
    work_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)


class Cluster:
    """Starts the topology with `start()`, stops it and removes what it created with `stop()`."""

    def __init__(self, config: ClusterConfig):
        self.config = config
        self.run_id = uuid.uuid4().hex[:10]
        self.work = config.work_dir or Path(tempfile.mkdtemp(prefix="bankbot-cluster-"))
        self.logs = self.work / "log"
        self.processes: dict[str, Process] = {}
        self.app_db = f"bankbot_cluster_{self.run_id}"
        self.tracker_db = f"bankbot_cluster_tracker_{self.run_id}"
        self.queue = f"bankbot_cluster_{self.run_id}"
        self.rabbitmq_user = f"bankbot_cluster_{self.run_id}"
        self.rabbitmq_password = secrets.token_hex(16)
        self.rasa_token = secrets.token_hex(24)
        # Made once: every process, and a job started later (the reconcile), must share them.
        self.case_encryption_key = _fernet_key()
        self.secrets = {
            "CUSTOMER_IDENTITY_SECRET": secrets.token_hex(32),
            "CASE_ENCRYPTION_KEY": self.case_encryption_key,
            "METRICS_TOKEN": secrets.token_hex(32),
            "ACTION_SERVER_TOKEN": secrets.token_hex(32),
            "RASA_METADATA_SECRET": secrets.token_hex(32),
        }
        self.proxy_port = free_port()
        self.rasa_proxy_port = free_port()
        self.actions_proxy_port = free_port()
        self.created: list[str] = []

    # --- addresses -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The public door: nginx in front of the API replicas."""
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def app_database_url(self) -> str:
        return make_url(POSTGRES_ADMIN_URL).set(database=self.app_db).render_as_string(hide_password=False)

    @property
    def tracker_database_url(self) -> str:
        return (
            make_url(POSTGRES_ADMIN_URL).set(database=self.tracker_db).render_as_string(hide_password=False)
        )

    def names(self, kind: str) -> list[str]:
        return [name for name in self.processes if name.startswith(f"{kind}-")]

    # --- environment -----------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        admin = make_url(POSTGRES_ADMIN_URL)
        env = dict(os.environ)
        env.update(
            {
                "RASA_TELEMETRY_ENABLED": "false",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                "PYTHONUNBUFFERED": "1",
                "PYTHONWARNINGS": "ignore::DeprecationWarning",
                "PYTHONPATH": str(ROOT),
                "SANIC_HOST": "127.0.0.1",
                "APP_ENV": "production",
                "DEMO_MODE": "false",
                "APP_LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
                "VAR_DIR": str(self.work / "var"),
                "DATABASE_URL": self.app_database_url,
                "RASA_URL": f"http://127.0.0.1:{self.rasa_proxy_port}",
                "RASA_TOKEN": self.rasa_token,
                "ACTION_SERVER_URL": f"http://127.0.0.1:{self.actions_proxy_port}/webhook",
                "TRACKER_DB_HOST": admin.host or "127.0.0.1",
                "TRACKER_DB_PORT": str(admin.port or 5432),
                "TRACKER_DB_USER": admin.username or "postgres",
                "TRACKER_DB_PASSWORD": admin.password or "",
                "TRACKER_DB_NAME": self.tracker_db,
                "TRACKER_LOGIN_DB": admin.database or "postgres",
                "REDIS_HOST": REDIS[0],
                "REDIS_PORT": str(REDIS[1]),
                "REDIS_DB": "0",
                # Alphanumeric: Rasa ignores any other prefix (and uses "lock:").
                "REDIS_KEY_PREFIX": f"bankbotcluster{self.run_id}",
                "REALTIME_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
                "RABBITMQ_HOST": RABBITMQ[0],
                "RABBITMQ_PORT": str(RABBITMQ[1]),
                "RABBITMQ_USER": self.rabbitmq_user,
                "RABBITMQ_PASSWORD": self.rabbitmq_password,
                "RABBITMQ_QUEUE": self.queue,
                "TRANSCRIPTS_IN_API": "false",
                # Only nginx (on loopback) may set X-Forwarded-For.
                "TRUSTED_PROXIES": "127.0.0.1",
                **self.secrets,
                "CHAT_ALLOWED_ORIGINS": "https://www.example-bank.cn",
                # Production refuses the demo bank's values; these are a test bank's (not a real line).
                "BANK_NAME": "集群测试银行",
                "BANK_HOTLINE": "+86-000-0000",
                "BANK_FRAUD_LINE": "+86-000-0001",
                "BANK_WEBSITE": "https://bank.test",
                # Rasa's conversation lock outlives a crashed holder by this much (README "Deploying").
                "TICKET_LOCK_LIFETIME": "20",
            }
        )
        env.update(self.config.extra_env)
        return env

    # --- set-up and tear-down --------------------------------------------------------------------
    def _prepare_services(self) -> None:
        if not NGINX.exists():
            raise ClusterError(
                f"{NGINX} is missing: run scripts/ensure_nginx.sh (apt-get install nginx-light)"
            )
        _admin_execute(f'CREATE DATABASE "{self.app_db}"')
        self.created.append("app_db")
        _admin_execute(f'CREATE DATABASE "{self.tracker_db}"')
        self.created.append("tracker_db")
        migrate.upgrade(self.app_database_url)
        # A user of its own: production refuses RabbitMQ's default guest/guest.
        _rabbitmqctl("add_user", self.rabbitmq_user, self.rabbitmq_password)
        self.created.append("rabbitmq_user")
        _rabbitmqctl("set_permissions", "-p", "/", self.rabbitmq_user, ".*", ".*", ".*")

    def _nginx_conf(self) -> Path:
        def upstream(name: str, kind: str, extra: str = "") -> str:
            servers = (
                "".join(
                    f"        server 127.0.0.1:{self.ports[n]} max_fails=1 fail_timeout=5s;\n"
                    for n in self.names(kind)
                )
                or "        server 127.0.0.1:9 down;\n"
            )
            return f"    upstream {name} {{\n{servers}{extra}    }}\n"

        temp = self.work / "nginx"
        temp.mkdir(exist_ok=True)
        # nginx's workers run as nobody when started by root: they must reach their temp folders.
        self.work.chmod(0o711)
        temp.chmod(0o777)
        internal = """        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
            proxy_read_timeout 60s;
        }}"""
        keepalive = "        keepalive 16;\n"
        upstreams = "".join(
            upstream(name, kind, keepalive)
            for name, kind in (
                ("bankbot_api", "api"),
                ("bankbot_rasa", "rasa"),
                ("bankbot_actions", "actions"),
            )
        )
        conf = f"""worker_processes 1;
pid {temp}/nginx.pid;
error_log {self.logs}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    log_format upstream '$remote_addr [$time_local] "$request" $status $upstream_addr $request_time';
    access_log {self.logs}/nginx-access.log upstream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server_tokens off;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
{upstreams}
    server {{
        listen 127.0.0.1:{self.proxy_port};
        include {ROOT}/deploy/nginx/bankbot-locations.conf;
    }}
    server {{
        listen 127.0.0.1:{self.rasa_proxy_port};
{internal.format(upstream="bankbot_rasa")}
    }}
    server {{
        listen 127.0.0.1:{self.actions_proxy_port};
{internal.format(upstream="bankbot_actions")}
    }}
}}
"""
        path = temp / "nginx.conf"
        path.write_text(conf)
        return path

    def _define(self) -> None:
        env = self.environment()
        self.ports: dict[str, int] = {}
        config = self.config
        if config.model is not None:
            for i in range(1, config.actions + 1):
                name, port = f"actions-{i}", free_port()
                self.ports[name] = port
                self._add(
                    name,
                    # APP_LOG_FORMAT=json, as the action server image runs it.
                    [
                        str(BIN / "python"),
                        "-m",
                        "rasa_sdk_plugins.json_logs",
                        "--port",
                        str(port),
                        "--actions",
                        "actions",
                    ],
                    env,
                    f"http://127.0.0.1:{port}/health",
                )
            for i in range(1, config.rasa + 1):
                name, port = f"rasa-{i}", free_port()
                self.ports[name] = port
                # APP_LOG_FORMAT=json, as the Rasa image's entrypoint runs it.
                self._add(
                    name,
                    [
                        str(BIN / "python"),
                        "-m",
                        "rasa_components.json_logging",
                        "run",
                        "--enable-api",
                        "--interface",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--auth-token",
                        self.rasa_token,
                        "--model",
                        str(config.model),
                        "--endpoints",
                        str(ROOT / "endpoints.production.yml"),
                        "--credentials",
                        str(ROOT / "credentials.yml"),
                    ],
                    env,
                    f"http://127.0.0.1:{port}/status?token={self.rasa_token}",
                )
        for i in range(1, config.api + 1):
            name, port = f"api-{i}", free_port()
            self.ports[name] = port
            self._add(name, api_command(port), env, f"http://127.0.0.1:{port}/livez")
        self._add("consumer", [str(BIN / "python"), "-m", "scripts.transcripts", "consume-rabbitmq"], env)
        conf = self._nginx_conf()
        self._add(
            "nginx",
            [
                str(NGINX),
                "-e",
                str(self.logs / "nginx-error.log"),
                "-p",
                str(conf.parent),
                "-c",
                str(conf),
                "-g",
                "daemon off;",
            ],
            env,
            f"{self.url}/livez",
        )

    def _add(self, name: str, command: list[str], env: dict[str, str], health: str | None = None) -> None:
        # SERVICE_NAME names the process in its JSON log lines (bot/logs.py).
        env = {**env, "SERVICE_NAME": name}
        self.processes[name] = Process(name, command, env, self.logs / f"{name}.log", health)

    def start(self, timeout: float = 600.0) -> float:
        """Starts everything and waits until each process answers; returns the seconds it took."""
        started = time.monotonic()
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare_services()
            self._define()
            for process in self.processes.values():
                process.start()
            self.wait_healthy(timeout)
            self.wait_ready(timeout - (time.monotonic() - started))
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - started

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = {name: p for name, p in self.processes.items() if p.health}
        with httpx.Client(timeout=5) as client:
            while pending:
                for name, process in list(pending.items()):
                    if not process.running:
                        raise ClusterError(f"{name} exited ({process.popen.returncode}):\n{process.tail()}")
                    try:
                        if client.get(process.health).status_code == 200:
                            del pending[name]
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    raise ClusterError(
                        f"not up after {timeout:.0f} s: {', '.join(pending)}; logs in {self.logs}"
                    )
                if pending:
                    time.sleep(0.5)
        for name in ("consumer",):
            if not self.processes[name].running:
                raise ClusterError(f"{name} exited:\n{self.processes[name].tail()}")

    def wait_ready(self, timeout: float) -> None:
        """Every API replica's /readyz (database and, with a model, Rasa through the proxy)."""
        if self.config.model is None:
            return
        deadline = time.monotonic() + max(timeout, 30)
        with httpx.Client(timeout=10) as client:
            for name in self.names("api"):
                url = f"http://127.0.0.1:{self.ports[name]}/readyz"
                while True:
                    try:
                        if client.get(url).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        raise ClusterError(f"{name} not ready: {url}")
                    time.sleep(0.5)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """SIGKILL by default: a crash, not a graceful stop (SIGTERM is what a rolling update sends)."""
        self.processes[name].kill(sig)

    def stop(self) -> None:
        """Stops every process, then removes the databases, the RabbitMQ user and queue."""
        for name in ("nginx", *[n for n in self.processes if n != "nginx"]):
            if name in self.processes:
                self.processes[name].stop()
        if "rabbitmq_user" in self.created:
            _delete_queue(self.queue)
            try:
                _rabbitmqctl("delete_user", self.rabbitmq_user)
            except ClusterError as exc:
                print(f"warning: {exc}", file=sys.stderr)
        for key, database in (("app_db", self.app_db), ("tracker_db", self.tracker_db)):
            if key in self.created:
                _admin_execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.created.clear()

    def remove_work_dir(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _delete_queue(queue: str) -> None:
    result = subprocess.run(
        ["rabbitmqctl", "delete_queue", queue], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0 and "not_found" not in (result.stdout + result.stderr):
        print(f"warning: could not delete the queue {queue}: {result.stderr.strip()}", file=sys.stderr)
