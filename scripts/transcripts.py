"""The analysts' transcript store, from the command line.

    python -m scripts.transcripts consume           # read new events from Rasa's SQL broker
    python -m scripts.transcripts consume --replay  # read everything again (stores nothing twice)
    python -m scripts.transcripts consume-rabbitmq  # production: Rasa's RabbitMQ broker, until stopped
    python -m scripts.transcripts consume-rabbitmq --once  # store what is queued, then exit
    python -m scripts.transcripts reconcile --hours 2  # production: backfill from Rasa's tracker store
    python -m scripts.transcripts purge --dry-run   # what is past retention (removes nothing)
    python -m scripts.transcripts purge             # remove it, with every raw copy (API log, tracker, broker)

    python -m scripts.transcripts follow            # the SQL broker every --interval s, until stopped

`make run` starts `follow` as a process of its own (every 5 s, at a lower CPU priority): the copy
never holds up the API's answers to customers. A bare API (uvicorn alone) copies every 30 seconds itself
(TRANSCRIPTS_IN_API); `consume` is for catching up by hand. In production `consume-rabbitmq`
runs as its own process (any number of replicas).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.archive import raw_copies
from bot.archive import service as archive_service
from bot.archive.models import OUTCOME_LABELS
from bot.config import load_settings
from bot.db import build_engine, build_session_factory, utcnow
from bot.transcripts import reconcile as reconcile_service
from bot.transcripts import service as transcripts
from bot.transcripts.consumer import RabbitMQConsumer, RabbitMQSettings

logger = logging.getLogger("scripts.transcripts")


def consume(replay: bool = False) -> tuple[int, int]:
    """Returns (messages from Rasa's broker, notices from the API). The same batches as the
    follower's rounds: a batch that clashed with the follower, copying at the same moment, runs
    again (bot.transcripts.service.copy_transaction)."""
    settings = load_settings()
    engine = build_engine(settings.database_url)
    factory = build_session_factory(engine)
    try:
        if replay:
            transcripts.copy_transaction(factory, transcripts.reset_cursors)
        from_rasa = transcripts.copy_rasa_broker_file(factory, settings.rasa_events_db)
        return from_rasa, transcripts.copy_transaction(factory, transcripts.consume_api_notices)
    finally:
        engine.dispose()


# Several followers may run (a restart overlapping the old process): one copies at a time.
FOLLOW_LEASE = "transcripts"


def follow(interval: float = 30.0, stop: threading.Event | None = None) -> int:
    """Copies Rasa's SQL event broker and the API's notices into the transcript store every
    `interval` seconds until `stop` is set (SIGINT/SIGTERM from `main`); returns how many
    messages and notices it stored. A failed round (the broker table not created yet, the
    database briefly away) is logged and tried again next time."""
    from api import maintenance
    from bot.leases import service as leases
    from bot.transcripts.search import warm_up

    stop = stop or threading.Event()
    settings = load_settings()
    engine = build_engine(settings.database_url)
    factory = build_session_factory(engine)
    holder = leases.new_holder_id()
    stored = 0
    warm_up()  # the search index's segmenter loads in about a second: before the first round
    logger.info("copying %s into the transcript store every %g s", settings.rasa_events_db, interval)
    try:
        while not stop.wait(interval):
            try:
                if maintenance.hold_lease(factory, holder, 3 * interval, FOLLOW_LEASE):
                    stored += maintenance.consume_transcripts(factory, settings.rasa_events_db)
            except Exception:
                logger.warning("transcript round failed", exc_info=True)
    finally:
        try:
            maintenance.release_lease(factory, holder, FOLLOW_LEASE)
        except Exception:  # the database gone while stopping: the lease simply expires
            logger.info("transcript lease not released; it expires by itself")
        engine.dispose()
    return stored


def rabbitmq_settings() -> RabbitMQSettings:
    """The RABBITMQ_* variables Rasa's endpoints.production.yml reads."""
    settings = load_settings()
    return RabbitMQSettings(
        host=settings.rabbitmq_host,
        port=settings.rabbitmq_port,
        username=settings.rabbitmq_user,
        password=settings.rabbitmq_password,
        queue=settings.rabbitmq_queue,
    )


def consume_rabbitmq(once: bool = False, rabbitmq: RabbitMQSettings | None = None) -> int:
    """Reads Rasa's RabbitMQ queue into the transcript store; with `once` stores what is queued
    and returns how many new messages, otherwise runs until SIGINT/SIGTERM."""
    settings = load_settings()
    engine = build_engine(settings.database_url)
    consumer = RabbitMQConsumer(
        session_factory=build_session_factory(engine),
        settings=rabbitmq or rabbitmq_settings(),
        retention_days=settings.transcript_retention_days,
    )

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


def reconcile(hours: float) -> int:
    """Stores what Rasa's tracker store (RASA_TRACKER_URL or TRACKER_DB_*) holds from the last
    `hours` and the transcript store lacks (events a crashed Rasa never published to RabbitMQ);
    returns how many new messages."""
    settings = load_settings()
    engine, tracker = build_engine(settings.database_url), build_engine(settings.rasa_tracker_url)
    try:
        with build_session_factory(engine).begin() as session:
            return reconcile_service.reconcile(
                session=session,
                tracker=tracker,
                since=utcnow() - timedelta(hours=hours),
                retention_days=settings.transcript_retention_days,
            )
    finally:
        engine.dispose()
        tracker.dispose()


@dataclass
class Purge:
    transcripts: archive_service.PurgeReport
    raw: raw_copies.RawPurgeReport


def purge(dry_run: bool = False, now: datetime | None = None) -> Purge:
    """Removes (or with `dry_run` only counts) the conversations past their retention date: the
    transcripts and service records, and every raw copy (the API's log, Rasa's tracker store and
    SQL broker table)."""
    settings = load_settings()
    now = now or utcnow()
    engine = build_engine(settings.database_url)
    tracker = _optional_engine(settings.rasa_tracker_url)
    broker = _optional_engine(f"sqlite:///{settings.rasa_events_db}" if settings.rasa_events_db else "")
    try:
        with ExitStack() as stack:
            session = stack.enter_context(build_session_factory(engine).begin())
            tracker_connection = stack.enter_context(tracker.begin()) if tracker is not None else None
            broker_connection = stack.enter_context(broker.begin()) if broker is not None else None
            expired = archive_service.expired_conversation_ids(session=session, now=now)
            report = transcripts.purge_expired(session=session, now=now, dry_run=dry_run)
            raw = raw_copies.purge_expired_copies(
                session=session,
                cutoff=archive_service.retention_cutoff(now, settings.transcript_retention_days),
                tracker=tracker_connection,
                broker=broker_connection,
                also_expired=expired,
                dry_run=dry_run,
            )
            return Purge(transcripts=report, raw=raw)
    finally:
        for each in (engine, tracker, broker):
            if each is not None:
                each.dispose()


def _optional_engine(url: str):
    """An engine for a Rasa store, or None when it is a SQLite file that does not exist (Rasa has
    not run here) or not configured."""
    if not url:
        return None
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).exists():
        return None
    return build_engine(url)


