"""Chat latency, throughput and memory of the real stack: `make benchmark`.

Starts the action server, Rasa and the API on free ports with a temporary SQLite database, lets
simulated customers chat concurrently through the public REST API, and prints:
start-up time, per-message latency (p50/p95/max), messages per second and each process's RSS.
Only loopback traffic; the run is bounded by --conversations x --turns.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from scripts import migrate
from scripts.stack import Stack, StackConfig, free_port
from scripts.train import ensure_model

# Customer turns, cycled: greetings, questions about the assistant, thanks, misunderstandings.
TURNS = ["你好", "你能做什么", "你是机器人吗", "今天天气怎么样", "qwzx jkvb", "谢谢", "再见"]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (MiB), from /proc."""
    total_kib = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total_kib / 1024


async def customer(api: httpx.AsyncClient, turns: int, latencies: list[float]) -> int:
    session = (await api.post("/api/chat/sessions")).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    errors = 0
    for index in range(turns):
        started = time.perf_counter()
        response = await api.post(
            f"/api/chat/{session['conversation_id']}/messages",
            json={"text": TURNS[index % len(TURNS)]},
            headers=headers,
        )
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.json()["replies"]:
            errors += 1
    return errors


async def load(api_url: str, conversations: int, turns: int) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=api_url, timeout=60) as api:
        started = time.perf_counter()
        errors = await asyncio.gather(*(customer(api, turns, latencies) for _ in range(conversations)))
        elapsed = time.perf_counter() - started
    return latencies, sum(errors), elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10, help="concurrent customers")
    parser.add_argument("--turns", type=int, default=14, help="messages per customer")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        config = StackConfig(
            model=ensure_model(quiet=True),
            api_port=free_port(),
            rasa_port=free_port(),
            action_port=free_port(),
            var_dir=Path(tmp),
        )
        migrate.upgrade(f"sqlite:///{Path(tmp) / 'app.db'}")
        stack = Stack(config)
        started = time.perf_counter()
        stack.start()
        startup = time.perf_counter() - started
        try:
            # One warm-up exchange so the first TensorFlow call is not measured.
            asyncio.run(load(stack.api_url, 1, 1))
            latencies, errors, elapsed = asyncio.run(
                load(stack.api_url, args.conversations, args.turns)
            )
            memory = {name: rss_mib(process.pid) for name, process in stack.processes.items()}
        finally:
            stack.stop()

    count = len(latencies)
    print(f"start-up (3 processes ready):  {startup:6.1f} s")
    print(f"messages:                      {count} ({args.conversations} concurrent customers x {args.turns})")
    print(f"errors:                        {errors}")
    print(f"latency p50:                   {statistics.median(latencies) * 1000:6.0f} ms")
    print(f"latency p95:                   {percentile(latencies, 0.95) * 1000:6.0f} ms")
    print(f"latency max:                   {max(latencies) * 1000:6.0f} ms")
    print(f"throughput:                    {count / elapsed:6.1f} messages/s")
    for name, mib in memory.items():
        print(f"RSS {name + ':':27}{mib:6.0f} MiB")


if __name__ == "__main__":
    main()
