"""Where our Rasa server spends its time under load: a py-spy sampling profile.

`python -m benchmarks.profile_rasa --py-spy PATH [--messages N] [--endpoints FILE] [--process api]
[--via api] [--production]`
starts the embedded stack (like `make benchmark`), sends N messages over 20 concurrent
conversations straight to Rasa's REST channel while py-spy samples the Rasa process, and prints
the share of busy samples spent in each of the functions that matter (inclusive), and the top
functions by own time. `--process api` sends them through the public chat API and samples the
API process instead; `--via api` sends them through the API whichever process is sampled.

py-spy is not a project dependency: install it apart (e.g. `python3 -m venv /tmp/pyspy &&
/tmp/pyspy/bin/pip install py-spy`) and pass its path. The collapsed stacks are kept in
var/bench/profile-<time>.txt (py-spy's raw format; flame graph tools read it).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from benchmarks.chat_latency import (
    TURNS,
    PostgresDatabases,
    Target,
    _load,
    embedded_config,
    production_config,
    production_unreachable,
)
from scripts.stack import ROOT, Stack
from scripts.train import ensure_model

# Functions whose inclusive share the issue asks about, by (file suffix, function name).
WATCHED = {
    "tracker store save": ("tracker_store.py", "save"),
    "tracker store retrieve": ("tracker_store.py", "_retrieve"),
    "our tracker store save": ("rasa_components/stores.py", "BankSQLTrackerStore.save"),
    "our tracker store retrieve (cached)": ("rasa_components/stores.py", "BankSQLTrackerStore.retrieve"),
    "combining NLU features (Rasa's deep copy)": ("training_data/message.py", "_combine_features"),
    "event broker publish": ("brokers/sql.py", "publish"),
    "custom stores (rasa_components/stores.py)": ("rasa_components/stores.py", None),
    "graph run (NLU and policies)": ("engine/runner/dask.py", "run"),
    "NLU parse": ("core/processor.py", "parse_message"),
    "TEDPolicy": ("policies/ted_policy.py", "predict_action_probabilities"),
    "action result validation (jsonschema)": ("actions/action.py", "_validate_action_result"),
    "custom actions (action server round trip)": ("actions/action.py", "RemoteAction.run"),
    "tracker rebuilt from stored events": ("trackers.py", "from_dict"),
    "SQL commit": ("sqlalchemy/engine/default.py", "do_commit"),
    "SQL connection close": ("sqlalchemy/engine/default.py", "do_close"),
}
# The same for the API process (--process api).
WATCHED_API = {
    "store the message (accept)": ("api/chat_gateway.py", "_accept"),
    "forward to Rasa (await)": ("api/chat_gateway.py", "_ask_assistant"),
    "store the replies": ("api/chat_gateway.py", "_record_replies"),
    "transcript copy (SQL broker consumer)": ("bot/transcripts/service.py", None),
    "encryption at rest": ("bot/cases/crypto.py", None),
    "settings read": ("bot/config.py", "load_settings"),
    "SQL commit": ("sqlalchemy/engine/default.py", "do_commit"),
    "SQL execute": ("sqlalchemy/engine/default.py", "do_execute"),
    "HTTP client (httpx)": ("httpx/_client.py", None),
}


# The same for the transcript follower (--process transcripts; the load goes through the API).
WATCHED_TRANSCRIPTS = {
    "one round (copy, summaries, notices)": ("api/maintenance.py", "consume_transcripts"),
    "copy a batch of broker events": ("bot/transcripts/service.py", "copy_rasa_broker_batch"),
    "summarise the touched conversations": ("bot/transcripts/service.py", "finish_rasa_broker_round"),
    "decrypt broker rows": ("bot/cases/crypto.py", None),
    "mask personal data": ("bot/text/masking.py", None),
    "search index terms": ("bot/transcripts/search.py", None),
    "SQL commit": ("sqlalchemy/engine/default.py", "do_commit"),
    "SQL execute": ("sqlalchemy/engine/default.py", "do_execute"),
}


def _frame_matches(frame: str, file_suffix: str, function: str | None) -> bool:
    # py-spy raw frames look like "function (path/to/file.py:123)".
    name, _, location = frame.partition(" (")
    path = location.rsplit(":", 1)[0]
    qualified = function is None or name == function or name.endswith("." + function)
    return path.endswith(file_suffix) and qualified


def summarise(raw: Path, top: int = 15, watched: dict[str, tuple[str, str | None]] = WATCHED) -> str:
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text().splitlines():
        frames, _, count = line.rpartition(" ")
        if frames and count.isdigit():
            stacks.append((frames.split(";"), int(count)))
    total = sum(count for _, count in stacks) or 1
    lines = [f"{total} busy samples (idle waiting excluded)"]
    for label, (suffix, function) in watched.items():
        hits = sum(
            count for frames, count in stacks if any(_frame_matches(f, suffix, function) for f in frames)
        )
        lines.append(f"  {hits / total:6.1%}  {label}")
    own: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
    lines.append(f"top {top} functions by own time:")
    for frame, count in own.most_common(top):
        lines.append(f"  {count / total:6.1%}  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True, type=Path, help="path of the py-spy executable")
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--endpoints", type=Path, default=ROOT / "endpoints.yml")
    parser.add_argument("--model", type=Path)
    parser.add_argument(
        "--process",
        choices=("rasa", "api", "transcripts"),
        default="rasa",
        help="the process to sample (default rasa; transcripts: the follower, load through the API)",
    )
    parser.add_argument(
        "--via",
        choices=("rasa", "api"),
        help="where the messages are sent (default: the sampled process), e.g. `--process rasa "
        "--via api` for what a turn through the public API costs Rasa",
    )
    parser.add_argument(
        "--gil",
        action="store_true",
        help="only samples of the thread holding the GIL: where a Python process's CPU goes, "
        "without its threads' waiting",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="the production topology (PostgreSQL, Redis, RabbitMQ; one Sanic worker, so that one "
        "process holds every turn) instead of the embedded default",
    )
    args = parser.parse_args()
    args.rasa_workers = args.api_workers = args.action_workers = 1

    model = args.model or ensure_model(quiet=True)
    out = ROOT / "var" / "bench" / f"profile-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as cleanup, tempfile.TemporaryDirectory(prefix="bankbot-profile-") as tmp:
        if args.production:
            if reason := production_unreachable():
                raise SystemExit(f"production topology: {reason}")
            databases = PostgresDatabases()
            cleanup.callback(databases.close)
            config = production_config(model, Path(tmp), databases, cleanup, args)
        else:
            config = embedded_config(model, Path(tmp), args.endpoints.resolve())
        stack = Stack(config)
        stack.start()
        try:
            if (args.via or args.process) in ("api", "transcripts"):
                target = Target("API", stack.api_url, "api", TURNS)
            else:
                target = Target("Rasa", f"http://127.0.0.1:{stack.config.rasa_port}", "rasa", TURNS)
            asyncio.run(_load(target, 2, len(TURNS)))  # warm-up
            spy = subprocess.Popen(
                [
                    str(args.py_spy),
                    "record",
                    "--pid",
                    str(stack.processes[args.process].pid),
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--rate",
                    "200",
                    "--nonblocking",
                    *(["--gil"] if args.gil else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(2)  # py-spy attaches
            latencies, problems, elapsed = asyncio.run(
                _load(target, args.concurrency, max(1, args.messages // args.concurrency))
            )
            spy.send_signal(2)  # SIGINT: py-spy writes the profile and exits
            spy.wait(timeout=60)
        finally:
            stack.stop()
    print(
        f"{len(latencies)} messages, {sum(problems.values())} errors, {len(latencies) / elapsed:.1f} turns/s while sampled"
    )
    watched = {"api": WATCHED_API, "transcripts": WATCHED_TRANSCRIPTS}.get(args.process, WATCHED)
    print(summarise(out, watched=watched))
    print(f"collapsed stacks: {out}")


if __name__ == "__main__":
    main()
