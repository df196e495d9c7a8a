"""What the entity pipeline adds to NLU time: /model/parse latency of two models side by side.

`python -m benchmarks.parse_latency [--baseline MODEL] [--model MODEL] [--messages N]` starts
`rasa run --enable-api` with each model on a free port (both at once), warms them up, then sends N
customer messages (the entity evaluation set, cycled) to POST /model/parse, one at a time,
alternating between the two servers (which goes first alternates too), so that both see the same
load on a shared machine. It prints p50, p95, mean, messages/s and the Rasa process's memory (RSS)
for each, and the median of the per-message differences. Without --model it measures the current
model (scripts/train.py); --baseline names a model trained without the entity components (for
instance the main branch's). Without --baseline only the current model is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from scripts.entities_report import EVAL_FILE, load_examples
from scripts.stack import free_port
from scripts.train import ROOT, ensure_model

WARM_UP = 20
START_TIMEOUT = 600.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RasaServer:
    """`rasa run --enable-api` with one model on a free port, for parsing only."""

    def __init__(self, model: Path) -> None:
        self.model, self.port, self.token = model, free_port(), uuid.uuid4().hex
        self.log = ROOT / "var" / "log" / f"parse-benchmark-{self.port}.log"
        self.log.parent.mkdir(parents=True, exist_ok=True)
        # Parsing needs no tracker store, event broker or action server: in-memory defaults only.
        endpoints = self.log.with_suffix(".endpoints.yml")
        endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:9/webhook\n", encoding="utf-8")
        command = [
            str(Path(sys.executable).with_name("rasa")),
            "run",
            "--enable-api",
            "--model",
            str(model),
            "--port",
            str(self.port),
            "--interface",
            "127.0.0.1",
            "--auth-token",
            self.token,
            "--endpoints",
            str(endpoints),
        ]
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", timeout=60, params={"token": self.token}
        )

    def wait_ready(self, deadline: float) -> None:
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"rasa stopped while starting; see {self.log}")
            try:
                if self.client.get("/status").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"rasa did not start within {START_TIMEOUT:.0f} s; see {self.log}")
            time.sleep(1)

    def parse_ms(self, text: str) -> float:
        before = time.perf_counter()
        self.client.post("/model/parse", json={"text": text}).raise_for_status()
        return (time.perf_counter() - before) * 1000

    def stop(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _figures(timings: list[float], rss_mib: float) -> dict[str, float]:
    return {
        "p50": _percentile(timings, 0.5),
        "p95": _percentile(timings, 0.95),
        "mean": statistics.fmean(timings),
        "per_second": 1000 / statistics.fmean(timings),
        "rss_mib": rss_mib,
    }


def measure(
    models: dict[str, Path], texts: list[str], count: int
) -> tuple[dict[str, dict[str, float]], list[float]]:
    """Times `count` parses on each model, alternating; returns figures per model and the
    per-message differences (last model minus first)."""
    servers = {name: RasaServer(model) for name, model in models.items()}
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for server in servers.values():
            server.wait_ready(deadline)
        for text in texts[:WARM_UP]:
            for server in servers.values():
                server.parse_ms(text)
        timings: dict[str, list[float]] = {name: [] for name in servers}
        names = list(servers)
        for index in range(count):
            text = texts[index % len(texts)]
            for name in names if index % 2 == 0 else reversed(names):
                timings[name].append(servers[name].parse_ms(text))
        figures = {name: _figures(timings[name], _rss_mib(servers[name].process.pid)) for name in names}
        differences = [b - a for a, b in zip(timings[names[0]], timings[names[-1]])]
        return figures, differences
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a model without the entity components")
    parser.add_argument("--model", type=Path, help="the model to measure (default: the current one)")
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args(argv)
    texts = [example.text for example in load_examples(EVAL_FILE)[1]]
    models = {"baseline": args.baseline} if args.baseline else {}
    models["current"] = args.model or ensure_model(quiet=True)
    print(
        ", ".join(f"{name}: {model.name}" for name, model in models.items())
        + f"; {args.messages} parses each, one at a time, alternating ...",
        flush=True,
    )
    results, differences = measure(models, texts, args.messages)
    for name, figures in results.items():
        print(
            f"{name:>8}: p50 {figures['p50']:.1f} ms  p95 {figures['p95']:.1f} ms  mean {figures['mean']:.1f} ms  "
            f"{figures['per_second']:.1f} parses/s  memory {figures['rss_mib']:.0f} MiB"
        )
    if "baseline" in results:
        memory = results["current"]["rss_mib"] - results["baseline"]["rss_mib"]
        print(
            f"added per message: median {statistics.median(differences):+.1f} ms, "
            f"mean {statistics.fmean(differences):+.1f} ms (paired); memory {memory:+.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
