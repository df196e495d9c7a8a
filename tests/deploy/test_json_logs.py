"""APP_LOG_FORMAT=json across the processes: the action server's lines are JSON objects with the
conversation id of the action call (Rasa's sender id), in the API's format (bot/logs.py); Rasa's
launcher (rasa_components/json_logging.py) uses the same formatter. (`make cluster-test` runs all of them this way.)"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time

import httpx

from bot.logs import ContextFilter, JsonFormatter, conversation_id_var, request_id_var
from scripts.stack import BIN, free_port
from tests.conftest import ROOT


def test_a_line_carries_the_ids_of_the_work_in_hand():
    record = logging.LogRecord(
        "actions.faq", logging.WARNING, __file__, 1, "answer %s not found", ("x",), None
    )
    tokens = request_id_var.set("req-12345678"), conversation_id_var.set("conv-abcdef12")
    try:
        ContextFilter().filter(record)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(tokens[0])
        conversation_id_var.reset(tokens[1])
    assert line["message"] == "answer x not found" and line["level"] == "WARNING"
    assert (line["request_id"], line["conversation_id"]) == ("req-12345678", "conv-abcdef12")


def test_rasa_s_launcher_writes_the_same_json_lines(capsys):
    from rasa_components.json_logging import install_json_logging

    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        install_json_logging("INFO")
        logging.getLogger("rasa.core.processor").info("model loaded")
        logging.getLogger("sanic.access").info("GET /status")
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("rasa.core.processor", "model loaded"),
        ("sanic.access", "GET /status"),
    ]
    entrypoint = (ROOT / "deploy" / "docker" / "rasa-entrypoint.sh").read_text()
    assert 'RASA="python -m rasa_components.json_logging"' in entrypoint


def test_the_action_server_logs_json_from_its_first_line_with_the_conversation_id(tmp_path):
    """Run as its image runs it: every line JSON, the registered actions and the libraries'
    import-time warnings included (a log collector parses each line)."""
    port = free_port()
    env = {
        **os.environ,
        "APP_LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "SERVICE_NAME": "actions-test",
        "ACTION_SERVER_TOKEN": "t" * 40,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "SANIC_HOST": "127.0.0.1",
    }
    log = tmp_path / "actions.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                str(BIN / "python"),
                "-m",
                "rasa_sdk_plugins.json_logs",
                "--port",
                str(port),
                "--actions",
                "actions",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, log.read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the action server did not start"
            time.sleep(0.5)
        # Without the shared token: refused, and the refusal is logged for this conversation.
        refused = httpx.post(
            f"http://127.0.0.1:{port}/webhook",
            timeout=30,
            json={"next_action": "action_answer_faq", "sender_id": "conv-json-logs-1", "tracker": {}},
        )
        assert refused.status_code == 401
        deadline = time.monotonic() + 30
        while "conv-json-logs-1" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=30)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert [line for line in lines if not line.startswith("{")] == []
    entries = [json.loads(line) for line in lines]
    assert entries and all(entry["service"] == "actions-test" for entry in entries)
    assert any(e["message"] == "Registered function for 'action_answer_faq'." for e in entries)
    refusal = [e for e in entries if e.get("conversation_id") == "conv-json-logs-1"]
    assert (
        refusal
        and refusal[0]["level"] == "WARNING"
        and refusal[0]["logger"] == "rasa_sdk_plugins.action_auth"
    )
