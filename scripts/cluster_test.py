"""`make cluster-test`: the production topology on this machine, with failures.

Starts scripts/cluster.py's cluster (2 Rasa, 2 action servers, 2 API replicas, the RabbitMQ
consumer, nginx in front; PostgreSQL, Redis and RabbitMQ), then drives conversations through
nginx, half over REST and half over WebSocket, a few at a time. While they run it kills (SIGKILL)
one Rasa server, one action server and one API replica, at a quarter, a half and three quarters
of the messages. Clients behave as the widget does: a message that got no answer (an error, a
dropped connection, 409 while it is in progress) is sent again with the same client_message_id.

Then it checks, for every conversation:
- the customer's history (GET .../messages through nginx): each message once, in the order sent,
  each followed by the replies its sender received, and nothing else;
- Rasa's tracker store: each customer message once, in order;
- the analysts' transcript store (fed through RabbitMQ by the consumer, then completed from Rasa's
  tracker store by the reconcile job, which stores what a killed Rasa never published): each
  message once, in order;
and prints the figures. Exit 0 when every check holds.

    python -m scripts.cluster_test [--conversations 50] [--concurrency 10] [--no-kills]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import websockets
from sqlalchemy import text

from bot.cases.crypto import FERNET_PREFIX, CaseCipher
from bot.db import build_engine

from .cluster import Cluster, ClusterConfig, ClusterError
from .stack import ROOT
from .train import ensure_model

# Four turns of a customer's visit: a greeting, two banking questions, thanks. Distinct within a
# conversation, so the stores can be checked message by message.
TURNS = (
    "你好",
    "信用卡年费怎么收？",
    "手机银行转账限额是多少",
    "好的，谢谢",
)
RETRYABLE_STATUS = {409, 429, 500, 502, 503, 504}
MESSAGE_DEADLINE = 180.0  # seconds one message may take, retries included, before the run fails
RETRY_PAUSE = 1.0
# Kills at these shares of all messages answered: (process, share).
KILLS = (("rasa-1", 0.25), ("actions-1", 0.5), ("api-1", 0.75))


@dataclass
class Message:
    conversation: int
    turn: int
    channel: str
    text: str
    client_message_id: str
    attempts: int = 0
    sent_at: float = 0.0
    answered_at: float | None = None
    replies: list[str] = field(default_factory=list)
    retries: Counter = field(default_factory=Counter)

    @property
    def seconds(self) -> float:
        return (self.answered_at or time.monotonic()) - self.sent_at


@dataclass
class Conversation:
    number: int
    channel: str
    conversation_id: str = ""
    token: str = ""
    messages: list[Message] = field(default_factory=list)
    reconnects: int = 0


class Run:
    def __init__(
        self,
        cluster: Cluster,
        conversations: int,
        concurrency: int,
        kills: bool,
        api_signal: signal.Signals = signal.SIGKILL,
    ):
        self.cluster = cluster
        self.conversations = [
            Conversation(number=i, channel="rest" if i % 2 == 0 else "websocket")
            for i in range(conversations)
        ]
        self.total = conversations * len(TURNS)
        self.answered = 0
        self.concurrency = concurrency
        self.kills = list(KILLS) if kills else []
        self.api_signal = api_signal
        self.kill_log: list[tuple[str, int, float]] = []
        self.started = 0.0

    # --- kills ------------------------------------------------------------------------------------
    def on_answered(self) -> None:
        self.answered += 1
        while self.kills and self.answered >= self.kills[0][1] * self.total:
            name, _share = self.kills.pop(0)
            sig = self.api_signal if name.startswith("api-") else signal.SIGKILL
            self.cluster.kill(name, sig)
            self.kill_log.append((f"{name} ({sig.name})", self.answered, time.monotonic() - self.started))
            print(f"  killed {name} ({sig.name}) after {self.answered} of {self.total} messages", flush=True)

    # --- clients ----------------------------------------------------------------------------------
    async def open_session(self, client: httpx.AsyncClient, conversation: Conversation) -> None:
        deadline = time.monotonic() + MESSAGE_DEADLINE
        while True:
            try:
                response = await client.post("/api/chat/sessions", json={})
                if response.status_code in (200, 201):
                    body = response.json()
                    conversation.conversation_id, conversation.token = body["conversation_id"], body["token"]
                    return
                if response.status_code not in RETRYABLE_STATUS:
                    raise ClusterError(f"session: HTTP {response.status_code} {response.text[:200]}")
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise ClusterError("could not open a conversation")
            await asyncio.sleep(RETRY_PAUSE)

    def new_message(self, conversation: Conversation, turn: int) -> Message:
        message = Message(
            conversation.number, turn, conversation.channel, TURNS[turn], f"c{conversation.number}-t{turn}"
        )
        conversation.messages.append(message)
        message.sent_at = time.monotonic()
        return message

    async def rest_conversation(self, client: httpx.AsyncClient, conversation: Conversation) -> None:
        await self.open_session(client, conversation)
        headers = {"Authorization": f"Bearer {conversation.token}"}
        for turn in range(len(TURNS)):
            message = self.new_message(conversation, turn)
            while True:
                message.attempts += 1
                try:
                    response = await client.post(
                        f"/api/chat/{conversation.conversation_id}/messages",
                        headers=headers,
                        json={"text": message.text, "client_message_id": message.client_message_id},
                    )
                except httpx.TransportError as exc:
                    message.retries[type(exc).__name__] += 1
                else:
                    if response.status_code == 200:
                        message.replies = [reply["text"] for reply in response.json()["replies"]]
                        message.answered_at = time.monotonic()
                        self.on_answered()
                        break
                    if response.status_code not in RETRYABLE_STATUS:
                        raise ClusterError(
                            f"{message.client_message_id}: HTTP {response.status_code} {response.text[:300]}"
                        )
                    message.retries[f"HTTP {response.status_code}"] += 1
                if message.seconds > MESSAGE_DEADLINE:
                    raise ClusterError(
                        f"{message.client_message_id}: no answer within {MESSAGE_DEADLINE:.0f} s"
                    )
                await asyncio.sleep(RETRY_PAUSE)

    async def websocket_conversation(self, client: httpx.AsyncClient, conversation: Conversation) -> None:
        await self.open_session(client, conversation)
        url = self.cluster.url.replace("http://", "ws://") + f"/api/chat/{conversation.conversation_id}/ws"
        socket = None
        try:
            for turn in range(len(TURNS)):
                message = self.new_message(conversation, turn)
                while message.answered_at is None:
                    if message.seconds > MESSAGE_DEADLINE:
                        raise ClusterError(
                            f"{message.client_message_id}: no answer within {MESSAGE_DEADLINE:.0f} s"
                        )
                    try:
                        if socket is None:
                            socket = await websockets.connect(url, open_timeout=30, max_size=2**20)
                            await socket.send(json.dumps({"type": "auth", "token": conversation.token}))
                            await self._frame(socket, lambda f: f.get("type") == "ready")
                        message.attempts += 1
                        await socket.send(
                            json.dumps(
                                {
                                    "type": "message",
                                    "text": message.text,
                                    "client_message_id": message.client_message_id,
                                }
                            )
                        )
                        frame = await self._frame(
                            socket,
                            lambda f: (
                                f.get("type") in ("replies", "error")
                                and f.get("client_message_id") == message.client_message_id  # noqa: B023 (awaited here)
                            ),
                        )
                    except (TimeoutError, OSError, websockets.exceptions.WebSocketException) as exc:
                        message.retries[type(exc).__name__] += 1
                        conversation.reconnects += 1
                        if socket is not None:
                            await socket.close()
                        socket = None
                        await asyncio.sleep(RETRY_PAUSE)
                        continue
                    if frame["type"] == "replies":
                        message.replies = [reply["text"] for reply in frame["replies"]]
                        message.answered_at = time.monotonic()
                        self.on_answered()
                    else:
                        message.retries[frame["error"]["code"]] += 1
                        await asyncio.sleep(RETRY_PAUSE)
        finally:
            if socket is not None:
                await socket.close()

    @staticmethod
    async def _frame(socket, wanted) -> dict:
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=90))
            if wanted(frame):
                return frame

    async def drive(self) -> None:
        self.started = time.monotonic()
        limit = asyncio.Semaphore(self.concurrency)
        async with httpx.AsyncClient(base_url=self.cluster.url, timeout=90) as client:

            async def one(conversation: Conversation) -> None:
                async with limit:
                    if conversation.channel == "rest":
                        await self.rest_conversation(client, conversation)
                    else:
                        await self.websocket_conversation(client, conversation)

            await asyncio.gather(*(one(c) for c in self.conversations))
        self.duration = time.monotonic() - self.started


# --- checks ---------------------------------------------------------------------------------------
def check_histories(run: Run) -> list[str]:
    """The customer's view: each message once, in order, followed by exactly the replies received."""
    problems = []
    with httpx.Client(base_url=run.cluster.url, timeout=60) as client:
        for conversation in run.conversations:
            response = client.get(
                f"/api/chat/{conversation.conversation_id}/messages",
                headers={"Authorization": f"Bearer {conversation.token}"},
                params={"limit": 200},
            )
            history = response.json()["messages"]
            turns: list[tuple[str, list[str]]] = []
            for item in history:
                if item["sender"] == "customer":
                    turns.append((item.get("client_message_id"), []))
                elif turns:
                    turns[-1][1].append(item["text"])
            expected = [(m.client_message_id, m.replies) for m in conversation.messages]
            if turns != expected:
                problems.append(
                    f"conversation {conversation.number}: history {turns!r} != sent/received {expected!r}"
                )
            for message in conversation.messages:
                if not message.replies:
                    problems.append(f"{message.client_message_id}: answered with no reply")
    return problems


