"""The API application factory: `uvicorn api.main:create_app --factory`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot import security as startup_checks
from bot.cases.crypto import CaseCipher, load_or_create_key
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.db import build_engine, build_session_factory
from bot.identity.secret import identity_verifier

from . import maintenance
from .chat_gateway import ChatGateway
from .cors import ChatCors
from .deps import commit_in_route_thread
from .errors import install_error_handlers
from .handoff_bridge import HandoffBridge
from .input_guard import RejectLoneSurrogates
from .operations import (
    Metrics,
    RequestContext,
    StatusCounter,
    TrustedProxies,
    configure_logging,
    monotonic,
    parse_networks,
)
from .rasa_client import RasaClient
from .realtime import Notifier
from .routes import agent as agent_routes
from .routes import (
    agent_pages,
    analyst,
    analyst_pages,
    chat,
    demo,
    health,
    kb,
    kb_pages,
    pages,
    staff_assessments,
    staff_cases,
    staff_pages,
)
from .routes import auth as auth_routes
from .security import BodyLimit, SecurityHeaders, SocketLimiter, install_log_redaction

# A 1,000-character message is at most ~4 KB of JSON; anything far larger is not a chat message.
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the API; engines and clients are created here, never at import time.

    In production (APP_ENV=production) it raises UnsafeConfiguration, listing every problem,
    before serving anything; outside demo mode it disables the demo staff accounts."""
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_format)
    install_log_redaction()
    startup_checks.check_configuration(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await app.state.notifier.start()
        heartbeat = asyncio.create_task(_heartbeat(app))
        housekeeping = asyncio.create_task(
            maintenance.run_forever(
                app.state.session_factory,
                app.state.handoff_bridge,
                settings.rasa_events_db,
                consume=settings.transcripts_in_api and not settings.transcripts_follower,
            )
        )
        yield
        housekeeping.cancel()
        heartbeat.cancel()
        # let it give the housekeeping lease up, so another replica takes over at once
        await asyncio.wait([housekeeping], timeout=5)
        await app.state.notifier.stop()
        await app.state.rasa.aclose()
        app.state.engine.dispose()

    app = FastAPI(
        title="银行智能客服助手 API",
        description="Public chat API of the bank's customer-service assistant (web page and app).",
        version="0.1.0",
        lifespan=lifespan,
        # Swagger UI loads its assets from a CDN: development only; /openapi.json stays.
        docs_url=None if settings.production else "/docs",
        redoc_url=None,
    )
    engine = build_engine(settings.database_url)
    session_factory = build_session_factory(engine)
    try:
        _check_database(settings, session_factory)
    except BaseException:
        engine.dispose()
        raise
    rasa = RasaClient(settings)
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.rasa = rasa
    app.state.identity = identity_verifier(settings)
    app.state.sockets = SocketLimiter()
    app.state.case_cipher = CaseCipher(settings.case_encryption_key or load_or_create_key(settings.var_dir))
    notifier = Notifier(redis_url=settings.realtime_redis_url, poll_seconds=settings.realtime_poll_seconds)
    app.state.notifier = notifier
    app.state.gateway = ChatGateway(
        settings=settings, session_factory=session_factory, rasa=rasa, notifier=notifier
    )
    app.state.gateway.metrics = app.state.metrics
    app.state.handoff_bridge = HandoffBridge(
        settings=settings, session_factory=session_factory, rasa=rasa, notifier=notifier
    )

    install_error_handlers(app)
    # Added innermost first: the body limit, then CORS (so other origins can read a 413), then
    # the security headers on every answer.
    # Innermost: bodies with text no database can store (lone surrogates) get a 422.
    app.add_middleware(RejectLoneSurrogates)
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    # The widget may be embedded on the bank's other sites; only the public chat API and the
    # demo identity are offered to other origins (staff APIs stay same-origin).
    app.add_middleware(ChatCors, origins=settings.chat_allowed_origins)
    app.add_middleware(SecurityHeaders, hsts_mode=settings.hsts_mode)
    app.add_middleware(StatusCounter, metrics=app.state.metrics)
    app.add_middleware(RequestContext)
    # Outermost: the real client address before anything (rate limits, logs) reads it.
    app.add_middleware(TrustedProxies, trusted=parse_networks(settings.trusted_proxies))

    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(auth_routes.router)
    app.include_router(staff_cases.router)
    app.include_router(agent_routes.router)
    app.include_router(pages.router)
    app.include_router(staff_pages.router)
    app.include_router(agent_pages.router)
    app.include_router(analyst_pages.router)
    app.include_router(analyst.router)
    app.include_router(kb_pages.router)
    app.include_router(kb.router)
    app.include_router(demo.router)
    app.include_router(staff_assessments.router)
    commit_in_route_thread(app)  # after every router is included
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "api" / "static")), name="static")
    return app


async def _heartbeat(app: FastAPI) -> None:
    """Ticks every second; /readyz reports a stalled event loop when the tick is old."""
    while True:
        app.state.heartbeat = monotonic()
        await asyncio.sleep(1.0)


def _check_database(settings: Settings, session_factory) -> None:
    """Production refuses to start with active demo staff; outside demo mode they are disabled."""
    log = logging.getLogger(__name__)
    try:
        with session_factory.begin() as session:
            disabled = startup_checks.check_startup(settings, session=session)
    except startup_checks.UnsafeConfiguration:
        raise
    except Exception:
        if settings.production:
            raise
        # Development without a migrated database: the demo accounts cannot exist either.
        log.warning("could not check the demo staff accounts", exc_info=True)
        return
    if disabled:
        log.warning("demo mode is off: disabled the demo staff accounts %s", ", ".join(disabled))
