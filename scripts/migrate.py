"""Alembic migrations applied from code: `python -m scripts.migrate [revision]`."""

from __future__ import annotations

import logging
import sys

from alembic import command
from alembic.config import Config

from bot.config import PROJECT_ROOT, load_settings

log = logging.getLogger(__name__)


def _config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Applies the migrations up to `revision` on the database at the URL; at the head, also
    imports the repository's FAQ answers of topics the database does not hold yet."""
    command.upgrade(_config(database_url), revision)
    if revision == "head":
        seed_answers(database_url)


def seed_answers(database_url: str) -> list[str]:
    """The knowledge base's first published versions, from the answer files (FAQ_ANSWERS_DIR):
    every topic on a new install, a topic a release added later; never over a stored history."""
    from sqlalchemy.exc import IntegrityError

    from bot.db import build_engine, build_session_factory, utcnow
    from bot.faq import service as faq_service
    from bot.faq.answers import configured_store

    engine = build_engine(database_url)
    try:
        with build_session_factory(engine).begin() as session:
            seeded = faq_service.seed_from_files(
                session=session, answers=configured_store().answers(), now=utcnow()
            )
    except IntegrityError:  # another replica's migration step seeded them at the same moment
        seeded = []
    finally:
        engine.dispose()
    if seeded:
        log.info("FAQ answers of %d topics imported into the knowledge base", len(seeded))
    return seeded


def downgrade(database_url: str, revision: str) -> None:
    """Reverts the migrations down to `revision`."""
    command.downgrade(_config(database_url), revision)


if __name__ == "__main__":
    upgrade(load_settings().database_url, sys.argv[1] if len(sys.argv) > 1 else "head")
