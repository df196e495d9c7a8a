"""Analysts review conversations on /analyst in a real browser; agents are told it is not theirs.

Only the API runs here (uvicorn on a free port, no Rasa): a migrated SQLite file holds the demo
staff and transcript rows stored by the transcript store's own ingestion of Rasa broker events.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import build_engine, build_session_factory
from bot.transcripts import service as transcripts
from scripts.demo import demo_staff_password, seed_demo
from scripts.migrate import upgrade as migrate
from scripts.stack import free_port

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def rasa_events(now: datetime, parse=lambda text: []) -> list[tuple[str, dict]]:
    """(conversation id, Rasa event) for three conversations over three days, as the SQL event
    broker writes them; `parse` gives each customer message the NLU's entities."""

    def at(days: int, seconds: int) -> float:
        return (now - timedelta(days=days) + timedelta(seconds=seconds)).timestamp()

    def user(text: str, intent: str, confidence: float, when: float, channel: str) -> dict:
        return {
            "event": "user",
            "text": text,
            "timestamp": when,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": parse(text)},
            "metadata": {"channel": channel, "customer_id": "C-1001"},
        }

    def bot(text: str, when: float, agent: str | None = None) -> dict:
        return {
            "event": "bot",
            "text": text,
            "timestamp": when,
            "metadata": {"agent": agent} if agent else {},
        }

    return [
        ("conv-fee", user("信用卡年费怎么收", "faq_card_annual_fee", 0.93, at(2, 0), "web")),
        ("conv-fee", bot("本行信用卡首年免年费，刷卡满6次免次年年费。", at(2, 2))),
        ("conv-lost", user("我的手机13812345678登录不了手机银行", "faq_app_login", 0.41, at(1, 0), "app")),
        ("conv-lost", {"event": "action", "name": "action_default_fallback", "timestamp": at(1, 1)}),
        ("conv-lost", bot("抱歉，我没有理解您的意思。", at(1, 2))),
        ("conv-lost", user("转人工", "request_human", 0.98, at(1, 10), "app")),
        ("conv-lost", bot("您好，我是人工客服，请问有什么可以帮您？", at(1, 60), agent="小王")),
        ("conv-rate", user("大额存单利率是多少", "faq_deposit_rate", 0.88, at(0, -600), "web")),
        ("conv-rate", bot("三年期大额存单年利率以当日公布为准。", at(0, -598))),
    ]


def seed_transcripts(database_url: str, parse=lambda text: []) -> None:
    engine = build_engine(database_url)
    try:
        with build_session_factory(engine).begin() as session:
            events = rasa_events(datetime.now(UTC), parse)
            rows = [
                (index, conversation, json.dumps(event, ensure_ascii=False))
                for index, (conversation, event) in enumerate(events, start=1)
            ]
            transcripts.ingest_rasa_events(session, rows)
    finally:
        engine.dispose()


