"""The API application factory: `uvicorn api.main:create_app --factory`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from bot.cases.crypto import CaseCipher, load_or_create_key
from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.db import build_engine, build_session_factory
from bot.identity.secret import load_or_create_secret

from . import maintenance
from .chat_gateway import ChatGateway
from .cors import ChatCors
from .errors import error_body, install_error_handlers
from .handoff_bridge import HandoffBridge
from .rasa_client import RasaClient
from .realtime import Notifier
from .routes import agent as agent_routes
from .routes import agent_pages, analyst, analyst_pages
from .routes import auth as auth_routes
from .routes import staff_cases
from .routes import chat, demo, health, pages, staff_assessments, staff_pages

# A 1,000-character message is at most ~4 KB of JSON; anything far larger is not a chat message.
MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the API; engines and clients are created here, never at import time."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s - %(message)s"
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await app.state.notifier.start()
        housekeeping = asyncio.create_task(
            maintenance.run_forever(
                app.state.session_factory, app.state.handoff_bridge, settings.rasa_events_db,
                consume=settings.transcripts_in_api,
            )
        )
        yield
        housekeeping.cancel()
        await app.state.notifier.stop()
        await app.state.rasa.aclose()
        app.state.engine.dispose()

    app = FastAPI(
        title="银行智能客服助手 API",
        description="Public chat API of the bank's customer-service assistant (web page and app).",
        version="0.1.0",
        lifespan=lifespan,
    )
    engine = build_engine(settings.database_url)
    session_factory = build_session_factory(engine)
    rasa = RasaClient(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.rasa = rasa
    app.state.identity_secret = settings.identity_secret or load_or_create_secret(settings.var_dir)
    app.state.case_cipher = CaseCipher(
        settings.case_encryption_key or load_or_create_key(settings.var_dir)
    )
    notifier = Notifier(
        redis_url=settings.realtime_redis_url, poll_seconds=settings.realtime_poll_seconds
    )
    app.state.notifier = notifier
    app.state.gateway = ChatGateway(
        settings=settings, session_factory=session_factory, rasa=rasa, notifier=notifier
    )
    app.state.handoff_bridge = HandoffBridge(
        settings=settings, session_factory=session_factory, rasa=rasa, notifier=notifier
    )

    install_error_handlers(app)
    # The widget may be embedded on the bank's other sites; only the public chat API and the
    # demo identity are offered to other origins (staff APIs stay same-origin).
    app.add_middleware(
        ChatCors,
        origins=settings.chat_allowed_origins,
    )

    @app.middleware("http")
    async def refuse_huge_bodies(request: Request, call_next):
        """A body far beyond any chat message is refused before it is read."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(
                error_body(
                    "body_too_large",
                    "您发送的内容太大了，请精简后再发送。",
                    f"request body of {length} bytes exceeds {MAX_BODY_BYTES}",
                ),
                status_code=413,
            )
        return await call_next(request)

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
    app.include_router(demo.router)
    app.include_router(staff_assessments.router)
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "api" / "static")), name="static")
    return app
