"""One JSON error shape for every failure:

{"error": {"code": "...", "message": "<Chinese, for the customer>", "detail": "<English>"}}

The Chinese messages are in bot/replies/errors.yml; `error_text(key)` reads one.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from bot.identity.tokens import InvalidIdentity
from bot.replies import replies

logger = logging.getLogger(__name__)

_STATUS_BY_ERROR: list[tuple[type[DomainError], int]] = [
    (InvalidIdentity, 401),
    (Unauthenticated, 401),
    (TooManyAttempts, 429),
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidInput, 422),
    (Conflict, 409),
]


def error_text(key: str) -> str:
    """The customer's message for an error, from bot/replies/errors.yml."""
    return replies("errors").text(key)


def _http_message(status: int) -> str:
    sentences = replies("errors").sentences
    return sentences.get(f"http_{status}", sentences["http_other"])


class AssistantUnavailable(Exception):
    """Rasa could not answer an accepted (and stored) customer message."""

    code = "assistant_unavailable"
    customer_message = error_text("assistant_unavailable")
    # Deliberately not uvicorn's keep-alive timeout (5 s): a client that waits exactly that long
    # would race the server closing the idle connection.
    retry_after_seconds = 3

    def __init__(self, developer_message: str, *, message_id: int):
        super().__init__(developer_message)
        self.developer_message = developer_message
        self.message_id = message_id


def error_body(code: str, message: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The error envelope shared by REST responses and WebSocket error frames."""
    return {"error": {"code": code, "message": message, "detail": detail, **extra}}


def status_for(error: DomainError) -> int:
    """The HTTP status of a domain error."""
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 400


def _validation_message(exc: RequestValidationError) -> tuple[str, str, str]:
    errors = exc.errors()
    if any(error.get("type") in {"json_invalid", "value_error.jsondecode"} for error in errors):
        return "invalid_json", error_text("invalid_json"), "request body is not valid JSON"
    fields = [".".join(str(part) for part in error.get("loc", ())[1:]) for error in errors]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in error.get('loc', ()))}: {error.get('msg')}" for error in errors
    )
    if "text" in fields:
        if any(str(error.get("type", "")).endswith("max_length") for error in errors):
            return "message_too_long", error_text("message_too_long"), detail
        return "invalid_text", error_text("invalid_text"), detail
    return "invalid_request", error_text("invalid_request"), detail


def install_error_handlers(app: FastAPI) -> None:
    """Maps domain errors, validation errors and unexpected failures to the JSON error shape."""

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = None
        if isinstance(exc, (TooManyAttempts, Conflict)):
            headers = {"Retry-After": str(max(1, int(exc.retry_after_seconds)))}
        elif isinstance(exc, Unauthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
        return JSONResponse(
            error_body(exc.code, exc.customer_message, exc.developer_message),
            status_code=status_for(exc),
            headers=headers,
        )

    @app.exception_handler(AssistantUnavailable)
    async def _assistant_unavailable(_request: Request, exc: AssistantUnavailable) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.customer_message, exc.developer_message, message_id=exc.message_id),
            status_code=503,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        # The database is unreachable or its write lock busy past the busy timeout: nothing was
        # changed (the transaction rolled back), so the client may simply try again.
        logger.warning("database unavailable: %s", exc.orig if exc.orig is not None else exc)
        return JSONResponse(
            error_body("service_busy", error_text("service_busy"), "the database is unavailable or busy"),
            status_code=503,
            headers={"Retry-After": str(AssistantUnavailable.retry_after_seconds)},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        code, message, detail = _validation_message(exc)
        status = 400 if code == "invalid_json" else 422
        return JSONResponse(error_body(code, message, detail), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = _http_message(exc.status_code)
        return JSONResponse(
            error_body(f"http_{exc.status_code}", message, str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error while handling a request")
        return JSONResponse(
            error_body(
                "internal_error",
                error_text("internal_error"),
                f"unexpected {type(exc).__name__}; see server logs",
            ),
            status_code=500,
        )
