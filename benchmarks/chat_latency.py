"""Turn cost of the real stack against Rasa's own starter bot, in one run: `make benchmark`.

Starts, side by side on free loopback ports:
- Rasa's starter bot (`rasa init`, built once per Rasa version, benchmarks/starter_bot.py) with
  its default endpoints (in-memory tracker store);
- our stack in the embedded default (SQLite tracker store and event broker, endpoints.yml);
- our stack in the production topology when PostgreSQL, Redis and RabbitMQ answer
  (endpoints.production.yml: PostgreSQL tracker store, Redis lock store, RabbitMQ broker;
  SANIC_WORKERS=--rasa-workers Rasa workers, which the Redis lock store allows; the API on
  PostgreSQL with Redis pub/sub and --api-workers uvicorn workers).
Only one load runs at a time (the others idle), and with --rounds > 1 the targets take turns, so
they share the machine's conditions. Each target gets --messages messages over --concurrency
simultaneous conversations (no think time), straight to Rasa's REST channel and through the
public chat API, then --sequential messages of one conversation, one after the other.

Prints turns/s, p50/p95/p99, sequential p50, errors, the ratios our Rasa / starter bot and
API / our Rasa (turns/s), start-up times and each process's RSS, and the CPU time each of the
target's processes spent per turn (from /proc: unlike turns/s and latencies, it hardly depends on
what else the shared machine is doing). Only loopback traffic.
`--messages 200 --sequential 20` is a short run for a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from benchmarks.starter_bot import TURNS as STARTER_TURNS
from benchmarks.starter_bot import StarterServer, ensure_starter
from scripts import migrate
from scripts.stack import ROOT, Stack, StackConfig, free_port
from scripts.train import ensure_model

# Customer turns, cycled: greetings, FAQs, a follow-up, out of scope, a misunderstanding.
TURNS = [
    "你好",
    "银行卡丢了怎么办",
    "跨行转账多久到账",
    "那手续费呢",
    "信用卡怎么提额",
    "理财产品的风险等级是什么意思",
    "今天天气怎么样",
    "qwzx jkvb",
    "谢谢",
    "再见",
]

POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
# A load test from one address would trip the customer rate limits by design.
NO_RATE_LIMITS = {
    "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
    "RATE_LIMIT_IP_MESSAGES_PER_MINUTE": "0",
    "RATE_LIMIT_IP_SESSIONS_PER_HOUR": "0",
}


# --- memory ---------------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        one = todo.pop()
        found.append(one)
        try:
            for task in Path(f"/proc/{one}/task").iterdir():
                children = (task / "children").read_text().split()
                todo += [int(child) for child in children]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (MiB), from /proc."""
    total_kib = 0
    for one in _descendants(pid):
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total_kib / 1024


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and all its descendants have used so far, from /proc."""
    ticks = 0
    for one in _descendants(pid):
        try:
            stat = Path(f"/proc/{one}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


# --- load -----------------------------------------------------------------------------------


@dataclass
class Target:
    """One door to one bot: Rasa's REST channel or our public chat API."""

    label: str
    url: str
    door: str  # "rasa" or "api"
    turns: list[str]


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    sequential: list[float] = field(default_factory=list)
    problems: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    # CPU seconds per process of the target (Rasa, action server, API) over all its messages
    cpu: Counter[str] = field(default_factory=Counter)

    @property
    def errors(self) -> int:
        return sum(self.problems.values())

    @property
    def messages(self) -> int:
        return len(self.latencies)

    @property
    def turns_per_second(self) -> float:
        return self.messages / self.elapsed if self.elapsed else 0.0


async def _conversation(
    client: httpx.AsyncClient, target: Target, turns: int, latencies: list[float], problems: Counter[str]
) -> None:
    """One customer sending `turns` messages, each after the previous answer; failures counted by kind."""
    if target.door == "api":
        session = (await client.post("/api/chat/sessions")).json()
        path = f"/api/chat/{session['conversation_id']}/messages"
        headers = {"Authorization": f"Bearer {session['token']}"}
    else:
        path, headers, sender = "/webhooks/rest/webhook", {}, uuid.uuid4().hex
    for index in range(turns):
        message = target.turns[index % len(target.turns)]
        body = {"text": message} if target.door == "api" else {"sender": sender, "message": message}
        started = time.perf_counter()
        try:
            response = await client.post(path, json=body, headers=headers)
        except httpx.HTTPError as exc:
            latencies.append(time.perf_counter() - started)
            problems[type(exc).__name__] += 1
            continue
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            problems[f"HTTP {response.status_code}"] += 1
        elif not (response.json().get("replies") if target.door == "api" else response.json()):
            problems[f"no reply to {message!r}"] += 1


