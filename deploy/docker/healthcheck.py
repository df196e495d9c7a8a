"""Container health checks with the standard library only (the slim images have no curl):

    python deploy/docker/healthcheck.py api [livez|readyz]   # the API's probe endpoints
    python deploy/docker/healthcheck.py rasa                  # /status with RASA_TOKEN, model loaded
    python deploy/docker/healthcheck.py actions               # the action server's /health
    python deploy/docker/healthcheck.py consumer              # the broker the consumer reads answers

Exit 0 when healthy, 1 otherwise (Docker HEALTHCHECK and Kubernetes exec probes read the code).
Ports come from API_PORT, RASA_PORT and ACTION_PORT (defaults 8000, 5005, 5055).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.parse
import urllib.request

TIMEOUT_SECONDS = 4.0


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except Exception as exc:  # refused, timed out, 5xx: all mean unhealthy
        print(f"unhealthy: {url.split('?')[0]}: {exc}", file=sys.stderr)
        return 0, b""


def check(kind: str, endpoint: str = "livez") -> bool:
    if kind == "api":
        port = os.environ.get("API_PORT", "8000")
        status, _ = _get(f"http://127.0.0.1:{port}/{endpoint}")
        return status == 200
    if kind == "rasa":
        port = os.environ.get("RASA_PORT", "5005")
        token = urllib.parse.quote(os.environ.get("RASA_TOKEN", ""))
        status, body = _get(f"http://127.0.0.1:{port}/status?token={token}")
        try:
            return status == 200 and bool(json.loads(body).get("model_file"))
        except ValueError:
            return False
    if kind == "actions":
        port = os.environ.get("ACTION_PORT", "5055")
        status, _ = _get(f"http://127.0.0.1:{port}/health")
        return status == 200
    if kind == "consumer":
        address = (os.environ.get("RABBITMQ_HOST", "127.0.0.1"), int(os.environ.get("RABBITMQ_PORT", "5672")))
        try:
            socket.create_connection(address, timeout=TIMEOUT_SECONDS).close()
        except OSError as exc:
            print(f"unhealthy: RabbitMQ at {address[0]}:{address[1]}: {exc}", file=sys.stderr)
            return False
        return True
    raise SystemExit(f"unknown check {kind!r}: api, rasa, actions or consumer")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    sys.exit(0 if check(*sys.argv[1:3]) else 1)
