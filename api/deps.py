"""Request dependencies: settings, database sessions and the Rasa client held by the app."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings

from .rasa_client import RasaClient


# Accessors of the app's state are `async def`: FastAPI runs a plain `def` dependency in its
# threadpool, a thread hop (and a GIL hand-over) for reading an attribute.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_session_factory(request: Request) -> sessionmaker:
    return request.app.state.session_factory


async def get_rasa(request: Request) -> RasaClient:
    return request.app.state.rasa


def get_db(request: Request) -> Iterator[Session]:
    """A session whose transaction commits when the request succeeds and rolls back otherwise.
    Plain `def` routes commit it already in their own thread (commit_in_route_thread)."""
    session = request.app.state.session_factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[sessionmaker, Depends(get_session_factory)]
RasaDep = Annotated[RasaClient, Depends(get_rasa)]
# scope="function": commit before the response is sent, so a client never sees an id that
# is not yet stored (and a failed commit is reported as an error, not swallowed).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def _committing(call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def route(**values: Any) -> Any:
        result = call(**values)
        for value in values.values():
            if isinstance(value, Session) and value.in_transaction():
                value.commit()
        return result

    route.commits_in_route_thread = True  # type: ignore[attr-defined]
    return route


def commit_in_route_thread(app: FastAPI) -> None:
    """Plain `def` routes commit their SessionDep transaction in the thread that ran them.

    FastAPI validates a sync route's response in *another* threadpool task; a transaction still
    open then keeps SQLite's write lock while it waits for a free thread — and under a burst every
    thread is taken by requests waiting for that very lock (41 simultaneous session creations
    froze the API for 30 s). Committed in the route's own thread, the lock is held only while
    the route works. A failing commit raises inside the route, answered like any error."""
    for route in app.routes:
        if not isinstance(route, APIRoute) or route.dependant.call is None:
            continue
        if route.dependant.is_coroutine_callable or getattr(
            route.dependant.call, "commits_in_route_thread", False
        ):
            continue
        if any(dependency.call is get_db for dependency in route.dependant.dependencies):
            route.dependant.call = _committing(route.dependant.call)
