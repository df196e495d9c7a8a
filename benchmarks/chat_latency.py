"""Chat latency, throughput and memory of the real stack: `make benchmark`.

Starts the action server, Rasa and the API on free ports with a temporary SQLite database, then
sends --messages customer messages over --concurrency simultaneous conversations twice: through
the public chat API, and straight to Rasa's REST channel. Prints start-up time, p50/p95/p99
latency and messages per second for both, the API's overhead ratio, and each process's RSS.
Only loopback traffic; the run is bounded by --messages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from scripts import migrate
from scripts.stack import Stack, StackConfig, free_port
from scripts.train import ensure_model

# Customer turns, cycled: greetings, FAQs, a follow-up, out of scope, a misunderstanding.
TURNS = [
    "你好", "银行卡丢了怎么办", "跨行转账多久到账", "那手续费呢", "信用卡怎么提额",
    "理财产品的风险等级是什么意思", "今天天气怎么样", "qwzx jkvb", "谢谢", "再见",
]  # fmt: skip


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


async def api_customer(client: httpx.AsyncClient, turns: int, latencies: list[float]) -> int:
    """One customer through the public chat API; returns the number of failed exchanges."""
    session = (await client.post("/api/chat/sessions")).json()
    headers = {"Authorization": f"Bearer {session['token']}"}
    errors = 0
    for index in range(turns):
        started = time.perf_counter()
        response = await client.post(
            f"/api/chat/{session['conversation_id']}/messages",
            json={"text": TURNS[index % len(TURNS)]},
            headers=headers,
        )
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.json()["replies"]:
            errors += 1
    return errors


async def rasa_customer(client: httpx.AsyncClient, turns: int, latencies: list[float]) -> int:
    """The same customer straight to Rasa's REST channel (no API, no database)."""
    sender = uuid.uuid4().hex
    errors = 0
    for index in range(turns):
        started = time.perf_counter()
        response = await client.post(
            "/webhooks/rest/webhook", json={"sender": sender, "message": TURNS[index % len(TURNS)]}
        )
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or not response.json():
            errors += 1
    return errors


async def load(base_url: str, customer, conversations: int, turns: int):
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        started = time.perf_counter()
        errors = await asyncio.gather(
            *(customer(client, turns, latencies) for _ in range(conversations))
        )
        elapsed = time.perf_counter() - started
    return latencies, sum(errors), elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run")
    parser.add_argument("--concurrency", type=int, default=20, help="simultaneous conversations")
    args = parser.parse_args()
    turns = max(1, args.messages // args.concurrency)

    with tempfile.TemporaryDirectory() as tmp:
        config = StackConfig(
            model=ensure_model(quiet=True),
            api_port=free_port(),
            rasa_port=free_port(),
            action_port=free_port(),
            var_dir=Path(tmp),
            # A load test from one address would trip the customer rate limits by design.
            extra_env={
                "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
                "RATE_LIMIT_IP_MESSAGES_PER_MINUTE": "0",
                "RATE_LIMIT_IP_SESSIONS_PER_HOUR": "0",
                "TRANSCRIPTS_IN_API": os.environ.get("TRANSCRIPTS_IN_API", "true"),
            },
        )
        migrate.upgrade(f"sqlite:///{Path(tmp) / 'app.db'}")
        stack = Stack(config)
        started = time.perf_counter()
        stack.start()
        startup = time.perf_counter() - started
        rasa_url = f"http://127.0.0.1:{config.rasa_port}"
        try:
            # Warm-up exchanges so the first TensorFlow calls are not measured.
            asyncio.run(load(stack.api_url, api_customer, 2, len(TURNS)))
            runs = {
                "API": asyncio.run(load(stack.api_url, api_customer, args.concurrency, turns)),
                "Rasa direct": asyncio.run(load(rasa_url, rasa_customer, args.concurrency, turns)),
            }
            memory = {name: rss_mib(process.pid) for name, process in stack.processes.items()}
        finally:
            stack.stop()

    print(f"start-up (3 processes ready): {startup:.1f} s")
    print(f"load: {args.concurrency} concurrent conversations x {turns} messages, per run")
    print(f"{'run':<13}{'messages':>9}{'errors':>7}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'msg/s':>8}")
    for name, (latencies, errors, elapsed) in runs.items():
        print(
            f"{name:<13}{len(latencies):>9}{errors:>7}"
            f"{statistics.median(latencies) * 1000:>8.0f}{percentile(latencies, 0.95) * 1000:>8.0f}"
            f"{percentile(latencies, 0.99) * 1000:>8.0f}{len(latencies) / elapsed:>8.1f}"
        )
    api_latencies, rasa_latencies = runs["API"][0], runs["Rasa direct"][0]
    print(
        f"API overhead: p50 x{statistics.median(api_latencies) / statistics.median(rasa_latencies):.2f}, "
        f"throughput x{(len(rasa_latencies) / runs['Rasa direct'][2]) / (len(api_latencies) / runs['API'][2]):.2f} "
        "(API / Rasa direct)"
    )
    for name, mib in memory.items():
        print(f"RSS {name}: {mib:.0f} MiB")


if __name__ == "__main__":
    main()
