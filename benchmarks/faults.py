"""Fault figures of the real stack (issue 16): `make benchmark-faults`.

Starts the action server, Rasa and the API on free ports with a temporary SQLite database and
injects the faults of issue 16 into the real processes: the API killed (SIGKILL) with a message
in flight, the action server killed and Rasa frozen (SIGSTOP) in the middle of a questionnaire
and of a complaint, a burst of simultaneous session creations, one client_message_id sent five
times at once. Every message carries a client_message_id and is resent, following Retry-After,
until it is answered, as clients/bankchat_client.py does; then Rasa's tracker says how often
each message was applied. Prints the figures next to the ones issue 16 measured before.

`run_faults(product)` is also what tests/e2e/test_faults.py asserts on.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from scripts import migrate
from scripts.stack import Stack, StackConfig, free_port
from scripts.train import ensure_model

# A dialogue that is in the middle of a form at its last turn, and what the assistant must ask
# next once that turn is applied (exactly once: the next step, not the one after).
QUESTIONNAIRE = (["我想做一下风险评估", "我今年五十多了"], "第2/10题")
COMPLAINT = (["你们手机银行乱扣我钱", "上个月信用卡被扣了两次年费"], None)

FREEZE_SECONDS = {"rasa": 15.0, "actions": 9.0}

BEFORE = {  # issue 16, measured on main before this work
    "api_killed": "4 of 15 in-flight messages applied twice; 409 for up to 37 s without Retry-After",
    "actions_killed": "281 messages answered 200 with no reply, marked delivered; answers lost",
    "rasa_frozen": "requests hang 30 s each before 503; one FAQ answered twice",
    "burst": "41 simultaneous session creations: 39 × 500, API frozen 30 s",
    "same_id": "same client_message_id ×5 at once: 500s (IntegrityError)",
}


@dataclass
class Figures:
    sent: int = 0
    applied: Counter = field(default_factory=Counter)  # times applied → messages
    statuses: Counter = field(default_factory=Counter)
    seconds_to_answer: list[float] = field(default_factory=list)
    first_failure_seconds: list[float] = field(default_factory=list)
    retry_after_missing: int = 0
    empty_200: int = 0
    wrong_next_step: int = 0


class Product:
    """The running stack, with what the scenarios need: pids, a tracker reader, restarts."""

    def __init__(self, stack: Stack, rasa_url: str, rasa_token: str):
        self.stack = stack
        self.rasa_url = rasa_url
        self.rasa_token = rasa_token
        self.api = httpx.Client(base_url=stack.api_url, timeout=120)

    def open(self) -> tuple[str, dict]:
        """A conversation of a signed-in customer (the questionnaire is for known customers)."""
        from datetime import timedelta

        from bot.db import utcnow
        from bot.identity.tokens import sign_identity

        secret = (self.stack.config.var_dir / "identity_secret").read_text().strip()
        token = sign_identity(
            customer_id=f"F{uuid.uuid4().hex[:8]}", expires_at=utcnow() + timedelta(minutes=30), secret=secret
        )
        body = self.api.post("/api/chat/sessions", json={"channel": "web", "identity_token": token}).json()
        return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}

    def user_events(self, conversation_id: str, message_id: int) -> list[dict]:
        response = httpx.get(
            f"{self.rasa_url}/conversations/{conversation_id}/tracker",
            timeout=60,
            params={"token": self.rasa_token, "include_events": "ALL"},
        )
        return [
            e
            for e in response.json()["events"]
            if e["event"] == "user" and (e.get("metadata") or {}).get("message_id") == message_id
        ]

    def applied(self, conversation_id: str, message_id: int) -> int:
        """How many times Rasa applied the message with an answer (a copy whose actions were
        lost and that was delivered again does not count twice)."""
        response = httpx.get(
            f"{self.rasa_url}/conversations/{conversation_id}/tracker",
            timeout=60,
            params={"token": self.rasa_token, "include_events": "ALL"},
        )
        events = response.json()["events"]
        count = 0
        for index, event in enumerate(events):
            if event["event"] == "user" and (event.get("metadata") or {}).get("message_id") == message_id:
                following = []
                for later in events[index + 1 :]:
                    if later["event"] == "user":
                        break
                    following.append(later)
                count += any(e["event"] == "bot" for e in following)
        return count

    def send_until_answered(
        self, conversation_id: str, headers: dict, text: str, figures: Figures, deadline_seconds: float = 420
    ) -> dict:
        """Sends with one client_message_id, resending as told (Retry-After) until answered."""
        client_id = uuid.uuid4().hex
        started = time.monotonic()
        first_failure = None
        while True:
            try:
                response = self.api.post(
                    f"/api/chat/{conversation_id}/messages",
                    headers=headers,
                    json={"text": text, "client_message_id": client_id},
                )
            except httpx.HTTPError:
                figures.statuses["connection error"] += 1
                time.sleep(1)
                continue
            figures.statuses[response.status_code] += 1
            if response.status_code == 200:
                body = response.json()
                if not body["replies"]:
                    figures.empty_200 += 1
                figures.seconds_to_answer.append(time.monotonic() - started)
                if first_failure is not None:
                    figures.first_failure_seconds.append(first_failure)
                return body
            if first_failure is None:
                first_failure = time.monotonic() - started
            if response.status_code in (409, 429, 503) and "retry-after" not in response.headers:
                figures.retry_after_missing += 1
            if time.monotonic() - started > deadline_seconds:
                raise RuntimeError(
                    f"not answered in {deadline_seconds} s: {response.status_code} {response.text}"
                )
            time.sleep(float(response.headers.get("retry-after", "1")))

    def wait_up(self, name: str, timeout: float = 240) -> None:
        checks = {
            "api": f"{self.stack.api_url}/livez",
            "rasa": f"{self.rasa_url}/status?token={self.rasa_token}",
            "actions": f"http://127.0.0.1:{self.stack.config.action_port}/health",
        }
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(checks[name], timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not come back")

    def signal(self, name: str, signum: int) -> None:
        os.killpg(self.stack.processes[name].pid, signum)

    def kill_and_restart(self, name: str) -> None:
        self.signal(name, signal.SIGKILL)
        self.stack.processes[name].wait()
        self.stack.restart(name)
        self.wait_up(name)


def _message_row(database: Path, conversation_id: str) -> int | None:
    import sqlite3

    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT id FROM conversation_message WHERE conversation_id = ? AND sender = 'customer' "
            "ORDER BY id DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
    return row[0] if row else None


def scenario_api_killed(product: Product, database: Path, dialogue, rounds: int) -> Figures:
    """The API is killed while the last turn of the dialogue is in flight, then restarted; the
    client resends with the same id until answered."""
    figures = Figures()
    turns, next_step = dialogue
    for _ in range(rounds):
        conversation_id, headers = product.open()
        for text in turns[:-1]:
            product.send_until_answered(conversation_id, headers, text, Figures())
        before = _message_row(database, conversation_id)
        client_id = uuid.uuid4().hex
        body = {"text": turns[-1], "client_message_id": client_id}
        post = functools.partial(  # the values of this turn, bound before the thread starts
            httpx.post,
            f"{product.stack.api_url}/api/chat/{conversation_id}/messages",
            json=body,
            headers=headers,
            timeout=120,
        )
        in_flight = threading.Thread(target=_swallow, args=(post,))
        in_flight.start()
        while _message_row(database, conversation_id) == before:  # stored: now kill the API
            time.sleep(0.01)
        product.kill_and_restart("api")
        in_flight.join()
        started = time.monotonic()
        while True:
            response = product.api.post(f"/api/chat/{conversation_id}/messages", headers=headers, json=body)
            figures.statuses[response.status_code] += 1
            if response.status_code == 200:
                break
            if "retry-after" not in response.headers:
                figures.retry_after_missing += 1
            time.sleep(float(response.headers.get("retry-after", "1")))
        figures.seconds_to_answer.append(time.monotonic() - started)
        answer = response.json()
        figures.sent += 1
        figures.applied[product.applied(conversation_id, answer["message_id"])] += 1
        if next_step and next_step not in " ".join(r["text"] for r in answer["replies"]):
            figures.wrong_next_step += 1
    return figures


def scenario_process_fault(product: Product, name: str, fault: str, dialogue, rounds: int) -> Figures:
    """The action server or Rasa is killed (then restarted) or frozen for a few seconds while the
    dialogue's last turn is sent; the client resends until answered."""
    figures = Figures()
    turns, next_step = dialogue
    for _ in range(rounds):
        conversation_id, headers = product.open()
        for text in turns[:-1]:
            product.send_until_answered(conversation_id, headers, text, Figures())
        if fault == "kill":
            product.signal(name, signal.SIGKILL)
            product.stack.processes[name].wait()
            threading.Timer(2.0, lambda: product.stack.restart(name)).start()
        else:
            # Frozen past its caller's budget: the API's 10 s for Rasa, Rasa's 6 s for an action.
            product.signal(name, signal.SIGSTOP)
            threading.Timer(FREEZE_SECONDS[name], lambda: product.signal(name, signal.SIGCONT)).start()
        answer = product.send_until_answered(conversation_id, headers, turns[-1], figures)
        product.wait_up(name)
        figures.sent += 1
        figures.applied[product.applied(conversation_id, answer["message_id"])] += 1
        if next_step and next_step not in " ".join(r["text"] for r in answer["replies"]):
            figures.wrong_next_step += 1
    return figures


