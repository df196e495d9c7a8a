"""Analyst-console queries on a large transcript store: `python -m benchmarks.transcripts`.

    python -m benchmarks.transcripts --database-url URL [--generate 1000000 50000] [--explain]

With --generate N M the database is migrated and N messages over M conversations are added first
(scripts/generate_transcripts.py). Then each figure is the median of 5 runs (after one warm-up),
each run in a fresh session, through the same functions the analyst console calls:

- list:        date range (last 30 days) + intent, page 1, with the total count
- low conf.:   lowest confidence below 0.5, sorted by it, page 1
- search:      full-text search (jieba terms), page 1 with the total count
- dashboard:   bot.transcripts.dashboard.dashboard over the last 30 days and over everything
- export:      JSONL rows (messages) per second over a filter of about 50,000 messages

Targets (PostgreSQL): list and search < 300 ms, dashboard < 1 s. --explain prints PostgreSQL's
plans (EXPLAIN ANALYZE) of the list, low-confidence and search queries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.db import build_engine, build_session_factory, utcnow
from bot.text.china_time import CHINA, ZONE_NAME
from bot.transcripts import dashboard as transcript_dashboard
from bot.transcripts import export as transcript_export
from bot.transcripts import query as transcript_query
from bot.transcripts.models import TranscriptConversation
from bot.transcripts.query import ConversationFilter
from scripts import generate_transcripts, migrate

RUNS = 5
EXPORT_TARGET_MESSAGES = 50_000
LIST_INTENT = "complain"
SEARCHES = ("信用卡 年费", "提前赎回", "转账")


def timed(session_factory, action: Callable[[Session], Any], runs: int = RUNS) -> tuple[list[float], Any]:
    """Seconds of each run (one warm-up run first, not counted) and the last result."""
    result = None
    times = []
    for run in range(runs + 1):
        with session_factory() as session:
            started = time.perf_counter()
            result = action(session)
            elapsed = time.perf_counter() - started
        if run:
            times.append(elapsed)
    return times, result


def export_filter(session: Session, today: date) -> ConversationFilter:
    """The shortest recent date range holding at least EXPORT_TARGET_MESSAGES messages."""
    day = (
        func.date(func.timezone(ZONE_NAME, TranscriptConversation.started_at))
        if session.get_bind().dialect.name == "postgresql"
        else func.date(TranscriptConversation.started_at, "+8 hours")
    )
    per_day = {
        str(d): int(n or 0)
        for d, n in session.execute(select(day, func.sum(TranscriptConversation.message_count)).group_by(day))
    }
    total, since = 0, today
    for back in range(0, 3660):
        since = today - timedelta(days=back)
        total += per_day.get(str(since), 0)
        if total >= EXPORT_TARGET_MESSAGES:
            break
    return ConversationFilter(date_from=since, date_to=today)


def explain(session: Session, statement, label: str) -> None:
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    print(f"\n--- EXPLAIN ANALYZE {label}")
    for (line,) in session.connection().exec_driver_sql(
        f"EXPLAIN (ANALYZE, BUFFERS) {compiled}", compiled.params
    ):
        print("   ", line)


def create_database_if_missing(url: str) -> None:
    """PostgreSQL: creates the benchmark's database on first use (SQLite creates its file)."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql":
        return
    admin = build_engine(target.set(database="postgres").render_as_string(hide_password=False))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def stored_messages(url: str) -> int:
    engine = build_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(text("SELECT COUNT(*) FROM transcript_message"))
    engine.dispose()
    return count or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument(
        "--generate",
        nargs=2,
        type=int,
        metavar=("MESSAGES", "CONVERSATIONS"),
        help="migrate, then fill an empty store with this many messages over this many conversations",
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's query plans")
    args = parser.parse_args(argv)

    if args.generate:
        create_database_if_missing(args.database_url)
        migrate.upgrade(args.database_url)
        messages, conversations = args.generate
    if args.generate and stored_messages(args.database_url):
        print("the store already holds generated data: not generating again", flush=True)
    elif args.generate:
        print(f"generating {messages} messages over {conversations} conversations …", flush=True)
        report = generate_transcripts.generate(
            database_url=args.database_url, messages=messages, conversations=conversations
        )
        print(f"generated in {report.seconds:.0f} s ({report.terms} search terms)", flush=True)

    engine = build_engine(args.database_url)
    factory = build_session_factory(engine)
    now = utcnow()
    today = now.astimezone(CHINA).date()
    month = ConversationFilter(date_from=today - timedelta(days=30), date_to=today)
    listed = ConversationFilter(date_from=month.date_from, date_to=today, intent=LIST_INTENT)
    low = ConversationFilter(max_confidence=0.5)
    with factory() as session:
        conversations = session.scalar(select(func.count()).select_from(TranscriptConversation))
        messages = session.scalar(text("SELECT COUNT(*) FROM transcript_message"))
        terms = session.scalar(text("SELECT COUNT(*) FROM transcript_term"))
        exported = export_filter(session, today)
    print(
        f"\n{engine.dialect.name}: {conversations} conversations, {messages} messages, {terms} search terms; "
        f"median of {args.runs} runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )

    def list_page(filters: ConversationFilter, sort: str = "-started_at"):
        return lambda session: transcript_query.list_conversations(
            session=session, filters=filters, sort=sort
        )

    cases: list[tuple[str, Callable[[Session], Any], float | None]] = [
        (f"list: last 30 days + intent {LIST_INTENT}", list_page(listed), 0.3),
        ("list: last 30 days", list_page(month), 0.3),
        ("low confidence < 0.5, by confidence", list_page(low, "min_confidence"), 0.3),
    ]
    cases += [(f"search {q!r}", list_page(ConversationFilter(q=q)), 0.3) for q in SEARCHES]
    cases += [
        (
            "search '信用卡 年费' + last 30 days",
            list_page(ConversationFilter(q="信用卡 年费", date_from=month.date_from, date_to=today)),
            0.3,
        ),
        (
            "dashboard: last 30 days",
            lambda s: transcript_dashboard.dashboard(session=s, filters=month, now=now),
            1.0,
        ),
        (
            "dashboard: everything",
            lambda s: transcript_dashboard.dashboard(session=s, filters=ConversationFilter(), now=now),
            1.0,
        ),
    ]
    print(f"{'query':<44} {'median':>9} {'min':>9} {'max':>9} {'target':>8}  matches")
    missed = []
    for label, action, target in cases:
        times, result = timed(factory, action, args.runs)
        median = statistics.median(times)
        matches = result[1] if isinstance(result, tuple) else result["totals"]["total_conversations"]
        verdict = "" if target is None else ("ok" if median < target else "MISSED")
        if verdict == "MISSED":
            missed.append(label)
        print(
            f"{label:<44} {median * 1000:>7.0f}ms {min(times) * 1000:>7.0f}ms {max(times) * 1000:>7.0f}ms "
            f"{(target or 0) * 1000:>6.0f}ms  {matches} {verdict}",
            flush=True,
        )

    def export(session: Session) -> int:
        return sum(len(chunk) for chunk in transcript_export.jsonl_lines(session, exported))

    rows_per_run = None
    with factory() as session:
        rows_per_run = (
            session.scalar(
                transcript_query.apply(select(func.sum(TranscriptConversation.message_count)), exported)
            )
            or 0
        )
    times, size = timed(factory, export, args.runs)
    median = statistics.median(times)
    print(
        f"\nexport jsonl {exported.date_from}..{exported.date_to}: {rows_per_run} messages "
        f"({size / 1e6:.1f} M characters) "
        f"in {median:.2f} s median = {rows_per_run / median:,.0f} rows/s "
        f"(min {min(times):.2f} s, max {max(times):.2f} s)"
    )

    if args.explain and engine.dialect.name == "postgresql":
        with factory() as session:
            C = TranscriptConversation
            explain(
                session, transcript_query.apply(select(func.count()).select_from(C), listed), "list count"
            )
            explain(
                session,
                transcript_query.apply(select(C), listed)
                .order_by(*transcript_query.SORTS["-started_at"])
                .limit(20),
                "list page",
            )
            explain(
                session,
                transcript_query.apply(select(C), low)
                .order_by(*transcript_query.SORTS["min_confidence"])
                .limit(20),
                "low confidence page",
            )
            explain(
                session,
                transcript_query.apply(
                    select(func.count()).select_from(C), ConversationFilter(q="信用卡 年费")
                ),
                "search count",
            )
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    if missed:
        print("missed their target: " + ", ".join(missed))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