def _user_texts(database_url: str, query: str, conversation_ids: list[str]) -> dict[str, list[str]]:
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(query), {"ids": tuple(conversation_ids)}).all()
    finally:
        engine.dispose()
    found: dict[str, list[str]] = {cid: [] for cid in conversation_ids}
    for conversation_id, value in rows:
        found[conversation_id].append(value)
    return found


def check_tracker(run: Run) -> list[str]:
    """Rasa's tracker store: every customer message reached Rasa exactly once, in order."""
    ids = [c.conversation_id for c in run.conversations]
    rows = _user_texts(
        run.cluster.tracker_database_url,
        "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id IN :ids ORDER BY id",
        ids,
    )
    cipher = CaseCipher(run.cluster.case_encryption_key)  # the tracker keeps events encrypted

    def readable(data: str) -> str:
        return cipher.decrypt(data) or "" if data.startswith(FERNET_PREFIX) else data

    problems = []
    for conversation in run.conversations:
        texts = [json.loads(readable(data)).get("text") for data in rows[conversation.conversation_id]]
        expected = [m.text for m in conversation.messages]
        if texts != expected:
            problems.append(
                f"conversation {conversation.number}: Rasa's tracker has {texts!r}, sent {expected!r}"
            )
    return problems


def transcript_problems(run: Run) -> tuple[list[str], int]:
    """The transcript store: each customer message once, in order. Returns the problems and how
    many customer messages are stored for these conversations."""
    ids = [c.conversation_id for c in run.conversations]
    rows = _user_texts(
        run.cluster.app_database_url,
        "SELECT conversation_id, text FROM transcript_message WHERE sender = 'customer' "
        "AND conversation_id IN :ids ORDER BY created_at, id",
        ids,
    )
    problems = []
    for conversation in run.conversations:
        expected = [m.text for m in conversation.messages]
        if rows[conversation.conversation_id] != expected:
            problems.append(
                f"conversation {conversation.number}: transcripts have "
                f"{rows[conversation.conversation_id]!r}, sent {expected!r}"
            )
    return problems, sum(len(texts) for texts in rows.values())


