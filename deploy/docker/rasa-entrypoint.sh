#!/bin/sh
# Starts the Rasa server of the image: the model baked in at build time (or RASA_MODEL), the
# production endpoints (PostgreSQL tracker store, Redis lock store, RabbitMQ broker, all read from
# the environment) and the REST channel. Extra arguments are passed on to `rasa run`.
set -eu
: "${RASA_TOKEN:?RASA_TOKEN must be set (the API sends it with every call)}"
# APP_LOG_FORMAT=json: Rasa's lines in the JSON format of the API and the actions (bot/logs.py),
# through our launcher (rasa_components/json_logging.py); otherwise Rasa's own text lines.
RASA="rasa"
if [ "${APP_LOG_FORMAT:-text}" = "json" ]; then
  RASA="python -m rasa_components.json_logging"
fi
# shellcheck disable=SC2086
exec $RASA run --enable-api \
  --interface 0.0.0.0 --port "${RASA_PORT:-5005}" \
  --auth-token "$RASA_TOKEN" \
  --model "${RASA_MODEL:-/app/models/current.tar.gz}" \
  --endpoints "${RASA_ENDPOINTS:-endpoints.production.yml}" \
  --credentials credentials.yml \
  "$@"
