"""JSON log lines shared by the three processes (APP_LOG_FORMAT=json): one object a line with
time (UTC), level, logger, message, service, and the request and conversation ids of the work in
hand. The API sets the ids per request (api/operations.py), the action server per action call
(rasa_sdk_plugins/json_logs.py), and Rasa's own lines are formatted by the same class through
its launcher (rasa_components/json_logging.py). Standard library only: every image has it."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
conversation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("conversation_id", default="")

# The process's name in every line; set by configure (or SERVICE_NAME for Rasa's logging file).
SERVICE_NAME = [os.environ.get("SERVICE_NAME", "")]


class ContextFilter(logging.Filter):
    """Puts the request and conversation ids of the current task on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        if not getattr(record, "conversation_id", ""):
            record.conversation_id = conversation_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request and conversation ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "service": getattr(record, "service", "") or SERVICE_NAME[0],
        }
        for key in ("request_id", "conversation_id"):
            value = getattr(record, key, "") or (
                request_id_var.get() if key == "request_id" else conversation_id_var.get()
            )
            if value:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def use_json_logs(
    *, service: str, level: str | int, through_root: Iterable[str] = (), stream: TextIO | None = None
) -> None:
    """The root logger writes JSON lines (to `stream`, stderr by default) for a process whose
    framework installs handlers of its own (Rasa, rasa_sdk): the loggers named in `through_root`
    drop theirs and write through the root. Python warnings become log lines too, and the
    deprecation notices libraries print while they import are left out: a log collector gets
    one JSON object a line from the first line on."""
    SERVICE_NAME[0] = service
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in through_root:
        write_through_root(name, level=None)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    logging.captureWarnings(True)


def write_through_root(name: str, level: str | int | None) -> None:
    """The logger `name` drops its own handlers and writes through the root's (at `level`, when
    it set a lower one of its own: jieba logs its start-up at DEBUG)."""
    logger = logging.getLogger(name)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.propagate = True
    if level is not None:
        logger.setLevel(level)