def scenario_burst(product: Product, size: int) -> dict:
    async def burst():
        limits = httpx.Limits(max_connections=size + 5, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=product.stack.api_url, timeout=120, limits=limits) as client:
            started = time.monotonic()
            responses = await asyncio.gather(
                *[client.post("/api/chat/sessions", json={}) for _ in range(size)]
            )
            return time.monotonic() - started, Counter(r.status_code for r in responses)

    seconds, statuses = asyncio.run(burst())
    return {"seconds": seconds, "statuses": statuses}


def scenario_same_id(product: Product, copies: int = 5) -> Counter:
    conversation_id, headers = product.open()

    async def same():
        async with httpx.AsyncClient(base_url=product.stack.api_url, timeout=120) as client:
            body = {"text": "信用卡年费怎么收", "client_message_id": "same-id"}
            return await asyncio.gather(
                *[
                    client.post(f"/api/chat/{conversation_id}/messages", json=body, headers=headers)
                    for _ in range(copies)
                ]
            )

    return Counter(r.status_code for r in asyncio.run(same()))


def _swallow(call):
    try:
        call()
    except httpx.HTTPError:
        pass  # the API was killed under it


def run_faults(product: Product, database: Path, rounds: int = 3) -> dict:
    results = {}
    for label, dialogue in (("questionnaire", QUESTIONNAIRE), ("complaint", COMPLAINT)):
        results[f"api_killed/{label}"] = scenario_api_killed(product, database, dialogue, rounds)
        results[f"actions_killed/{label}"] = scenario_process_fault(
            product, "actions", "kill", dialogue, rounds
        )
        results[f"rasa_killed/{label}"] = scenario_process_fault(product, "rasa", "kill", dialogue, 1)
        results[f"rasa_frozen/{label}"] = scenario_process_fault(product, "rasa", "freeze", dialogue, 1)
        results[f"actions_frozen/{label}"] = scenario_process_fault(product, "actions", "freeze", dialogue, 1)
    return results


