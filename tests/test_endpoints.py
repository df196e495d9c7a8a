"""Both endpoint files make Rasa send the action server's shared token with every action call
(a quoted "${...}" would reach the action server unexpanded and every call would be refused)."""

from __future__ import annotations

import pytest
from rasa.utils.endpoints import read_endpoint_config

from tests.conftest import ROOT


@pytest.mark.parametrize("name", ["endpoints.yml", "endpoints.production.yml"])
def test_the_action_endpoint_carries_the_shared_token(name, monkeypatch):
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "token-for-tests")
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    for other in (
        "RASA_TRACKER_DB",
        "RASA_EVENTS_DB",
        "TRACKER_DB_HOST",
        "TRACKER_DB_PORT",
        "TRACKER_DB_USER",
        "TRACKER_DB_PASSWORD",
        "TRACKER_DB_NAME",
        "TRACKER_LOGIN_DB",
        "REDIS_HOST",
        "REDIS_PORT",
        "REDIS_DB",
        "REDIS_KEY_PREFIX",
        "RABBITMQ_HOST",
        "RABBITMQ_PORT",
        "RABBITMQ_USER",
        "RABBITMQ_PASSWORD",
        "RABBITMQ_QUEUE",
    ):  # the rest of the file is read too
        monkeypatch.setenv(other, "5432" if other.endswith("PORT") else "x")
    endpoint = read_endpoint_config(str(ROOT / name), "action_endpoint")
    assert endpoint.headers == {"Authorization": "Bearer token-for-tests"}
    assert endpoint.token is None  # never a token in the URL (it would reach the access log)
