"""`python -m rasa_components.json_logging run ...` is `rasa run ...` with every log line as one JSON
object (bot/logs.py: time, level, logger, message, service), the format of the API and the action
server. Rasa installs coloredlogs on the root logger after reading any logging file, replacing
a handler given there; so this launcher puts the JSON handler in coloredlogs' place. It is
installed before Rasa is imported, so the warnings of Rasa's libraries are JSON lines too (their
deprecation notices left out), and jieba's start-up lines go through it. The Rasa image's
entrypoint uses it with APP_LOG_FORMAT=json."""

from __future__ import annotations

import os
import sys

from bot.logs import use_json_logs, write_through_root

# Sanic's loggers write through their own handlers; they write through the root's instead.
SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access")


def install_json_logging(loglevel: str | int | None = None) -> None:
    """Root logging as JSON lines on stdout, at Rasa's level (LOG_LEVEL)."""
    use_json_logs(
        service=os.environ.get("SERVICE_NAME") or "rasa",
        level=loglevel or os.environ.get("LOG_LEVEL", "INFO"),
        through_root=SANIC_LOGGERS,
        stream=sys.stdout,
    )


def main() -> None:
    install_json_logging()
    import jieba  # its logger prints to stderr from import on: write through ours instead

    write_through_root(jieba.default_logger.name, level=os.environ.get("LOG_LEVEL", "INFO"))
    import rasa.utils.io
    from rasa.__main__ import main as rasa_main

    rasa.utils.io.configure_colored_logging = install_json_logging
    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