def start_product(
    tmp: Path, extra_env: dict | None = None, model: Path | None = None
) -> tuple[Stack, Product]:
    config = StackConfig(
        model=model or ensure_model(quiet=True),
        api_port=free_port(),
        rasa_port=free_port(),
        action_port=free_port(),
        var_dir=tmp,
        extra_env={
            "RATE_LIMIT_CONVERSATION_PER_MINUTE": "0",
            "RATE_LIMIT_IP_MESSAGES_PER_MINUTE": "0",
            "RATE_LIMIT_IP_SESSIONS_PER_HOUR": "0",
            "AGENT_HOURS": "00:00-24:00",
            **(extra_env or {}),
        },
    )
    migrate.upgrade(f"sqlite:///{tmp / 'app.db'}")
    stack = Stack(config)
    stack.start()
    return stack, Product(stack, f"http://127.0.0.1:{config.rasa_port}", config.rasa_token)


def _line(name: str, figures: Figures) -> str:
    applied = ", ".join(f"{times}× applied: {count}" for times, count in sorted(figures.applied.items()))
    slowest = max(figures.seconds_to_answer, default=0)
    first = max(figures.first_failure_seconds, default=0)
    return (
        f"| {name} | {figures.sent} | {applied} | {dict(figures.statuses)} | {figures.empty_200} | "
        f"{figures.retry_after_missing} | {first:.1f} s | {slowest:.1f} s | {figures.wrong_next_step} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="messages per API-kill and action-kill scenario"
    )
    parser.add_argument("--burst", type=int, default=200, help="simultaneous session creations")
    parser.add_argument("--model", type=Path, help="a trained model (default: train if needed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stack, product = start_product(Path(tmp), model=args.model)
        try:
            burst = scenario_burst(product, args.burst)
            same = scenario_same_id(product)
            results = run_faults(product, Path(tmp) / "app.db", args.rounds)
        finally:
            stack.stop()
    print("\nBefore (issue 16):")
    for key, text in BEFORE.items():
        print(f"  {key}: {text}")
    print("\nAfter:")
    print(
        f"  {args.burst} simultaneous session creations: {dict(burst['statuses'])} in {burst['seconds']:.1f} s"
    )
    print(f"  same client_message_id ×5 at once: {dict(same)}")
    print(
        "\n| fault | messages | applied | answers seen (status: count) | empty 200 | 409/503 without "
        "Retry-After | first refusal after | answered after | wrong next step |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, figures in results.items():
        print(_line(name, figures))


if __name__ == "__main__":
    main()
