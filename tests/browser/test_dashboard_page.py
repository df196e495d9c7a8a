"""The analyst dashboard in Chromium tells the same truth as the hand-computed figures of
tests/bot/test_dashboard_truth.py: the rates with their definitions (legend and tooltips), topics
by their Chinese titles, no form answer among the unrecognised phrases, and button presses shown
by their titles in transcripts. API alone on a migrated SQLite file. Screenshot:
test-artifacts/analyst-dashboard-truth.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.db import build_engine, build_session_factory
from bot.transcripts import service as transcripts
from scripts.demo import seed_demo
from scripts.migrate import upgrade as migrate
from tests.bot.test_dashboard_truth import known_conversations

from .conftest import assert_accessible, single_character_lines
from .test_analyst_page import DESKTOP, ApiOnly, sign_in

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def truth_api(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp("dashboard")
    server = ApiOnly(tmp_dir)
    migrate(server.database_url)
    seed_demo(server.database_url)
    engine = build_engine(server.database_url)
    with build_session_factory(engine).begin() as session:
        script = known_conversations(session)
        transcripts.ingest_rasa_events(session, script.rows)
        transcripts.refresh_conversations(session, ["c7"])
    engine.dispose()
    server.start()
    yield server
    server.stop()


def test_the_dashboard_shows_the_hand_computed_rates_with_their_definitions(new_page, truth_api, artifacts):
    page = new_page(DESKTOP)
    sign_in(page, truth_api.url, "analyst1")
    page.get_by_role("button", name="质量看板").click()
    kpis = page.locator("#kpis")

    def figure(label: str):
        return kpis.locator(".kpi", has=page.locator(".kpi__label", has_text=label))

    expect(figure("会话总数")).to_contain_text("8")
    expect(figure("自助解决率")).to_contain_text("42.9%")
    expect(figure("自助解决率")).to_contain_text("3 / 7 个会话")
    for label in ("转人工率", "未解决率", "兜底率"):
        expect(figure(label)).to_contain_text("28.6%")
    assert "100%" in figure("未解决率").get_attribute("title")  # the definition as a tooltip
    legend = page.locator("#definitions")
    expect(legend).to_contain_text("自助解决率、转人工率与未解决率之和为100%")
    expect(legend).to_contain_text("回答流程中问题的内容")

    intents = page.locator("#chart-intents")
    expect(intents).to_contain_text("信用卡年费")
    expect(intents).to_contain_text("银行卡挂失")
    expect(intents).not_to_contain_text("nlu_fallback")
    unrecognised = page.locator("#chart-unrecognised")
    expect(unrecognised).to_contain_text("zzkk ppqq")
    for answer in ("上周三", "说完了", "张三", "昨天下午"):
        expect(unrecognised).not_to_contain_text(answer)
    assert single_character_lines(page, "#kpis *, #definitions *") == []
    assert_accessible(page, "analyst-dashboard-truth")
    page.screenshot(path=str(artifacts / "analyst-dashboard-truth.png"), full_page=True)

    # A figure opens exactly the conversations it counts.
    figure("未解决率").click()
    expect(page.locator("#conversation-rows tr")).to_have_count(2)
    assert page.get_by_label("会话结果").input_value() == "unresolved"


def test_transcripts_show_button_titles_and_mark_form_answers(new_page, truth_api, artifacts):
    page = new_page(DESKTOP)
    sign_in(page, truth_api.url, "analyst1")
    page.get_by_label("全文搜索").fill("预约回电")
    page.get_by_label("全文搜索").press("Enter")
    rows = page.locator("#conversation-rows tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button").click()
    transcript = page.locator("#transcript")
    pressed = transcript.locator(".bubble--customer", has_text="预约回电")
    expect(pressed).to_contain_text("点击按钮")
    expect(pressed.locator(".nlu__intent")).to_contain_text("预约回电")
    expect(transcript).not_to_contain_text("/request_callback")
    expect(transcript.locator(".bubble--customer", has_text="138****5678")).to_contain_text("回答流程问题")
    expect(transcript.locator(".bubble--assistant", has_text="预约回电")).to_contain_text(
        "按钮：预约回电 / 不用了"
    )
    # The list and the detail share the width once a conversation is open.
    assert page.locator("#detail").bounding_box()["x"] > 500
    page.screenshot(path=str(artifacts / "analyst-transcript-buttons.png"), full_page=True)
