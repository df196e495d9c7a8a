"""What `make benchmark` and `make benchmark-profile` print from their measurements: the ratios
the turn-cost bars are read from (README "Turn cost") and the profile's shares. The loads themselves
are not run here (they take minutes); these check the arithmetic and the wording a reader relies on."""

from __future__ import annotations

import argparse
from collections import Counter

from benchmarks.chat_latency import Figures, report
from benchmarks.profile_rasa import WATCHED_API, summarise


def _figures(turns: int, seconds: float, latency: float, problems: Counter[str] | None = None) -> Figures:
    return Figures(
        latencies=[latency] * turns,
        sequential=[latency / 10] * 5,
        problems=problems or Counter(),
        elapsed=seconds,
    )


def test_the_benchmark_report_prints_the_ratios_errors_and_memory(capsys):
    results = {
        "starter bot, Rasa": _figures(100, 10.0, 0.5),  # 10 turns/s
        "default, Rasa": _figures(100, 5.0, 0.25),  # 20 turns/s
        "default, API": _figures(100, 20.0, 1.0, Counter({"HTTP 503": 2})),  # 5 turns/s
    }
    args = argparse.Namespace(
        messages=100, concurrency=20, sequential=5, rounds=1, rasa_workers=2, action_workers=1, api_workers=1
    )
    report(results, {"default": 21.0}, {"default stack": {"rasa": 700.0, "api": 200.0}}, args, [])
    out = capsys.readouterr().out
    assert "default topology, turns/s: our Rasa / starter bot x2.00, API / our Rasa x0.25" in out
    assert "production workers: Rasa 2, action server 1, API 1" in out
    assert "errors of default, API: HTTP 503 x2" in out
    assert "RSS default stack: 900 MiB (rasa 700, api 200)" in out
    row = next(line for line in out.splitlines() if line.startswith("default, Rasa"))
    assert row.split()[2:5] == ["100", "0", "20.0"], row  # turns, errors, turns/s


def test_the_profile_summary_prints_inclusive_shares(tmp_path):
    raw = tmp_path / "profile.txt"
    raw.write_text(
        "run (uvicorn/main.py:1);_accept (api/chat_gateway.py:10);do_commit (sqlalchemy/engine/default.py:686) 3\n"
        "run (uvicorn/main.py:1);_record_replies (api/chat_gateway.py:20) 1\n"
    )
    summary = summarise(raw, watched=WATCHED_API)
    assert "4 busy samples" in summary
    assert " 75.0%  store the message (accept)" in summary
    assert " 25.0%  store the replies" in summary
    assert " 75.0%  SQL commit" in summary
