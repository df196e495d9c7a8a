"""The API application factory: `uvicorn api.main:create_app --factory`."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.config import PROJECT_ROOT, Settings, load_settings
from bot.db import build_engine, build_session_factory

from .chat_gateway import ChatGateway
from .errors import install_error_handlers
from .rasa_client import RasaClient
from .routes import chat, health, pages


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the API; engines and clients are created here, never at import time."""
    settings = settings or load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s - %(message)s"
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
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
    app.state.gateway = ChatGateway(settings=settings, session_factory=session_factory, rasa=rasa)

    install_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(PROJECT_ROOT / "api" / "static")), name="static")
    return app
