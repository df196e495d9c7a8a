"""Issue 15's privacy test, on the running product: a customer files a complaint (planting a name,
a mobile number, an identity card number and a bank card number) and then talks with an agent;
afterwards every column of every table of the application database, Rasa's tracker store and SQL
broker, every log file and every analyst export is searched. The planted values appear only
encrypted (decrypting proves they are there) or masked. Then time is moved past retention and the
purge runs (on a copy of the three databases, so the other tests' conversations stay): the values
are gone from every copy but the complaint case file, which keeps the contact encrypted under
the cases' own retention (scripts.purge_cases)."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, text

from bot.cases.crypto import FERNET_PREFIX
from bot.db import build_engine, utcnow
from scripts import transcripts as transcripts_cli
from scripts.demo import DEFAULT_DEMO_PASSWORD
from tests.conftest import ROOT
from tests.e2e.test_conversation import say, texts

pytestmark = pytest.mark.e2e

NAME = "司马相如"
PHONE = "13698760421"  # used by no other test of the shared product
ID_NUMBER = "110101199003071234"
CARD = "6222021234567890123"
PLANTED = {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "card": CARD}
# Where a planted value may still be found, encrypted, once the conversation is purged.
CASE_FILE = {("complaint_case", "contact_phone_encrypted"), ("complaint_case", "customer_name_encrypted")}
DATABASES = ("app.db", "rasa_tracker.db", "rasa_events.db")


def _readable(value) -> list[str]:
    """The value as text, and as decoded JSON when it is JSON (SQLAlchemy writes \\u escapes)."""
    if value is None:
        return []
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    value = str(value)
    forms = [value]
    if value[:1] in '{["':
        try:
            forms.append(json.dumps(json.loads(value), ensure_ascii=False))
        except ValueError:
            pass
    return forms


def _found(values: list[str]) -> set[str]:
    return {label for label, planted in PLANTED.items() for value in values if planted in value}


def scan_databases(directory: Path, decrypt) -> tuple[dict, dict, dict]:
    """(plain finds, finds after decrypting, rows per table) over every column of every table."""
    plain: dict[tuple[str, str], set[str]] = {}
    decrypted: dict[tuple[str, str], set[str]] = {}
    rows: dict[str, int] = {}
    for name in DATABASES:
        engine = build_engine(f"sqlite:///{directory / name}")
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                result = connection.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
                rows[f"{name}:{table}"] = len(result)
                for row in result:
                    for column, value in row.items():
                        forms = _readable(value)
                        if found := _found(forms):
                            plain.setdefault((table, column), set()).update(found)
                        encrypted = bool(forms) and forms[0].startswith(FERNET_PREFIX)
                        if encrypted and (found := _found(_readable(decrypt(forms[0])))):
                            decrypted.setdefault((table, column), set()).update(found)
        engine.dispose()
    return plain, decrypted, rows


def _copy_databases(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in DATABASES:
        with sqlite3.connect(source / name) as live, sqlite3.connect(target / name) as copy:
            live.backup(copy)


@pytest.fixture(scope="module")
def api(live_product):
    with httpx.Client(base_url=live_product.api_url, timeout=120) as client:
        yield client


def _login(api, username: str) -> dict:
    login = api.post("/api/auth/login", json={"username": username, "password": DEFAULT_DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def _complaint(api, conversation_id: str, headers: dict) -> str:
    reply = say(api, conversation_id, headers, "我要投诉")
    say(
        api,
        conversation_id,
        headers,
        f"我的信用卡{CARD}被多扣了两次年费，身份证号{ID_NUMBER}也被要求重新登记",
    )
    reply = say(api, conversation_id, headers, "说完了")
    answers = {
        "对吗": "对的",
        "怎么处理": "希望退还多扣的年费",
        "什么时候": "上周三上午",
        "手机号": PHONE,
        "怎么称呼": NAME,
        "请选择": None,
    }
    for _ in range(12):
        if "请核对您的投诉信息" in texts(reply):
            break
        asked = reply["replies"][-1]
        answer = next(a for key, a in answers.items() if key in asked["text"])
        reply = say(api, conversation_id, headers, answer or asked["buttons"][0]["payload"])
    assert f"姓名：{NAME}" in texts(reply)  # the customer checks their own name
    filed = texts(say(api, conversation_id, headers, "确认提交"))
    return re.search(r"TS\d{14}", filed).group(0)


def test_planted_personal_data_is_only_encrypted_or_masked_and_gone_after_the_purge(
    live_product, api, tmp_path, monkeypatch
):
    agent = _login(api, "agent1")
    assert api.put("/api/agent/presence", json={"status": "online"}, headers=agent).status_code == 200
    session = api.post("/api/chat/sessions", json={"channel": "web"}).json()
    conversation_id, headers = session["conversation_id"], {"Authorization": f"Bearer {session['token']}"}
    number = _complaint(api, conversation_id, headers)

    # A handoff with agent chat: the customer repeats phone, card and identity number to the agent.
    waiting = say(api, conversation_id, headers, "转人工")["replies"][-1]
    assert waiting["kind"] == "handoff_waiting"
    [item] = [
        i
        for i in api.get("/api/agent/queue", headers=agent).json()["items"]
        if i["conversation_id"] == conversation_id
    ]
    assert api.post(f"/api/agent/handoffs/{item['id']}/claim", headers=agent).status_code == 200
    say(api, conversation_id, headers, f"我的手机{PHONE}，卡号{CARD}，身份证{ID_NUMBER}，投诉编号{number}")
    seen = api.get(f"/api/agent/handoffs/{item['id']}/messages", headers=agent).json()["messages"]
    assert not _found([json.dumps(seen, ensure_ascii=False)])  # the agent reads them masked
    sent = api.post(
        f"/api/agent/handoffs/{item['id']}/messages",
        headers=agent,
        json={"text": f"好的，已为您查到投诉{number}，我们会尽快退还年费。"},
    )
    assert sent.status_code == 201, sent.text
    assert api.post(f"/api/agent/handoffs/{item['id']}/close", headers=agent).status_code == 200
    api.put("/api/agent/presence", json={"status": "offline"}, headers=agent)

    # The transcript store takes the conversation in now (the follower does it every 5 s).
    consumed = subprocess.run(
        [sys.executable, "-m", "scripts.transcripts", "consume"],
        cwd=ROOT,
        env=live_product.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert consumed.returncode == 0, consumed.stderr

    # Every table of the three databases: nothing in clear; encrypted copies do hold the values.
    plain, decrypted, rows = scan_databases(live_product.var_dir, live_product.decrypt)
    assert plain == {}, f"planted values in clear: {plain}"
    assert rows["rasa_tracker.db:events"] and rows["rasa_events.db:events"]  # Rasa did write there
    assert decrypted[("conversation_message", "text")] == set(PLANTED)
    assert decrypted[("events", "data")] == set(PLANTED)  # tracker store and broker
    assert set(decrypted) == {("conversation_message", "text"), ("events", "data")} | CASE_FILE

    # Log files of the processes (the transcript follower's too).
    for log in (live_product.var_dir / "log").glob("*.log"):
        assert not _found([log.read_text(errors="replace")]), log.name

    # Everything an analyst can read or export shows them masked.
    analyst = _login(api, "analyst1")
    exports = {
        "csv": api.get("/api/analyst/export/conversations.csv", headers=analyst),
        "jsonl": api.get("/api/analyst/export/conversations.jsonl", headers=analyst),
        "nlu": api.get("/api/analyst/export/nlu-corrections", headers=analyst),
        "detail": api.get(f"/api/analyst/conversations/{conversation_id}", headers=analyst),
        "story": api.get(f"/api/analyst/conversations/{conversation_id}/story", headers=analyst),
    }
    for name, response in exports.items():
        assert response.status_code == 200, (name, response.text[:200])
        forms = [response.text] + [form for line in response.text.splitlines() for form in _readable(line)]
        assert not _found(forms), (name, _found(forms))
    detail = exports["detail"].text
    assert "****0123" in exports["csv"].text and "110101********1234" in exports["csv"].text
    assert PHONE[-4:] in detail and "司***" in json.dumps(exports["detail"].json(), ensure_ascii=False)

    # Time moves past retention; the purge runs on a copy of the three databases.
    copy = tmp_path / "purged"
    _copy_databases(live_product.var_dir, copy)
    for name, value in {
        "DATABASE_URL": f"sqlite:///{copy / 'app.db'}",
        "VAR_DIR": str(live_product.var_dir),
        "RASA_TRACKER_DB": str(copy / "rasa_tracker.db"),
        "RASA_EVENTS_DB": str(copy / "rasa_events.db"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRACKER_DB_HOST", raising=False)
    monkeypatch.delenv("RASA_TRACKER_URL", raising=False)
    purged = transcripts_cli.purge(
        now=utcnow() + timedelta(days=transcripts_cli.load_settings().transcript_retention_days + 1)
    )
    assert conversation_id in purged.raw.conversations
    plain, decrypted, rows = scan_databases(copy, live_product.decrypt)
    assert plain == {} and set(decrypted) == CASE_FILE, decrypted
