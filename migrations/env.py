"""Alembic environment: the URL comes from DATABASE_URL (or -x url=...), metadata from bot models."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import bot.models  # noqa: F401  (registers every table on Base.metadata)
from bot.config import load_settings
from bot.db import Base, build_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def _database_url() -> str:
    return context.get_x_argument(as_dictionary=True).get("url") or config.attributes.get(
        "database_url"
    ) or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = build_engine(_database_url())
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
