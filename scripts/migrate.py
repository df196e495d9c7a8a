"""Alembic migrations applied from code: `python -m scripts.migrate [revision]`."""

from __future__ import annotations

import sys

from alembic import command
from alembic.config import Config

from bot.config import PROJECT_ROOT, load_settings


def _config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Applies the migrations up to `revision` on the database at the URL."""
    command.upgrade(_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Reverts the migrations down to `revision`."""
    command.downgrade(_config(database_url), revision)


if __name__ == "__main__":
    upgrade(load_settings().database_url, sys.argv[1] if len(sys.argv) > 1 else "head")