def wait_for_consumer(run: Run, timeout: float = 180.0, quiet: float = 15.0) -> tuple[list[str], int, float]:
    """Waits until RabbitMQ's consumer has stored every message, or has stored nothing new for
    `quiet` seconds (what a crashed Rasa never published will not come); returns the problems,
    the messages stored and the seconds waited."""
    started = last_change = time.monotonic()
    last_count = -1
    while True:
        problems, count = transcript_problems(run)
        now = time.monotonic()
        if count != last_count:
            last_count, last_change = count, now
        if not problems or now - last_change > quiet or now - started > timeout:
            return problems, count, now - started
        time.sleep(1.0)


def run_reconcile(run: Run) -> str:
    """What the reconcile CronJob does (python -m scripts.transcripts reconcile), once."""
    env = run.cluster.environment()
    result = subprocess.run(
        [sys.executable, "-m", "scripts.transcripts", "reconcile", "--hours", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise ClusterError(f"reconcile failed: {result.stderr[-2000:]}")
    return result.stdout.strip()


# --- figures --------------------------------------------------------------------------------------
def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def figures(
    run: Run, start_seconds: float, transcript_wait: float, from_rabbitmq: int, reconciled: str
) -> list[str]:
    messages = [m for c in run.conversations for m in c.messages]
    lines = [
        f"cluster: {len(run.cluster.names('rasa'))} Rasa, {len(run.cluster.names('actions'))} action servers, "
        f"{len(run.cluster.names('api'))} API replicas, 1 consumer, nginx; up in {start_seconds:.0f} s",
        f"conversations: {len(run.conversations)} ({sum(c.channel == 'rest' for c in run.conversations)} REST, "
        f"{sum(c.channel == 'websocket' for c in run.conversations)} WebSocket), {run.concurrency} at a time",
        f"messages: {len(messages)} sent, {sum(m.answered_at is not None for m in messages)} answered "
        f"in {run.duration:.0f} s ({len(messages) / run.duration:.1f} messages/s)",
    ]
    for channel in ("rest", "websocket"):
        seconds = [m.seconds for m in messages if m.channel == channel]
        if seconds:
            lines.append(
                f"  {channel}: median {statistics.median(seconds) * 1000:.0f} ms, "
                f"p95 {percentile(seconds, 0.95) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms"
            )
    retried = [m for m in messages if m.attempts > 1 or m.retries]
    reasons = Counter()
    for m in messages:
        reasons.update(m.retries)
    lines.append(
        f"resent by clients: {len(retried)} messages; reasons: "
        + (", ".join(f"{reason} ×{count}" for reason, count in reasons.most_common()) or "none")
    )
    lines.append(f"WebSocket reconnects: {sum(c.reconnects for c in run.conversations)}")
    for name, answered, at in run.kill_log:
        after = [
            m
            for m in messages
            if m.answered_at and m.sent_at - run.started <= at <= m.answered_at - run.started
        ]
        slowest = max((m.seconds for m in after), default=0.0)
        lines.append(
            f"killed {name} at {at:.0f} s (after {answered} answers): {len(after)} messages in flight, "
            f"slowest answered after {slowest:.1f} s"
        )
    shares = []
    for name, process in run.cluster.processes.items():
        if name == "nginx":
            continue
        text_lines = [line for line in process.log.read_text(errors="replace").splitlines() if line.strip()]
        json_lines = sum(1 for line in text_lines if line.startswith("{") and _is_json(line))
        shares.append(f"{name} {json_lines}/{len(text_lines)}")
    lines.append("JSON log lines (APP_LOG_FORMAT=json): " + ", ".join(shares))
    lines.append(
        f"transcript store: {from_rabbitmq} of {len(messages)} customer messages through RabbitMQ "
        f"(settled {transcript_wait:.1f} s after the last answer); reconcile job: {reconciled}"
    )
    return lines


def _is_json(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--no-kills", action="store_true", help="no process is killed")
    parser.add_argument(
        "--api-signal",
        choices=["KILL", "TERM"],
        default="KILL",
        help="how the API replica is stopped: KILL (a crash, default) or TERM (a rolling update)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the work directory with the logs")
    args = parser.parse_args(argv)

    model = ensure_model(quiet=True)
    # Every simulated customer comes from one loopback address: the per-address message limit
    # (meant for one client address) is off; the per-conversation limit stays.
    cluster = Cluster(ClusterConfig(model=model, extra_env={"RATE_LIMIT_IP_MESSAGES_PER_MINUTE": "0"}))
    print(f"Starting the cluster (logs in {cluster.logs})...", flush=True)
    failed = True
    try:
        start_seconds = cluster.start()
        print(
            f"  up in {start_seconds:.0f} s; driving {args.conversations} conversations through nginx "
            f"at {cluster.url}",
            flush=True,
        )
        run = Run(
            cluster,
            args.conversations,
            args.concurrency,
            kills=not args.no_kills,
            api_signal=signal.Signals[f"SIG{args.api_signal}"],
        )
        asyncio.run(asyncio.wait_for(run.drive(), timeout=1200))
        problems = check_histories(run) + check_tracker(run)
        _missing, from_rabbitmq, transcript_wait = wait_for_consumer(run)
        reconciled = run_reconcile(run)
        problems += transcript_problems(run)[0]
        print()
        for line in figures(run, start_seconds, transcript_wait, from_rabbitmq, reconciled):
            print(line)
        print()
        if problems:
            print(f"FAILED: {len(problems)} problems")
            for problem in problems[:30]:
                print("  " + problem)
        else:
            print(
                "OK: every answered message appears once, in order, with its replies, in the customer's "
                "history, Rasa's tracker store and the transcript store"
            )
        failed = bool(problems)
    except (TimeoutError, ClusterError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
    finally:
        cluster.stop()
        if failed or args.keep_logs:
            print(f"logs kept in {cluster.logs}")
        else:
            cluster.remove_work_dir()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
