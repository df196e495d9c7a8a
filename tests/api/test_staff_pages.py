"""The staff console's complaint-case page is served with its filter options from `bot.cases`."""

from __future__ import annotations

import json
import re

from api.routes.staff_pages import console_options
from bot.cases import classification, lifecycle


def test_the_staff_case_page_is_served_in_chinese_with_the_filter_options(client):
    response = client.get("/staff")
    assert response.status_code == 200
    page = response.text
    assert 'lang="zh-CN"' in page and "投诉工单" in page and "用户名" in page and "密码" in page
    axes = (classification.BUSINESSES, classification.CHANNELS, classification.REASONS)
    for labels in (lifecycle.STATUS_LABELS, *axes):
        for code, label in labels.items():
            assert f'<option value="{code}">{label}</option>' in page
    assert "即将到期" in page and "已逾期" in page
    for asset in ("/static/staff.js", "/static/staff.css"):
        assert client.get(asset).status_code == 200


def test_the_page_embeds_the_lifecycle_rules_its_forms_follow(client):
    page = client.get("/staff").text
    embedded = re.search(r'<script id="console-options" type="application/json">(.*?)</script>', page, re.S)
    options = json.loads(embedded.group(1))
    assert options == json.loads(json.dumps(console_options()))
    assert options["next_statuses"]["received"] == ["in_progress", "answered", "withdrawn"]
    assert options["next_statuses"]["withdrawn"] == []
    assert options["open_statuses"] == ["received", "in_progress"]
