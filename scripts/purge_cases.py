"""Deletes complaint cases closed or withdrawn more than CASE_RETENTION_YEARS (default 3) ago,
with their audit trail, and prints what it removed:

    python -m scripts.purge_cases [--dry-run] [--years N]

Open and answered-but-not-closed cases are never removed, nor any case that ended more recently.
"""

from __future__ import annotations

import argparse
import sys

from bot.cases import service as case_service
from bot.config import load_settings
from bot.db import build_engine, build_session_factory
from bot.text.china_time import china_date


def main(argv: list[str] | None = None) -> int:
    settings = load_settings()
    parser = argparse.ArgumentParser(prog="python -m scripts.purge_cases", description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    parser.add_argument(
        "--years",
        type=int,
        default=settings.case_retention_years,
        help=f"retention in years after closing (default {settings.case_retention_years})",
    )
    args = parser.parse_args(argv)
    engine = build_engine(settings.database_url)
    try:
        with build_session_factory(engine).begin() as session:
            purged = case_service.purge_closed_cases(
                session=session, older_than_years=args.years, dry_run=args.dry_run
            )
    finally:
        engine.dispose()
    verb = "Would remove" if args.dry_run else "Removed"
    for case in purged:
        print(f"{verb} {case.number} ({case.status} on {china_date(case.ended_at)})")
    print(f"{verb} {len(purged)} case(s) ended more than {args.years} year(s) ago.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
