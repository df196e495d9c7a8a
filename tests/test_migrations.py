"""Migrations build exactly the schema the models describe, and every step can be undone."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import bot.models  # noqa: F401  (registers every table)
from bot.db import Base, build_engine
from scripts import migrate
from tests.conftest import create_postgres_database, drop_postgres_database, postgres_reachable


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


def test_migrated_schema_matches_the_models(empty_database):
    migrate.upgrade(empty_database)
    engine = build_engine(empty_database)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_everything_and_upgrade_restores_it(empty_database):
    migrate.upgrade(empty_database)
    migrate.downgrade(empty_database, "base")
    engine = build_engine(empty_database)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()

    migrate.upgrade(empty_database)
    engine = build_engine(empty_database)
    assert {"conversation", "conversation_message"} <= set(inspect(engine).get_table_names())
    engine.dispose()