def purge_summary(result: Purge | archive_service.PurgeReport, dry_run: bool) -> str:
    """What a purge removed (or would remove), for the terminal."""
    report = result.transcripts if isinstance(result, Purge) else result
    verb = "would remove" if dry_run else "removed"
    if not report.conversations:
        lines = [f"nothing past retention in the transcript store; {verb} 0 conversations"]
    else:
        lines = [
            f"{verb} {report.conversations} conversations ({report.messages} messages) past retention",
            f"  last messages from {report.oldest.isoformat()} to {report.newest.isoformat()}",
        ]
        for outcome, count in sorted(report.by_outcome.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"  {outcome} ({OUTCOME_LABELS.get(outcome, outcome)}): {count}")
    if isinstance(result, Purge):
        raw = result.raw
        lines.append(
            f"raw copies of {len(raw.conversations)} conversations: {raw.api_messages} API log messages, "
            f"{raw.handoff_records} handoffs and call-backs, "
            f"{raw.tracker_events} tracker store events, {raw.broker_events} broker events"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("consume", help="read new events into the transcript store")
    command.add_argument("--replay", action="store_true", help="read every source from the start")
    command = commands.add_parser("follow", help="read Rasa's SQL broker every --interval s, until stopped")
    command.add_argument("--interval", type=float, default=30.0, help="seconds between rounds (default 30)")
    command.add_argument(
        "--nice", type=int, default=0, help="lower this process's CPU priority by this much (make run: 10)"
    )
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
    elif args.command == "follow":
        from api.operations import configure_logging

        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format, service="transcript-follower")
        if args.nice:
            os.nice(args.nice)  # customers' turns (Rasa, actions, API) come first
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stored = follow(interval=args.interval, stop=stop)
        print(f"stored {stored} messages and notices; stopped")
    elif args.command == "consume-rabbitmq":
        from api.operations import configure_logging

        settings = load_settings()
        # APP_LOG_FORMAT=json: one JSON object a line, as the API's (service "transcript-consumer").
        configure_logging(settings.log_level, settings.log_format, service="transcript-consumer")
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
