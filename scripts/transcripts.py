"""The analysts' transcript store, from the command line.

    python -m scripts.transcripts consume           # read new events from Rasa's SQL broker
    python -m scripts.transcripts consume --replay  # read everything again (stores nothing twice)
    python -m scripts.transcripts consume-rabbitmq  # production: Rasa's RabbitMQ broker, until stopped
    python -m scripts.transcripts consume-rabbitmq --once  # store what is queued, then exit
    python -m scripts.transcripts reconcile --hours 2  # production: backfill from Rasa's tracker store
    python -m scripts.transcripts purge --dry-run   # what is past retention (removes nothing)
    python -m scripts.transcripts purge             # remove it

The API runs the SQL-broker consumer every 30 seconds; `consume` is for catching up by hand.
In production `consume-rabbitmq` runs as its own process (any number of replicas).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.archive import service as archive_service
from bot.archive.models import OUTCOME_LABELS
from bot.config import load_settings
from bot.db import build_engine, build_session_factory, utcnow
from bot.transcripts import service as transcripts
from bot.transcripts import reconcile as reconcile_service
from bot.transcripts.consumer import RabbitMQConsumer, RabbitMQSettings


def consume(replay: bool = False) -> tuple[int, int]:
    """Returns (messages from Rasa's broker, notices from the API)."""
    settings = load_settings()
    factory = build_session_factory(build_engine(settings.database_url))
    with factory.begin() as session:
        if replay:
            transcripts.reset_cursors(session)
        from_rasa = 0
        if Path(settings.rasa_events_db).exists():
            broker = build_engine(f"sqlite:///{settings.rasa_events_db}")
            from_rasa = transcripts.consume_rasa_broker(session, broker)
            broker.dispose()
        return from_rasa, transcripts.consume_api_notices(session)


def rabbitmq_settings() -> RabbitMQSettings:
    """The RABBITMQ_* variables Rasa's endpoints.production.yml reads."""
    settings = load_settings()
    return RabbitMQSettings(
        host=settings.rabbitmq_host, port=settings.rabbitmq_port, username=settings.rabbitmq_user,
        password=settings.rabbitmq_password, queue=settings.rabbitmq_queue,
    )  # fmt: skip


def consume_rabbitmq(once: bool = False, rabbitmq: RabbitMQSettings | None = None) -> int:
    """Reads Rasa's RabbitMQ queue into the transcript store; with `once` stores what is queued
    and returns how many new messages, otherwise runs until SIGINT/SIGTERM."""
    settings = load_settings()
    engine = build_engine(settings.database_url)
    consumer = RabbitMQConsumer(session_factory=build_session_factory(engine), settings=rabbitmq or rabbitmq_settings(),
                                retention_days=settings.transcript_retention_days)  # fmt: skip

    async def run() -> int:
        if once:
            return await consumer.drain()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await consumer.run(stop)
        return 0

    try:
        return asyncio.run(run())
    finally:
        engine.dispose()


def tracker_database_url() -> str:
    """Rasa's tracker store (PostgreSQL) from the TRACKER_DB_* variables endpoints.production.yml reads."""
    from sqlalchemy.engine import URL

    env = os.environ
    return URL.create(
        "postgresql+psycopg2", username=env.get("TRACKER_DB_USER") or None,
        password=env.get("TRACKER_DB_PASSWORD") or None, host=env.get("TRACKER_DB_HOST", "127.0.0.1"),
        port=int(env.get("TRACKER_DB_PORT") or 5432), database=env.get("TRACKER_DB_NAME", "rasa"),
    ).render_as_string(hide_password=False)  # fmt: skip


def reconcile(hours: float, tracker_url: str | None = None) -> int:
    """Stores what Rasa's tracker store holds from the last `hours` and the transcript store lacks
    (events a crashed Rasa never published to RabbitMQ); returns how many new messages."""
    settings = load_settings()
    engine, tracker = build_engine(settings.database_url), build_engine(tracker_url or tracker_database_url())
    try:
        with build_session_factory(engine).begin() as session:
            return reconcile_service.reconcile(
                session=session, tracker=tracker, since=utcnow() - timedelta(hours=hours),
                retention_days=settings.transcript_retention_days,
            )  # fmt: skip
    finally:
        engine.dispose()
        tracker.dispose()


def purge(dry_run: bool = False, now: datetime | None = None) -> archive_service.PurgeReport:
    """Removes (or with `dry_run` only counts) the conversations past their retention date."""
    engine = build_engine(load_settings().database_url)
    try:
        with build_session_factory(engine).begin() as session:
            return archive_service.purge_expired(session=session, now=now or utcnow(), dry_run=dry_run)
    finally:
        engine.dispose()


def purge_summary(report: archive_service.PurgeReport, dry_run: bool) -> str:
    """What a purge removed (or would remove), for the terminal."""
    verb = "would remove" if dry_run else "removed"
    if not report.conversations:
        return f"nothing past retention; {verb} 0 conversations"
    lines = [f"{verb} {report.conversations} conversations ({report.messages} messages) past retention",
             f"  last messages from {report.oldest.isoformat()} to {report.newest.isoformat()}"]  # fmt: skip
    for outcome, count in sorted(report.by_outcome.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {outcome} ({OUTCOME_LABELS.get(outcome, outcome)}): {count}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("consume", help="read new events into the transcript store")
    command.add_argument("--replay", action="store_true", help="read every source from the start")
    command = commands.add_parser("consume-rabbitmq", help="read Rasa's RabbitMQ event queue (RABBITMQ_*)")
    command.add_argument("--once", action="store_true", help="store what is queued, then exit")
    command = commands.add_parser("reconcile", help="backfill from Rasa's tracker store (TRACKER_DB_*)")
    command.add_argument("--hours", type=float, default=2.0, help="how far back to look (default 2)")
    command = commands.add_parser("purge", help="remove conversations past TRANSCRIPT_RETENTION_DAYS")
    command.add_argument("--dry-run", action="store_true", help="only report what would be removed")
    args = parser.parse_args(argv)
    if args.command == "consume":
        from_rasa, notices = consume(replay=args.replay)
        print(f"stored {from_rasa} messages from Rasa's event broker and {notices} notices from the API")
    elif args.command == "consume-rabbitmq":
        logging.basicConfig(level=load_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        stored = consume_rabbitmq(once=args.once)
        if args.once:
            print(f"stored {stored} messages from Rasa's RabbitMQ queue")
    elif args.command == "reconcile":
        stored = reconcile(args.hours)
        print(f"stored {stored} messages from Rasa's tracker store that the transcript store lacked")
    else:
        print(purge_summary(purge(dry_run=args.dry_run), dry_run=args.dry_run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
