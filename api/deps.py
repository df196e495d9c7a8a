"""Request dependencies: settings, database sessions and the Rasa client held by the app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings

from .rasa_client import RasaClient


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session_factory(request: Request) -> sessionmaker:
    return request.app.state.session_factory


def get_rasa(request: Request) -> RasaClient:
    return request.app.state.rasa


def get_db(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the request succeeds and rolls back otherwise."""
    with request.app.state.session_factory.begin() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[sessionmaker, Depends(get_session_factory)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]
# scope="function": commit before the response is sent, so a client never sees an id that
# is not yet stored (and a failed commit is reported as an error, not swallowed).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
