"""What the entity pipeline adds to NLU time: /model/parse latency of two models, one after the other.

`python -m benchmarks.parse_latency [--baseline MODEL] [--model MODEL] [--messages N]` starts
`rasa run --enable-api` with each model on a free port, sends N customer messages (the entity
evaluation set, cycled) to POST /model/parse one at a time after a warm-up, and prints p50, p95,
mean, messages/s and the Rasa process's memory (RSS) for each, then the difference. Without --model it measures the current model
(scripts/train.py); --baseline names a model trained without the entity components (for
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


def measure(model: Path, texts: list[str], count: int) -> dict[str, float]:
    """Starts Rasa with `model` and times `count` parses."""
    port, token = free_port(), uuid.uuid4().hex
    log = ROOT / "var" / "log" / f"parse-benchmark-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("rasa")), "run", "--enable-api", "--model", str(model),
               "--port", str(port), "--interface", "127.0.0.1", "--auth-token", token]  # fmt: skip
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(ROOT)}
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=60, params={"token": token}) as client:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"rasa stopped while starting; see {log}")
                try:
                    if client.get("/status").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"rasa did not start within {START_TIMEOUT:.0f} s; see {log}")
                time.sleep(1)
            for text in texts[:WARM_UP]:
                client.post("/model/parse", json={"text": text}).raise_for_status()
            timings = []
            started = time.perf_counter()
            for index in range(count):
                before = time.perf_counter()
                client.post("/model/parse", json={"text": texts[index % len(texts)]}).raise_for_status()
                timings.append((time.perf_counter() - before) * 1000)
            elapsed = time.perf_counter() - started
            rss_mib = _rss_mib(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    return {"p50": _percentile(timings, 0.5), "p95": _percentile(timings, 0.95),
            "mean": statistics.fmean(timings), "per_second": count / elapsed, "rss_mib": rss_mib}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a model without the entity components")
    parser.add_argument("--model", type=Path, help="the model to measure (default: the current one)")
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args(argv)
    texts = [example.text for example in load_examples(EVAL_FILE)[1]]
    runs = []
    if args.baseline:
        runs.append(("baseline", args.baseline))
    runs.append(("current", args.model or ensure_model(quiet=True)))
    results = {}
    for name, model in runs:
        print(f"{name}: {model.name}, {args.messages} parses one at a time ...", flush=True)
        results[name] = measure(model, texts, args.messages)
        figures = results[name]
        print(f"  p50 {figures['p50']:.1f} ms  p95 {figures['p95']:.1f} ms  mean {figures['mean']:.1f} ms  "
              f"{figures['per_second']:.1f} parses/s  memory {figures['rss_mib']:.0f} MiB")  # fmt: skip
    if "baseline" in results:
        added = {key: results["current"][key] - results["baseline"][key] for key in ("p50", "p95", "mean", "rss_mib")}
        print(f"added per message: p50 {added['p50']:+.1f} ms  p95 {added['p95']:+.1f} ms  mean {added['mean']:+.1f} ms;"
              f"  memory {added['rss_mib']:+.0f} MiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