async def _load(target: Target, conversations: int, turns: int) -> tuple[list[float], Counter[str], float]:
    latencies: list[float] = []
    problems: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=conversations + 5, max_keepalive_connections=conversations + 5)
    async with httpx.AsyncClient(base_url=target.url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(
            *(_conversation(client, target, turns, latencies, problems) for _ in range(conversations))
        )
        elapsed = time.perf_counter() - started
    return latencies, problems, elapsed


def concurrent_load(target: Target, conversations: int, turns: int, figures: Figures) -> None:
    latencies, problems, elapsed = asyncio.run(_load(target, conversations, turns))
    figures.latencies += latencies
    figures.problems += problems
    figures.elapsed += elapsed


def sequential_load(target: Target, messages: int, figures: Figures) -> None:
    latencies, problems, _ = asyncio.run(_load(target, 1, messages))
    figures.sequential += latencies
    figures.problems += problems


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


# --- what runs ------------------------------------------------------------------------------


def _reachable(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=2).close()
        return True
    except OSError:
        return False


def production_unreachable() -> str | None:
    missing = [
        name for name, address in (("Redis", REDIS), ("RabbitMQ", RABBITMQ)) if not _reachable(address)
    ]
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception:  # any driver error means: not reachable here
        missing.insert(0, "PostgreSQL")
    return ", ".join(missing) + " unreachable" if missing else None


class PostgresDatabases:
    """Uniquely named, throw-away PostgreSQL databases (dropped on close)."""

    def __init__(self) -> None:
        self.admin = create_engine(POSTGRES_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
        self.names: list[str] = []

    def create(self) -> str:
        name = f"bankbot_bench_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.names.append(name)
        return name

    def url(self, name: str) -> str:
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with self.admin.connect() as connection:
            for name in self.names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def _delete_queue(queue: str) -> None:
    async def delete() -> None:
        import aio_pika

        connection = await aio_pika.connect(f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/")
        try:
            await (await connection.channel()).queue_delete(queue)
        finally:
            await connection.close()

    try:
        asyncio.run(delete())
    except Exception:  # clean-up only; the queue is uniquely named
        pass


def embedded_config(
    model: Path, var_dir: Path, endpoints: Path, transcripts_in_api: bool = False
) -> StackConfig:
    """The stack of `make run`: the transcript follower copies Rasa's SQL broker in its own
    process; with `transcripts_in_api` the API does it, as a bare API (uvicorn alone) would."""
    migrate.upgrade(f"sqlite:///{var_dir / 'app.db'}")
    return StackConfig(
        model=model,
        api_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        var_dir=var_dir,
        endpoints=endpoints,
        extra_env={**NO_RATE_LIMITS, **({"TRANSCRIPTS_IN_API": "true"} if transcripts_in_api else {})},
        transcript_follower=not transcripts_in_api,
    )


def production_config(
    model: Path, var_dir: Path, databases: PostgresDatabases, cleanup: ExitStack, args: argparse.Namespace
) -> StackConfig:
    tracker_db, app_db = databases.create(), databases.create()
    migrate.upgrade(databases.url(app_db))
    suffix = uuid.uuid4().hex[:8]
    queue = f"bankbot_bench_{suffix}"
    cleanup.callback(_delete_queue, queue)
    return StackConfig(
        model=model,
        api_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        var_dir=var_dir,
        database_url=databases.url(app_db),
        endpoints=ROOT / "endpoints.production.yml",
        extra_env={
            **NO_RATE_LIMITS,
            "TRANSCRIPTS_IN_API": "false",
            "REALTIME_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
            "SANIC_WORKERS": str(args.rasa_workers),
            "WEB_CONCURRENCY": str(args.api_workers),
            "ACTION_SERVER_SANIC_WORKERS": str(args.action_workers),
            "TRACKER_DB_HOST": "127.0.0.1",
            "TRACKER_DB_PORT": "5432",
            "TRACKER_DB_USER": "postgres",
            "TRACKER_DB_PASSWORD": "",
            "TRACKER_DB_NAME": tracker_db,
            "TRACKER_LOGIN_DB": "postgres",
            "REDIS_HOST": REDIS[0],
            "REDIS_PORT": str(REDIS[1]),
            "REDIS_DB": "0",
            "REDIS_KEY_PREFIX": f"bankbot_bench_{suffix}",
            "RABBITMQ_HOST": RABBITMQ[0],
            "RABBITMQ_PORT": str(RABBITMQ[1]),
            "RABBITMQ_USER": "guest",
            "RABBITMQ_PASSWORD": "guest",
            "RABBITMQ_QUEUE": queue,
        },
    )


def _timed(start: Callable[[], None]) -> float:
    started = time.perf_counter()
    start()
    return time.perf_counter() - started


# --- report ---------------------------------------------------------------------------------


def report(
    results: dict[str, Figures],
    startup: dict[str, float],
    memory: dict[str, dict[str, float]],
    args: argparse.Namespace,
    skipped: list[str],
) -> None:
    turns = max(1, args.messages // args.concurrency)
    print()
    print(
        f"load per target and round: {args.concurrency} concurrent conversations x {turns} messages, "
        f"then {args.sequential} sequential messages of one conversation; {args.rounds} round(s); "
        f"production workers: Rasa {args.rasa_workers}, action server {args.action_workers}, "
        f"API {args.api_workers}"
    )
    header = f"{'target':<34}{'turns':>6}{'err':>5}{'turns/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'seq p50':>9}"
    print(header)
    print("-" * len(header))
    for label, figures in results.items():
        if not figures.latencies:
            continue
        print(
            f"{label:<34}{figures.messages:>6}{figures.errors:>5}{figures.turns_per_second:>9.1f}"
            f"{statistics.median(figures.latencies) * 1000:>8.0f}"
            f"{percentile(figures.latencies, 0.95) * 1000:>8.0f}{percentile(figures.latencies, 0.99) * 1000:>8.0f}"
            f"{statistics.median(figures.sequential) * 1000 if figures.sequential else float('nan'):>9.0f}"
        )
    print()
    starter = results.get("starter bot, Rasa")
    for topology in ("default", "production", *[name for name in startup if name.startswith("default ")]):
        rasa, api = results.get(f"{topology}, Rasa"), results.get(f"{topology}, API")
        if not rasa or not rasa.latencies:
            continue
        parts = []
        if starter and starter.latencies:
            parts.append(f"our Rasa / starter bot x{rasa.turns_per_second / starter.turns_per_second:.2f}")
        if api and api.latencies:
            parts.append(f"API / our Rasa x{api.turns_per_second / rasa.turns_per_second:.2f}")
            if api.sequential and rasa.sequential:
                parts.append(
                    f"sequential p50 API - Rasa {(statistics.median(api.sequential) - statistics.median(rasa.sequential)) * 1000:+.0f} ms"
                )
        print(f"{topology} topology, turns/s: " + ", ".join(parts))
    print()
    print("CPU per turn (ms, user + system, concurrent and sequential messages together):")
    for label, figures in results.items():
        turns_measured = len(figures.latencies) + len(figures.sequential)
        if figures.cpu and turns_measured:
            detail = ", ".join(
                f"{process} {seconds * 1000 / turns_measured:.1f}" for process, seconds in figures.cpu.items()
            )
            print(f"  {label:<32}{sum(figures.cpu.values()) * 1000 / turns_measured:>6.1f}  ({detail})")
    for label, figures in results.items():
        if figures.problems:
            detail = ", ".join(f"{kind} x{count}" for kind, count in figures.problems.most_common(5))
            print(f"errors of {label}: {detail}")
    print()
    print(
        "start-up until ready: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in startup.items())
    )
    for name, processes in memory.items():
        detail = ", ".join(f"{process} {mib:.0f}" for process, mib in processes.items())
        print(f"RSS {name}: {sum(processes.values()):.0f} MiB ({detail})")
    for reason in skipped:
        print(f"skipped: {reason}")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--messages", type=int, default=1000, help="messages per target and round (default 1000)"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="simultaneous conversations (default 20)")
    parser.add_argument(
        "--sequential", type=int, default=100, help="sequential messages per target and round"
    )
    parser.add_argument("--rounds", type=int, default=1, help="times every target takes its turn (default 1)")
    parser.add_argument("--rasa-workers", type=int, default=2, help="Sanic workers of Rasa in production")
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn workers of the API in production")
    parser.add_argument(
        "--action-workers", type=int, default=1, help="Sanic workers of the action server in production"
    )
    parser.add_argument("--no-default", action="store_true", help="skip the embedded default stack")
    parser.add_argument("--no-starter", action="store_true", help="skip Rasa's starter bot")
    parser.add_argument("--no-production", action="store_true", help="skip the production topology")
    parser.add_argument(
        "--compare-endpoints",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also run the embedded stack with this endpoints file (before/after in one run)",
    )
    parser.add_argument(
        "--compare-transcripts-in-api",
        action="store_true",
        help="also run the embedded stack with the API copying the transcripts (no follower process)",
    )
    parser.add_argument("--model", type=Path, help="our Rasa model (default: the current one)")
    args = parser.parse_args()
    turns = max(1, args.messages // args.concurrency)

    model = args.model or ensure_model(quiet=True)
    starter_model = None if args.no_starter else ensure_starter()
    skipped: list[str] = []
    if args.no_production:
        skipped.append("production topology (--no-production)")
    elif reason := production_unreachable():
        skipped.append(f"production topology ({reason})")

    with ExitStack() as cleanup, tempfile.TemporaryDirectory(prefix="bankbot-bench-") as tmp:
        tmp_dir = Path(tmp)
        stacks: dict[str, Stack] = {}
        if not args.no_default:
            stacks["default"] = Stack(embedded_config(model, tmp_dir / "default", ROOT / "endpoints.yml"))
        if args.compare_transcripts_in_api:
            stacks["default (transcripts in the API)"] = Stack(
                embedded_config(model, tmp_dir / "in-api", ROOT / "endpoints.yml", transcripts_in_api=True)
            )
        for index, endpoints in enumerate(args.compare_endpoints, start=1):
            name = f"default ({endpoints.name})"
            stacks[name] = Stack(embedded_config(model, tmp_dir / f"compare-{index}", endpoints.resolve()))
        if not args.no_production and not skipped:
            databases = PostgresDatabases()
            cleanup.callback(databases.close)
            stacks["production"] = Stack(
                production_config(model, tmp_dir / "production", databases, cleanup, args)
            )
        starter = None
        if starter_model:
            (tmp_dir / "log").mkdir(exist_ok=True)
            starter = StarterServer(starter_model, tmp_dir / "log")

        for stack in stacks.values():
            cleanup.callback(stack.stop)
        if starter:
            cleanup.callback(starter.stop)
        print("Starting " + ", ".join(["starter bot"] * bool(starter) + list(stacks)) + " ...")
        startup: dict[str, float] = {}
        with ThreadPoolExecutor(max_workers=len(stacks) + 1) as pool:
            futures = {name: pool.submit(_timed, stack.start) for name, stack in stacks.items()}
            if starter:
                futures["starter bot"] = pool.submit(_timed, starter.start)
            for name, future in futures.items():
                startup[name] = future.result()

        targets: list[Target] = []
        # the processes whose CPU time each target's load is charged with
        processes: dict[str, dict[str, int]] = {}
        if starter and starter.process:
            targets.append(Target("starter bot, Rasa", starter.url, "rasa", STARTER_TURNS))
            processes[targets[-1].label] = {"rasa": starter.process.pid}
        for name, stack in stacks.items():
            rasa_url = f"http://127.0.0.1:{stack.config.rasa_port}"
            ours = {process: p.pid for process, p in stack.processes.items()}
            targets.append(Target(f"{name}, Rasa", rasa_url, "rasa", TURNS))
            processes[targets[-1].label] = {k: v for k, v in ours.items() if k != "api"}
            targets.append(Target(f"{name}, API", stack.api_url, "api", TURNS))
            processes[targets[-1].label] = ours
        ours_by_label = {target.label for target in targets if target.label != "starter bot, Rasa"}

        # Warm-up: the first model calls of every process are not measured.
        for target in targets:
            asyncio.run(_load(target, 2, len(target.turns)))
        results = {target.label: Figures() for target in targets}
        for round_number in range(1, args.rounds + 1):
            for target in targets:
                print(f"round {round_number}/{args.rounds}: {target.label} ...", flush=True)
                pids = processes[target.label]
                before = {process: cpu_seconds(pid) for process, pid in pids.items()}
                concurrent_load(target, args.concurrency, turns, results[target.label])
                sequential_load(target, args.sequential, results[target.label])
                for process, pid in pids.items():
                    results[target.label].cpu[process] += cpu_seconds(pid) - before[process]

        # Errors of our stacks keep their logs (the temporary folder goes with the run).
        kept = None
        if any(results[target.label].problems for target in targets if target.label in ours_by_label):
            kept = ROOT / "var" / "bench" / f"logs-{time.strftime('%Y%m%d-%H%M%S')}"
            for name, stack in stacks.items():
                shutil.copytree(
                    stack.config.var_dir / "log", kept / name.replace(" ", "_"), dirs_exist_ok=True
                )

        memory: dict[str, dict[str, float]] = {}
        if starter and starter.process:
            memory["starter bot"] = {"rasa": rss_mib(starter.process.pid)}
        for name, stack in stacks.items():
            memory[f"{name} stack"] = {process: rss_mib(p.pid) for process, p in stack.processes.items()}

    report(results, startup, memory, args, skipped)
    if kept is not None:
        print(f"errors seen: the stacks' logs are kept in {kept}")


if __name__ == "__main__":
    main()
