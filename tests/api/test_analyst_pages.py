"""The analyst console page is served in Chinese, labelled, with every filter the issue asks for;
it carries no transcript data itself (that comes from the analyst API after sign-in)."""

from __future__ import annotations

import json
import re

from api.routes.analyst_pages import console_options


def test_the_analyst_page_is_served_with_its_filters_labelled(client):
    response = client.get("/analyst")
    assert response.status_code == 200
    page = response.text
    assert 'lang="zh-CN"' in page and "会话质检" in page and "用户名" in page and "密码" in page
    for label in (
        "开始日期",
        "结束日期",
        "渠道",
        "意图",
        "置信度低于",
        "触发兜底",
        "会话结果",
        "转人工排队",
        "已提交投诉",
        "已完成风险评估",
        "满意度",
        "标签",
        "全文搜索",
        "排序",
    ):
        assert re.search(rf"<label[^>]*>{label}\b", page), label
    for name in (
        "date_from",
        "date_to",
        "channel",
        "intent",
        "max_confidence",
        "fallback",
        "handed_off",
        "complaint_filed",
        "assessment_done",
        "satisfaction",
        "tag",
        "q",
        "sort",
        "outcome",
    ):
        assert f'name="{name}"' in page, name
    assert (
        "导出 CSV" in page and "导出 JSONL" in page and "导出 NLU 纠正数据" in page and "导出测试故事" in page
    )
    assert "无权限查看会话质检" in page
    for asset in ("/static/analyst.js", "/static/analyst.css", "/static/staff.css"):
        assert client.get(asset).status_code == 200


def test_only_analysts_and_admins_are_let_in_by_the_page(client):
    page = client.get("/analyst").text
    embedded = re.search(r'<script id="console-options" type="application/json">(.*?)</script>', page, re.S)
    options = json.loads(embedded.group(1))
    assert options == json.loads(json.dumps(console_options()))
    assert options["analyst_roles"] == ["analyst", "admin"]
