#!/bin/sh
# The API image's default command: uvicorn on API_PORT with WebSocket frames limited to
# WS_MAX_BYTES (uvicorn's own default is 16 MiB) and no Server header. Forwarded headers are read
# by the app from TRUSTED_PROXIES only (api/operations.py), so uvicorn's own are off. The jobs and
# the consumer run other commands in the same image (`command:` replaces this one).
set -eu
exec uvicorn api.main:create_app --factory \
  --host 0.0.0.0 --port "${API_PORT:-8000}" \
  --ws-max-size "${WS_MAX_BYTES:-65536}" \
  --no-server-header --no-proxy-headers \
  "$@"
