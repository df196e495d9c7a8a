"""`python -m rasa_components.json_logging run ...` is `rasa run ...` with every log line as one JSON
object (bot/logs.py: time, level, logger, message, service), the format of the API and the action
server. Rasa installs coloredlogs on the root logger after reading any logging file, replacing
a handler given there; so this launcher puts the JSON handler in coloredlogs' place. The Rasa
image's entrypoint uses it with APP_LOG_FORMAT=json."""

from __future__ import annotations

import logging
import os
import sys

from bot.logs import SERVICE_NAME, ContextFilter, JsonFormatter


def install_json_logging(loglevel: str | int | None = None) -> None:
    """Root logging as JSON lines on stdout, at Rasa's level (LOG_LEVEL)."""
    SERVICE_NAME[0] = os.environ.get("SERVICE_NAME") or "rasa"
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(loglevel or os.environ.get("LOG_LEVEL", "INFO"))
    # Sanic's loggers write through their own handlers; send them through the root's.
    for name in ("sanic.root", "sanic.error", "sanic.access"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True


def main() -> None:
    import rasa.utils.io
    from rasa.__main__ import main as rasa_main

    rasa.utils.io.configure_colored_logging = install_json_logging
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