class ApiOnly:
    """The API alone (`uvicorn api.main:create_app --factory`) on a migrated SQLite file."""

    def __init__(self, tmp_dir: Path):
        self.port = free_port()
        self.database_url = f"sqlite:///{tmp_dir / 'app.db'}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "VAR_DIR": str(tmp_dir),
            "DATABASE_URL": self.database_url,
            "API_PORT": str(self.port),
            "RASA_URL": f"http://127.0.0.1:{free_port()}",  # nobody answers: no Rasa here
            "RASA_EVENTS_DB": str(tmp_dir / "no_rasa_events.db"),
            "DEMO_MODE": "true",
        }
        self.log = tmp_dir / "api.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> None:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{self.url}/analyst", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the API did not start:\n" + self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def token(self, username: str) -> str:
        body = json.dumps({"username": username, "password": demo_staff_password()}).encode()
        request = urllib.request.Request(
            f"{self.url}/api/auth/login", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["token"]

    def status(self, path: str, token: str) -> int:
        request = urllib.request.Request(f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture(scope="module")
def analyst_api(tmp_path_factory, parse_entities):
    tmp_dir = tmp_path_factory.mktemp("analyst")
    server = ApiOnly(tmp_dir)
    migrate(server.database_url)
    seed_demo(server.database_url)
    seed_transcripts(server.database_url, parse_entities)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def analyst_api_ready(analyst_api):
    """The analyst API must answer for the full walk-through (it is built alongside this page)."""
    if analyst_api.status("/api/analyst/conversations", analyst_api.token("analyst1")) == 404:
        pytest.skip("GET /api/analyst/conversations is not served yet (api/routes/analyst.py)")
    return analyst_api


def sign_in(page, url: str, username: str) -> None:
    page.goto(f"{url}/analyst")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(demo_staff_password())
    page.get_by_role("button", name="登录", exact=True).click()


def test_an_agent_is_told_politely_that_the_analyst_console_is_not_theirs(new_page, analyst_api, artifacts):
    page = new_page(DESKTOP)
    sign_in(page, analyst_api.url, "agent1")
    notice = page.locator("#forbidden-view")
    notice.get_by_role("heading", name="无权限查看会话质检").wait_for()
    assert "客服坐席" in notice.inner_text()
    assert page.locator("#analyst-view").is_hidden()
    assert page.locator("#conversation-rows tr").count() == 0
    page.screenshot(path=str(artifacts / "analyst-agent-no-permission.png"), full_page=True)


def test_an_analyst_filters_opens_tags_and_sees_the_dashboard(new_page, analyst_api_ready, artifacts):
    from playwright.sync_api import expect

    server = analyst_api_ready
    page = new_page(DESKTOP)
    sign_in(page, server.url, "analyst1")
    page.locator("#who-name", has_text="演示分析员（质检分析员）").wait_for()
    rows = page.locator("#conversation-rows tr")
    expect(rows).to_have_count(3)

    # Low confidence: only the conversation whose customer was not understood.
    page.get_by_label("置信度低于").fill("0.5")
    page.get_by_role("button", name="查询").click()
    expect(rows).to_have_count(1)
    page.get_by_label("渠道").select_option(label="手机App")
    expect(rows).to_have_count(1)
    assert "138****5678" in rows.first.inner_text()
    assert "13812345678" not in page.content()

    # Open it: the transcript as a chat, intent and confidence beside the customer's message.
    rows.first.get_by_role("button").click()
    detail = page.locator("#detail")
    expect(detail).to_be_visible()
    customer = detail.locator(".bubble--customer").first
    expect(customer).to_contain_text("138****5678")
    expect(customer.locator(".nlu__intent")).to_contain_text("faq_app_login")
    expect(customer.locator(".nlu__confidence")).to_contain_text("0.41")
    expect(detail.locator(".bubble--agent")).to_contain_text("小王")

    # Tag it; the tag shows on the conversation and in the list, and filters it.
    detail.get_by_label("添加标签").fill("登录问题")
    detail.get_by_role("button", name="添加", exact=True).click()
    expect(detail.locator("#tags")).to_contain_text("登录问题")
    expect(rows.first).to_contain_text("登录问题")
    page.screenshot(path=str(artifacts / "analyst-conversation.png"), full_page=True)

    page.get_by_role("button", name="重置").click()
    expect(rows).to_have_count(3)
    page.get_by_label("标签", exact=True).fill("登录问题")
    page.get_by_label("标签", exact=True).press("Enter")
    expect(rows).to_have_count(1)

    # The dashboard draws its charts in the page; a bar opens the conversations behind it.
    page.get_by_role("button", name="重置").click()
    page.get_by_role("button", name="质量看板").click()
    bars = page.locator("#chart-daily svg rect.chart__bar")
    expect(bars.first).to_be_visible()
    values = [int(value) for value in bars.evaluate_all("nodes => nodes.map(n => n.dataset.value)")]
    assert sum(values) == 3 and len([value for value in values if value]) == 3
    intent_bars = page.locator("#chart-intents svg rect.chart__bar")
    assert intent_bars.count() >= 3
    page.screenshot(path=str(artifacts / "analyst-dashboard.png"), full_page=True)

    page.locator("#chart-intents a", has_text="转人工").click()  # intents by their Chinese names
    expect(page.locator("#list-view")).to_be_visible()
    expect(rows).to_have_count(1)
    assert page.get_by_label("意图", exact=True).input_value() == "request_human"


def test_an_analyst_sees_what_each_customer_named_and_filters_by_it(new_page, analyst_api_ready, artifacts):
    from playwright.sync_api import expect

    page = new_page(DESKTOP)
    sign_in(page, analyst_api_ready.url, "analyst1")
    rows = page.locator("#conversation-rows tr")
    expect(rows).to_have_count(3)

    # Conversations where the customer named a kind of card: only the annual-fee question.
    page.get_by_label("提到的信息").select_option(label="卡种")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("信用卡年费怎么收")
    # A value alone (typed, with the values seen so far offered): the mobile-banking channel.
    page.get_by_label("提到的信息").select_option(label="全部类型")
    page.get_by_label("信息值").fill("手机银行")
    page.get_by_label("信息值").press("Enter")
    expect(rows).to_have_count(1)
    assert page.locator("#entity-value-list option[value='手机银行']").count() == 1

    rows.first.get_by_role("button").click()
    chips = page.locator("#detail .bubble--customer").first.locator(".pill--entity")
    expect(chips).to_have_text(["渠道：手机银行"])
    assert "13812345678" not in page.content()
    page.screenshot(path=str(artifacts / "analyst-entities.png"), full_page=True)


def test_the_console_works_at_phone_width(new_page, analyst_api_ready, artifacts):
    from playwright.sync_api import expect

    page = new_page(PHONE)
    sign_in(page, analyst_api_ready.url, "analyst1")
    rows = page.locator("#conversation-rows tr")
    expect(rows.first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways ({width}px)"
    rows.first.get_by_role("button").click()
    expect(page.locator("#transcript li").first).to_be_visible()
    page.screenshot(path=str(artifacts / "analyst-phone.png"), full_page=True)
